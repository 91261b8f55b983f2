"""One customer's touchpoints as one chronological feed, newest first, paged in SQL.

Each source (interactions, orders, tickets and their events, lead stage moves, campaign
sends, responses and conversions, changes to the customer record) is read newest first and
cut at `offset + limit` rows by its own index-backed query; the cut sources are merged in
pandas. A customer with 10,000 events therefore costs a few small queries, not a full scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import Row, Select, func, null, or_, select, true
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.money import format_money
from crm_core.kernel.permissions import Action, Actor, read_filter, require
from crm_core.models import (
    AuditEntry,
    Campaign,
    CampaignMember,
    Customer,
    Interaction,
    Lead,
    LeadStageChange,
    Order,
    OrderItem,
    Ticket,
    TicketEvent,
    User,
)
from crm_core.models.enums import Channel, SalesChannel

COLUMNS = ["at", "kind", "channel", "title", "detail", "ref_id"]
PAGE_SIZE = 50


class TimelineKind(StrEnum):
    INTERACTION = "interaction"
    ORDER = "order"
    TICKET = "ticket"
    LEAD = "lead"
    CAMPAIGN = "campaign"
    CHANGE = "change"  # the customer record itself: created, edited, merged, deleted, restored


# Interactions, tickets and campaigns speak Channel; orders speak SalesChannel ("store" is both).
CHANNELS: tuple[str, ...] = tuple(dict.fromkeys([*Channel, *SalesChannel]))
Query = Callable[[Actor, int, "set[str] | None"], "Select | None"]
Describe = Callable[[Row[Any]], tuple[str, str]]


@dataclass(frozen=True)
class TimelinePage:
    rows: pd.DataFrame
    has_older: bool


def customer_timeline(
    session: Session,
    actor: Actor,
    customer_id: int,
    kinds: set[str] | None = None,
    channels: set[str] | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> pd.DataFrame:
    """Rows `offset`..`offset + limit` of the feed, newest first: at, kind, channel, title,
    detail, ref_id (the interaction, order, ticket, lead, campaign or audit entry it is about).

    `kinds` keeps only those TimelineKind values; `channels` keeps only rows on those channels
    (so lead moves and record changes, whose channel is "", drop out). None means all.
    """
    customer = writepath.load(session, Customer, customer_id, deleted=True)
    require(actor, "customer", Action.READ, customer)
    rows: list[dict[str, Any]] = []
    for rank, (kind, query, describe) in enumerate(_SOURCES):
        stmt = query(actor, customer_id, channels) if kinds is None or kind in kinds else None
        if stmt is not None:
            rows += _fetch(session, stmt.limit(offset + limit), kind, rank, describe)
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    feed = pd.DataFrame(rows).sort_values(
        ["at", "rank", "row_id"], ascending=[False, True, False], kind="stable"
    )
    return feed.iloc[offset : offset + limit][COLUMNS].reset_index(drop=True)


def timeline_page(
    session: Session,
    actor: Actor,
    customer_id: int,
    kinds: set[str] | None = None,
    channels: set[str] | None = None,
    page: int = 0,
    size: int = PAGE_SIZE,
) -> TimelinePage:
    """Page `page` (0 = newest) of the feed, and whether older rows remain."""
    rows = customer_timeline(session, actor, customer_id, kinds, channels, size + 1, page * size)
    return TimelinePage(rows=rows.iloc[:size], has_older=len(rows) > size)


def _fetch(
    session: Session, stmt: Select, kind: TimelineKind, rank: int, describe: Describe
) -> list[dict[str, Any]]:
    fetched = []
    for row in session.execute(stmt):
        title, detail = describe(row)
        channel = "" if row.channel is None else str(row.channel)
        fetched.append(
            {"at": row.at, "kind": kind.value, "channel": channel, "title": title}
            | {"detail": detail, "ref_id": row.ref_id, "rank": rank, "row_id": row.row_id}
        )
    return fetched


def _newest_first(at: Any, channel: Any, ref_id: Any, row_id: Any, *extra: Any) -> Select:
    """A source's select in the feed's shape, newest first (ties: highest row id first)."""
    return select(
        at.label("at"),
        (null() if channel is None else channel).label("channel"),
        ref_id.label("ref_id"),
        row_id.label("row_id"),
        *extra,
    ).order_by(at.desc(), row_id.desc())


def _on_channels(column: Any, vocabulary: type[StrEnum], channels: set[str] | None) -> Any:
    """The WHERE on a channel column; None when none of the wanted channels is in its vocabulary."""
    if channels is None:
        return true()
    wanted = [member for member in vocabulary if member.value in channels]
    return column.in_(wanted) if wanted else None


def _joined(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _interactions(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
    on_channel = _on_channels(Interaction.channel, Channel, channels)
    if on_channel is None:
        return None
    i = Interaction
    stmt = _newest_first(
        i.occurred_at,
        i.channel,
        i.id,
        i.id,
        i.subject,
        i.direction,
        i.duration_minutes,
        i.notes,
        User.name.label("by"),
    )
    return stmt.outerjoin(User, User.id == i.user_id).where(
        i.customer_id == customer_id,
        i.deleted_at.is_(None),
        read_filter(actor, "interaction", i.user_id),
        on_channel,
    )


def _interaction_text(row: Row[Any]) -> tuple[str, str]:
    minutes = f"{row.duration_minutes} min" if row.duration_minutes else None
    return row.subject, _joined(str(row.direction), minutes, row.by and f"by {row.by}", row.notes)


def _orders(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
    on_channel = _on_channels(Order.channel, SalesChannel, channels)
    if on_channel is None:
        return None
    lines = select(OrderItem).where(OrderItem.order_id == Order.id)
    value = lines.with_only_columns(func.sum(OrderItem.quantity * OrderItem.unit_price))
    items = lines.with_only_columns(func.count(OrderItem.id))
    stmt = _newest_first(
        Order.ordered_at,
        Order.channel,
        Order.id,
        Order.id,
        Order.status,
        Order.discount,
        value.scalar_subquery().label("value"),
        items.scalar_subquery().label("items"),
    )
    return stmt.where(Order.customer_id == customer_id, Order.deleted_at.is_(None), on_channel)


def _order_text(row: Row[Any]) -> tuple[str, str]:
    total = (row.value or 0) - (row.discount or 0)
    items = f"{row.items} item{'' if row.items == 1 else 's'}"
    return f"Order #{row.ref_id} · {row.status}", _joined(items, format_money(total))


def _of_ticket(actor: Actor, customer_id: int, channels: set[str] | None) -> list[Any] | None:
    """The WHERE of this customer's tickets the actor may read, or None: no wanted channel."""
    on_channel = _on_channels(Ticket.channel, Channel, channels)
    if on_channel is None:
        return None
    return [
        Ticket.customer_id == customer_id,
        Ticket.deleted_at.is_(None),
        read_filter(actor, "ticket", Ticket.assignee_id),
        on_channel,
    ]


