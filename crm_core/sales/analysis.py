"""The Sales figures from the database: the funnel of a cohort (leads created in a period) by a
breakdown, its KPIs against the previous period of the same length, time in stage, lost
reasons, stalled leads; the forecast (weighted pipeline, last quarter against what closed,
Monte-Carlo bands, calibration). Role scope is applied in every query."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Float, Select, String, select, type_coerce
from sqlalchemy.orm import Session, aliased

from crm_core.analytics import forecast, funnel
from crm_core.kernel.calendar import local_days
from crm_core.kernel.permissions import Actor, Scope, amounts_scope, read_filter
from crm_core.kernel.settings import team_settings
from crm_core.models import Campaign, Lead, LeadStageChange, User
from crm_core.models.enums import Entity, LeadStage
from crm_core.sales import closed, figures, simulate
from crm_core.sales.amounts import hide_amounts
from crm_core.sales.settings import sales_settings

LEAD_COLUMNS = [
    "id",
    "name",
    "created_at",
    "stage",
    "source",
    "owner",
    "campaign",
    "region",
    "pipeline",
    "value",
    "expected_close",
    "closed_at",
    "lost_reason",
]
CHANGE_COLUMNS = ["lead_id", "from_stage", "to_stage", "changed_at"]


class Breakdown(StrEnum):
    NONE = "none"
    SOURCE = "source"
    OWNER = "owner"
    CAMPAIGN = "campaign"
    REGION = "region"
    PIPELINE = "pipeline"


def _leads(actor: Actor) -> Any:  # a Select of the lead columns
    owner = aliased(User)
    return (
        select(
            Lead.id,
            Lead.name,
            Lead.created_at,
            type_coerce(Lead.stage, String).label("stage"),  # the stored value, as text
            type_coerce(Lead.source, String).label("source"),
            owner.name.label("owner"),
            Campaign.name.label("campaign"),
            Lead.region,
            Lead.pipeline,
            type_coerce(Lead.value, Float).label("value"),
            Lead.expected_close,
            Lead.closed_at,
            Lead.lost_reason,
        )
        .outerjoin(owner, owner.id == Lead.owner_id)
        .outerjoin(Campaign, Campaign.id == Lead.campaign_id)
        .where(Lead.deleted_at.is_(None), read_filter(actor, Entity.LEAD, Lead.owner_id))
    )


def _lead_frame(session: Session, stmt: Select[Any]) -> pd.DataFrame:
    # Core rows as plain tuples: several times faster than ORM rows for a frame (ARCHITECTURE.md)
    rows = [tuple(row) for row in session.connection().execute(stmt).fetchall()]
    leads = pd.DataFrame(rows, columns=LEAD_COLUMNS)
    leads["value"] = leads["value"].astype(float)
    return leads


def _frames(session: Session, stmt: Select[Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    leads = _lead_frame(session, stmt)
    ids = stmt.with_only_columns(Lead.id).scalar_subquery()
    moves = session.connection().execute(
        select(
            LeadStageChange.lead_id,
            type_coerce(LeadStageChange.from_stage, String),
            type_coerce(LeadStageChange.to_stage, String),
            LeadStageChange.changed_at,
        ).where(LeadStageChange.lead_id.in_(ids))
    )
    changes = pd.DataFrame(
        [tuple(m) for m in moves.fetchall()], columns=CHANGE_COLUMNS, dtype=object
    )
    changes["lead_id"] = changes["lead_id"].astype("int64")
    changes["changed_at"] = pd.to_datetime(changes["changed_at"])
    return leads, changes


def _cohort_query(actor: Actor, start: date, end: date, pipeline: str | None) -> Any:
    stmt = _leads(actor).where(
        Lead.created_at >= _at(start), Lead.created_at < _at(end + timedelta(days=1))
    )
    return stmt.where(Lead.pipeline == pipeline) if pipeline else stmt


def cohort(
    session: Session, actor: Actor, start: date, end: date, pipeline: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leads created in [start, end] (days, inclusive) the actor may see, and their moves."""
    return _frames(session, _cohort_query(actor, start, end, pipeline))


