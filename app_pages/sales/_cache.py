"""The Lead funnel's and the Pipeline's reads, kept per reader, filters and the leads' change
mark (crm_core.sales.marks), as the Service pages keep theirs.

Every widget reruns the page. The funnel's figures cost 0.5-1.1 s at 200,000 leads, its
leads of a stage and its region list more on every run; the Pipeline read its total, board
and list (both tabs render) on every run, a ticked row included. Kept for five minutes per
reader (role and scope are in the key: st.cache_data is shared by every user) and keyed by
the mark, so a lead a colleague saves on any replica shows at the next run; the funnel's
figures that no breakdown changes are kept apart, so a new breakdown recounts only the
grouping. A write of this session clears them all (clear)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.models.enums import Role
from crm_core.sales import analysis, marks, pipeline
from crm_core.sales.pipeline import LeadFilter
from ui.db import database_url, read_scope

Who = tuple[int, str, str, str]
Whose = tuple[str | None, int | None, str]  # region, owner, which leads counted
Mark = tuple[Any, ...]
# a funnel's period, breakdown, pipeline and filters: what its report is kept by
Asked = tuple[tuple[date, date], str, str | None, Whose]


def reader(actor: Actor) -> Who:
    return (actor.id, actor.username, actor.name, actor.role.value)


def _actor(who: Who) -> Actor:
    return Actor(who[0], who[1], who[2], Role(who[3]))


def leads_mark() -> Mark:
    """Read once a run (three index reads and two one-row reads) and handed to the reads."""
    with read_scope() as session:
        return marks.leads_mark(session)


def pipeline_mark() -> Mark:
    with read_scope() as session:
        return marks.pipeline_mark(session)


def _cut(session: Any, period: tuple[date, date], pipeline: str | None, whose: Whose) -> Any:
    region, owner_id, counted = whose
    return analysis.funnel_cut(
        session, *period, pipeline, region=region, owner_id=owner_id,
        counted=analysis.Counted(counted),
    )  # fmt: skip


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _steady(
    url: str, who: Who, period: tuple[date, date], pipeline: str | None, whose: Whose, mark: Mark
) -> analysis.Steady:
    with read_scope() as session:
        cut = _cut(session, period, pipeline, whose)
        return analysis.funnel_steady(session, _actor(who), cut)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _funnel(url: str, who: Who, asked: Asked, mark: Mark) -> analysis.FunnelReport:
    period, breakdown, pipeline, whose = asked
    steady = _steady(url, who, period, pipeline, whose, mark)
    region, owner_id, counted = whose
    with read_scope() as session:
        return analysis.funnel_report(
            session, _actor(who), *period, analysis.Breakdown(breakdown), pipeline,
            region=region, owner_id=owner_id, counted=analysis.Counted(counted), steady=steady,
        )  # fmt: skip


def funnel_report(
    actor: Actor,
    period: tuple[date, date],
    breakdown: analysis.Breakdown,
    pipeline: str | None,
    whose: tuple[str | None, int | None, analysis.Counted],
    mark: Mark,
) -> analysis.FunnelReport:
    """The funnel of the leads created (or closed) in `period`, of a region and owner."""
    region, owner_id, counted = whose
    asked = (period, breakdown.value, pipeline, (region, owner_id, counted.value))
    return _funnel(database_url()[0], reader(actor), asked, mark)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _reached(
    url: str, who: Who, asked: Asked, mark: Mark, stage: str, group: str | None
) -> pd.DataFrame:
    report = _funnel(url, who, asked, mark)
    with read_scope() as session:
        return analysis.reached_stage(session, _actor(who), report, stage, group)


def reached_stage(
    actor: Actor, report: analysis.FunnelReport, stage: str, group: str | None, mark: Mark
) -> pd.DataFrame:
    """The report's leads that reached `stage` (in `group`): a rerun that picks another row
    or clicks nothing reads nothing."""
    cut = report.cut or analysis.Cut(*report.period, report.pipeline)
    whose = (cut.region, cut.owner_id, cut.counted.value)
    asked = (report.period, report.by or analysis.Breakdown.NONE.value, report.pipeline, whose)
    return _reached(database_url()[0], reader(actor), asked, mark, stage, group)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _regions(url: str, who: Who, mark: Mark) -> list[str]:
    with read_scope() as session:
        return analysis.lead_regions(session, _actor(who))


def lead_regions(actor: Actor, mark: Mark) -> list[str]:
    """The regions of the reader's leads (a copy: a page may add the one a link names)."""
    return list(_regions(database_url()[0], reader(actor), mark))


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _open_total(url: str, who: Who, whose: LeadFilter, mark: Mark) -> tuple[int, float | None]:
    with read_scope() as session:
        return pipeline.open_total(session, _actor(who), whose)


def open_total(actor: Actor, whose: LeadFilter, mark: Mark) -> tuple[int, float | None]:
    return _open_total(database_url()[0], reader(actor), whose, mark)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _board(
    url: str, who: Who, key: str, whose: LeadFilter, minute: datetime, mark: Mark
) -> dict[str, Any]:
    with read_scope() as session:
        return pipeline.board(
            session, _actor(who), key, minute, region=whose.region, owner_id=whose.owner_id
        )


def board(actor: Actor, key: str, whose: LeadFilter, mark: Mark) -> dict[str, Any]:
    """The pipeline's board as of this minute's start (the cards' days in stage move once a
    minute, not every run)."""
    minute = utcnow().replace(second=0, microsecond=0)
    return _board(database_url()[0], reader(actor), key, whose, minute, mark)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def _lead_list(
    url: str,
    who: Who,
    chosen: LeadFilter,
    order: tuple[str, bool],
    page: tuple[int, int],
    mark: Mark,
) -> tuple[pd.DataFrame, int]:
    with read_scope() as session:
        return pipeline.lead_list(session, _actor(who), chosen, *order, *page)


def lead_list(
    actor: Actor, chosen: LeadFilter, order: tuple[str, bool], page: tuple[int, int], mark: Mark
) -> tuple[pd.DataFrame, int]:
    """One page (number, size) of the matching leads in `order` (column, descending)."""
    return _lead_list(database_url()[0], reader(actor), chosen, order, page, mark)


def clear() -> None:
    """After a write of this session: its own change shows at once (the mark would show it
    too; this also frees the entries it made stale)."""
    for cached in (_steady, _funnel, _reached, _regions, _open_total, _board, _lead_list):
        cached.clear()
