"""Each person's monthly targets, set by a manager through the write path (validated,
permission, version, audited), and read back by the team and home pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pandas as pd
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.frames import query_frame
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, Capability, may, read_filter, require
from crm_core.models import Target, User
from crm_core.models.enums import Entity, Role


class Metric(StrEnum):
    REVENUE_WON = "revenue_won"  # value of the leads the person won in the month
    LEADS_WON = "leads_won"
    TICKETS_RESOLVED = "tickets_resolved"
    SLA_ATTAINMENT = "sla_attainment"  # a share, 0..1
    CSAT = "csat"  # an average, 1..5


# Whose figures a metric measures: the people of a capability (salespeople, support agents).
FOR_WORK: dict[Capability, tuple[Metric, ...]] = {
    Capability.WORK_LEADS: (Metric.REVENUE_WON, Metric.LEADS_WON),
    Capability.ANSWER_TICKETS: (Metric.TICKETS_RESOLVED, Metric.SLA_ATTAINMENT, Metric.CSAT),
}


def metrics_for(role: Role) -> tuple[Metric, ...]:
    """The metrics a person of this role may be given targets in."""
    return tuple(m for work, ms in FOR_WORK.items() if may(role, work) for m in ms)


_CEILING = {Metric.SLA_ATTAINMENT: Decimal(1), Metric.CSAT: Decimal(5)}


def month_of(day: date) -> date:
    return day.replace(day=1)


class TargetIn(_Input):
    user_id: int
    metric: Metric
    month: date
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=2)

    @field_validator("month")
    @classmethod
    def _first_day(cls, value: date) -> date:
        return month_of(value)


def set_target(
    session: Session, actor: Actor, data: Mapping[str, Any], expected_version: int
) -> Target:
    """Create the person's target for the metric and month, or change it (`expected_version`
    is the version read, 0 when there was none)."""
    held = validate(TargetIn, data)
    ceiling = _CEILING.get(held.metric)
    if ceiling is not None and held.value > ceiling:
        raise ValidationError({"value": msg("validation.at_most", limit=int(ceiling))})
    person = session.get(User, held.user_id)
    if person is None or held.metric not in metrics_for(person.role):
        raise ValidationError({"metric": msg("targets.not_for_role")})
    row = session.scalar(
        select(Target).where(
            Target.user_id == held.user_id,
            Target.metric == held.metric.value,
            Target.month == held.month,
        )
    )
    values = {"user_id": held.user_id, "metric": held.metric.value, "month": held.month,
              "value": held.value}  # fmt: skip
    if row is None:
        require(actor, Entity.TARGET, Action.CREATE)
        if expected_version != 0:
            raise ConflictError(Entity.TARGET, None, None)
        return writepath.insert(session, actor, Entity.TARGET, Target(), values)
    require(actor, Entity.TARGET, Action.UPDATE, row)
    writepath.update(session, actor, Entity.TARGET, row, expected_version, {"value": held.value})
    return row


def targets(session: Session, actor: Actor, month: date) -> pd.DataFrame:
    """The month's targets the actor may read (a manager every one, a person their own):
    id, user_id, metric, value (float), version."""
    stmt = select(Target.id, Target.user_id, Target.metric, Target.value, Target.version).where(
        Target.month == month_of(month), read_filter(actor, Entity.TARGET, Target.user_id)
    )
    frame = query_frame(session, stmt, ["id", "user_id", "metric", "value", "version"])
    frame["value"] = frame["value"].astype("float64")
    return frame
