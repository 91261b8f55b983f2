"""The Overview's hand-made business (March 2026 against the 31 days before it), written row
by row with the times the figures count, so each figure can be walked by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from crm_core.kernel.permissions import Actor
from crm_core.models import (
    Customer,
    Interaction,
    Lead,
    LeadStageChange,
    Order,
    OrderItem,
    Product,
    Ticket,
)
from crm_core.models.enums import (
    Channel,
    Direction,
    LeadSource,
    LeadStage,
    OrderStatus,
    SalesChannel,
    TicketCategory,
    TicketStatus,
)
from crm_core.overview.dashboard import Filters

MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 15, 5, 0)  # naive UTC, as stored; 12:00 in Jakarta


def at(day: str, hour: int = 5) -> datetime:
    """A stored moment: `day` at `hour` UTC (midday in Jakarta by default)."""
    return datetime.fromisoformat(day).replace(hour=hour)


def business(s: Session, manager: Actor, sales: Actor, support: Actor) -> dict[str, int]:
    """Four customers, six orders, five leads, four tickets, three touchpoints."""
    ids: dict[str, int] = {}
    people = {
        "ani": ("Ani", "Jawa Barat", sales.id, "2025-06-01"),
        "budi": ("Budi", "Bali", manager.id, "2026-03-05"),
        "citra": ("Citra", "Jawa Barat", sales.id, "2026-02-10"),
        "dewi": ("Dewi", "Bali", None, "2025-01-01"),
    }
    for key, (name, region, owner, created) in people.items():
        row = Customer(name=name, region=region, owner_id=owner, created_at=at(created))
        s.add(row)
        s.flush()
        ids[key] = row.id
    product = Product(sku="TEH-1", name="Teh", category="drinks", price=Decimal(1), unit_cost=0)
    s.add(product)
    s.flush()
    for who, day, quantity, price, cost, discount, status in (
        ("ani", "2026-03-02", 1, 100_000, 60_000, 10_000, OrderStatus.COMPLETED),
        ("budi", "2026-03-10", 2, 50_000, 20_000, 0, OrderStatus.COMPLETED),
        ("budi", "2026-03-12", 1, 70_000, 10_000, 0, OrderStatus.CANCELLED),  # not a sale
        ("citra", "2026-02-15", 1, 200_000, 150_000, 0, OrderStatus.COMPLETED),
        ("dewi", "2025-12-10", 1, 80_000, 40_000, 0, OrderStatus.COMPLETED),
        ("ani", "2025-11-20", 1, 50_000, 30_000, 0, OrderStatus.COMPLETED),
    ):
        order = Order(customer_id=ids[who], ordered_at=at(day), channel=SalesChannel.ONLINE,
                      status=status, discount=Decimal(discount))  # fmt: skip
        s.add(order)
        s.flush()
        s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=quantity,
                        unit_price=Decimal(price), unit_cost=Decimal(cost)))  # fmt: skip
    _leads(s, manager, sales, ids)
    _tickets(s, support, ids)
    for day in ("2026-03-03", "2026-03-04", "2026-02-20"):
        s.add(Interaction(customer_id=ids["ani"], channel=Channel.PHONE,
                          direction=Direction.OUTBOUND, subject="Call", occurred_at=at(day),
                          user_id=sales.id))  # fmt: skip
    s.flush()
    return ids


def _leads(s: Session, manager: Actor, sales: Actor, ids: dict[str, int]) -> None:
    won, lost, new = LeadStage.WON, LeadStage.LOST, LeadStage.NEW
    rows: list[tuple[str, int, LeadStage, int, str, str | None, list[tuple[str, LeadStage]]]] = [
        ("L1", sales.id, won, 500_000, "2026-02-20", "2026-03-05", [("2026-03-05", won)]),
        ("L2", sales.id, lost, 300_000, "2026-03-03", "2026-03-20",
         [("2026-03-03", new), ("2026-03-20", lost)]),
        ("L3", sales.id, LeadStage.QUALIFIED, 1_000_000, "2026-03-10", None, [("2026-03-10", new)]),
        ("L4", manager.id, LeadStage.PROPOSAL, 200_000, "2026-01-05", None, []),
        ("L5", sales.id, won, 400_000, "2026-01-10", "2026-02-10", [("2026-02-10", won)]),
    ]  # fmt: skip
    for name, owner, stage, value, created, closed, moves in rows:
        lead = Lead(name=name, source=LeadSource.WEBSITE, stage=stage, value=Decimal(value),
                    owner_id=owner, created_at=at(created), region="Bali",
                    closed_at=at(closed) if closed else None,
                    expected_close=date(2026, 4, 10) if closed is None else None)  # fmt: skip
        s.add(lead)
        s.flush()
        for day, to in moves:
            s.add(LeadStageChange(lead_id=lead.id, to_stage=to, changed_at=at(day)))


def _tickets(s: Session, support: Actor, ids: dict[str, int]) -> None:
    def ticket(created: datetime, **data: Any) -> None:
        s.add(Ticket(customer_id=ids["ani"], subject="Paket", channel=Channel.EMAIL,
                     category=TicketCategory.DELIVERY, assignee_id=support.id,
                     created_at=created, **data))  # fmt: skip

    done = TicketStatus.RESOLVED
    # T1: answered in 1 working hour, resolved in 9, both on time; rated 5.
    ticket(at("2026-03-02"), status=done, first_response_at=at("2026-03-02", 6),
           first_response_due=at("2026-03-02", 9), resolved_at=at("2026-03-03"),
           resolution_due=at("2026-03-04"), csat=5)  # fmt: skip
    # T2: answered late (9 working hours: Thu 12-17, Fri 8-12), resolved in 14; rated 3.
    ticket(at("2026-03-05"), status=done, first_response_at=at("2026-03-06"),
           first_response_due=at("2026-03-05", 8), resolved_at=at("2026-03-07"),
           resolution_due=at("2026-03-08"), csat=3)  # fmt: skip
    # T3: still open, both due times passed.
    ticket(at("2026-03-20"), status=TicketStatus.OPEN, first_response_due=at("2026-03-20", 6),
           resolution_due=at("2026-03-25"))  # fmt: skip
    # T4: the previous period's, on time, rated 4.
    ticket(at("2026-02-10"), status=done, first_response_at=at("2026-02-10", 6),
           first_response_due=at("2026-02-10", 9), resolved_at=at("2026-02-11"),
           resolution_due=at("2026-02-12"), csat=4)  # fmt: skip
