"""SLA targets per customer value tier on SQLite and PostgreSQL: a manager's own targets for
a tier, the due times of a new ticket from that tier's customer (worked out by hand across a
night, a public holiday and a weekend; WIB = UTC+7), the fallback to the priority default,
a priority change, the queue's at-risk state and the what-if replay."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from crm_core.models import AuditEntry, CustomerValue, Ticket
from crm_core.models.enums import Entity, Priority
from crm_core.service import figures, queues, sla, tickets
from db.session import session_scope
from support import a_customer

MOST_VALUABLE = "Most Valuable"


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text) - timedelta(hours=7)


def with_tier(engine: Engine, customer_id: int, tier: str) -> None:
    """The customer's stored value row as the refresher would leave it, with this tier."""
    money = dict.fromkeys(
        ("gross_revenue", "discounts", "cogs", "net_revenue", "gross_margin", "cost_to_serve",
         "profit"), 0,
    )  # fmt: skip
    with session_scope(engine) as s:
        s.add(
            CustomerValue(
                customer_id=customer_id,
                as_of=wib("2026-12-01 00:00"),
                computed_at=wib("2026-12-01 00:00"),
                refresh_id=1,
                orders=0,
                tickets=0,
                interactions=0,
                value_tier=tier,
                tier_reason="{}",
                **money,
            )
        )


def own_targets(engine: Engine, manager: Actor, **spans: tuple[int, int]) -> None:
    """The Most Valuable tier's own targets (working minutes) for some priorities."""
    data = {Priority(p): {"first_response_minutes": a, "resolution_minutes": b}
            for p, (a, b) in spans.items()}  # fmt: skip
    with session_scope(engine) as s:
        sla.save_policy(s, manager, sla.policy_version(s), data, MOST_VALUABLE)


def new_ticket(engine: Engine, actor: Actor, customer_id: int, at: str, priority: str) -> Ticket:
    with session_scope(engine) as s:
        values = {"customer_id": customer_id, "subject": "Tagihan ganda", "priority": priority}
        made = tickets.create_ticket(s, actor, values, now=wib(at)).ticket
        s.expunge(made)
        return made


def test_a_tier_with_its_own_targets_gets_them_and_other_priorities_fall_back(
    engine: Engine, manager: Actor
) -> None:
    valued, other = a_customer(engine, manager), a_customer(engine, manager, name="Sari Dewi")
    with_tier(engine, valued, MOST_VALUABLE)
    with_tier(engine, other, "Most Growable")
    own_targets(engine, manager, high=(30, 120), urgent=(15, 60))
    # Thursday 24 Dec 16:45: 15 min left that day; Christmas (Fri 25), the weekend.
    # Own High 30 min / 2 h: 15 min Thu + 15 min Mon -> 08:15; 15 min + 1 h 45 -> 09:45.
    mine = new_ticket(engine, manager, valued, "2026-12-24 16:45", "high")
    assert mine.customer_tier == MOST_VALUABLE
    assert (mine.first_response_due, mine.resolution_due) == (
        wib("2026-12-28 08:15"),
        wib("2026-12-28 09:45"),
    )
    # Another tier, the default High 1 h / 4 h: Mon 08:45 and 11:45.
    theirs = new_ticket(engine, manager, other, "2026-12-24 16:45", "high")
    assert theirs.customer_tier == "Most Growable"
    assert (theirs.first_response_due, theirs.resolution_due) == (
        wib("2026-12-28 08:45"),
        wib("2026-12-28 11:45"),
    )
    # Normal has no own target for the tier: the default 8 h / 24 h from creation,
    # 15 min + 7 h 45 -> Mon 15:45; 15 min + 9 h Mon + 9 h Tue + 5 h 45 Wed -> Wed 13:45.
    with session_scope(engine) as s:
        tickets.set_priority(s, manager, mine.id, mine.version, "normal", wib("2026-12-28 08:00"))
        moved = s.get_one(Ticket, mine.id)
        assert (moved.first_response_due, moved.resolution_due) == (
            wib("2026-12-28 15:45"),
            wib("2026-12-30 13:45"),
        )
        # Back to High: the tier's own target again, the night and the holiday still skipped.
        tickets.set_priority(s, manager, mine.id, moved.version, "high", wib("2026-12-28 08:00"))
        back = s.get_one(Ticket, mine.id)
        assert back.resolution_due == wib("2026-12-28 09:45")
    # No stored tier yet (never refreshed): the defaults. Saturday: the clock starts Monday
    # 08:00; Urgent 30 min / 2 h (the tier's own 15 min / 1 h is not its).
    unknown = a_customer(engine, manager, name="Wayan Putra")
    made = new_ticket(engine, manager, unknown, "2026-12-05 10:00", "urgent")
    assert made.customer_tier is None
    assert (made.first_response_due, made.resolution_due) == (
        wib("2026-12-07 08:30"),
        wib("2026-12-07 10:00"),
    )


