"""Team performance, targets and each role's home on the hand-made business of
tests/overview_data.py (March 2026), each figure walked by hand."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest
from overview_data import NOW, business
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers_read
from crm_core.customers import value_store
from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry
from crm_core.overview import home, targets, team
from db.session import session_scope

MARCH = date(2026, 3, 1)


def test_each_persons_figures_for_the_month_and_their_progress_against_target(
    engine: Engine, manager: Actor, sales: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        business(s, manager, sales, support)
    with session_scope(engine) as s:
        span = team.month_span(MARCH, "Asia/Jakarta")
        seller = team.sales_performance(s, manager, span).set_index("user_id").loc[sales.id]
        # Moves in March on L1, L2, L3; closed: L1 won (13 days after it was created), L2 lost.
        assert seller["leads_worked"] == 3 and (seller["won"], seller["lost"]) == (1, 1)
        assert seller["win_rate"] == 0.5 and seller["revenue_won"] == 500_000
        assert seller["average_cycle_days"] == 13 and seller["touchpoints"] == 2
        agent = team.support_performance(s, manager, span, NOW).set_index("user_id").loc[support.id]
        # T1 and T2 resolved; first responses 1 and 9 working hours, resolutions 9 and 14.
        assert agent["tickets_resolved"] == 2
        assert (agent["first_response_hours"], agent["resolution_hours"]) == (5.0, 11.5)
        assert agent["sla_attainment"] == pytest.approx(1 / 3) and agent["csat"] == 4.0
        # The salesperson reads their own amounts; support reads none.
        own = team.sales_performance(s, support, span).set_index("user_id").loc[sales.id]
        assert own["won"] == 0  # support reads no leads at all
        targets.set_target(s, manager, {"user_id": sales.id, "metric": "revenue_won",
                                        "month": "2026-03-15", "value": 1_000_000}, 0)  # fmt: skip
        targets.set_target(s, manager, {"user_id": support.id, "metric": "tickets_resolved",
                                        "month": MARCH, "value": 4}, 0)  # fmt: skip
    with session_scope(engine) as s:
        shown = team.progress(s, manager, MARCH, NOW).set_index("user_id")
        assert shown.loc[sales.id, ["actual", "share"]].tolist() == [500_000, 0.5]
        assert shown.loc[support.id, ["actual", "share"]].tolist() == [2, 0.5]
        own = team.progress(s, sales, MARCH, NOW)
        assert own["user_id"].tolist() == [sales.id]  # a person reads only their own target
        trend = team.monthly_trend(s, manager, MARCH, 2, NOW)
        seller_trend = trend[trend["user_id"] == sales.id].set_index("month")["won"]
        assert seller_trend.to_dict() == {date(2026, 2, 1): 1, MARCH: 1}  # L5, then L1


def test_the_trend_read_once_for_its_months_counts_each_month_as_its_own_figures(
    engine: Engine, manager: Actor, sales: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        business(s, manager, sales, support)
    with session_scope(engine) as s:
        trend = team.monthly_trend(s, manager, MARCH, 3, NOW)
        for month in (date(2026, 1, 1), date(2026, 2, 1), MARCH):
            span = team.month_span(month, "Asia/Jakarta")
            row = trend[trend["month"] == month].set_index("user_id")
            sold = team.sales_performance(s, manager, span).set_index("user_id")
            helped = team.support_performance(s, manager, span, NOW).set_index("user_id")
            for figure in ("won", "revenue_won"):
                assert row.loc[sales.id, figure] == sold.loc[sales.id, figure]
            for figure in ("tickets_resolved", "sla_attainment", "csat"):
                assert row.loc[support.id, figure] == pytest.approx(
                    helped.loc[support.id, figure], nan_ok=True
                )
        march = trend[trend["month"] == MARCH].set_index("user_id")
        # L1 won at 500,000; T1 and T2 resolved, SLA met by 1 of 3, CSAT 4.0.
        assert march.loc[sales.id, ["won", "revenue_won"]].tolist() == [1, 500_000]
        assert march.loc[support.id, "tickets_resolved"] == 2
        assert march.loc[support.id, "sla_attainment"] == pytest.approx(1 / 3)


def test_a_target_is_set_by_a_manager_through_the_write_path(
    session: Session, manager: Actor, sales: Actor, support: Actor
) -> None:
    data = {"user_id": sales.id, "metric": "revenue_won", "month": MARCH, "value": 1_000_000}
    row = targets.set_target(session, manager, data, 0)
    targets.set_target(session, manager, {**data, "value": 2_000_000}, row.version)
    assert float(row.value) == 2_000_000 and row.version == 2
    audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "target")).all()
    assert [e.action.value for e in audited] == ["create", "update"]
    with pytest.raises(PermissionDenied):
        targets.set_target(session, sales, {**data, "month": date(2026, 4, 1)}, 0)
    with pytest.raises(ValidationError) as wrong:
        targets.set_target(session, manager, {**data, "metric": "csat", "value": 4}, 0)
    assert "metric" in wrong.value.field_errors
    with pytest.raises(ValidationError):
        targets.set_target(session, manager, {**data, "user_id": support.id, "metric": "csat",
                                              "value": 6}, 0)  # fmt: skip


def test_the_portfolio_and_a_salespersons_home_read_the_stored_values(
    engine: Engine, manager: Actor, sales: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        business(s, manager, sales, support)
    value_store.refresh(partial(session_scope, engine))
    with session_scope(engine) as s:
        book = team.portfolio(s, manager).set_index("user_id").loc[sales.id]
        # Ani (90,000 + 50,000) and Citra (200,000).
        assert book["customers"] == 2 and book["net_revenue"] == 340_000
        rows = customers_read.owned_values(s, [sales.id])  # the rows the sums are made of
        assert book["profit"] == rows["profit"].sum()
        assert book["at_risk"] == (rows["risk_band"] == "High").sum()
        hidden = team.portfolio(s, support).set_index("user_id").loc[sales.id]
        assert hidden["customers"] == 2 and hidden["net_revenue"] != hidden["net_revenue"]  # NaN
        mine = home.my_home(s, sales, NOW, date(2026, 4, 15))
        # L3 is open and was expected to close on 10 April.
        assert mine.leads[["name", "due"]].values.tolist() == [["L3", "overdue"]]
        assert mine.leads["value"].tolist() == [1_000_000]
        assert mine.tickets.empty
        agent = home.my_home(s, support, NOW, date(2026, 4, 15))
        assert agent.tickets["id"].tolist() == [3] and agent.leads.empty
