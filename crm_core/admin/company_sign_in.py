"""Company sign-in: the identity a company's OpenID Connect provider (Google, Microsoft...)
vouches for, through Streamlit's st.login, is matched to a Relasi user by email. The provider
only says who someone is; whether they may come in, and with which role, is Relasi's.

The identity lives in Streamlit's own cookie (30 days); Relasi keeps the last word on it: an
identity issued before the user's sessions were ended (a sign-out, a password change, a
deactivation) or older than the remembered sign-in's days is refused, so that the provider's
cookie cannot outlast what a password sign-in would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_core.admin.sign_in import SignedIn
from crm_core.admin.users import actor_for
from crm_core.kernel import writepath
from crm_core.kernel.messages import Message, msg
from crm_core.models import User
from crm_core.models.enums import AuditAction, Entity


@dataclass(frozen=True)
class Identity:
    """What Relasi reads of an OpenID Connect identity (the claims of its id_token)."""

    provider: str
    email: str
    email_verified: bool | None  # None: the provider does not say (Microsoft Entra ID)
    issued_at: datetime | None  # naive UTC, like every moment Relasi stores


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    """The identity in st.user's claims (`provider` is added by Streamlit)."""
    verified = claims.get("email_verified")
    if isinstance(verified, str):  # some providers send "true"/"false"
        verified = verified.strip().lower() == "true"
    return Identity(
        provider=str(claims.get("provider") or "default"),
        email=str(claims.get("email") or "").strip().lower(),
        email_verified=verified if isinstance(verified, bool) else None,
        issued_at=_moment(claims.get("iat")),
    )


def _moment(seconds: Any) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def sign_in(
    session: Session, identity: Identity, now: datetime, max_age: timedelta
) -> SignedIn | Message:
    """The Relasi user with this identity's email (compared case-insensitively), signed in and
    audited; or the reason it is refused, as a message code. Nothing is written on a refusal."""
    refusal = _unusable(identity, now, max_age)
    if refusal is not None:
        return refusal
    email = identity.email.strip().lower()
    # In Python, not SQL: SQLite's lower() leaves letters outside ASCII as they are.
    rows = session.execute(select(User.id, User.email, User.active)).all()
    same = [row for row in rows if row.email.strip().lower() == email]
    active = [row for row in same if row.active]
    if not same:
        return msg("sign_in.unknown_email", email=email)
    if not active:
        return msg("sign_in.deactivated_email", email=email)
    if len(active) > 1:  # two staff with one address: Relasi cannot tell whose role to give
        return msg("sign_in.shared_email", email=email)
    user = session.get_one(User, active[0].id)
    revoked = user.sessions_revoked_at
    # Within the second of a sign-out counts as after it: id_tokens carry whole seconds.
    if revoked is not None and (identity.issued_at or now) < revoked.replace(microsecond=0):
        return msg("sign_in.identity_ended")
    session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    via = {"signed_in_with": (None, identity.provider)}
    writepath.record_event(session, actor_for(user), Entity.USER, user.id, AuditAction.LOGIN, via)
    return SignedIn(actor_for(user), user.session_version, must_change_password=False)


def _unusable(identity: Identity, now: datetime, max_age: timedelta) -> Message | None:
    if not identity.email.strip():
        return msg("sign_in.no_email")
    if identity.email_verified is False:
        return msg("sign_in.unverified_email", email=identity.email.strip().lower())
    if identity.issued_at is None or now - identity.issued_at > max_age:
        return msg("sign_in.identity_ended")
    return None
