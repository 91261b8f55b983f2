"""The customer timeline on a real database (SQLite and PostgreSQL): one feed, newest first."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session

from crm_core.customers import timeline
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import (
    Campaign,
    CampaignMember,
    Interaction,
    Lead,
    LeadStageChange,
    Order,
    OrderItem,
    Product,
    Ticket,
    TicketEvent,
)
from crm_core.models.enums import (
    Channel,
    Direction,
    LeadSource,
    LeadStage,
    SalesChannel,
    TicketCategory,
    TicketEventKind,
)
from db.session import session_scope
from support import a_customer

DAY = datetime(2026, 3, 1, 9, 0)


def interaction(customer_id: int, at: datetime, subject: str, **extra: object) -> Interaction:
    values = {"channel": Channel.PHONE, "direction": Direction.OUTBOUND, **extra}
    return Interaction(customer_id=customer_id, occurred_at=at, subject=subject, **values)


def an_order(s: Session, customer_id: int, at: datetime, channel: SalesChannel) -> Order:
    product = Product(sku=f"KOPI-{at:%d%H}", name="Kopi", category="coffee", price=1, unit_cost=1)
    order = Order(customer_id=customer_id, ordered_at=at, channel=channel, discount=Decimal(10000))
    s.add_all([product, order])
    s.flush()
    s.add_all(
        [
            OrderItem(order_id=order.id, product_id=product.id, quantity=2, unit_price=100000,
                      unit_cost=60000),
            OrderItem(order_id=order.id, product_id=product.id, quantity=1, unit_price=50000,
                      unit_cost=30000),
        ]
    )  # fmt: skip
    return order


def every_kind(engine: Engine, customer_id: int, lead_owner: Actor) -> None:
    """One row of each source, a day apart: interaction, order, ticket + event, lead, campaign."""
    with session_scope(engine) as s:
        s.add(interaction(customer_id, DAY, "Reorder reminder call", duration_minutes=12))
        an_order(s, customer_id, DAY + timedelta(days=1), SalesChannel.STORE)
        ticket = Ticket(customer_id=customer_id, subject="Late delivery", channel=Channel.CHAT,
                        category=TicketCategory.DELIVERY)  # fmt: skip
        ticket.created_at = DAY + timedelta(days=2)
        lead = Lead(name="Kantor Budi", source=LeadSource.REFERRAL, owner_id=lead_owner.id,
                    converted_customer_id=customer_id)  # fmt: skip
        campaign = Campaign(name="Ramadan promo", channel=Channel.EMAIL)
        s.add_all([ticket, lead, campaign])
        s.flush()
        s.add_all(
            [
                TicketEvent(ticket_id=ticket.id, at=DAY + timedelta(days=3),
                            kind=TicketEventKind.STATUS, from_value="new", to_value="open"),
                LeadStageChange(lead_id=lead.id, from_stage=LeadStage.NEW,
                                to_stage=LeadStage.WON, changed_at=DAY + timedelta(days=4)),
                CampaignMember(campaign_id=campaign.id, customer_id=customer_id, variant="A",
                               sent_at=DAY + timedelta(days=5),
                               responded_at=DAY + timedelta(days=6)),
            ]
        )  # fmt: skip


def test_every_touchpoint_appears_once_in_one_feed_newest_first(
    engine: Engine, manager: Actor
) -> None:
    customer_id = a_customer(engine, manager)
    every_kind(engine, customer_id, manager)
    with session_scope(engine, write=False) as s:
        feed = timeline.customer_timeline(s, manager, customer_id, limit=50)
    assert list(feed.columns) == ["at", "kind", "channel", "title", "detail", "ref_id"]
    assert [render(x) for x in feed["title"]] == [
        "Record created by Manager",  # created now, after the history added by hand
        "Campaign responded: Ramadan promo",
        "Campaign sent: Ramadan promo",
        "Lead Kantor Budi: new → won",
        f"Ticket #{feed['ref_id'][4]} · status",
        f"Ticket #{feed['ref_id'][4]} opened: Late delivery",
        f"Order #{feed['ref_id'][6]} · completed",
        "Reorder reminder call",
    ]
    assert list(feed["kind"]) == [
        "change", "campaign", "campaign", "lead", "ticket", "ticket", "order", "interaction",
    ]  # fmt: skip
    assert list(feed["at"][1:]) == [DAY + timedelta(days=d) for d in (6, 5, 4, 3, 2, 1, 0)]
    # 2 x 100,000 + 1 x 50,000 - 10,000 discount; English writes Rupiah with commas
    assert render(feed["detail"][6]) == "2 items · Rp 240,000"
    assert render(feed["detail"][6], "id") == "2 barang · Rp 240.000"
    assert render(feed["detail"][4]) == "new → open"
    assert render(feed["detail"][7]) == "outbound · 12 min"
    assert render(feed["title"][3], "id") == "Prospek Kantor Budi: Baru → Berhasil"
    assert list(feed["channel"][1:]) == [
        "email", "email", "", "chat", "chat", "store", "phone",
    ]  # fmt: skip


def test_pages_of_the_feed_join_into_the_whole_feed_without_gaps_or_repeats(
    engine: Engine, manager: Actor
) -> None:
    customer_id = a_customer(engine, manager)
    with session_scope(engine) as s:
        for n in range(60):  # interactions every hour, an order every 7th hour at the same time
            s.add(interaction(customer_id, DAY + timedelta(hours=n), f"Call {n}"))
            if n % 7 == 0:
                an_order(s, customer_id, DAY + timedelta(hours=n), SalesChannel.ONLINE)
    with session_scope(engine, write=False) as s:
        whole = timeline.customer_timeline(s, manager, customer_id, limit=500)
        pages = [timeline.timeline_page(s, manager, customer_id, page=p, size=25) for p in range(3)]
    assert len(whole) == 60 + 9 + 1  # interactions, orders, the "created" change
    assert [len(p.rows) for p in pages] == [25, 25, 20]
    assert [p.has_older for p in pages] == [True, True, False]
    joined = [(r.kind, r.ref_id) for p in pages for r in p.rows.itertuples()]
    assert joined == [(r.kind, r.ref_id) for r in whole.itertuples()]
    assert whole["at"].is_monotonic_decreasing


def test_kinds_and_channels_narrow_the_feed(engine: Engine, manager: Actor) -> None:
    customer_id = a_customer(engine, manager)
    every_kind(engine, customer_id, manager)
    with session_scope(engine) as s:
        s.add(interaction(customer_id, DAY, "Visited the shop", channel=Channel.STORE))
    with session_scope(engine, write=False) as s:
        orders = timeline.customer_timeline(s, manager, customer_id, kinds={"order"})
        phone = timeline.customer_timeline(s, manager, customer_id, channels={"phone"})
        store = timeline.customer_timeline(s, manager, customer_id, channels={"store"})
        nothing = timeline.customer_timeline(
            s, manager, customer_id, kinds={"lead"}, channels={"chat"}
        )
    assert list(orders["kind"]) == ["order"]
    assert [render(x) for x in phone["title"]] == ["Reorder reminder call"]
    assert sorted(store["kind"]) == ["interaction", "order"]  # "store" is a channel of both
    assert nothing.empty and list(nothing.columns) == timeline.COLUMNS


def test_a_sales_user_sees_no_lead_moves_of_leads_owned_by_someone_else(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    customer_id = a_customer(engine, manager)
    every_kind(engine, customer_id, lead_owner=manager)
    with session_scope(engine, write=False) as s:
        as_manager = timeline.customer_timeline(s, manager, customer_id, kinds={"lead"})
        as_sales = timeline.customer_timeline(s, sales, customer_id, kinds={"lead"})
    assert (len(as_manager), len(as_sales)) == (1, 0)


def test_deleted_interactions_and_other_customers_rows_stay_out(
    engine: Engine, manager: Actor
) -> None:
    mine, theirs = a_customer(engine, manager), a_customer(engine, manager, name="Siti Rahma")
    with session_scope(engine) as s:
        s.add_all(
            [
                interaction(mine, DAY, "Kept"),
                interaction(mine, DAY, "Deleted", deleted_at=DAY),
                interaction(theirs, DAY, "Someone else's"),
            ]
        )
    with session_scope(engine, write=False) as s:
        feed = timeline.customer_timeline(s, manager, mine, kinds={"interaction"})
    assert [render(x) for x in feed["title"]] == ["Kept"]


def test_a_customer_with_ten_thousand_events_is_read_a_page_at_a_time(
    engine: Engine, manager: Actor
) -> None:
    customer_id = a_customer(engine, manager)
    rows = [
        {"customer_id": customer_id, "channel": Channel.CHAT, "direction": Direction.INBOUND,
         "subject": f"Chat {n}", "occurred_at": DAY + timedelta(minutes=n)}
        for n in range(10_000)
    ]  # fmt: skip
    with session_scope(engine) as s:
        s.execute(insert(Interaction), rows)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine, write=False) as s:
            first = timeline.timeline_page(s, manager, customer_id)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [render(x) for x in first.rows["title"][:3]] == [
        "Record created by Manager",
        "Chat 9999",
        "Chat 9998",
    ]
    assert (len(first.rows), first.has_older) == (50, True)
    feed_queries = [q for q in statements if "ORDER BY" in q]
    assert len(feed_queries) == 9  # one per source
    assert all("LIMIT" in q for q in feed_queries)
