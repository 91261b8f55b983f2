"""Customer value from real rows: the SQL feeding the analytics counts what a manager expects."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select

from crm_core.customers import offers
from crm_core.customers import records as customers
from crm_core.customers.value import (
    NO_PURCHASES,
    as_of_day,
    customer_values,
    customer_values_as_of,
    tiers_as_of,
)
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import ValueSettings
from crm_core.models import Customer, Interaction, Order, OrderItem, Product, Ticket
from crm_core.models.enums import (
    Channel,
    Direction,
    OrderStatus,
    Priority,
    SalesChannel,
    TicketCategory,
)
from db.demo import seed, size_for
from db.session import session_scope

AS_OF = datetime(2026, 6, 1)
SETTINGS = ValueSettings(cost_per_ticket=10_000, cost_per_interaction=1_000)


def add_order(s, customer_id: int, days_ago: int, lines, discount=0, status=OrderStatus.COMPLETED):  # type: ignore[no-untyped-def]
    order_id = s.execute(
        insert(Order).returning(Order.id),
        [
            {
                "customer_id": customer_id,
                "ordered_at": AS_OF - timedelta(days=days_ago),
                "channel": SalesChannel.ONLINE,
                "status": status,
                "discount": Decimal(discount),
            }
        ],
    ).scalar_one()
    s.execute(
        insert(OrderItem),
        [
            {
                "order_id": order_id,
                "product_id": p,
                "quantity": q,
                "unit_price": Decimal(price),
                "unit_cost": Decimal(cost),
            }
            for p, q, price, cost in lines
        ],
    )


@pytest.fixture
def shop(engine: Engine, manager: Actor) -> dict[str, int]:
    with session_scope(engine) as s:
        ids = {
            name: customers.create_customer(s, manager, {"name": name}).id
            for name in ("Ani", "Budi", "Citra")
        }
        s.execute(
            insert(Product),
            [
                {
                    "id": 1,
                    "sku": "KOPI",
                    "name": "Kopi",
                    "category": "Coffee",
                    "price": 100_000,
                    "unit_cost": 60_000,
                },
                {
                    "id": 2,
                    "sku": "GULA",
                    "name": "Gula",
                    "category": "Pantry",
                    "price": 20_000,
                    "unit_cost": 15_000,
                },
            ],
        )
        # Ani: two orders; gross 2x100k + 1x20k = 220k, cogs 120k + 15k = 135k, discount 10k.
        add_order(s, ids["Ani"], 10, [(1, 2, 100_000, 60_000)], discount=10_000)
        add_order(s, ids["Ani"], 40, [(2, 1, 20_000, 15_000)])
        add_order(s, ids["Ani"], 5, [(1, 9, 100_000, 60_000)], status=OrderStatus.CANCELLED)
        # Budi: one order, gross 20k, cogs 15k; three tickets and two calls cost 32k to serve.
        add_order(s, ids["Budi"], 100, [(2, 1, 20_000, 15_000)])
        s.execute(
            insert(Ticket),
            [
                {
                    "customer_id": ids["Budi"],
                    "subject": "Late",
                    "channel": Channel.EMAIL,
                    "category": TicketCategory.DELIVERY,
                    "priority": Priority.NORMAL,
                    "created_at": AS_OF - timedelta(days=d),
                    "updated_at": AS_OF,
                }
                for d in (1, 2, 3)
            ],
        )
        s.execute(
            insert(Interaction),
            [
                {
                    "customer_id": ids["Budi"],
                    "channel": Channel.PHONE,
                    "direction": Direction.INBOUND,
                    "subject": "Call",
                    "occurred_at": AS_OF - timedelta(days=d),
                }
                for d in (1, 2)
            ],
        )
        add_order(s, ids["Citra"], 1, [(1, 1, 100_000, 60_000)], status=OrderStatus.CANCELLED)
    return ids


def test_revenue_margin_and_cost_to_serve_count_only_completed_orders(
    engine: Engine, shop: dict[str, int]
) -> None:
    with session_scope(engine, write=False) as s:
        frame = customer_values(s, AS_OF, SETTINGS).frame
    ani, budi = frame.loc[shop["Ani"]], frame.loc[shop["Budi"]]
    assert (ani["gross_revenue"], ani["discounts"], ani["cogs"]) == (220_000, 10_000, 135_000)
    assert (ani["net_revenue"], ani["gross_margin"], ani["orders"]) == (210_000, 85_000, 2)
    assert ani["cost_to_serve"] == 10_000  # the discount; no tickets or touchpoints
    assert ani["profit"] == 75_000 and ani["average_order_value"] == 105_000
    assert (budi["gross_margin"], budi["cost_to_serve"], budi["profit"]) == (5_000, 32_000, -27_000)
    # historical CLV is net of discounts, like predicted CLV: 210k net - 135k goods = 75k
    assert ani["historical_clv"] == 75_000


def test_each_customer_lands_in_exactly_one_tier_with_a_reason(
    engine: Engine, shop: dict[str, int]
) -> None:
    with session_scope(engine, write=False) as s:
        frame = customer_values(s, AS_OF, SETTINGS).frame
    assert frame.loc[shop["Ani"], "value_tier"] == "Most Valuable"
    assert frame.loc[shop["Budi"], "value_tier"] == "Below-Zero"
    # only a cancelled order: not Most Growable nor Below-Zero, but not a buyer yet
    assert frame.loc[shop["Citra"], "value_tier"] == "No purchases yet"
    assert frame["tier_reason"].notna().all()


def test_a_customer_who_never_bought_has_no_rfm_or_churn_score_and_says_why(
    engine: Engine, shop: dict[str, int]
) -> None:
    with session_scope(engine, write=False) as s:
        table = customer_values(s, AS_OF, SETTINGS)
    citra = table.frame.loc[shop["Citra"]]
    assert citra["orders"] == 0 and citra["rfm_segment"] != citra["rfm_segment"]  # NaN
    assert citra["risk_band"] == NO_PURCHASES
    assert table.clv_note is not None and "Not enough history" in render(table.clv_note)


def test_next_best_offer_suggests_what_buyers_of_the_same_products_buy(
    engine: Engine, shop: dict[str, int], manager: Actor
) -> None:
    with session_scope(engine, write=False) as s:
        rules = offers.purchase_rules(s, AS_OF)
        budi_offers = offers.offers_for(s, manager, rules, shop["Budi"], AS_OF)
    # Baskets: Ani {Kopi, Gula}, Budi {Gula}. Gula -> Kopi: confidence 1/2, lift 0.5/0.5 = 1.0,
    # which is no evidence of affinity, so nothing is offered.
    assert budi_offers.empty
    kopi_to_gula = rules[(rules["antecedent"] == 1) & (rules["consequent"] == 2)].iloc[0]
    assert (kopi_to_gula["confidence"], kopi_to_gula["lift"]) == (1.0, 1.0)


def test_an_offer_shows_the_product_amounts_only_to_who_may_read_them(
    engine: Engine, shop: dict[str, int], manager: Actor, sales: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        s.execute(insert(Product), [{"id": 3, "sku": "TEH", "name": "Teh", "category": "Tea",
                                     "price": 30_000, "unit_cost": 10_000}])  # fmt: skip
        people = {n: customers.create_customer(s, manager, {"name": n}).id
                  for n in ("Dewi", "Eko", "Fajar")}  # fmt: skip
        for name, product in (("Dewi", 1), ("Dewi", 3), ("Eko", 1), ("Eko", 3), ("Fajar", 3)):
            add_order(s, people[name], 20, [(product, 1, 30_000, 10_000)])
    # Teh's buyers Dewi, Eko and Fajar; two of them bought Kopi too: confidence 2/3 against
    # Kopi's 3 of 5 buyers, lift 1.1. So Fajar is offered Kopi: 100,000, margin 40,000.
    shown = {}
    with session_scope(engine, write=False) as s:
        rules = offers.purchase_rules(s, AS_OF)
        for who in (manager, sales, support):
            offer = offers.offers_for(s, who, rules, people["Fajar"], AS_OF)
            shown[who.role.value] = offer[["name", "price", "unit_cost", "margin"]].values.tolist()
    assert shown["manager"] == [["Kopi", 100_000, 60_000, 40_000]]
    assert shown["sales"] == [["Kopi", 100_000, None, None]]  # the list price it quotes
    assert shown["support"] == [["Kopi", None, None, None]]


def test_days_are_counted_in_the_team_time_zone(engine: Engine, manager: Actor) -> None:
    # 18:00 UTC on 31 May is 01:00 on 1 June in Jakarta (the default team zone)
    with session_scope(engine) as s:
        ani = customers.create_customer(s, manager, {"name": "Ani"}).id
        s.execute(insert(Product), [{"id": 1, "sku": "KOPI", "name": "Kopi", "category": "Coffee",
                                     "price": 100_000, "unit_cost": 60_000}])  # fmt: skip
        s.execute(
            insert(Order),
            [{"id": 1, "customer_id": ani, "ordered_at": datetime(2026, 5, 31, 18),
              "channel": SalesChannel.ONLINE, "status": OrderStatus.COMPLETED,
              "discount": Decimal(0)}],
        )  # fmt: skip
        s.execute(insert(OrderItem), [{"order_id": 1, "product_id": 1, "quantity": 1,
                                       "unit_price": 100_000, "unit_cost": 60_000}])  # fmt: skip
    moment = as_of_day(date(2026, 6, 1), "Asia/Jakarta")
    assert moment == datetime(2026, 6, 1, 17)  # the end of 1 June in Jakarta, in UTC
    with session_scope(engine, write=False) as s:
        local = customer_values(s, moment, SETTINGS).frame.loc[ani]
        in_utc = customer_values(s, moment, SETTINGS, zone="UTC").frame.loc[ani]
    assert local["days_since_last_order"] == 0
    assert render(local["segment_detail"]).startswith("Bought today")
    assert in_utc["days_since_last_order"] == 1  # what counting in UTC would say


def test_the_value_figures_as_of_a_chosen_day_leave_later_orders_out(
    engine: Engine, shop: dict[str, int]
) -> None:
    # AS_OF - 10 days is 22 May 00:00 UTC = 07:00 in Jakarta: Ani's latest order. As of the
    # end of 21 May (Jakarta) only her order of 40 days before counts.
    with session_scope(engine, write=False) as s:
        before = customer_values_as_of(s, date(2026, 5, 21), SETTINGS).frame
        on_the_day = customer_values_as_of(s, date(2026, 5, 22), SETTINGS).frame
    assert before.loc[shop["Ani"], "orders"] == 1
    assert before.loc[shop["Ani"], "days_since_last_order"] == 29  # 22 April to 21 May
    assert on_the_day.loc[shop["Ani"], "orders"] == 2
    assert on_the_day.loc[shop["Ani"], "days_since_last_order"] == 0
    with session_scope(engine, write=False) as s:  # a tier migration's tiers alone: the same
        tiers = {d: tiers_as_of(s, d, SETTINGS) for d in (date(2026, 5, 21), date(2026, 5, 22))}
    pd.testing.assert_series_equal(tiers[date(2026, 5, 21)], before["value_tier"])
    pd.testing.assert_series_equal(tiers[date(2026, 5, 22)], on_the_day["value_tier"])
    assert tiers[date(2026, 5, 22)][shop["Citra"]] == "No purchases yet"


def test_on_demo_data_no_lapsed_customer_reads_low_and_one_order_customers_can_be_gone(
    engine: Engine,
) -> None:
    as_of = datetime(2026, 3, 1)
    seed(engine, size_for(300), as_of=as_of)
    with session_scope(engine, write=False) as s:
        table = customer_values(s, as_of, ValueSettings())
        stages = {i: st.value for i, st in s.execute(select(Customer.id, Customer.lifecycle_stage))}
    frame = table.frame
    assert table.clv_note is None  # the models fit the demo history
    lapsed = frame["rfm_segment"].isin(["At Risk", "Cannot Lose Them", "Hibernating", "Lost"])
    churned = frame.index.map(stages.get) == "churned"
    bought = frame["orders"] > 0
    assert lapsed.sum() > 20 and (churned & bought).sum() > 10
    assert not (frame.loc[lapsed, "risk_band"] == "Low").any()
    assert (frame.loc[churned & bought, "risk_band"] == "High").all()
    late = frame["days_since_last_order"] > 2 * frame["usual_gap_days"]
    assert not (frame.loc[late, "risk_band"] == "Low").any()
    once = frame["orders"] == 1
    assert frame.loc[once, "p_alive"].lt(1).all() and frame.loc[once, "p_alive"].min() < 0.5
    assert (frame.loc[~bought, "value_tier"] == "No purchases yet").all()