class Counted(StrEnum):
    """Which leads of the period a funnel counts."""

    CREATED = "created"  # the leads created in it (the cohort)
    CLOSED = "closed"  # the leads closed in it, won or lost (the dashboard's lead conversion)


@dataclass(frozen=True)
class Cut:
    """The leads a funnel counts beside the reader's scope: those created (or closed) on the
    team's local days [start, end], in a pipeline, of a region and an owner (the lead's own)."""

    start: date
    end: date
    pipeline: str | None = None
    region: str | None = None
    owner_id: int | None = None
    counted: Counted = Counted.CREATED
    zone: str = "UTC"  # the time zone whose days these are

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as naive UTC [start, end)."""
        return local_days(self.start, self.end, self.zone)

    def before(self) -> Cut:
        """The period of the same length just before, the same filters."""
        days = (self.end - self.start).days + 1
        return replace(
            self, start=self.start - timedelta(days=days), end=self.start - timedelta(days=1)
        )

    def dated(self) -> Any:
        """The column the period is of: created or closed."""
        return Lead.closed_at if self.counted is Counted.CLOSED else Lead.created_at

    def conditions(self, actor: Actor) -> list[Any]:
        """Not deleted, in the reader's scope, dated in the period, in the pipeline, region and
        owner asked for (closed: won or lost)."""
        first, after = self.bounds()
        where = [
            Lead.deleted_at.is_(None),
            read_filter(actor, Entity.LEAD, Lead.owner_id),
            self.dated() >= first,
            self.dated() < after,
        ]
        if self.counted is Counted.CLOSED:
            where.append(Lead.stage.in_([LeadStage.WON, LeadStage.LOST]))
        if self.pipeline:
            where.append(Lead.pipeline == self.pipeline)
        if self.region is not None:
            where.append(Lead.region == self.region)
        if self.owner_id is not None:
            where.append(Lead.owner_id == self.owner_id)
        return where

    def offset(self) -> timedelta:
        """The zone's offset from UTC at the period's start (months of the trend are local)."""
        return ZoneInfo(self.zone).utcoffset(datetime.combine(self.start, time())) or timedelta()


def cohort_conditions(
    actor: Actor, start: date, end: date, pipeline: str | None = None
) -> list[Any]:
    """The SQL conditions of that cohort: not deleted, in the reader's scope, created in the
    period (UTC days), in the pipeline."""
    return Cut(start, end, pipeline).conditions(actor)


def _at(day: date) -> datetime:
    return datetime.combine(day, time())


@dataclass(frozen=True)
class FunnelReport:
    stages: list[str]
    funnel: pd.DataFrame  # per group and stage (funnel.funnel)
    groups: pd.DataFrame  # per group: conversion, biggest drop (funnel.by_group)
    kpis: dict[str, Any]
    previous: dict[str, Any]  # the same KPIs for the period of the same length before
    trend: pd.DataFrame
    time_in_stage: pd.DataFrame
    lost_reasons: pd.DataFrame
    stalled: pd.DataFrame
    period: tuple[date, date]  # the cohort's days, for the leads of a stage
    pipeline: str | None = None
    by: str | None = None  # the breakdown's column
    amounts: bool = True  # whether the reader sees amounts at all (the matrix)
    cut: Cut | None = None  # which leads it counts (period, filters, zone)

    @property
    def counted(self) -> Counted:
        return self.cut.counted if self.cut else Counted.CREATED


@dataclass(frozen=True)
class Steady:
    """The funnel's figures that no breakdown changes (this period's sales cycles, the
    previous period's KPIs, time in stage, stalled leads): kept apart from the grouping, so
    that a new breakdown recounts only the grouping (0.3-0.7 s of 1.1 s at 200,000 leads)."""

    cycle_days: list[float]  # per won lead of the period, days from created to won
    previous: dict[str, Any]
    time_in_stage: pd.DataFrame
    stalled: pd.DataFrame


def funnel_cut(
    session: Session,
    start: date,
    end: date,
    pipeline: str | None = None,
    *,
    region: str | None = None,
    owner_id: int | None = None,
    counted: Counted = Counted.CREATED,
) -> Cut:
    """The leads a funnel of these days and filters counts, in the team's time zone."""
    zone = team_settings(session).time_zone
    return Cut(start, end, pipeline, region, owner_id, counted, zone)


