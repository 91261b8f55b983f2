"""Customers: the write path (create, edit, delete, restore), single-record reads, and the
recently deleted customers a manager may restore."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import duplicates, fields
from crm_core.customers.inputs import CustomerIn
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.lookups import active_users, is_active_user, user_name
from crm_core.kernel.permissions import Action, Actor, allowed, require
from crm_core.models import Account, Customer
from crm_core.models.enums import Entity


def get_customer(
    session: Session, actor: Actor, customer_id: int, *, deleted: bool = False
) -> Customer:
    customer = writepath.load(session, Customer, customer_id, deleted=deleted)
    require(actor, Entity.CUSTOMER, Action.READ, customer)
    return customer


def form_values(customer: Customer) -> dict[str, Any]:
    """The editable fields as a form shows them."""
    return {field: getattr(customer, field) for field in fields.editable_names()}


def user_choices(session: Session, also: Iterable[int | None] = ()) -> dict[int, str]:
    """Who a user field can name: every active user, by name, then the users in `also` (the
    current owner stays shown even once deactivated)."""
    choices = dict(active_users(session))
    for user_id in also:
        if user_id is not None and user_id not in choices:
            choices[user_id] = user_name(session, user_id) or f"#{user_id}"
    return choices


def create_customer(
    session: Session,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    allow_duplicate: bool | Collection[int] = False,
) -> Customer:
    """A new customer, owned by the actor unless `data` names another owner.

    A likely duplicate of a customer we have raises LikelyDuplicate, naming the matches, and
    writes nothing, unless the caller allows it: with the ids of the matches the user was
    shown and confirmed (a match that appeared since still raises), or with True (a script,
    or an import whose preview has already set likely duplicates aside).
    """
    values = _validated(session, {"owner_id": actor.id, **data})
    require(actor, Entity.CUSTOMER, Action.CREATE)
    if allow_duplicate is not True:
        confirmed = set() if allow_duplicate is False else set(allow_duplicate)
        matches = duplicates.likely_duplicates(
            session,
            values["email"],
            values["phone"],
            name=values["name"],
            account_id=values["account_id"],
        )
        if any(match.customer_id not in confirmed for match in matches):
            raise duplicates.LikelyDuplicate(matches)
    return writepath.insert(session, actor, Entity.CUSTOMER, Customer(), values)


def update_customer(
    session: Session, actor: Actor, customer_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the fields in `data` over the version the user read; returns what changed."""
    customer = writepath.load(session, Customer, customer_id)
    values = _validated(session, {**form_values(customer), **data})
    require(actor, Entity.CUSTOMER, Action.UPDATE, customer)
    return writepath.update(session, actor, Entity.CUSTOMER, customer, expected_version, values)


def delete_customer(
    session: Session, actor: Actor, customer_id: int, expected_version: int
) -> None:
    customer = writepath.load(session, Customer, customer_id)
    writepath.soft_delete(session, actor, Entity.CUSTOMER, customer, expected_version)


def restore_customer(
    session: Session, actor: Actor, customer_id: int, expected_version: int
) -> None:
    customer = writepath.load(session, Customer, customer_id, deleted=True)
    writepath.restore(session, actor, Entity.CUSTOMER, customer, expected_version)


def _validated(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    values = validate(CustomerIn, data).model_dump()
    errors: dict[str, str] = {}
    if values["account_id"] is not None and session.get(Account, values["account_id"]) is None:
        errors["account_id"] = f"no account #{values['account_id']}"
    if values["owner_id"] is not None and not is_active_user(session, values["owner_id"]):
        errors["owner_id"] = "must be an active user"
    if errors:
        raise ValidationError(errors)
    values["email_normalized"] = values["email"]
    values["phone_normalized"] = values["phone"]
    return values


@dataclass(frozen=True)
class CustomerProfile:
    """What the 360's header shows: the customer, its account (if any) and their owners' names."""

    customer: Customer
    account: Account | None
    owner: str | None
    account_owner: str | None


def customer_profile(
    session: Session, actor: Actor, customer_id: int, *, deleted: bool = False
) -> CustomerProfile:
    """The customer (a deleted one only when asked, for who may restore it) and its account."""
    if deleted and not allowed(actor, Entity.CUSTOMER, Action.RESTORE):
        deleted = False
    customer = get_customer(session, actor, customer_id, deleted=deleted)
    account = None
    if customer.account_id is not None:
        account = session.get(Account, customer.account_id)
        if account is not None and not allowed(actor, Entity.ACCOUNT, Action.READ, account):
            account = None
    return CustomerProfile(
        customer=customer,
        account=account,
        owner=user_name(session, customer.owner_id),
        account_owner=user_name(session, account.owner_id if account else None),
    )


def deleted_customers(session: Session, actor: Actor, limit: int = 50) -> pd.DataFrame:
    """Recently deleted customers, newest deletion first, for who may restore them."""
    require(actor, Entity.CUSTOMER, Action.RESTORE)
    stmt = (
        select(
            Customer.id,
            Customer.name,
            Customer.email,
            Customer.phone,
            Customer.deleted_at,
            Customer.merged_into_id,
            Customer.version,
        )
        .where(Customer.deleted_at.is_not(None))
        .order_by(Customer.deleted_at.desc(), Customer.id.desc())
        .limit(limit)
    )
    columns = ["id", "name", "email", "phone", "deleted_at", "merged_into_id", "version"]
    return _frame(session, stmt, columns)


def _frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)
