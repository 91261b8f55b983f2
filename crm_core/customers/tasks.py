"""Follow-up tasks: what each user owes customers and leads, and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.lookups import active_users, is_active_user
from crm_core.kernel.permissions import Action, Actor, Capability, may, read_filter, require
from crm_core.models import Customer, Lead, Task, User, utcnow
from crm_core.models.enums import Entity

CLOCK_SKEW = timedelta(minutes=5)  # "due now" typed a moment ago is not in the past


def open_follow_ups(
    session: Session, actor: Actor, now: datetime, days_ahead: int = 7
) -> pd.DataFrame:
    """The actor's open follow-ups that are overdue or due within `days_ahead`, soonest first
    (`version`: what a "Done" click expects)."""
    stmt = (
        select(
            Task.id,
            Task.title,
            Task.due_at,
            Task.customer_id,
            Customer.name.label("customer"),
            Task.lead_id,
            Lead.name.label("lead"),
            Task.version,
        )
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .outerjoin(Lead, Lead.id == Task.lead_id)
        .where(
            Task.owner_id == actor.id,
            Task.done_at.is_(None),
            Task.deleted_at.is_(None),
            Task.due_at <= now + timedelta(days=days_ahead),
        )
        .order_by(Task.due_at)
    )
    frame = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["id", "title", "due_at", "customer_id", "customer", "lead_id", "lead", "version"],
    )
    frame["overdue"] = frame["due_at"] < now
    return frame


class FollowUpIn(_Input):
    customer_id: int | None = None
    lead_id: int | None = None
    owner_id: int | None = None  # None: the actor
    title: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    due_at: datetime

    @field_validator("due_at")
    @classmethod
    def _naive_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def schedule_follow_up(
    session: Session, actor: Actor, data: Mapping[str, Any], now: datetime | None = None
) -> Task:
    """A follow-up about a customer or lead, due at `due_at` (not in the past), owned by the
    actor; a manager or admin may give it to another active user."""
    now = now or utcnow()
    values = validate(FollowUpIn, {"owner_id": actor.id, **data}).model_dump()
    errors = _follow_up_errors(session, values, now)
    if errors:
        raise ValidationError(errors)
    require(actor, Entity.TASK, Action.CREATE)
    if values["owner_id"] != actor.id and not may(actor, Capability.ASSIGN_FOLLOW_UPS):
        raise PermissionDenied(
            f"As {actor.role.value}, you can schedule follow-ups only for yourself."
        )
    return writepath.insert(session, actor, Entity.TASK, Task(), values)


def _follow_up_errors(session: Session, values: dict[str, Any], now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values["customer_id"] is None and values["lead_id"] is None:
        errors["customer_id"] = "a follow-up needs a customer or a lead"
    for field, model in (("customer_id", Customer), ("lead_id", Lead)):
        if values[field] is not None:
            deleted = session.scalar(
                select(model.deleted_at.is_not(None)).where(model.id == values[field])
            )
            if deleted is None or deleted:
                errors[field] = f"no {model.ENTITY} #{values[field]}"
    if not is_active_user(session, values["owner_id"]):
        errors["owner_id"] = "must be an active user"
    if values["due_at"] < now - CLOCK_SKEW:
        errors["due_at"] = "must not be in the past"
    return errors


def complete_follow_up(
    session: Session, actor: Actor, task_id: int, expected_version: int, now: datetime | None = None
) -> dict[str, tuple[Any, Any]]:
    """Mark the follow-up done (its owner, or a manager or admin); done twice is a no-op."""
    task = writepath.load(session, Task, task_id)
    require(actor, Entity.TASK, Action.UPDATE, task)
    if task.done_at is not None:
        return {}
    done = {"done_at": now or utcnow()}
    return writepath.update(session, actor, Entity.TASK, task, expected_version, done)


def customer_follow_ups(session: Session, actor: Actor, customer_id: int) -> pd.DataFrame:
    """The customer's open follow-ups the actor may see, soonest first, with their owner."""
    stmt = (
        select(
            Task.id, Task.title, Task.due_at, User.name.label("owner"), Task.owner_id, Task.version
        )
        .join(User, User.id == Task.owner_id)
        .where(
            Task.customer_id == customer_id,
            Task.done_at.is_(None),
            Task.deleted_at.is_(None),
            read_filter(actor, Entity.TASK, Task.owner_id),
        )
        .order_by(Task.due_at, Task.id)
    )
    columns = ["id", "title", "due_at", "owner", "owner_id", "version"]
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def assignable_owners(session: Session, actor: Actor) -> pd.DataFrame:
    """Who the actor may give a follow-up to: any active user for managers, else only itself."""
    only = None if may(actor, Capability.ASSIGN_FOLLOW_UPS) else actor.id
    return pd.DataFrame(active_users(session, only), columns=["id", "name"])
