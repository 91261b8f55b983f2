"""The business dashboard's figures on the hand-made business of tests/overview_data.py,
each walked by hand (March 2026 against 29 January - 28 February, churn window 90 days)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from overview_data import MARCH, NOW, at, business
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import orders
from crm_core.kernel.permissions import Actor
from crm_core.models import Order, Product, utcnow
from crm_core.models.enums import OrderStatus
from crm_core.overview import dashboard
from crm_core.overview.dashboard import Code


def figures(
    session: Session, actor: Actor, flt: dashboard.Filters = MARCH
) -> dict[Code, dashboard.Figure]:
    found, _frames = dashboard.dashboard(session, actor, flt, NOW)
    return {f.code: f for f in found}


def test_each_figure_of_the_period_the_one_before_its_sparkline_and_rows(
    session: Session, manager: Actor, sales: Actor, support: Actor
) -> None:
    ids = business(session, manager, sales, support)
    got = figures(session, manager)
    # Sold in March: Ani 100,000 less 10,000 discount, Budi 2 x 50,000 (his cancelled order
    # does not count); February: Citra 200,000. Margins: 90,000 - 60,000 and 100,000 - 40,000.
    assert (got[Code.REVENUE].value, got[Code.REVENUE].previous) == (190_000, 200_000)
    assert got[Code.REVENUE].change == -10_000
    assert got[Code.REVENUE].relative == pytest.approx(-0.05)
    assert (got[Code.GROSS_MARGIN].value, got[Code.GROSS_MARGIN].previous) == (90_000, 50_000)
    assert (got[Code.NEW_CUSTOMERS].value, got[Code.NEW_CUSTOMERS].previous) == (1, 1)
    assert (got[Code.ACTIVE_CUSTOMERS].value, got[Code.ACTIVE_CUSTOMERS].previous) == (2, 1)
    # Dewi's last order (10 Dec) reaches 90 days of silence on 10 March; Ani's 20 November
    # reached it in February (her March order came after). Active at the start: Citra and
    # Dewi (bought in the 90 days before 1 March); before: Ani and Dewi.
    assert (got[Code.CHURNED_CUSTOMERS].value, got[Code.CHURNED_CUSTOMERS].previous) == (1, 1)
    assert (got[Code.CHURN_RATE].value, got[Code.CHURN_RATE].previous) == (0.5, 0.5)
    # Closed in March: L1 won, L2 lost; in February: L5 won.
    assert (got[Code.LEAD_CONVERSION].value, got[Code.LEAD_CONVERSION].previous) == (0.5, 1.0)
    # Open at the end: L3 1,000,000 and L4 200,000; at the start: L1 (won on 5 March) and L4.
    assert (got[Code.PIPELINE_VALUE].value, got[Code.PIPELINE_VALUE].previous) == (
        1_200_000, 700_000,
    )  # fmt: skip
    assert (got[Code.OPEN_TICKETS].value, got[Code.OPEN_TICKETS].previous) == (1, 0)
    # T1 met both targets, T2 answered late, T3 is past both due times; T4 met them.
    assert got[Code.SLA_ATTAINMENT].value == pytest.approx(1 / 3)
    assert got[Code.SLA_ATTAINMENT].previous == 1.0
    assert (got[Code.CSAT].value, got[Code.CSAT].previous) == (4.0, 4.0)

    revenue = figures(session, manager)[Code.REVENUE]
    assert len(revenue.spark) == 31  # a step per day
    assert revenue.spark[1] == 90_000 and revenue.spark[9] == 100_000  # 2 and 10 March
    assert sum(v or 0 for v in revenue.spark) == revenue.value
    tickets = figures(session, manager)[Code.OPEN_TICKETS].spark  # open at each day's end
    assert (tickets[0], tickets[1], tickets[2], tickets[4], tickets[-1]) == (0, 1, 0, 1, 1)
    _found, frames = dashboard.dashboard(session, manager, MARCH, NOW)
    span = frames.window
    churned = dashboard.rows_behind(frames, Code.CHURNED_CUSTOMERS, span.start, span.end)
    assert churned is not None and list(churned["customer_id"]) == [ids["dewi"]]
    rows = dashboard.rows_table(session, frames, Code.REVENUE)
    assert sorted(rows["customer"]) == ["Ani", "Budi"] and rows["net"].sum() == 190_000


def test_filters_the_readers_amounts_and_the_change_mark(
    session: Session, manager: Actor, sales: Actor, support: Actor
) -> None:
    business(session, manager, sales, support)
    bali = figures(session, manager, replace(MARCH, region="Bali"))
    assert bali[Code.REVENUE].value == 100_000  # Budi's
    assert bali[Code.CHURNED_CUSTOMERS].value == 1  # Dewi
    assert bali[Code.OPEN_TICKETS].value == 0  # the tickets are Ani's (Jawa Barat)
    mine = figures(session, manager, replace(MARCH, owner_id=sales.id))
    assert mine[Code.REVENUE].value == 90_000  # Ani's
    assert mine[Code.PIPELINE_VALUE].value == 1_000_000  # L3 (L4 is the manager's)
    assert mine[Code.NEW_CUSTOMERS].value == 0

    own = figures(session, sales)
    assert own[Code.REVENUE].value == 90_000  # only Ani, whom the salesperson owns
    assert own[Code.ACTIVE_CUSTOMERS].value == 2  # counts are no amounts
    none = figures(session, support)
    assert none[Code.REVENUE].value is None and none[Code.GROSS_MARGIN].value is None
    assert none[Code.PIPELINE_VALUE].value is None
    assert none[Code.OPEN_TICKETS].value == 1

    before_mark = dashboard.mark(session)
    before = dashboard.dashboard(session, manager, MARCH, NOW)[0]
    assert dashboard.mark(session) == before_mark  # reading changes nothing
    order = session.scalars(select(Order).where(Order.ordered_at == at("2025-11-20"))).one()
    order.ordered_at, order.updated_at = at("2026-03-11"), NOW  # Ani's 50,000 moves into March
    session.flush()
    assert dashboard.mark(session) != before_mark
    after = dashboard.dashboard(session, manager, MARCH, NOW)[0]
    assert dashboard.what_changed(before, after) == [
        (Code.REVENUE, 50_000), (Code.GROSS_MARGIN, 20_000),
    ]  # fmt: skip


def test_a_live_refresh_after_a_new_order_reads_only_it_and_after_an_edit_reads_everything(
    session: Session, manager: Actor, sales: Actor, support: Actor
) -> None:
    ids = business(session, manager, sales, support)
    since = dashboard.mark(session)
    _found, held = dashboard.dashboard(session, manager, MARCH, NOW)
    product = session.scalar(select(Product.id))
    line = {"product_id": product, "quantity": 3, "unit_price": Decimal(10_000)}
    orders.create_order(  # a colleague's sale to Citra on 20 March: 30,000, no cost
        session, manager, {"customer_id": ids["citra"], "ordered_at": at("2026-03-20"),
                           "channel": "online", "lines": [line]},
    )  # fmt: skip
    session.flush()
    fresh = dashboard.refresh(session, manager, MARCH, NOW, held, since)
    assert fresh.created is held.created and fresh.tickets is held.tickets  # not read again
    got = {f.code: f for f in dashboard.figures(fresh)}
    assert got[Code.REVENUE].value == 190_000 + 30_000
    assert got[Code.GROSS_MARGIN].value == 90_000 + 30_000
    assert got[Code.ACTIVE_CUSTOMERS].value == 3  # Citra bought in March too
    assert dashboard.figures(fresh) == figures_list(session, manager)  # as a full read says

    since = dashboard.mark(session)
    ani = session.scalars(select(Order).where(Order.ordered_at == at("2026-03-02"))).one()
    ani.status, ani.updated_at = OrderStatus.CANCELLED, utcnow()  # an old order cancelled
    session.flush()
    again = dashboard.refresh(session, manager, MARCH, NOW, fresh, since)
    assert again.created is not fresh.created  # everything read again
    assert {f.code: f for f in dashboard.figures(again)}[Code.REVENUE].value == 130_000
    assert dashboard.refresh(session, manager, MARCH, NOW, again, dashboard.mark(session)) is again


def figures_list(session: Session, actor: Actor) -> list[dashboard.Figure]:
    return dashboard.dashboard(session, actor, MARCH, NOW)[0]


def test_each_customers_figure_opens_the_list_with_the_dashboards_filters() -> None:
    march = replace(MARCH, region="Jawa Barat", owner_id=4)
    page, params = dashboard.page_of(Code.REVENUE, march)
    assert (page, params) == ("customers", {
        "region": "Jawa Barat", "owner": "4", "bought": f"{MARCH.start}..{MARCH.end}",
    })  # fmt: skip
    assert dashboard.page_of(Code.NEW_CUSTOMERS, MARCH) == (
        "customers", {"created": f"{MARCH.start}..{MARCH.end}"},
    )  # fmt: skip


def test_the_lead_figures_open_the_funnel_and_the_pipeline_with_the_dashboards_filters() -> None:
    march = replace(MARCH, region="Jawa Barat", owner_id=4)
    assert dashboard.page_of(Code.LEAD_CONVERSION, march) == ("leads", {
        "from": f"{MARCH.start}", "to": f"{MARCH.end}", "counted": "closed",
        "region": "Jawa Barat", "owner": "4",
    })  # fmt: skip
    assert dashboard.page_of(Code.PIPELINE_VALUE, march) == (
        "pipeline", {"open": "1", "region": "Jawa Barat", "owner": "4"},
    )  # fmt: skip
    assert dashboard.page_of(Code.PIPELINE_VALUE, MARCH) == ("pipeline", {"open": "1"})
