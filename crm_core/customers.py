"""Customers: the write path (create, edit, delete, restore) and single-record reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core import writepath
from crm_core.errors import ValidationError
from crm_core.models import Account, Customer, User
from crm_core.permissions import Action, Actor, require
from crm_core.schemas import CustomerIn, validate

EDITABLE_FIELDS = tuple(CustomerIn.model_fields)


def get_customer(
    session: Session, actor: Actor, customer_id: int, *, deleted: bool = False
) -> Customer:
    customer = writepath.load(session, Customer, customer_id, deleted=deleted)
    require(actor, "customer", Action.READ, customer)
    return customer


def form_values(customer: Customer) -> dict[str, Any]:
    """The editable fields as a form shows them."""
    return {field: getattr(customer, field) for field in EDITABLE_FIELDS}


def create_customer(session: Session, actor: Actor, data: Mapping[str, Any]) -> Customer:
    values = _validated(session, {"owner_id": actor.id, **data})
    require(actor, "customer", Action.CREATE)
    return writepath.insert(session, actor, "customer", Customer(), values)


def update_customer(
    session: Session, actor: Actor, customer_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the fields in `data` over the version the user read; returns what changed."""
    customer = writepath.load(session, Customer, customer_id)
    values = _validated(session, {**form_values(customer), **data})
    require(actor, "customer", Action.UPDATE, customer)
    return writepath.update(session, actor, "customer", customer, expected_version, values)


def delete_customer(
    session: Session, actor: Actor, customer_id: int, expected_version: int
) -> None:
    customer = writepath.load(session, Customer, customer_id)
    writepath.soft_delete(session, actor, "customer", customer, expected_version)


def restore_customer(
    session: Session, actor: Actor, customer_id: int, expected_version: int
) -> None:
    customer = writepath.load(session, Customer, customer_id, deleted=True)
    writepath.restore(session, actor, "customer", customer, expected_version)


def _validated(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    values = validate(CustomerIn, data).model_dump()
    errors: dict[str, str] = {}
    if values["account_id"] is not None and session.get(Account, values["account_id"]) is None:
        errors["account_id"] = f"no account #{values['account_id']}"
    if values["owner_id"] is not None:
        active = session.scalar(select(User.active).where(User.id == values["owner_id"]))
        if not active:
            errors["owner_id"] = "must be an active user"
    if errors:
        raise ValidationError(errors)
    values["email_normalized"] = values["email"]
    values["phone_normalized"] = values["phone"]
    return values