def test_the_queue_and_the_what_if_measure_each_ticket_by_its_tiers_target(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    valued, other = a_customer(engine, manager), a_customer(engine, manager, name="Sari Dewi")
    with_tier(engine, valued, MOST_VALUABLE)
    own_targets(engine, manager, high=(30, 120))
    mine = new_ticket(engine, manager, valued, "2026-11-30 08:00", "high")
    theirs = new_ticket(engine, manager, other, "2026-11-30 08:00", "high")
    with session_scope(engine, write=False) as s:
        settings, policy = team_settings(s), sla.sla_policy(s)
        frame = queues.queue(
            s, manager, queues.Queue.OPEN, settings, policy, wib("2026-11-30 08:26")
        )
    states = dict(zip(frame["id"], frame["sla_state"], strict=True))
    # 4 of 30 minutes left (13 %) is at risk; 34 of 60 is on time.
    assert states == {mine.id: "at risk", theirs.id: "on time"}
    with session_scope(engine) as s:
        for made in (mine, theirs):  # both answered after 45 working minutes
            tickets.add_comment(
                s, manager, made.id, made.version, "Kami cek", reply=True,
                now=wib("2026-11-30 08:45"),
            )  # fmt: skip
    with session_scope(engine, write=False) as s:
        found = figures.tickets_frame(s, manager, wib("2026-11-30 00:00"), wib("2026-12-01 00:00"))
        high = Priority.HIGH
        # The default High to 40 min: the tier keeps its 30 (late), the other is late now too.
        to_40 = figures.what_if(s, found, settings, policy, high, sla.Target(40, 240))
        # The tier's own to 60 min: only its ticket is replayed, and it is on time then.
        tier_60 = figures.what_if(
            s, found, settings, policy, high, sla.Target(60, 120), MOST_VALUABLE
        )
    assert (to_40.tickets, to_40.first_response_now, to_40.first_response_then) == (2, 0.5, 1.0)
    assert (tier_60.tickets, tier_60.first_response_now, tier_60.first_response_then) == (
        1,
        1.0,
        0.0,
    )
    # The tier's targets: a manager's, audited by name.
    with session_scope(engine, write=False) as s:
        policy = sla.sla_policy(s)
        entry = s.scalar(
            select(AuditEntry)
            .where(AuditEntry.entity == Entity.SETTING)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    assert policy.target(Priority.HIGH, MOST_VALUABLE) == sla.Target(30, 120)
    assert policy.target(Priority.HIGH, "Below-Zero") == sla.Target(60, 240)
    assert policy[Priority.HIGH] == sla.Target(60, 240)
    assert entry is not None
    assert entry.changes == {"Most Valuable.high": {"old": None, "new": [30, 120]}}
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        sla.save_policy(s, support, sla.policy_version(s), {Priority.LOW: None}, MOST_VALUABLE)
    with session_scope(engine) as s, pytest.raises(ValidationError) as refused:
        sla.save_policy(s, manager, sla.policy_version(s), {Priority.LOW: None}, "Gold")
    assert set(refused.value.field_errors) == {"tier"}
    # None: the tier follows the default again.
    with session_scope(engine) as s:
        sla.save_policy(s, manager, sla.policy_version(s), {Priority.HIGH: None}, MOST_VALUABLE)
        assert sla.sla_policy(s).tiers == {}


def test_the_queue_and_the_period_read_each_customers_stored_tier_with_their_tickets(
    engine: Engine, manager: Actor
) -> None:
    """The pages no longer load every customer's stored figures for the tier column: the
    tier read in the tickets' own query is the one the whole table gave."""
    valued, unvalued = a_customer(engine, manager), a_customer(engine, manager)
    with_tier(engine, valued, MOST_VALUABLE)
    for customer in (valued, unvalued):
        new_ticket(engine, manager, customer, "2026-11-30 08:00", "high")
    start, end, now = wib("2026-11-30 00:00"), wib("2026-12-01 00:00"), wib("2026-11-30 09:00")
    with session_scope(engine, write=False) as s:
        settings, policy = team_settings(s), sla.sla_policy(s)
        table = pd.Series(
            dict(s.execute(select(CustomerValue.customer_id, CustomerValue.value_tier)).all())
        )
        for stored in (False, True):
            tiers = None if stored else table
            queue = queues.queue(
                s, manager, queues.Queue.OPEN, settings, policy, now, tiers=tiers,
                stored_tiers=stored,
            )  # fmt: skip
            period = figures.tickets_frame(s, manager, start, end, tiers, stored_tiers=stored)
            for frame in (queue, period):
                got = dict(zip(frame["customer_id"], frame["tier"], strict=True))
                assert got[valued] == MOST_VALUABLE and pd.isna(got[unvalued])
        only = queues.Filters(tiers=(MOST_VALUABLE,))
        picked = queues.queue(
            s, manager, queues.Queue.OPEN, settings, policy, now, only, stored_tiers=True
        )
        assert list(picked["customer_id"]) == [valued]
