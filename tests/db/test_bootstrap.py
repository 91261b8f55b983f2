"""First start of a hosted database: migrated, no demo data, the first admin from secrets."""

from __future__ import annotations

from sqlalchemy import Engine, select

from crm_core.models import Customer, User
from crm_core.models.enums import Role
from db import bootstrap
from db.session import session_scope

SECRETS = {
    "bootstrap_admin": {"username": "Ayu", "name": "Ayu Lestari", "password": "long enough 1"}
}


def test_the_first_admin_comes_from_secrets_only_while_there_are_no_users(engine: Engine) -> None:
    admin = bootstrap.admin_from(SECRETS, environ={})
    assert admin is not None and admin["role"] == "admin"
    bootstrap.prepare(engine, seed_demo=False, admin=admin)
    bootstrap.prepare(engine, seed_demo=False, admin={**admin, "username": "second"})
    with session_scope(engine, write=False) as s:
        users = s.execute(select(User.username, User.role, User.is_demo)).all()
        assert users == [("ayu", Role.ADMIN, False)]
        assert s.scalar(select(Customer.id)) is None  # a hosted database gets no demo data


def test_without_a_password_there_is_no_bootstrap_admin() -> None:
    assert bootstrap.admin_from({"bootstrap_admin": {"username": "ayu"}}, environ={}) is None
    assert bootstrap.admin_from({}, environ={"CRM_ADMIN_USERNAME": "ayu"}) is None
    from_env = bootstrap.admin_from(
        {}, environ={"CRM_ADMIN_USERNAME": "ayu", "CRM_ADMIN_PASSWORD": "x" * 9}
    )
    assert from_env is not None and from_env["username"] == "ayu"
