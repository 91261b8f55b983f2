"""Accounts (companies): the write path (create, edit, link a customer) and single-record reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import records as customers
from crm_core.customers.inputs import AccountIn
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.lookups import is_active_user
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Account
from crm_core.models.enums import Entity

EDITABLE_FIELDS = tuple(AccountIn.model_fields)


def get_account(session: Session, actor: Actor, account_id: int) -> Account:
    account = writepath.load(session, Account, account_id)
    require(actor, Entity.ACCOUNT, Action.READ, account)
    return account


def form_values(account: Account) -> dict[str, Any]:
    """The editable fields as a form shows them."""
    return {field: getattr(account, field) for field in EDITABLE_FIELDS}


def create_account(session: Session, actor: Actor, data: Mapping[str, Any]) -> Account:
    """A new account, owned by the actor unless `data` names another owner."""
    values = _validated(session, {"owner_id": actor.id, **data})
    require(actor, Entity.ACCOUNT, Action.CREATE)
    return writepath.insert(session, actor, Entity.ACCOUNT, Account(), values)


def update_account(
    session: Session, actor: Actor, account_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the fields in `data` over the version the user read; returns what changed."""
    account = writepath.load(session, Account, account_id)
    values = _validated(session, {**form_values(account), **data})
    require(actor, Entity.ACCOUNT, Action.UPDATE, account)
    return writepath.update(session, actor, Entity.ACCOUNT, account, expected_version, values)


def link_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    customer_version: int,
    account_id: int | None,
) -> dict[str, tuple[Any, Any]]:
    """Make the customer a contact of the account (None: a consumer of their own, B2C)."""
    if account_id is not None:
        get_account(session, actor, account_id)
    data = {"account_id": account_id}
    return customers.update_customer(session, actor, customer_id, customer_version, data)


def create_account_for_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    customer_version: int,
    data: Mapping[str, Any],
) -> Account:
    """A new account with the customer linked to it, both or neither (one transaction)."""
    account = create_account(session, actor, data)
    link_customer(session, actor, customer_id, customer_version, account.id)
    return account


def find_accounts(session: Session, text: str, limit: int = 20) -> pd.DataFrame:
    """Accounts whose name contains `text` (any case): id, name, city; by name."""
    stmt = (
        select(Account.id, Account.name, Account.city)
        .where(Account.deleted_at.is_(None))
        .order_by(Account.name, Account.id)
        .limit(limit)
    )
    if text.strip():
        stmt = stmt.where(func.lower(Account.name).contains(text.strip().lower(), autoescape=True))
    return pd.DataFrame(session.execute(stmt).all(), columns=["id", "name", "city"])


def _validated(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    values = validate(AccountIn, data).model_dump()
    if values["owner_id"] is not None and not is_active_user(session, values["owner_id"]):
        raise ValidationError({"owner_id": "must be an active user"})
    return values
