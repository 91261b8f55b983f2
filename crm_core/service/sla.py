"""Service levels: the policy (first response and resolution per priority, and optionally a
value tier's own targets for some priorities), due times counted in the team's working hours
and days off, the pause while a ticket waits on the customer, and each ticket's state (on
time, at risk, breached)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel import writepath
from crm_core.kernel.calendar import _intervals, add_working_time, working_seconds_between
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import msg
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


TierTargets = dict[str, dict[Priority, Target]]


@dataclass(frozen=True)
class SlaPolicy:
    """The targets per priority (`defaults`) and the value tiers' own targets (`tiers`: tier
    -> priority -> target) for the priorities a manager set for that tier; any other priority
    of the tier falls back to the default. `policy[priority]` is the default."""

    defaults: Policy
    tiers: TierTargets = field(default_factory=dict)

    def __getitem__(self, priority: Priority) -> Target:
        return self.defaults[priority]

    def target(self, priority: Priority, tier: str | None = None) -> Target:
        """The target a ticket of `priority` from a customer of `tier` follows."""
        own = self.tiers.get(tier, {}) if tier else {}
        return own.get(priority, self.defaults[priority])

    def has_own(self, priority: Priority, tier: str | None) -> bool:
        return bool(tier) and priority in self.tiers.get(tier or "", {})


def as_policy(policy: Policy | SlaPolicy) -> SlaPolicy:
    return policy if isinstance(policy, SlaPolicy) else SlaPolicy(dict(policy))


def _target(span: Any) -> Target | None:
    if isinstance(span, list | tuple) and len(span) == 2:
        return Target(int(span[0]), int(span[1]))
    return None


def policy_from(stored: Mapping[str, Any]) -> SlaPolicy:
    """The stored policy over the defaults: {"high": [60, 240], ..., "tiers": {"Most
    Valuable": {"high": [30, 120]}}} (unknown keys ignored)."""
    defaults = dict(DEFAULT_POLICY)
    for priority in Priority:
        held = _target(stored.get(priority.value))
        if held is not None:
            defaults[priority] = held
    tiers: TierTargets = {}
    stored_tiers = stored.get("tiers")
    for tier in ValueTier:
        own = stored_tiers.get(tier.value) if isinstance(stored_tiers, dict) else None
        if not isinstance(own, dict):
            continue
        kept = {p: t for p in Priority if (t := _target(own.get(p.value))) is not None}
        if kept:
            tiers[tier.value] = kept
    return SlaPolicy(defaults, tiers)


def sla_policy(session: Session) -> SlaPolicy:
    return policy_from(stored_value(session, SLA_KEY))


def policy_version(session: Session) -> int:
    """The version a policy form saves against (0: never saved, the defaults)."""
    return session.scalar(select(Setting.version).where(Setting.key == SLA_KEY)) or 0


def _stored(policy: SlaPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {
        p.value: [t.first_response_minutes, t.resolution_minutes]
        for p, t in policy.defaults.items()
    }
    out["tiers"] = {
        tier: {p.value: [t.first_response_minutes, t.resolution_minutes] for p, t in own.items()}
        for tier, own in policy.tiers.items()
        if own
    }
    return out


def _changed(
    data: Mapping[Priority, Mapping[str, Any] | None], tier: str | None
) -> dict[Priority, Target | None]:
    """The typed targets, validated (None: the tier follows the default for it)."""
    errors: dict[str, Any] = {}
    out: dict[Priority, Target | None] = {}
    for priority, values in data.items():
        if values is None:
            if tier is None:
                errors[f"{priority.value}.first_response_minutes"] = msg("validation.required")
            out[priority] = None
            continue
        try:
            held = validate(TargetIn, values)
        except ValidationError as exc:
            errors.update({f"{priority.value}.{f}": m for f, m in exc.field_errors.items()})
            continue
        out[priority] = Target(held.first_response_minutes, held.resolution_minutes)
    if errors:
        raise ValidationError(errors)
    return out


def save_policy(
    session: Session,
    actor: Actor,
    expected_version: int,
    data: Mapping[Priority, Mapping[str, Any] | None],
    tier: str | None = None,
) -> dict[str, tuple[Any, Any]]:
    """A manager changes the targets (working minutes) of some priorities: the defaults, or
    with `tier` that value tier's own (a priority given None: the tier follows the default
    for it again); audited, each changed target by name ("high", "Most Valuable.high")."""
    if tier is not None and tier not in {v.value for v in ValueTier}:
        choices = ", ".join(v.value for v in ValueTier)
        raise ValidationError({"tier": msg("validation.one_of", choices=choices)})
    changed = _changed(data, tier)
    require_capability(actor, Capability.MANAGE_SERVICE)
    current = sla_policy(session)
    defaults = dict(current.defaults)
    tiers = {name: dict(own) for name, own in current.tiers.items()}
    for priority, target in changed.items():
        if tier is None and target is not None:
            defaults[priority] = target
        elif tier is not None and target is None:
            tiers.get(tier, {}).pop(priority, None)
        elif tier is not None and target is not None:
            tiers.setdefault(tier, {})[priority] = target
    policy = SlaPolicy(defaults, {name: own for name, own in tiers.items() if own})
    audited = _audited(current, policy)
    stored = _stored(policy)
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


def _audited(old: SlaPolicy, new: SlaPolicy) -> dict[str, tuple[Any, Any]]:
    def spans(policy: SlaPolicy) -> dict[str, list[int]]:
        out = {
            p.value: [t.first_response_minutes, t.resolution_minutes]
            for p, t in policy.defaults.items()
        }
        for tier, own in policy.tiers.items():
            out |= {
                f"{tier}.{p.value}": [t.first_response_minutes, t.resolution_minutes]
                for p, t in own.items()
            }
        return out

    before, after = spans(old), spans(new)
    names = sorted(set(before) | set(after))
    return {n: (before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)}


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