def funnel_steady(
    session: Session, actor: Actor, cut: Cut, as_of: datetime | None = None
) -> Steady:
    """The breakdown-free part of funnel_report for `cut`."""
    settings = sales_settings(session)
    stages = settings.stages(cut.pipeline)
    figures.roomy_sorts(session)
    where = cut.conditions(actor)
    usual = {s: d for p in settings.pipelines for s, d in settings.usual_days(p["key"]).items()}
    return Steady(
        cycle_days=figures.cycle_days(session, where),
        previous=_kpis(figures.cohort_kpis(session, actor, cut.before().conditions(actor))),
        time_in_stage=figures.time_in_stage(session, where, stages),
        stalled=figures.stalled(session, where, usual, as_of or cut.bounds()[1]),
    )


def funnel_report(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    breakdown: Breakdown = Breakdown.NONE,
    pipeline: str | None = None,
    as_of: datetime | None = None,
    *,
    region: str | None = None,
    owner_id: int | None = None,
    counted: Counted = Counted.CREATED,
    steady: Steady | None = None,
) -> FunnelReport:
    """Everything the Lead funnel page shows for the leads created (or closed) on the team's
    local days [start, end], of a region and an owner if asked, counted in SQL over the stored
    read model (facts.py); `steady` the breakdown-free part when already at hand (a cache)."""
    cut = funnel_cut(
        session, start, end, pipeline, region=region, owner_id=owner_id, counted=counted
    )
    steady = steady or funnel_steady(session, actor, cut, as_of)
    stages = sales_settings(session).stages(pipeline)
    figures.roomy_sorts(session)
    where = cut.conditions(actor)
    by = None if breakdown is Breakdown.NONE else breakdown.value
    month = figures.local_month(session, cut.dated(), cut.offset())
    found = figures.cohort(session, actor, where, stages, by, month, steady.cycle_days)
    table = funnel.funnel_from_counts(figures.reached(found), stages)
    return FunnelReport(
        stages=stages,
        funnel=table,
        groups=funnel.by_group(table, stages),
        kpis=_kpis(figures.kpis(found)),
        previous=dict(steady.previous),
        trend=figures.trend(found, stages),
        time_in_stage=steady.time_in_stage,
        lost_reasons=funnel.pareto(figures.lost_reasons(found)),
        stalled=steady.stalled,
        period=(start, end),
        pipeline=pipeline,
        by=by,
        amounts=amounts_scope(actor) is not Scope.NONE,
        cut=cut,
    )


def _kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    kpis["velocity"] = funnel.velocity(
        kpis["open"], kpis["win_rate"], kpis["average_won_value"], kpis["cycle_days"]
    )
    return kpis


