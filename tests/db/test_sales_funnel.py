"""The funnel and forecast read from the database match a hand-computed fixture exactly, on
SQLite and PostgreSQL, within the reader's scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine

from crm_core.analytics import funnel
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.sales import analysis, figures, leads
from crm_core.sales.analysis import Breakdown, Period
from db.session import session_scope
from support import make_user

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def walk(
    engine: Engine,
    actor: Actor,
    name: str,
    source: str,
    start: datetime,
    stages: list[str],
    lost: str | None = None,
    value: int = 1_000_000,
) -> int:
    """A lead created at `start`, moved a day apart through `stages`, then lost if asked."""
    with session_scope(engine) as s:
        lead = leads.create_lead(
            s, actor, {"name": name, "source": source, "value": value}, now=start
        )
        lead_id, version = lead.id, 1
    at = start
    for stage in stages:
        at += timedelta(days=1)
        with session_scope(engine) as s:
            leads.move_stage(s, actor, lead_id, version, stage, now=at)
        version += 1
    if lost:
        with session_scope(engine) as s:
            leads.mark_lost(s, actor, lead_id, version, lost, now=at + timedelta(days=1))
    return lead_id


@pytest.fixture
def quarter(engine: Engine, manager: Actor) -> dict[str, Actor]:
    rina = make_user(engine, Role.SALES, "rina")
    jan, feb = datetime(2026, 1, 10, 9), datetime(2026, 2, 3, 9)
    walk(engine, rina, "A", "website", jan, ["contacted", "qualified", "won"], value=4_000_000)
    walk(engine, rina, "B", "website", jan, ["contacted"], lost="price")
    walk(engine, manager, "C", "website", feb, ["qualified"])  # skipped Contacted
    walk(engine, manager, "D", "referral", feb, ["proposal", "won"], value=6_000_000)
    walk(engine, manager, "E", "referral", feb, [], lost="no budget")
    walk(engine, manager, "F", "event", datetime(2025, 12, 20, 9), ["contacted"])  # before Q1
    return {"rina": rina}


def test_last_quarter_by_source_counts_what_each_source_reached(
    engine: Engine, manager: Actor, quarter: dict[str, Actor]
) -> None:
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, manager, *Q1, Breakdown.SOURCE)
    table = report.funnel.pivot(index="group", columns="stage", values="reached")
    assert table.loc["website", report.stages].tolist() == [3, 3, 2, 1, 1, 1]
    assert table.loc["referral", report.stages].tolist() == [2, 1, 1, 1, 1, 1]
    groups = report.groups.set_index("group")
    assert groups.loc["referral", "conversion"] == pytest.approx(0.5)
    assert groups.loc["website", "conversion"] == pytest.approx(1 / 3)
    assert report.groups["group"].tolist() == ["referral", "website"]  # best converting first
    assert groups.loc["referral", "biggest_drop_before"] == "contacted"
    assert report.kpis["leads"] == 5 and report.kpis["win_rate"] == pytest.approx(0.5)
    assert report.kpis["average_won_value"] == pytest.approx(5_000_000)
    assert report.previous["leads"] == 1  # F, in the quarter of the same length before
    reasons = report.lost_reasons.set_index("reason")["leads"].to_dict()
    assert reasons == {"no budget": 1, "price": 1}

    # The stored read model and the SQL counts give what the DataFrame functions give over
    # every lead and move of the cohort (the reference the unit tests check by hand).
    with session_scope(engine, write=False) as s:
        leads_, changes = analysis.cohort(s, manager, *Q1)
    stages = report.stages
    furthest = funnel.reached(leads_, changes, stages)
    pd.testing.assert_frame_equal(report.funnel, funnel.funnel(leads_, furthest, stages, "source"))
    expected = funnel.time_in_stage(changes, stages, datetime(2026, 4, 1))
    pd.testing.assert_frame_equal(report.time_in_stage, expected, check_dtype=False)
    assert report.time_in_stage.set_index("stage").loc["new", "stays"] == 5
    trend = funnel.monthly_trend(leads_, furthest, stages)
    pd.testing.assert_frame_equal(report.trend, trend, check_dtype=False)


def test_clicking_a_stage_lists_the_leads_that_reached_it_in_the_group(
    engine: Engine, manager: Actor, quarter: dict[str, Actor]
) -> None:
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, manager, *Q1, Breakdown.SOURCE)
        qualified = analysis.reached_stage(s, manager, report, "qualified")
        contacted = analysis.reached_stage(s, manager, report, "contacted", "website")
    assert sorted(qualified["name"]) == ["A", "C", "D"]
    assert sorted(contacted["name"]) == ["A", "B", "C"]


def test_a_sales_user_s_funnel_holds_only_its_own_leads(
    engine: Engine, quarter: dict[str, Actor]
) -> None:
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, quarter["rina"], *Q1)
    assert report.funnel["reached"].tolist() == [2, 2, 1, 1, 1, 1]


def test_the_forecast_weights_open_leads_and_simulates_their_months(
    engine: Engine, manager: Actor, quarter: dict[str, Actor]
) -> None:
    as_of = datetime(2026, 4, 2, 9)
    with session_scope(engine, write=False) as s:
        report = analysis.forecast_report(s, manager, as_of, runs=500)
    # Open: C (qualified, 35%) and F (contacted, 15%), 1,000,000 each, no expected close: April
    assert report.weighted.to_dict("records") == [
        {"month": "2026-04", "leads": 2, "value": 2_000_000.0, "weighted": pytest.approx(500_000)}
    ]
    assert report.open_leads == 2
    assert report.bands["month"].tolist() == ["2026-04"]
    assert 0 <= report.bands["p10"].iloc[0] <= report.bands["p90"].iloc[0] <= 2_000_000
    assert report.quarter == (date(2026, 1, 1), date(2026, 4, 1))
    assert report.last_quarter["actual"].sum() == pytest.approx(10_000_000)
    calibration = report.calibration.set_index("stage")
    assert calibration.loc["new", ["closed", "won"]].tolist() == [4, 2]


def test_named_periods_are_whole_quarters_and_days_back_from_today() -> None:
    today = date(2026, 5, 15)
    assert analysis.period_dates(Period.LAST_QUARTER, today) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    assert analysis.period_dates(Period.THIS_QUARTER, today) == (date(2026, 4, 1), today)
    assert analysis.period_dates(Period.LAST_30_DAYS, today) == (date(2026, 4, 16), today)
    assert analysis.quarter_before(date(2026, 2, 1)) == (date(2025, 10, 1), date(2026, 1, 1))
    assert analysis.change(12, 10) == pytest.approx(0.2) and analysis.change(3, 0) is None


def test_time_in_stage_ranked_here_equals_the_ranks_picked_in_sql(
    engine: Engine, manager: Actor, quarter: dict[str, Actor]
) -> None:
    # Eight more leads in New for 0.5, 1.5, 2, 2, 3, 4, 6 and 8 days (ties), and one lead
    # back in a stage it left (a reopen).
    start = datetime(2026, 3, 1, 9)
    for k, days in enumerate((0.5, 1.5, 2.0, 2.0, 3.0, 4.0, 6.0, 8.0)):
        with session_scope(engine) as s:
            lead = leads.create_lead(s, manager, {"name": f"G{k}", "source": "event"}, now=start)
            leads.move_stage(s, manager, lead.id, 1, "contacted", now=start + timedelta(days))
    lead_id = walk(engine, manager, "H", "event", start, ["contacted"], lost="price")
    with session_scope(engine) as s:
        leads.reopen(s, manager, lead_id, 3, now=start + timedelta(days=5, hours=7))
    where = analysis.cohort_conditions(manager, *Q1)
    stages = ["new", "contacted", "qualified", "proposal", "negotiation", "won"]
    with session_scope(engine, write=False) as s:
        here = sorted(figures._quantiles_here(s, where, stages))
        in_sql = sorted(figures._quantiles(s, where, stages))
        if engine.dialect.name == "sqlite":  # the ranks the window functions picked before
            assert here == in_sql == sorted(figures._ranked_in_sql(s, where, stages))
        report = analysis.funnel_report(s, manager, *Q1)
        _leads, changes = analysis.cohort(s, manager, *Q1)
    for ours, theirs in zip(here, in_sql, strict=True):  # PostgreSQL: percentile_cont
        assert ours[:2] == theirs[:2] and ours[2:] == pytest.approx(theirs[2:])
    expected = funnel.time_in_stage(changes, stages, datetime(2026, 4, 1))
    pd.testing.assert_frame_equal(report.time_in_stage, expected, check_dtype=False)
    new = report.time_in_stage.set_index("stage").loc["new"]
    # New: the quarter's five and H one day each, G0-G7: 0.5, 1 x 6, 1.5, 2, 2, 3, 4, 6, 8
    # sorted; the median at rank 6.5 is 1 + 0.5 x (1.5 - 1), the 90th percentile at rank
    # 11.7 is 4 + 0.7 x (6 - 4)
    assert new["stays"] == 14
    assert new["median_days"] == pytest.approx(1.25)
    assert new["p90_days"] == pytest.approx(5.4)
    contacted = report.time_in_stage.set_index("stage").loc["contacted"]
    assert contacted["stays"] == 3  # A, B and H ended a stay in Contacted; G0-G7 are there


def test_a_new_breakdown_keeps_the_figures_no_breakdown_changes(
    engine: Engine, manager: Actor, quarter: dict[str, Actor]
) -> None:
    """The page keeps the breakdown-free figures once and recounts only the grouping: each
    breakdown's report built on them is the report built from scratch."""
    with session_scope(engine, write=False) as s:
        cut = analysis.funnel_cut(s, *Q1)
        steady = analysis.funnel_steady(s, manager, cut)
        for breakdown in Breakdown:
            kept = analysis.funnel_report(s, manager, *Q1, breakdown, steady=steady)
            fresh = analysis.funnel_report(s, manager, *Q1, breakdown)
            pd.testing.assert_frame_equal(kept.funnel, fresh.funnel)
            pd.testing.assert_frame_equal(kept.time_in_stage, fresh.time_in_stage)
            assert (kept.kpis, kept.previous) == (fresh.kpis, fresh.previous)
    # A won in 3 days (10 to 13 January), D in 2 (3 to 5 February): a median of 2.5 days
    assert sorted(steady.cycle_days) == pytest.approx([2.0, 3.0])
    assert kept.kpis["cycle_days"] == pytest.approx(2.5)
    assert steady.previous["leads"] == 1  # F, in the quarter of the same length before
    assert steady.time_in_stage.set_index("stage").loc["new", "stays"] == 5
