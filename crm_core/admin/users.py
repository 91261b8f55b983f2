"""Staff users: the write path for Admin › Users, password hashing, and sign-in bookkeeping."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import bcrypt
import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm_core.admin.inputs import LanguageIn, PasswordIn, UserIn
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Action, Actor, read_filter, require
from crm_core.models import RememberedSignIn, User, utcnow
from crm_core.models.enums import AuditAction, Entity, Role


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def actor_for(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, name=user.name, role=user.role)


def list_users(session: Session, actor: Actor) -> pd.DataFrame:
    columns = [
        User.id,
        User.username,
        User.name,
        User.email,
        User.role,
        User.skills,
        User.languages,
        User.active,
        User.last_login_at,
        User.version,
    ]
    stmt = select(*columns).where(read_filter(actor, Entity.USER, User.id)).order_by(User.username)
    frame = pd.DataFrame(session.execute(stmt).all(), columns=[c.key for c in columns])
    frame["role"] = frame["role"].map(str)
    return frame


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    user = writepath.load(session, User, user_id)
    require(actor, Entity.USER, Action.READ, user)
    return user


def create_user(session: Session, actor: Actor | None, data: Mapping[str, Any]) -> User:
    """A new staff user; `actor` None is the command line bootstrapping the first admin."""
    fields = {k: v for k, v in data.items() if k != "password"}
    errors: dict[str, Message] = {}
    for schema, part in ((UserIn, fields), (PasswordIn, {"password": data.get("password")})):
        try:
            validate(schema, part)
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise ValidationError(errors)
    values = validate(UserIn, fields).model_dump()
    if actor is not None:
        require(actor, Entity.USER, Action.CREATE)
    if session.scalar(select(User.id).where(User.username == values["username"])) is not None:
        raise ValidationError(
            {"username": msg("validation.username_taken", username=values["username"])}
        )
    values["password_hash"] = hash_password(str(data["password"]))
    # A password an admin chose is known to two people: its user replaces it at sign-in.
    values["must_change_password"] = actor is not None
    if actor is None:
        user = User(**values)
        session.add(user)
        session.flush()
        created = {"username": (None, user.username)}
        writepath.record_event(session, None, Entity.USER, user.id, AuditAction.CREATE, created)
        return user
    return writepath.insert(session, actor, Entity.USER, User(), values)


def update_user(
    session: Session, actor: Actor, user_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Edit name, email, role, skills, languages or active; deactivating ends all sessions."""
    user = writepath.load(session, User, user_id)
    current = UserIn.model_validate({f: getattr(user, f) for f in UserIn.model_fields}).model_dump()
    values = validate(UserIn, {**current, **data, "username": user.username}).model_dump()
    require(actor, Entity.USER, Action.UPDATE, user)
    _keep_one_admin(session, user, values)
    changes = writepath.update(session, actor, Entity.USER, user, expected_version, values)
    if "active" in changes or "role" in changes:
        _end_sessions(session, user.id)
    return changes


def set_ui_language(
    session: Session, actor: Actor, user_id: int, language: str | None
) -> dict[str, tuple[Any, Any]]:
    """The language Relasi speaks to a user (None: the team's default), audited.

    Every user may change their own; another user's only who may edit users. It is a
    preference switched with one click, so the write takes the version it reads: nobody's
    typing is lost by the last choice winning.
    """
    values = validate(LanguageIn, {"ui_language": language}).model_dump()
    user = writepath.load(session, User, user_id)
    if user.id != actor.id:
        require(actor, Entity.USER, Action.UPDATE, user)
    return writepath.update(session, actor, Entity.USER, user, user.version, values)


def ui_language(session: Session, user_id: int) -> str | None:
    chosen = session.scalar(select(User.ui_language).where(User.id == user_id))
    return None if chosen is None else str(chosen)


def reset_password(
    session: Session, actor: Actor, user_id: int, expected_version: int, password: str
) -> None:
    validate(PasswordIn, {"password": password})
    user = writepath.load(session, User, user_id)
    require(actor, Entity.USER, Action.UPDATE, user)
    writepath.update(
        session,
        actor,
        Entity.USER,
        user,
        expected_version,
        {"password_hash": hash_password(password), "must_change_password": user.id != actor.id},
    )
    _end_sessions(session, user.id)


def change_own_password(session: Session, actor: Actor, password: str) -> int:
    """The signed-in user replaces their password (at once when an admin set it). Other
    browsers' sessions end; returns the session version this one continues with."""
    validate(PasswordIn, {"password": password})
    user = writepath.load(session, User, actor.id)
    if bcrypt.checkpw(password.encode(), user.password_hash.encode()):
        raise ValidationError({"password": msg("validation.password_unchanged")})
    values = {"password_hash": hash_password(password), "must_change_password": False}
    writepath.update(session, actor, Entity.USER, user, user.version, values)
    _end_sessions(session, user.id)
    session.flush()
    return int(session.scalar(select(User.session_version).where(User.id == user.id)) or 0)


def _keep_one_admin(session: Session, user: User, values: Mapping[str, Any]) -> None:
    if user.role is not Role.ADMIN or (values["role"] is Role.ADMIN and values["active"]):
        return
    admins = session.scalar(
        select(func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
    )
    if (admins or 0) <= 1:
        field = "active" if values["role"] is Role.ADMIN else "role"
        raise ValidationError({field: msg("validation.last_admin")})


# --- sign-in bookkeeping (no acting user yet; Core updates so editing forms see no conflict) ---


def demo_accounts(session: Session) -> list[tuple[str, Role]]:
    """The active demo users (seeded with the password "demo"), in role order; none on a
    database without demo data, whatever the demo flag says."""
    rows = session.execute(
        select(User.username, User.role).where(User.is_demo.is_(True), User.active.is_(True))
    ).all()
    order = list(Role)
    return sorted(((r.username, r.role) for r in rows), key=lambda row: order.index(row[1]))


def record_login(session: Session, username: str, now: datetime) -> int | None:
    """Mark a sign-in resumed from a cookie; returns the session version it must keep."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        return None
    session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    writepath.record_event(session, actor_for(user), Entity.USER, user.id, AuditAction.LOGIN)
    return user.session_version


def session_actor(session: Session, username: str, session_version: int) -> Actor | None:
    """The signed-in user as an Actor while the session is still valid, else None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.session_version != session_version:
        return None
    return actor_for(user)


def logout(session: Session, actor: Actor) -> None:
    _end_sessions(session, actor.id)
    writepath.record_event(session, actor, Entity.USER, actor.id, AuditAction.LOGOUT)


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(RememberedSignIn).where(RememberedSignIn.user_id == user_id))
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1, sessions_revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