def reached_stage(
    session: Session,
    actor: Actor,
    report: FunnelReport,
    stage: str,
    group: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """The cohort's leads that reached `stage` (within the breakdown's `group`), furthest and
    biggest first, at most `limit`; values blank where the actor reads no amounts."""
    index = report.stages.index(stage)
    cut = report.cut or Cut(*report.period, report.pipeline)
    where = cut.conditions(actor)
    picked = figures.reached_leads(session, where, report.stages, index, report.by, group, limit)
    return hide_amounts(actor, picked, "value")


@dataclass(frozen=True)
class ForecastReport:
    weighted: pd.DataFrame
    bands: pd.DataFrame
    calibration: pd.DataFrame
    learned: pd.DataFrame
    last_quarter: pd.DataFrame
    quarter: tuple[date, date]
    open_leads: int
    amounts: bool = True  # whether the reader sees amounts at all (the matrix)


def quarter_before(day: date) -> tuple[date, date]:
    """The calendar quarter before the one `day` is in: [first day, first day after)."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    start = date(first.year - (first.month == 1), (first.month - 4) % 12 + 1, 1)
    return start, first


def forecast_report(
    session: Session,
    actor: Actor,
    as_of: datetime,
    pipeline: str | None = None,
    runs: int = 2000,
    history_days: int = 730,
) -> ForecastReport:
    """The open pipeline's forecast, learned from the leads closed in the last two years;
    counted in SQL over the stored read model, the amounts only of the leads whose amounts
    the actor reads."""
    settings = sales_settings(session)
    stages = settings.stages(pipeline)
    where = [Lead.deleted_at.is_(None), read_filter(actor, Entity.LEAD, Lead.owner_id)]
    if pipeline:
        where.append(Lead.pipeline == pipeline)
    probability = settings.probabilities()
    since = as_of - timedelta(days=history_days)
    reached, aged = closed.learned_counts(session, actor, pipeline, since, stages)
    learned = forecast.learned_from_counts(reached, aged, stages)
    live = forecast.with_probabilities(
        figures.open_leads(session, actor, where, as_of), learned, probability
    )
    start, end = quarter_before(as_of.date())
    first, after = _at(start), _at(end)
    last_quarter = forecast.quarter_table(
        figures.open_at(session, actor, closed_or_open(where, as_of, history_days), first, after),
        figures.won_by_month(session, actor, where, first, after),
        probability,
        start,
        end,
    )
    stage_p = {s["stage"]: float(s["probability"]) for s in settings.pipeline(pipeline)["stages"]}
    return ForecastReport(
        weighted=forecast.weighted_pipeline(live, probability, as_of),
        bands=simulate.monte_carlo(live, as_of, runs=runs),
        calibration=forecast.calibration_from_counts(reached, stages, stage_p),
        learned=learned,
        last_quarter=last_quarter,
        quarter=(start, end),
        open_leads=figures.count_open(session, where),
        amounts=amounts_scope(actor) is not Scope.NONE,
    )


def closed_or_open(where: list[Any], as_of: datetime, history_days: int) -> list[Any]:
    """The forecast's leads: open now, or closed in the history window."""
    recent = Lead.closed_at >= as_of - timedelta(days=history_days)
    return [*where, Lead.stage.not_in([LeadStage.WON, LeadStage.LOST]) | recent]


class Period(StrEnum):
    LAST_QUARTER = "last quarter"
    THIS_QUARTER = "this quarter"
    LAST_30_DAYS = "last 30 days"
    LAST_90_DAYS = "last 90 days"
    THIS_YEAR = "this year"


def period_dates(period: Period, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) of a period named relative to `today`."""
    if period is Period.LAST_QUARTER:
        start, after = quarter_before(today)
        return start, after - timedelta(days=1)
    if period is Period.THIS_QUARTER:
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if period is Period.LAST_30_DAYS:
        return today - timedelta(days=29), today
    if period is Period.LAST_90_DAYS:
        return today - timedelta(days=89), today
    return date(today.year, 1, 1), today


def lead_regions(session: Session, actor: Actor) -> list[str]:
    """The regions of the leads the actor may see, by name (the funnel's region filter)."""
    stmt = (
        select(Lead.region)
        .where(
            Lead.deleted_at.is_(None),
            Lead.region.is_not(None),
            Lead.region != "",
            read_filter(actor, Entity.LEAD, Lead.owner_id),
        )
        .distinct()
        .order_by(Lead.region)
    )
    return [str(r) for r in session.scalars(stmt)]


def change(now: float | None, before: float | None) -> float | None:
    """The relative change of a KPI against the previous period (None: nothing to compare)."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before)
