"""First start of a database: migrate to head, seed the embedded demo, create the first admin."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, func, select

from crm_core.admin import users
from crm_core.models import User
from db.migrate import migration_lock, upgrade
from db.session import session_scope

Progress = Callable[[str, float], None]
_ADMIN_FIELDS = ("username", "name", "email", "password")


def admin_from(
    secrets: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """The first admin of a hosted deployment, from [bootstrap_admin] in secrets or CRM_ADMIN_*."""
    environ = os.environ if environ is None else environ
    section = dict(secrets.get("bootstrap_admin") or {})
    for field in _ADMIN_FIELDS:
        section.setdefault(field, environ.get(f"CRM_ADMIN_{field.upper()}"))
    if not section.get("username") or not section.get("password"):
        return None
    section.setdefault("name", section["username"])
    section["name"] = section["name"] or section["username"]
    section["email"] = section.get("email") or f"{section['username']}@localhost.localdomain"
    return {**{k: section[k] for k in _ADMIN_FIELDS}, "role": "admin"}


def prepare(
    engine: Engine,
    *,
    seed_demo: bool,
    admin: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> None:
    """Idempotent: safe on every start and when several app processes start at once."""
    with migration_lock(engine):
        upgrade(engine, lock=False)
        if seed_demo:
            from db import demo  # the generator pulls in Faker: only load it when seeding

            if demo.is_empty(engine):
                demo.seed(engine, demo.SIZES["demo"], progress=progress)
        if admin is not None and user_count(engine) == 0:
            with session_scope(engine) as session:
                users.create_user(session, None, admin)


def user_count(engine: Engine) -> int:
    with session_scope(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0
