"""The per-order summary (issue 8): an order keeps its lines' totals, written with it, and the
value figures read them instead of the lines; figures are the same whichever way they come."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, insert, select, update

from crm_core.customers import orders
from crm_core.customers import records as customers
from crm_core.customers.value import customer_values, order_amounts
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import ValueSettings
from crm_core.models import Order, OrderItem, Product
from crm_core.models.enums import SalesChannel
from db.migrate import alembic_config, upgrade
from db.session import session_scope

AS_OF = datetime(2026, 6, 1)
WHEN = AS_OF - timedelta(days=10)
SETTINGS = ValueSettings(cost_per_ticket=0, cost_per_interaction=0)
# Kopi Rp 12,500.50 (cost 7,000.25) x 2 and Teh Rp 30,000 (cost 18,000) x 1, Rp 5,000 off:
# gross 55,001.00, cost 32,000.50, net 50,001.00, gross margin (gross - cost, as
# crm_core.analytics.profitability defines it) 23,000.50.
LINES = [(1, 2, "12500.50", "7000.25"), (2, 1, "30000", "18000")]


def _products(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.execute(
            insert(Product),
            [
                {"id": p, "sku": f"P{p}", "name": f"P{p}", "category": "Drinks",
                 "price": Decimal(price), "unit_cost": Decimal(cost)}
                for p, _q, price, cost in LINES
            ],
        )  # fmt: skip


def _raw_order(engine: Engine, customer_id: int) -> int:
    """An order written around the write path (as the tests and old data do): no summary."""
    with session_scope(engine) as s:
        order_id = s.execute(
            insert(Order).returning(Order.id),
            [{"customer_id": customer_id, "ordered_at": WHEN, "channel": SalesChannel.ONLINE,
              "discount": Decimal(5000)}],
        ).scalar_one()  # fmt: skip
        s.execute(
            insert(OrderItem),
            [
                {"order_id": order_id, "product_id": p, "quantity": q,
                 "unit_price": Decimal(price), "unit_cost": Decimal(cost)}
                for p, q, price, cost in LINES
            ],
        )  # fmt: skip
        return int(order_id)


def _written_order(engine: Engine, manager: Actor, customer_id: int) -> int:
    with session_scope(engine) as s:
        data = {
            "customer_id": customer_id, "ordered_at": WHEN, "channel": SalesChannel.ONLINE,
            "discount": Decimal(5000),
            "lines": [{"product_id": p, "quantity": q} for p, q, _price, _cost in LINES],
        }  # fmt: skip
        return orders.create_order(s, manager, data).id


def _two_buyers(engine: Engine, manager: Actor) -> tuple[int, int]:
    with session_scope(engine) as s:
        ani = customers.create_customer(s, manager, {"name": "Ani"}).id
        budi = customers.create_customer(s, manager, {"name": "Budi"}).id
    _products(engine)
    return ani, budi


def test_the_write_path_stores_the_order_summary_with_the_order(
    engine: Engine, manager: Actor
) -> None:
    ani, _ = _two_buyers(engine, manager)
    order_id = _written_order(engine, manager, ani)
    with session_scope(engine, write=False) as s:
        row = s.execute(
            select(Order.gross_cents, Order.cost_cents).where(Order.id == order_id)
        ).one()
    assert tuple(row) == (5_500_100, 3_200_050)


def test_figures_are_the_same_from_the_summary_and_from_the_lines(
    engine: Engine, manager: Actor
) -> None:
    ani, budi = _two_buyers(engine, manager)
    _written_order(engine, manager, ani)  # summary
    _raw_order(engine, budi)  # no summary: its lines are summed
    with session_scope(engine, write=False) as s:
        frame = customer_values(s, AS_OF, SETTINGS).frame
    for who in (ani, budi):
        row = frame.loc[who]
        assert row["gross_revenue"] == 55_001.00
        assert row["discounts"] == 5_000.00
        assert row["cogs"] == 32_000.50
        assert row["net_revenue"] == 50_001.00
        assert row["gross_margin"] == 23_000.50
        assert row["orders"] == 1


def test_the_figures_read_the_summary_not_the_lines(engine: Engine, manager: Actor) -> None:
    ani, _ = _two_buyers(engine, manager)
    order_id = _written_order(engine, manager, ani)
    with session_scope(engine) as s:  # a summary that disagrees with the lines, on purpose
        s.execute(update(Order).where(Order.id == order_id).values(gross_cents=100, cost_cents=40))
    with session_scope(engine, write=False) as s:
        amounts = order_amounts(s, AS_OF)
    assert amounts[["gross", "cogs", "discount", "amount"]].iloc[0].tolist() == [
        1.00, 0.40, 5_000.00, -4_999.00
    ]  # fmt: skip


def test_an_order_without_lines_is_no_sale(engine: Engine, manager: Actor) -> None:
    ani, _ = _two_buyers(engine, manager)
    with session_scope(engine) as s:
        s.add(Order(customer_id=ani, ordered_at=WHEN, channel=SalesChannel.ONLINE))
    with session_scope(engine, write=False) as s:
        assert order_amounts(s, AS_OF).empty


def test_the_migration_backfills_the_summary_of_existing_orders(
    engine: Engine, manager: Actor
) -> None:
    ani, budi = _two_buyers(engine, manager)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0010_values")
    with session_scope(engine) as s:  # written before the summary existed
        order_id = s.execute(
            insert(Order).returning(Order.id),
            [{"customer_id": ani, "ordered_at": WHEN, "channel": SalesChannel.ONLINE}],
        ).scalar_one()
        s.execute(
            insert(OrderItem),
            [{"order_id": order_id, "product_id": 1, "quantity": 3,
              "unit_price": Decimal("12500.50"), "unit_cost": Decimal("7000.25")}],
        )  # fmt: skip
        empty_id = s.execute(
            insert(Order).returning(Order.id),
            [{"customer_id": budi, "ordered_at": WHEN, "channel": SalesChannel.ONLINE}],
        ).scalar_one()
    upgrade(engine)
    with session_scope(engine, write=False) as s:
        found = dict(
            (row[0], (row[1], row[2]))
            for row in s.execute(select(Order.id, Order.gross_cents, Order.cost_cents))
        )
    assert found == {order_id: (3_750_150, 2_100_075), empty_id: (None, None)}
