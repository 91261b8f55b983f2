"""Touchpoints: logging a call, email, meeting or chat with a customer through the write path."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Customer, Interaction, utcnow
from crm_core.models.enums import Channel, Direction, Entity

CLOCK_SKEW = timedelta(minutes=5)  # a browser clock a little ahead is not "the future"


class InteractionIn(_Input):
    channel: Channel
    direction: Direction
    subject: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    occurred_at: datetime | None = None  # None: now
    duration_minutes: int | None = Field(default=None, ge=0, le=24 * 60)

    @field_validator("occurred_at")
    @classmethod
    def _naive_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value


def log_interaction(
    session: Session,
    actor: Actor,
    customer_id: int,
    data: Mapping[str, Any],
    now: datetime | None = None,
) -> Interaction:
    """Record a touchpoint with the customer, by the actor, at `occurred_at` (default now)."""
    now = now or utcnow()
    values = validate(InteractionIn, data).model_dump()
    if values["occurred_at"] is None:
        values["occurred_at"] = now
    elif values["occurred_at"] > now + CLOCK_SKEW:
        raise ValidationError({"occurred_at": "must not be in the future"})
    customer = writepath.load(session, Customer, customer_id)
    require(actor, Entity.CUSTOMER, Action.READ, customer)
    require(actor, Entity.INTERACTION, Action.CREATE)
    values |= {"customer_id": customer.id, "user_id": actor.id}
    return writepath.insert(session, actor, Entity.INTERACTION, Interaction(), values)
