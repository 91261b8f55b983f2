"""Company sign-in (st.login): the provider's identity is matched to a Relasi user by email,
in any letter case; the role is Relasi's; unknown, deactivated, shared, unverified and ended
identities are refused with their reason, and nothing is written for them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from crm_core.admin import users
from crm_core.admin.company_sign_in import Identity, sign_in
from crm_core.admin.sign_in import SignedIn
from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, User, utcnow
from crm_core.models.enums import AuditAction, Role
from db.session import session_scope
from support import make_user

WEEK = timedelta(days=7)


def identity(email: str, issued: datetime | None = None, verified: bool | None = True) -> Identity:
    return Identity("google", email, verified, issued or utcnow() - timedelta(seconds=5))


def attempt(engine: Engine, who: Identity, now: datetime | None = None) -> SignedIn | Message:
    with session_scope(engine) as s:
        return sign_in(s, who, now or utcnow(), WEEK)


def logins(engine: Engine) -> list[tuple[int | None, dict[str, object]]]:
    with session_scope(engine, write=False) as s:
        rows = s.execute(
            select(AuditEntry.actor_id, AuditEntry.changes).where(
                AuditEntry.action == AuditAction.LOGIN
            )
        ).all()
    return [(r.actor_id, r.changes) for r in rows]


def test_the_email_matches_in_any_letter_case_and_the_role_is_relasi_s(
    engine: Engine, admin: Actor
) -> None:
    with session_scope(engine) as s:
        made = users.create_user(
            s,
            admin,
            {
                "username": "ayu",
                "name": "Ayu Lestari",
                "email": "Ayu.Lestari@Example.co.id",
                "role": Role.SUPPORT,
                "password": "a long password",
            },
        )
        ayu = users.actor_for(made)
    signed = attempt(engine, identity(" ayu.lestari@EXAMPLE.co.id"))
    assert isinstance(signed, SignedIn)
    assert (signed.actor.id, signed.actor.role, signed.actor.name) == (
        ayu.id,
        Role.SUPPORT,
        "Ayu Lestari",
    )
    assert signed.must_change_password is False  # the admin's password is not what they use
    with session_scope(engine, write=False) as s:
        assert s.get_one(User, ayu.id).last_login_at is not None
    assert logins(engine) == [(ayu.id, {"signed_in_with": {"old": None, "new": "google"}})]


def test_an_unknown_email_is_refused_and_nothing_is_written(engine: Engine, sales: Actor) -> None:
    outcome = attempt(engine, identity("sales@example.org"))  # right name, other domain
    assert outcome == msg("sign_in.unknown_email", email="sales@example.org")
    assert logins(engine) == []
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(func.count()).where(User.last_login_at.is_not(None))) == 0


def test_a_deactivated_user_s_email_is_refused_and_a_shared_one_too(
    engine: Engine, admin: Actor, sales: Actor
) -> None:
    with session_scope(engine) as s:
        users.update_user(s, admin, sales.id, 1, {"active": False})
    assert attempt(engine, identity("sales@example.com")) == msg(
        "sign_in.deactivated_email", email="sales@example.com"
    )
    twin = make_user(engine, Role.MANAGER, "twin")
    other = make_user(engine, Role.SUPPORT, "other")
    with session_scope(engine) as s:
        for actor in (twin, other):
            version = users.get_user(s, admin, actor.id).version
            users.update_user(s, admin, actor.id, version, {"email": "Team@example.com"})
    assert attempt(engine, identity("team@example.com")) == msg(
        "sign_in.shared_email", email="team@example.com"
    )
    with session_scope(engine) as s:
        version = users.get_user(s, admin, other.id).version
        users.update_user(s, admin, other.id, version, {"active": False})
    signed = attempt(engine, identity("team@example.com"))  # one active user has it now
    assert isinstance(signed, SignedIn) and signed.actor.id == twin.id


def test_an_identity_issued_before_a_sign_out_or_too_long_ago_has_ended(
    engine: Engine, manager: Actor
) -> None:
    before = utcnow() - timedelta(minutes=10)
    with session_scope(engine) as s:
        users.logout(s, manager)  # from another browser: ends every session of the user
    ended = msg("sign_in.identity_ended")
    assert attempt(engine, identity("manager@example.com", issued=before)) == ended
    fresh = attempt(engine, identity("manager@example.com", issued=utcnow()))
    assert isinstance(fresh, SignedIn)
    eight_days_ago = utcnow() - timedelta(days=8)
    assert attempt(engine, identity("manager@example.com", issued=eight_days_ago)) == ended


def test_an_unverified_or_missing_email_is_refused_before_any_user_is_looked_up(
    engine: Engine, manager: Actor
) -> None:
    unverified = identity("manager@example.com", verified=False)
    assert attempt(engine, unverified) == msg(
        "sign_in.unverified_email", email="manager@example.com"
    )
    assert attempt(engine, identity("")) == msg("sign_in.no_email")
    not_said = attempt(engine, identity("manager@example.com", verified=None))  # Microsoft
    assert isinstance(not_said, SignedIn) and not_said.actor.role is Role.MANAGER
