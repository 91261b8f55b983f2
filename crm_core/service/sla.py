"""Service levels: the policy (first response and resolution per priority), due times counted
in the team's working hours and days off, the pause while a ticket waits on the customer, and
each ticket's state (on time, at risk, breached)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.calendar import _intervals, add_working_time, working_seconds_between
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.permissions import Actor, Capability, require_capability
from crm_core.kernel.settings import TeamSettings, stored_value
from crm_core.models import Setting
from crm_core.models.enums import Entity, Priority

SLA_KEY = "sla_policy"
AT_RISK_SHARE = 0.2  # less than 20 % of the target left: at risk
MINUTE = 60


class SlaState(StrEnum):
    ON_TIME = "on time"
    AT_RISK = "at risk"
    BREACHED = "breached"
    PAUSED = "paused"  # waiting on the customer: the clock stands still


@dataclass(frozen=True)
class Target:
    """Working minutes allowed to the first response and to the resolution."""

    first_response_minutes: int
    resolution_minutes: int

    @property
    def first_response(self) -> timedelta:
        return timedelta(minutes=self.first_response_minutes)

    @property
    def resolution(self) -> timedelta:
        return timedelta(minutes=self.resolution_minutes)


Policy = dict[Priority, Target]

DEFAULT_POLICY: Policy = {
    Priority.URGENT: Target(30, 2 * 60),
    Priority.HIGH: Target(60, 4 * 60),
    Priority.NORMAL: Target(8 * 60, 24 * 60),
    Priority.LOW: Target(24 * 60, 72 * 60),
}


class TargetIn(_Input):
    first_response_minutes: int = Field(ge=1, le=60 * 24 * 60)
    resolution_minutes: int = Field(ge=1, le=60 * 24 * 60)


def policy_from(stored: Mapping[str, Any]) -> Policy:
    """The stored policy over the defaults: {"high": [60, 240], ...} (unknown keys ignored)."""
    policy = dict(DEFAULT_POLICY)
    for priority in Priority:
        span = stored.get(priority.value)
        if isinstance(span, list | tuple) and len(span) == 2:
            policy[priority] = Target(int(span[0]), int(span[1]))
    return policy


def sla_policy(session: Session) -> Policy:
    return policy_from(stored_value(session, SLA_KEY))


def policy_version(session: Session) -> int:
    """The version a policy form saves against (0: never saved, the defaults)."""
    return session.scalar(select(Setting.version).where(Setting.key == SLA_KEY)) or 0


def save_policy(
    session: Session,
    actor: Actor,
    expected_version: int,
    data: Mapping[Priority, Mapping[str, Any]],
) -> dict[str, tuple[Any, Any]]:
    """A manager changes the targets (working minutes) of some priorities; audited."""
    current = sla_policy(session)
    errors: dict[str, Any] = {}
    policy = dict(current)
    for priority, values in data.items():
        try:
            held = validate(TargetIn, values)
        except ValidationError as exc:
            errors.update({f"{priority.value}.{f}": m for f, m in exc.field_errors.items()})
            continue
        policy[priority] = Target(held.first_response_minutes, held.resolution_minutes)
    if errors:
        raise ValidationError(errors)
    require_capability(actor, Capability.MANAGE_SERVICE)
    stored = {p.value: [t.first_response_minutes, t.resolution_minutes] for p, t in policy.items()}
    audited = {
        p.value: ([current[p].first_response_minutes, current[p].resolution_minutes], stored[p])
        for p in Priority
        if current[p] != policy[p]
    }
    row = session.get(Setting, SLA_KEY)
    if row is None:
        if expected_version != 0:
            raise ConflictError(Entity.SETTING, None, None)
        writepath.insert(
            session,
            actor,
            Entity.SETTING,
            Setting(key=SLA_KEY),
            {"value": stored},
            audited=audited,
        )
        return audited
    return writepath.update(
        session, actor, Entity.SETTING, row, expected_version, {"value": stored}, audited=audited
    )


# --- due times ---


def first_response_due(settings: TeamSettings, target: Target, created_at: datetime) -> datetime:
    return add_working_time(settings, created_at, target.first_response)


def resolution_due(
    settings: TeamSettings,
    target: Target,
    created_at: datetime,
    pauses: Iterable[tuple[datetime, datetime]] = (),
) -> datetime:
    """When the resolution is due: the target in working time after creation, moved on by
    the working time of each pause (Pending on the customer) that began before it was due.
    A pause begun after the due time moves nothing: a breach stays a breach."""
    due = add_working_time(settings, created_at, target.resolution)
    for start, end in sorted(pauses):
        if start >= due:
            continue
        left = working_seconds_between(settings, start, due)
        due = add_working_time(settings, max(end, start), timedelta(seconds=left))
    return due


def working_left(settings: TeamSettings, now: datetime, due: datetime) -> float:
    """Working seconds from now to due; negative (the working seconds overdue) after it."""
    if now <= due:
        return working_seconds_between(settings, now, due)
    return -working_seconds_between(settings, due, now)


def clock_state(
    settings: TeamSettings, now: datetime, due: datetime | None, target: timedelta
) -> SlaState:
    """One running clock at `now`: breached past due, at risk under 20 % of target left."""
    if due is None:
        return SlaState.ON_TIME
    if now > due:
        return SlaState.BREACHED
    left = working_seconds_between(settings, now, due)
    if left < AT_RISK_SHARE * target.total_seconds():
        return SlaState.AT_RISK
    return SlaState.ON_TIME


_ORDER = (SlaState.ON_TIME, SlaState.PAUSED, SlaState.AT_RISK, SlaState.BREACHED)


def ticket_state(
    settings: TeamSettings,
    target: Target,
    now: datetime,
    *,
    first_response_due: datetime | None,
    first_response_at: datetime | None,
    resolution_due: datetime | None,
    resolved_at: datetime | None,
    paused_at: datetime | None = None,
) -> SlaState:
    """The worse of the two clocks: a met or missed clock counts as it ended; a running one
    as it stands at `now` (at the pause, for the resolution clock of a ticket on Pending)."""
    states = []
    first_response_at = first_response_at or resolved_at  # resolved unanswered: it stopped
    if first_response_at is not None:
        late = first_response_due is not None and first_response_at > first_response_due
        states.append(SlaState.BREACHED if late else SlaState.ON_TIME)
    else:
        states.append(clock_state(settings, now, first_response_due, target.first_response))
    if resolved_at is not None:
        late = resolution_due is not None and resolved_at > resolution_due
        states.append(SlaState.BREACHED if late else SlaState.ON_TIME)
    elif paused_at is not None:
        held = clock_state(settings, paused_at, resolution_due, target.resolution)
        states.append(SlaState.PAUSED if held is SlaState.ON_TIME else held)
    else:
        states.append(clock_state(settings, now, resolution_due, target.resolution))
    return max(states, key=_ORDER.index)


# --- working time for many tickets at once (figures, the what-if replay) ---


class WorkingClock:
    """Working seconds since `start` for whole arrays of moments, exact to the calendar:
    the open intervals of the span, their running total, and a binary search per moment."""

    def __init__(self, settings: TeamSettings, start: date, end: date) -> None:
        spans = list(_intervals(settings, start - timedelta(days=1), end + timedelta(days=1)))
        self.opens = np.array([_ns(o) for o, _ in spans], dtype="int64")
        self.closes = np.array([_ns(c) for _, c in spans], dtype="int64")
        lengths = self.closes - self.opens
        self.before = np.concatenate([[0], np.cumsum(lengths)])  # worked before span i

    def elapsed(self, moments: pd.Series) -> np.ndarray:
        """Working seconds from the span's start to each moment (naive UTC)."""
        stamps = pd.to_datetime(moments).to_numpy(dtype="datetime64[ns]").astype("int64")
        i = np.searchsorted(self.opens, stamps, side="right") - 1
        inside = np.clip(stamps - self.opens[np.maximum(i, 0)], 0, None)
        length = self.closes[np.maximum(i, 0)] - self.opens[np.maximum(i, 0)]
        worked = np.where(i >= 0, self.before[np.maximum(i, 0)] + np.minimum(inside, length), 0)
        return np.asarray(worked / 1e9, dtype="float64")

    def between(self, start: pd.Series, end: pd.Series) -> np.ndarray:
        """Working seconds from each start to its end (NaN where either is missing)."""
        a, b = (
            self.elapsed(start.fillna(pd.Timestamp(0))),
            self.elapsed(end.fillna(pd.Timestamp(0))),
        )
        missing = (start.isna() | end.isna()).to_numpy()
        return np.where(missing, np.nan, np.maximum(b - a, 0.0))


def _ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment.astimezone(UTC).replace(tzinfo=None)).value)
