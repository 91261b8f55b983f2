"""The Sales figures from the database: the funnel of a cohort (leads created in a period) by a
breakdown, its KPIs against the previous period of the same length, time in stage, lost
reasons, stalled leads; the forecast (weighted pipeline, last quarter against what closed,
Monte-Carlo bands, calibration). Role scope is applied in every query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import Float, Select, String, select, type_coerce
from sqlalchemy.orm import Session, aliased

from crm_core.analytics import forecast, funnel
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Campaign, Lead, LeadStageChange, User
from crm_core.models.enums import Entity, LeadStage
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
    leads: pd.DataFrame  # the cohort, with `furthest` (index of the stage reached)
    by: str | None = None  # the breakdown's column


def funnel_report(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    breakdown: Breakdown = Breakdown.NONE,
    pipeline: str | None = None,
    as_of: datetime | None = None,
) -> FunnelReport:
    """Everything the Lead funnel page shows for the cohort created in [start, end]."""
    settings = sales_settings(session)
    stages = settings.stages(pipeline)
    as_of = as_of or _at(end + timedelta(days=1))
    leads, changes = cohort(session, actor, start, end, pipeline)
    furthest = funnel.reached(leads, changes, stages)
    by = None if breakdown is Breakdown.NONE else breakdown.value
    table = funnel.funnel(leads, furthest, stages, by)
    days = (end - start).days + 1
    # The period before only needs its KPIs: its leads without their moves.
    before = _lead_frame(
        session,
        _cohort_query(actor, start - timedelta(days=days), start - timedelta(days=1), pipeline),
    )
    usual = {s: d for p in settings.pipelines for s, d in settings.usual_days(p["key"]).items()}
    return FunnelReport(
        stages=stages,
        funnel=table,
        groups=funnel.by_group(table, stages),
        kpis=_kpis(leads),
        previous=_kpis(before),
        trend=funnel.monthly_trend(leads, furthest, stages),
        time_in_stage=funnel.time_in_stage(changes, stages, as_of),
        lost_reasons=funnel.lost_reasons(leads),
        stalled=funnel.stalled(leads, changes, usual, as_of),
        leads=leads.assign(furthest=leads["id"].map(furthest).fillna(0).astype(int)),
        by=by,
    )


def _kpis(leads: pd.DataFrame) -> dict[str, Any]:
    kpis: dict[str, Any] = funnel.summary(leads)
    kpis["velocity"] = funnel.velocity(
        kpis["open"], kpis["win_rate"], kpis["average_won_value"], kpis["cycle_days"]
    )
    return kpis


def reached_stage(report: FunnelReport, stage: str, group: str | None = None) -> pd.DataFrame:
    """The cohort's leads that reached `stage` (within the breakdown's `group`)."""
    index = report.stages.index(stage)
    picked = report.leads[report.leads["furthest"] >= index]
    if group is not None and report.by is not None:
        names = picked[report.by].astype("object").fillna("–").astype(str)
        picked = picked[names == group]
    return picked.sort_values(["furthest", "value"], ascending=False, ignore_index=True)


@dataclass(frozen=True)
class ForecastReport:
    weighted: pd.DataFrame
    bands: pd.DataFrame
    calibration: pd.DataFrame
    learned: pd.DataFrame
    last_quarter: pd.DataFrame
    quarter: tuple[date, date]
    open_leads: int


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
    """The open pipeline's forecast, learned from the leads closed in the last two years."""
    settings = sales_settings(session)
    stages = settings.stages(pipeline)
    stmt = _leads(actor).where(
        Lead.stage.in_([s for s in LeadStage if s.is_open])
        | (Lead.closed_at >= as_of - timedelta(days=history_days))
    )
    if pipeline:
        stmt = stmt.where(Lead.pipeline == pipeline)
    leads, changes = _frames(session, stmt)
    probability = settings.probabilities()
    learned = forecast.learned_probabilities(leads, changes, stages, as_of)
    live = forecast.open_lead_probabilities(leads, changes, learned, probability, as_of)
    start, end = quarter_before(as_of.date())
    stage_p = {s["stage"]: float(s["probability"]) for s in settings.pipeline(pipeline)["stages"]}
    return ForecastReport(
        weighted=forecast.weighted_pipeline(leads, probability, as_of),
        bands=forecast.monte_carlo(live, as_of, runs=runs),
        calibration=forecast.calibration(leads, changes, stages, stage_p),
        learned=learned,
        last_quarter=forecast.forecast_vs_actual(leads, changes, probability, start, end),
        quarter=(start, end),
        open_leads=len(live),
    )


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


def change(now: float | None, before: float | None) -> float | None:
    """The relative change of a KPI against the previous period (None: nothing to compare)."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before)
