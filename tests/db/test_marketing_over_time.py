"""Customers over time on SQLite and PostgreSQL: who was lost, what they went through before
leaving (their last touchpoint's channel, tickets and CSAT); deleted customers left out; the
journey the full value refresh stores for the Segments page."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, update

from crm_core.customers import value_store
from crm_core.kernel.permissions import Actor
from crm_core.marketing import journey_store
from crm_core.marketing.cohorts import customer_journey
from crm_core.models import Customer, Interaction, Order, Ticket
from crm_core.models.enums import Channel, Direction, Priority, SalesChannel, TicketCategory
from db.session import session_scope
from tests.support import a_customer

AS_OF = datetime(2026, 6, 1)
WINDOW = 90


def days_ago(days: int) -> datetime:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def history(engine: Engine, manager: Actor) -> dict[str, int]:
    """Ani (the manager's) last ordered 150 days ago: lost, lapsed 60 days ago; a ticket rated 2
    before she lapsed and one rated 5 after; her last touchpoint an email. Budi ordered 10 days
    ago: not lost. Citra last ordered 300 days ago: lost, no touchpoint,
    no ticket."""
    ids = {
        "ani": a_customer(engine, manager, name="Ani", email="ani@example.com"),
        "budi": a_customer(engine, manager, name="Budi", email="budi@example.com"),
        "citra": a_customer(engine, manager, name="Citra"),
    }
    orders = [("ani", 200), ("ani", 150), ("budi", 10), ("citra", 300)]
    touches = [("ani", Channel.PHONE, 160), ("ani", Channel.EMAIL, 100), ("budi", Channel.CHAT, 5)]
    tickets = [("ani", 170, 2), ("ani", 30, 5), ("budi", 5, 1)]
    with session_scope(engine) as s:
        s.execute(insert(Order), [
            {"customer_id": ids[who], "ordered_at": days_ago(d), "channel": SalesChannel.ONLINE}
            for who, d in orders
        ])  # fmt: skip
        s.execute(insert(Interaction), [
            {"customer_id": ids[who], "channel": channel, "direction": Direction.OUTBOUND,
             "subject": "Hello", "occurred_at": days_ago(d)}
            for who, channel, d in touches
        ])  # fmt: skip
        s.execute(insert(Ticket), [
            {"customer_id": ids[who], "subject": "Late", "channel": Channel.EMAIL,
             "category": TicketCategory.DELIVERY, "priority": Priority.NORMAL,
             "created_at": days_ago(d), "csat": csat}
            for who, d, csat in tickets
        ])  # fmt: skip
    return ids


def test_lost_customers_with_their_tickets_and_last_touchpoint(
    engine: Engine, manager: Actor, history: dict[str, int]
) -> None:
    with session_scope(engine, write=False) as s:
        journey = customer_journey(s, manager, AS_OF, WINDOW)
    # Ani and Citra lost; only Ani had a ticket from 90 days before her last order until she
    # lapsed (the one rated 2; the one rated 5 came after she lapsed).
    assert journey.lost == {"lost": 2, "with_ticket": 1, "ticket_share": 0.5, "avg_csat": 2.0}
    assert journey.lost_channels.to_dict() == {"email": 1, "unknown": 1}
    # Ani's cohort is the month of her first order (200 days before 1 June: 13 November 2025).
    first = journey.cohorts[journey.cohorts["month"] == 0].set_index("cohort")["size"].to_dict()
    # Citra's 5 August 2025, Budi's 22 May 2026.
    assert first == {"2025-08": 1, "2025-11": 1, "2026-05": 1}


def test_a_deleted_customer_counts_nowhere(
    engine: Engine, manager: Actor, history: dict[str, int]
) -> None:
    with session_scope(engine) as s:
        s.execute(update(Customer).where(Customer.id == history["citra"]).values(deleted_at=AS_OF))
    with session_scope(engine, write=False) as s:
        journey = customer_journey(s, manager, AS_OF, WINDOW)
    assert journey.lost == {"lost": 1, "with_ticket": 1, "ticket_share": 1.0, "avg_csat": 2.0}
    assert journey.lost_channels.to_dict() == {"email": 1}
    assert "2025-08" not in set(journey.cohorts["cohort"])


def test_the_full_refresh_stores_the_journey_the_page_reads(
    engine: Engine, manager: Actor, history: dict[str, int]
) -> None:
    with session_scope(engine, write=False) as s:
        assert journey_store.stored_journey(s, manager, WINDOW) is None  # before any refresh
    value_store.refresh(partial(session_scope, engine), full=True, as_of=AS_OF)
    with session_scope(engine, write=False) as s:
        stored = journey_store.stored_journey(s, manager, WINDOW)
        computed = customer_journey(s, manager, AS_OF, WINDOW)
        # computed with another churn window: not what the page asks for
        assert journey_store.stored_journey(s, manager, 60) is None
    assert stored is not None
    assert (stored.as_of, stored.window_days) == (AS_OF, WINDOW)
    assert stored.lost == computed.lost == {
        "lost": 2, "with_ticket": 1, "ticket_share": 0.5, "avg_csat": 2.0,
    }  # fmt: skip
    assert stored.lost_channels.to_dict() == {"email": 1, "unknown": 1}
    pd.testing.assert_frame_equal(stored.cohorts, computed.cohorts, check_dtype=False)
    pd.testing.assert_frame_equal(stored.churn, computed.churn, check_dtype=False)
    assert stored.churn["rate"].isna().sum() == computed.churn["rate"].isna().sum() > 0


def test_the_customers_who_moved_tier_are_named_and_a_deleted_one_left_out(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    from crm_core.marketing.dashboard import moved_customers, tier_moves

    ani = a_customer(engine, manager, name="Ani *bold*", email="ani@example.com")
    budi = a_customer(engine, sales, name="Budi", email="budi@example.com")
    citra = a_customer(engine, manager, name="Citra", email="citra@example.com")
    dedi = a_customer(engine, manager, name="Dedi", email="dedi@example.com")
    with session_scope(engine) as s:
        s.execute(update(Customer).where(Customer.id == dedi).values(deleted_at=AS_OF))
    # Ani's first purchase, Budi's orders all returned, Citra stays, Dedi (deleted) moved.
    ids = [ani, budi, citra, dedi]
    before = pd.DataFrame(
        {"value_tier": ["No purchases yet", "Most Valuable", "Below-Zero", "Below-Zero"]}, index=ids
    )
    after = pd.DataFrame(
        {"value_tier": ["Most Growable", "No purchases yet", "Below-Zero", "Most Valuable"]},
        index=ids,
    )
    moves = tier_moves(before, after)
    with session_scope(engine) as s:
        named = moved_customers(s, manager, moves)
        first = moved_customers(s, sales, moves, limit=1)
    assert named.to_dict("records") == [
        {"customer_id": ani, "name": "Ani *bold*", "from": "No purchases yet",
         "to": "Most Growable", "direction": "up"},
        {"customer_id": budi, "name": "Budi", "from": "Most Valuable",
         "to": "No purchases yet", "direction": "down"},
    ]  # fmt: skip
    assert first["customer_id"].tolist() == [ani]  # ups first
