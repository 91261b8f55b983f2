"""Service's part of a customer's timeline (tickets opened, their events) and of a merge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select
from sqlalchemy.orm import Session

from crm_core.kernel.hooks import (
    MergeStep,
    TimelineKind,
    TimelineSource,
    by,
    joined,
    newest_first,
    on_channels,
    relink,
)
from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Ticket, TicketEvent, User
from crm_core.models.enums import Channel, Entity


def _of_ticket(actor: Actor, customer_id: int, channels: set[str] | None) -> list[Any] | None:
    """The WHERE of this customer's tickets the actor may read, or None: no wanted channel."""
    on_channel = on_channels(Ticket.channel, Channel, channels)
    if on_channel is None:
        return None
    return [
        Ticket.customer_id == customer_id,
        Ticket.deleted_at.is_(None),
        read_filter(actor, Entity.TICKET, Ticket.assignee_id),
        on_channel,
    ]


def _tickets(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    where = _of_ticket(actor, customer_id, channels)
    if where is None:
        return None
    t = Ticket
    stmt = newest_first(t.created_at, t.channel, t.id, t.id, t.subject, t.category, t.priority)
    return stmt.where(*where)


def _ticket_text(row: Row[Any]) -> tuple[Message, Message]:
    title = msg("timeline.ticket_opened", id=row.ref_id, subject=str(row.subject))
    return title, joined(row.category, row.priority)


def _ticket_events(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    where = _of_ticket(actor, customer_id, channels)
    if where is None:
        return None
    e = TicketEvent
    by = User.name.label("by")
    stmt = newest_first(
        e.at, Ticket.channel, Ticket.id, e.id, e.kind, e.from_value, e.to_value, e.body, by
    )
    stmt = stmt.join(Ticket, Ticket.id == e.ticket_id).outerjoin(User, User.id == e.actor_id)
    return stmt.where(*where)


def _ticket_event_text(row: Row[Any]) -> tuple[Message, Message]:
    moved = None
    if row.to_value:
        moved = msg("timeline.value_moved", old=row.from_value or "–", new=row.to_value)
    body = msg("format.text", text=str(row.body)) if row.body else None
    title = msg("timeline.ticket_event", id=row.ref_id, kind=row.kind)
    return title, joined(moved, by(row.by), body)


def _move_tickets(
    session: Session, actor: Actor, keep_id: int, merge_id: int, now: datetime
) -> dict[str, list[int]]:
    ids = (keep_id, merge_id)
    return {"tickets": relink(session, actor, Ticket, "customer_id", ids, now)}


TIMELINE = (
    TimelineSource(TimelineKind.TICKET, _tickets, _ticket_text),
    TimelineSource(TimelineKind.TICKET, _ticket_events, _ticket_event_text),
)
MERGE = MergeStep("service", _move_tickets)
