"""Admin › Users and sign-in bookkeeping on a real database."""

from __future__ import annotations

from datetime import timedelta

import bcrypt
import pytest
from sqlalchemy import Engine, select

from crm_core.admin import sign_in as sign_in_mod
from crm_core.admin import users
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, User, utcnow
from crm_core.models.enums import AuditAction, Role
from db.session import session_scope

NEW_USER = {
    "username": "Dewi.Lestari",
    "name": "Dewi Lestari",
    "email": "dewi@example.com",
    "role": "support",
    "skills": ["billing"],
    "languages": ["id"],
    "password": "s3cret-pass",
}


def test_an_admin_creates_a_user_whose_password_is_stored_only_as_a_bcrypt_hash(
    engine: Engine, admin: Actor
) -> None:
    with session_scope(engine) as s:
        created = users.create_user(s, admin, NEW_USER)
    with session_scope(engine, write=False) as s:
        saved = s.get(User, created.id)
        assert saved is not None
        assert saved.username == "dewi.lestari"
        assert saved.password_hash != "s3cret-pass"
        assert bcrypt.checkpw(b"s3cret-pass", saved.password_hash.encode())
        assert saved.skills == ["billing"]


def test_a_manager_cannot_create_users(engine: Engine, manager: Actor) -> None:
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        users.create_user(s, manager, NEW_USER)


def test_a_taken_username_a_short_password_and_a_bad_email_are_each_reported(
    engine: Engine, admin: Actor
) -> None:
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        users.create_user(s, admin, {**NEW_USER, "password": "short", "email": "x@"})
    assert set(raised.value.field_errors) == {"password", "email"}
    with pytest.raises(ValidationError, match="is taken"), session_scope(engine) as s:
        users.create_user(s, admin, {**NEW_USER, "username": "admin"})


def test_a_password_over_72_bytes_is_refused_before_bcrypt_sees_it(
    engine: Engine, admin: Actor
) -> None:
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        users.create_user(s, admin, {**NEW_USER, "password": "é" * 40})
    assert raised.value.texts() == {"password": "must be at most 72 bytes"}


def sign_in(engine: Engine, username: str) -> int:
    with session_scope(engine) as s:
        version = users.record_login(s, username, utcnow())
    assert version is not None
    return version


def still_signed_in(engine: Engine, username: str, version: int) -> bool:
    with session_scope(engine, write=False) as s:
        return users.session_actor(s, username, version) is not None


def test_logout_ends_every_open_session_of_that_user_only(
    engine: Engine, sales: Actor, support: Actor
) -> None:
    laptop, phone = sign_in(engine, "sales"), sign_in(engine, "sales")
    colleague = sign_in(engine, "support")
    with session_scope(engine) as s:
        users.logout(s, sales)
    assert not still_signed_in(engine, "sales", laptop)
    assert not still_signed_in(engine, "sales", phone)
    assert still_signed_in(engine, "support", colleague)


def test_deactivating_a_user_ends_their_sessions_and_their_remembered_sign_ins(
    engine: Engine, admin: Actor, sales: Actor
) -> None:
    session_version = sign_in(engine, "sales")
    expires = utcnow().replace(microsecond=0) + timedelta(days=7)
    with session_scope(engine) as s:
        sign_in_mod.remember(s, "sales", expires, utcnow())
    with session_scope(engine) as s:
        users.update_user(s, admin, sales.id, 1, {"active": False})
    assert not still_signed_in(engine, "sales", session_version)
    with session_scope(engine) as s:
        assert not sign_in_mod.remembered(s, "sales", expires, utcnow())
        assert users.record_login(s, "sales", utcnow()) is None


def test_a_password_reset_ends_sessions_and_the_new_password_works(
    engine: Engine, admin: Actor, support: Actor
) -> None:
    session_version = sign_in(engine, "support")
    with session_scope(engine) as s:
        users.reset_password(s, admin, support.id, 1, "brand-new-pass")
    assert not still_signed_in(engine, "support", session_version)
    with session_scope(engine) as s:
        assert sign_in_mod.check_password(s, "support", "brand-new-pass", True, utcnow())


def test_signing_in_does_not_make_an_open_edit_form_conflict(
    engine: Engine, admin: Actor, sales: Actor
) -> None:
    sign_in(engine, "sales")  # bookkeeping must not bump the row version the admin read
    with session_scope(engine) as s:
        users.update_user(s, admin, sales.id, 1, {"skills": ["delivery"]})


def test_an_admin_editing_a_user_changed_meanwhile_gets_a_conflict(
    engine: Engine, admin: Actor, sales: Actor
) -> None:
    with session_scope(engine) as s:
        users.update_user(s, admin, sales.id, 1, {"name": "Sari Sales"})
    with pytest.raises(ConflictError, match="changed by Admin"), session_scope(engine) as s:
        users.update_user(s, admin, sales.id, 1, {"role": "manager"})


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    engine: Engine, admin: Actor
) -> None:
    with pytest.raises(ValidationError, match="last active admin"), session_scope(engine) as s:
        users.update_user(s, admin, admin.id, 1, {"role": Role.SALES})
    with pytest.raises(ValidationError, match="last active admin"), session_scope(engine) as s:
        users.update_user(s, admin, admin.id, 1, {"active": False})


# --- the language Relasi speaks to each user ---------------------------------------------


def test_any_user_may_choose_their_own_language_and_the_choice_is_audited(
    engine: Engine, sales: Actor
) -> None:
    with session_scope(engine) as s:
        changes = users.set_ui_language(s, sales, sales.id, "id")
    assert changes == {"ui_language": (None, "id")}
    with session_scope(engine, write=False) as s:
        assert users.ui_language(s, sales.id) == "id"
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.entity_id == sales.id)
            .order_by(AuditEntry.id.desc())
        ).first()  # fmt: skip
    assert entry is not None and (entry.actor_id, entry.action) == (sales.id, AuditAction.UPDATE)
    assert entry.changes == {"ui_language": {"old": None, "new": "id"}}
    with session_scope(engine) as s:  # back to the team's default
        users.set_ui_language(s, sales, sales.id, None)
    with session_scope(engine, write=False) as s:
        assert users.ui_language(s, sales.id) is None


def test_only_who_may_edit_users_chooses_another_users_language(
    engine: Engine, sales: Actor, admin: Actor
) -> None:
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        users.set_ui_language(s, sales, admin.id, "id")
    with session_scope(engine) as s:
        users.set_ui_language(s, admin, sales.id, "id")
    with session_scope(engine, write=False) as s:
        assert (users.ui_language(s, admin.id), users.ui_language(s, sales.id)) == (None, "id")


def test_a_language_relasi_does_not_speak_is_refused_in_the_users_language(
    engine: Engine, sales: Actor
) -> None:
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        users.set_ui_language(s, sales, sales.id, "fr")
    assert raised.value.texts() == {"ui_language": "must be one of: en, id"}
    assert raised.value.texts("id") == {"ui_language": "harus salah satu dari: en, id"}