def _tickets(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
    where = _of_ticket(actor, customer_id, channels)
    if where is None:
        return None
    t = Ticket
    stmt = _newest_first(t.created_at, t.channel, t.id, t.id, t.subject, t.category, t.priority)
    return stmt.where(*where)


def _ticket_text(row: Row[Any]) -> tuple[str, str]:
    return f"Ticket #{row.ref_id} opened: {row.subject}", _joined(row.category, row.priority)


def _ticket_events(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
    where = _of_ticket(actor, customer_id, channels)
    if where is None:
        return None
    e = TicketEvent
    by = User.name.label("by")
    stmt = _newest_first(
        e.at, Ticket.channel, Ticket.id, e.id, e.kind, e.from_value, e.to_value, e.body, by
    )
    stmt = stmt.join(Ticket, Ticket.id == e.ticket_id).outerjoin(User, User.id == e.actor_id)
    return stmt.where(*where)


def _ticket_event_text(row: Row[Any]) -> tuple[str, str]:
    moved = f"{row.from_value or '–'} → {row.to_value}" if row.to_value else None
    return f"Ticket #{row.ref_id} · {row.kind}", _joined(moved, row.by and f"by {row.by}", row.body)


def _lead_moves(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
    if channels is not None:
        return None
    move = LeadStageChange
    stmt = _newest_first(
        move.changed_at,
        None,
        Lead.id,
        move.id,
        Lead.name,
        move.from_stage,
        move.to_stage,
        User.name.label("by"),
    )
    stmt = stmt.join(Lead, Lead.id == move.lead_id).outerjoin(User, User.id == move.actor_id)
    return stmt.where(
        or_(Lead.customer_id == customer_id, Lead.converted_customer_id == customer_id),
        Lead.deleted_at.is_(None),
        read_filter(actor, "lead", Lead.owner_id),
    )


def _lead_text(row: Row[Any]) -> tuple[str, str]:
    stage = f"{row.from_stage} → {row.to_stage}" if row.from_stage else f"opened as {row.to_stage}"
    return f"Lead {row.name}: {stage}", _joined(row.by and f"by {row.by}")


def _campaign_step(step: str) -> Query:
    at = getattr(CampaignMember, f"{step}_at")

    def query(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
        on_channel = _on_channels(Campaign.channel, Channel, channels)
        if on_channel is None:
            return None
        stmt = _newest_first(
            at,
            Campaign.channel,
            Campaign.id,
            CampaignMember.id,
            Campaign.name,
            CampaignMember.variant,
        )
        stmt = stmt.join(Campaign, Campaign.id == CampaignMember.campaign_id)
        return stmt.where(CampaignMember.customer_id == customer_id, at.is_not(None), on_channel)

    return query


def _campaign_text(step: str) -> Describe:
    return lambda row: (f"Campaign {step}: {row.name}", f"variant {row.variant}")


def _changes(actor: Actor, customer_id: int, channels: set[str] | None) -> Select | None:
    if channels is not None:
        return None
    a = AuditEntry
    stmt = _newest_first(a.at, None, a.id, a.id, a.action, a.changes, User.name.label("by"))
    stmt = stmt.outerjoin(User, User.id == a.actor_id)
    return stmt.where(a.entity == "customer", a.entity_id == customer_id)


def _change_text(row: Row[Any]) -> tuple[str, str]:
    title = f"Record {row.action}d by {row.by or 'the system'}"
    # The title already says deleted or restored; normalised copies repeat the typed values.
    changes = {
        f: d
        for f, d in (row.changes or {}).items()
        if f != "deleted_at" and not f.endswith("_normalized")
    }
    return title, "; ".join(_diff_text(f, d) for f, d in changes.items())


def _diff_text(field: str, diff: Any) -> str:
    old, new = (diff.get("old"), diff.get("new")) if isinstance(diff, dict) else (None, diff)
    if field == "merged_customer":
        return f"customer #{new} merged into this one"
    if field == "merged_into_id":
        return f"merged into customer #{new}"
    if isinstance(new, list) and field.startswith(("moved_", "dropped_")):
        verb, _, what = field.partition("_")
        return f"{what.replace('_', ' ')}: {len(new)} {verb}"
    return f"{field}: {'–' if old in (None, '', []) else old} → {'–' if new is None else new}"


_SOURCES: tuple[tuple[TimelineKind, Query, Describe], ...] = (
    (TimelineKind.INTERACTION, _interactions, _interaction_text),
    (TimelineKind.ORDER, _orders, _order_text),
    (TimelineKind.TICKET, _tickets, _ticket_text),
    (TimelineKind.TICKET, _ticket_events, _ticket_event_text),
    (TimelineKind.LEAD, _lead_moves, _lead_text),
    *(
        (TimelineKind.CAMPAIGN, _campaign_step(step), _campaign_text(step))
        for step in ("sent", "responded", "converted")
    ),
    (TimelineKind.CHANGE, _changes, _change_text),
)
