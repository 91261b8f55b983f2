"""The orders on the Customer 360 and the Account 360 follow the amounts rule, per role:
admin and manager read every total, sales only those of the customers they own, support none;
an account's summed amounts only for who reads every one of its contacts' amounts."""

from __future__ import annotations

import argparse
import math
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from crm_core.customers import accounts
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, Order, OrderItem, Product
from crm_core.models.enums import SalesChannel
from db.session import session_scope
from support import a_customer, values_refreshed

DAY = datetime(2026, 3, 1, 9, 0)


def _orders(engine: Engine, customer_ids: list[int]) -> None:
    """One order of 2 x 50,000 less 5,000 (95,000) for each customer, a day apart."""
    with session_scope(engine) as s:
        product = Product(sku="K-1", name="Kopi", category="coffee", price=1, unit_cost=1)
        s.add(product)
        s.flush()
        for day, customer_id in enumerate(customer_ids, start=1):
            order = Order(customer_id=customer_id, channel=SalesChannel.STORE,
                          ordered_at=DAY.replace(day=day), discount=Decimal(5000))  # fmt: skip
            s.add(order)
            s.flush()
            s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=2,
                            unit_price=50000, unit_cost=30000))  # fmt: skip


def _link(engine: Engine, actor: Actor, customer_id: int, account_id: int) -> None:
    with session_scope(engine) as s:
        version = s.get(Customer, customer_id).version  # type: ignore[union-attr]
        accounts.link_customer(s, actor, customer_id, version, account_id)


def test_order_totals_and_account_sums_follow_the_amounts_rule_per_role(
    engine: Engine, admin: Actor, manager: Actor, sales: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        kopi = accounts.create_account(s, manager, {"name": "Kopi Jaya"}).id
    mine = a_customer(engine, sales, name="Ayu")  # owned by the salesperson
    theirs = a_customer(engine, manager, name="Budi")  # owned by the manager
    for contact in (mine, theirs):
        _link(engine, manager, contact, kopi)
    _orders(engine, [mine, theirs])
    # per role: the totals on the account page, newest first (Budi's, then Ayu's), and
    # whether the account's sums are shown
    expected = {
        admin: ([95000.0, 95000.0], True),
        manager: ([95000.0, 95000.0], True),
        sales: ([None, 95000.0], False),  # Budi is not theirs; Ayu is
        support: ([None, None], False),
    }
    with session_scope(engine, write=False) as s:
        for actor, (totals, sums) in expected.items():
            found = accounts.account_overview(s, actor, kopi)
            shown = [None if math.isnan(x) else x for x in found.orders["total"]]
            assert list(found.orders["customer"]) == ["Budi", "Ayu"]
            assert shown == totals, actor.role
            assert found.amounts is sums, actor.role
            own, _count = accounts.recent_orders(s, [mine], limit=5, actor=actor)
            readable = actor is not support
            assert (not math.isnan(own["total"].iloc[0])) is readable, actor.role


def test_an_account_sum_hides_every_amount_but_keeps_the_counts() -> None:
    import pandas as pd

    values = pd.DataFrame(
        {"net_revenue": [95000.0, 5.0], "profit": [30000.0, 1.0], "orders": [1, 2],
         "predicted_clv": [10.0, 2.0], "last_order_at": [DAY, DAY.replace(day=5)]},
        index=[1, 2],
    )  # fmt: skip
    shown = accounts.rolled_up(values, [1, 2])
    assert (shown["net_revenue"], shown["profit"], shown["orders"]) == (95005.0, 30001.0, 3)
    hidden = accounts.rolled_up(values, [1, 2], amounts=False)
    assert (hidden["net_revenue"], hidden["profit"], hidden["predicted_clv"]) == (None,) * 3
    last = DAY.replace(day=5)
    assert (hidden["orders"], hidden["buyers"], hidden["last_order_at"]) == (3, 2, last)


def test_the_export_holds_the_value_figures_with_amounts_only_for_who_may_read_them(
    engine: Engine, manager: Actor, sales: Actor, support: Actor, tmp_path: Path
) -> None:
    import manage
    from crm_core.customers import export

    mine = a_customer(engine, sales, name="Ayu")
    theirs = a_customer(engine, manager, name="Budi")
    _orders(engine, [mine, theirs])
    values_refreshed(engine)
    with session_scope(engine, write=False) as s:
        every = export.export_frame(s, manager, sort_by="name")
        as_sales = export.export_frame(s, sales, sort_by="name")
        as_support = export.export_frame(s, support, sort_by="name")
        bare = export.export_frame(s, manager, with_values=False)
    assert list(every.columns[-9:]) == list(export.VALUE_COLUMNS)
    assert list(every["name"]) == ["Ayu", "Budi"]
    # 2 x 50,000 less 5,000; margin 2 x 20,000 less the discount
    assert list(every["net_revenue"]) == [95000.0, 95000.0]
    assert list(every["historical_clv"]) == [35000.0, 35000.0]
    assert every["value_tier"].notna().all()  # (P(alive): no model fits two customers)
    assert as_sales["net_revenue"].isna().tolist() == [False, True]  # Budi is the manager's
    assert as_sales["historical_clv"].isna().tolist() == [False, True]
    assert as_support[list(export.MONEY)].isna().all().all()
    assert as_support["value_tier"].notna().all()  # the tier without the amounts
    assert "value_tier" not in bare.columns
    # manage.py export customers FILE --values: the same figures, in a spreadsheet's file
    target = tmp_path / "customers.csv"
    with session_scope(engine, write=False) as s:
        args = argparse.Namespace(file=str(target), separator=";")
        assert manage._export_values(s, manager, args) == 0
    lines = target.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID;Name;") and "Last order (Asia/Jakarta)" in lines[0]
    assert ";95000;" in lines[1] and lines[1].split(";")[1] == "Ayu"
