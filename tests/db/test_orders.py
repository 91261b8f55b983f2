"""Orders through the write path: an order and its lines are one audited insert, and an
import's orders are deleted with their lines, audited, or not at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from crm_core.customers import orders
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Order, OrderItem, Product
from crm_core.models.enums import AuditAction, Entity
from db.session import session_scope
from support import a_customer


def add_products(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        coffee = Product(sku="KOPI-250", name="Kopi 250 g", category="kopi",
                         price=Decimal("45000"), unit_cost=Decimal("30000"))  # fmt: skip
        tea = Product(sku="TEH-100", name="Teh 100 g", category="teh",
                      price=Decimal("20000"), unit_cost=Decimal("12000"))  # fmt: skip
        s.add_all([coffee, tea])
        s.flush()
        return coffee.id, tea.id


def an_order(customer_id: int, coffee: int, tea: int, **extra: object) -> dict[str, object]:
    lines = [{"product_id": coffee, "quantity": 2}, {"product_id": tea, "quantity": 1,
                                                     "unit_price": "18000"}]  # fmt: skip
    return {"customer_id": customer_id, "ordered_at": "2025-03-01T03:00", "channel": "store",
            "discount": "5000", "lines": lines, **extra}  # fmt: skip


def count(engine: Engine, model: type, *where: object) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def order_entries(engine: Engine, action: AuditAction) -> list[AuditEntry]:
    with session_scope(engine, write=False) as s:
        stmt = select(AuditEntry).where(
            AuditEntry.entity == Entity.ORDER, AuditEntry.action == action
        )
        return list(s.scalars(stmt.order_by(AuditEntry.id)))


def test_an_order_and_its_lines_are_one_insert_with_one_entry_listing_the_lines(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    coffee, tea = add_products(engine)
    with session_scope(engine) as s:
        order_id = orders.create_order(s, sales, an_order(customer_id, coffee, tea)).id
    assert count(engine, OrderItem, OrderItem.order_id == order_id) == 2
    (entry,) = order_entries(engine, AuditAction.CREATE)
    assert (entry.entity_id, entry.actor_id) == (order_id, sales.id)
    listed = [
        (
            line["product_id"],
            line["quantity"],
            Decimal(line["unit_price"]),
            Decimal(line["unit_cost"]),
        )
        for line in entry.changes["lines"]["new"]
    ]
    assert listed == [(coffee, 2, 45000, 30000), (tea, 1, 18000, 12000)]  # the typed price kept
    assert Decimal(entry.changes["total"]["new"]) == 103000  # 2 x 45,000 + 18,000 - 5,000
    assert Decimal(entry.changes["discount"]["new"]) == 5000


def test_a_refused_or_invalid_order_writes_neither_order_nor_lines_nor_entry(
    engine: Engine, sales: Actor, support: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    coffee, tea = add_products(engine)
    with pytest.raises(PermissionDenied, match=r"\(support\) cannot create orders"):
        with session_scope(engine) as s:
            orders.create_order(s, support, an_order(customer_id, coffee, tea))
    with pytest.raises(ValidationError, match="discount"), session_scope(engine) as s:
        orders.create_order(s, sales, an_order(customer_id, coffee, tea, discount="200000"))
    assert count(engine, Order) == count(engine, OrderItem) == 0
    assert order_entries(engine, AuditAction.CREATE) == []


def test_an_import_s_orders_are_deleted_with_their_lines_and_audited_or_not_at_all(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    customer_id = a_customer(engine, manager)
    coffee, tea = add_products(engine)
    with session_scope(engine) as s:
        first = orders.create_order(s, manager, an_order(customer_id, coffee, tea,
                                                         external_ref="INV-1"))  # fmt: skip
        second = orders.create_order(s, manager, an_order(customer_id, coffee, tea))
        versions = {first.id: 1, second.id: 1}
    with pytest.raises(PermissionDenied, match="cannot delete orders"), session_scope(engine) as s:
        orders.delete_imported(s, support, versions)
    with pytest.raises(ConflictError, match=f"order #{second.id}"), session_scope(engine) as s:
        orders.delete_imported(s, manager, {first.id: 1, second.id: 0})
    assert count(engine, Order) == 2 and count(engine, OrderItem) == 4
    with session_scope(engine) as s:
        assert orders.delete_imported(s, manager, versions) == 2
    assert count(engine, Order) == count(engine, OrderItem) == 0
    deleted = order_entries(engine, AuditAction.DELETE)
    assert [(e.entity_id, e.actor_id) for e in deleted] == [
        (first.id, manager.id),
        (second.id, manager.id),
    ]
    assert deleted[0].changes == {
        "external_ref": {"old": "INV-1", "new": None},
        "customer_id": {"old": customer_id, "new": None},
    }
