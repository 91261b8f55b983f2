"""Signing in: a try is counted before its password is checked, in one atomic statement, so
parallel tries cannot slip past the limit; every try, whatever its outcome, checks exactly one
bcrypt hash, so an unknown username, a locked account and a wrong password answer alike and
in the same time. Remembered sign-ins are kept server-side, one row per browser cookie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import bcrypt
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_core.admin.users import actor_for
from crm_core.kernel import writepath
from crm_core.kernel.permissions import Actor
from crm_core.models import RememberedSignIn, SignInAttempt, User
from crm_core.models.enums import AuditAction, Entity

MAX_FAILED_TRIES = 5
LOCKOUT = timedelta(minutes=15)
# Checked when there is no real hash to check, so that such a try costs what a real one does.
_NO_ACCOUNT = bcrypt.hashpw(b"no such account", bcrypt.gensalt()).decode()


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    session_version: int
    must_change_password: bool


def typed_username(username: str) -> str:
    """Usernames are stored lower-case; what was typed is compared the same way."""
    return username.strip().lower()[:64]


def count_try(session: Session, username: str, now: datetime) -> bool:
    """Count this try against the typed username (known or not) before any password is
    checked; False when it is over the limit. Commit it before `check_password`, so that
    a parallel try sees it."""
    table = SignInAttempt.__table__
    # Tries past the window count for nothing: drop them, so that a bot typing made-up
    # usernames cannot grow the table without end.
    session.execute(delete(SignInAttempt).where(SignInAttempt.last_failed_at < now - LOCKOUT))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    fresh = table.c.last_failed_at < now - LOCKOUT
    upsert: Any = dialect.insert(table).values(
        username=typed_username(username), failures=1, last_failed_at=now
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[table.c.username],
        set_={
            "failures": case((fresh, 1), else_=table.c.failures + 1),
            "last_failed_at": now,
        },
    ).returning(table.c.failures)
    failures = session.execute(upsert).scalar_one()
    return int(failures) <= MAX_FAILED_TRIES


def check_password(
    session: Session, username: str, password: str, counted: bool, now: datetime
) -> SignedIn | None:
    """The signed-in user, or None for a wrong password, an unknown or inactive username, or
    a try over the limit (`counted` False): the caller cannot tell which, nor can the clock."""
    name = typed_username(username)
    user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
    stored = user.password_hash if user is not None and counted else _NO_ACCOUNT
    matches = bcrypt.checkpw(password.encode(), stored.encode())
    if user is None or not counted or not matches:
        return None
    session.execute(delete(SignInAttempt).where(SignInAttempt.username == name))
    session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    writepath.record_event(session, actor_for(user), Entity.USER, user.id, AuditAction.LOGIN)
    return SignedIn(actor_for(user), user.session_version, user.must_change_password)


def failed_tries(session: Session, username: str, now: datetime) -> int:
    """Failed tries of a typed username still inside the lockout window."""
    row = session.get(SignInAttempt, typed_username(username))
    if row is None or row.last_failed_at < now - LOCKOUT:
        return 0
    return row.failures


# --- remembered sign-ins ---------------------------------------------------------------------


def remember(session: Session, username: str, expires_at: datetime, now: datetime) -> None:
    """Record a remember-me cookie just issued to a browser, by its expiry to the second."""
    user_id = session.scalar(select(User.id).where(User.username == typed_username(username)))
    if user_id is not None:
        session.add(RememberedSignIn(user_id=user_id, expires_at=_whole(expires_at), issued_at=now))


def remembered(session: Session, username: str, expires_at: datetime, now: datetime) -> bool:
    """A cookie is good while its record is: not past its expiry, the user active, and not
    ended since by a sign-out, a password change or a deactivation (which drop the records)."""
    found = session.scalar(
        select(RememberedSignIn.id)
        .join(User, User.id == RememberedSignIn.user_id)
        .where(
            User.username == typed_username(username),
            User.active.is_(True),
            RememberedSignIn.expires_at == _whole(expires_at),
            RememberedSignIn.expires_at > now,
        )
    )
    return found is not None


def _whole(moment: datetime) -> datetime:
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
