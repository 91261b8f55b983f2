"""Tickets through the write path: create (routed, with SLA due times), edit, comment or reply,
move status (Pending pauses the clock, reopening resumes it), priority (moves the due times),
assign or take; each change audited and kept in the ticket's event history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers
from crm_core.kernel import writepath
from crm_core.kernel.calendar import add_working_time, working_seconds_between
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.lookups import user_name
from crm_core.kernel.messages import Message, msg, to_json
from crm_core.kernel.permissions import (
    Action,
    Actor,
    Capability,
    may,
    require,
    require_capability,
)
from crm_core.kernel.settings import TeamSettings, team_settings
from crm_core.models import Customer, Ticket, TicketEvent, User, utcnow
from crm_core.models.enums import AuditAction, Entity, TicketEventKind, TicketStatus
from crm_core.service import routing, sla
from crm_core.service.inputs import (
    TICKET_CHANNELS,
    CommentIn,
    PriorityIn,
    StatusIn,
    TicketEditIn,
    TicketIn,
)

E = Entity.TICKET
Changes = dict[str, tuple[Any, Any]]
# Where a status may move to from each status; Resolved and Closed reopen to Open.
MOVES: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    TicketStatus.NEW: (
        TicketStatus.OPEN,
        TicketStatus.PENDING,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    ),
    TicketStatus.OPEN: (TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED),
    TicketStatus.PENDING: (TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED),
    TicketStatus.RESOLVED: (TicketStatus.OPEN, TicketStatus.CLOSED),
    TicketStatus.CLOSED: (TicketStatus.OPEN,),
}
# While a ticket is in one of these, its resolution clock stands still.
_STOPPED = (TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass(frozen=True)
class Created:
    ticket: Ticket
    routed: routing.Routed | None


def _event(
    session: Session,
    ticket_id: int,
    actor: Actor | None,
    kind: TicketEventKind,
    now: datetime,
    *,
    old: Any = None,
    new: Any = None,
    body: str | None = None,
) -> None:
    """One entry of the ticket's history, in the same transaction as the change it records."""
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            at=now,
            actor_id=actor.id if actor else None,
            kind=kind,
            from_value=None if old is None else str(old)[:40],
            to_value=None if new is None else str(new)[:40],
            body=body,
        )
    )


def create_ticket(
    session: Session,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    tier: str | None = None,
    now: datetime | None = None,
) -> Created:
    """A new ticket with its SLA due times, routed to the most suitable agent. `tier`: the
    customer's value tier (None: the stored one), whose own targets the due times follow and
    which sends Most Valuable customers to the most experienced; kept on the ticket."""
    now = now or utcnow()
    values = validate(TicketIn, data).model_dump()
    if values["channel"] not in TICKET_CHANNELS:
        raise ValidationError({"channel": msg("validation.one_of", choices=_channels())})
    customer = session.get(Customer, values["customer_id"])
    if customer is None or customer.deleted_at is not None:
        entity = Message("entity.customer")
        no = msg("validation.no_record", entity=entity, id=values["customer_id"])
        raise ValidationError({"customer_id": no})
    require(actor, E, Action.CREATE)
    if values["language"] is None and customer.preferred_language is not None:
        values["language"] = customer.preferred_language
    if tier is None:
        tier = customers.stored_tiers(session, [customer.id]).get(customer.id)
    policy = sla.sla_policy(session)
    settings, target = team_settings(session), policy.target(values["priority"], tier)
    routed = routing.route(session, values["category"], values["language"], tier)
    values |= {
        "status": TicketStatus.NEW,
        "created_at": now,
        "updated_at": now,
        "first_response_due": sla.first_response_due(settings, target, now),
        "resolution_due": sla.resolution_due(settings, target, now),
        "assignee_id": routed.agent_id if routed else None,
        "routing_reason": routed.reason_json if routed else None,
        "customer_tier": tier,
    }
    ticket = writepath.insert(session, actor, E, Ticket(), values)
    if routed is not None:
        _event(session, ticket.id, actor, TicketEventKind.ASSIGNMENT, now, new=routed.agent)
    return Created(ticket, routed)


def _channels() -> str:
    return ", ".join(c.value for c in TICKET_CHANNELS)


def _loaded(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    ticket = writepath.load(session, Ticket, ticket_id)
    require(actor, E, Action.UPDATE, ticket)
    return ticket


def edit_ticket(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    data: Mapping[str, Any],
    now: datetime | None = None,
) -> Changes:
    """Subject, description, channel, category and language as the agent corrects them."""
    now = now or utcnow()
    values = validate(TicketEditIn, data).model_dump()
    if values["channel"] not in TICKET_CHANNELS:
        raise ValidationError({"channel": msg("validation.one_of", choices=_channels())})
    ticket = _loaded(session, actor, ticket_id)
    old_category = ticket.category
    changes = writepath.update(session, actor, E, ticket, expected_version, values)
    if "category" in changes:
        _event(
            session,
            ticket.id,
            actor,
            TicketEventKind.CATEGORY,
            now,
            old=old_category,
            new=ticket.category,
        )
    return changes


def confirm_sender(
    session: Session, actor: Actor, ticket_id: int, expected_version: int
) -> Changes:
    """The agent has confirmed who wrote a ticket sent through the public form (a call to the
    number on file, say): it stops warning that anyone could have typed that email."""
    ticket = _loaded(session, actor, ticket_id)
    if not ticket.sender_unverified:
        return {}
    values = {"sender_unverified": False}
    return writepath.update(session, actor, E, ticket, expected_version, values)


def add_comment(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    body: str,
    *,
    reply: bool,
    now: datetime | None = None,
) -> Changes:
    """An internal note, or a reply to the customer: the first reply is the first response
    (and opens a new ticket)."""
    now = now or utcnow()
    held = validate(CommentIn, {"body": body, "reply": reply})
    ticket = _loaded(session, actor, ticket_id)
    values: dict[str, Any] = {}
    if held.reply and ticket.first_response_at is None:
        values["first_response_at"] = now
    if held.reply and ticket.status is TicketStatus.NEW:
        values["status"] = TicketStatus.OPEN
    old_status = ticket.status
    changes = writepath.update(session, actor, E, ticket, expected_version, values)
    if not changes:  # a note or a later reply changes no field: its trail is the comment
        noted = {"reply" if held.reply else "note": (None, held.body[:500])}
        writepath.record_event(session, actor, E, ticket.id, AuditAction.UPDATE, noted)
    kind = TicketEventKind.REPLY if held.reply else TicketEventKind.COMMENT
    _event(session, ticket.id, actor, kind, now, body=held.body)
    if "status" in changes:
        _event(
            session,
            ticket.id,
            actor,
            TicketEventKind.STATUS,
            now,
            old=old_status,
            new=ticket.status,
        )
    return changes


def change_status(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    status: str,
    now: datetime | None = None,
) -> Changes:
    """Move the ticket: Pending (or Resolved) stops the resolution clock, moving on from it
    starts it again with the working time it had left; Resolved stamps the resolution."""
    now = now or utcnow()
    new = validate(StatusIn, {"status": status}).status
    ticket = _loaded(session, actor, ticket_id)
    old = ticket.status
    if new == old:
        return {}
    if new not in MOVES[old]:
        raise ValidationError({"status": msg("ticket.no_move", old=old, new=new)})
    values: dict[str, Any] = {"status": new}
    settings = team_settings(session)
    if old in _STOPPED and new not in _STOPPED:  # resumed: the due time moves on
        values["resolution_due"] = resumed_due(settings, ticket, now)
        values["paused_at"] = None
    if new in _STOPPED and old not in _STOPPED:
        values["paused_at"] = now
    if new in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None:
        values["resolved_at"] = now
    if new is TicketStatus.OPEN:
        values["resolved_at"] = None
    changes = writepath.update(session, actor, E, ticket, expected_version, values)
    _event(session, ticket.id, actor, TicketEventKind.STATUS, now, old=old, new=new)
    return changes


def resumed_due(settings: TeamSettings, ticket: Ticket, now: datetime) -> datetime | None:
    """The resolution due time after a pause from `paused_at` to now: moved on by the working
    time the clock had left when it stopped (nothing, if it stopped already past due)."""
    due, since = ticket.resolution_due, ticket.paused_at
    if due is None or since is None or since >= due:
        return due
    left = working_seconds_between(settings, since, due)
    return add_working_time(settings, max(now, since), timedelta(seconds=left))


def pauses(session: Session, ticket_id: int) -> list[tuple[datetime, datetime]]:
    """The ticket's closed spans with the clock stopped (Pending, or Resolved then reopened),
    from its status history."""
    rows = session.execute(
        select(TicketEvent.at, TicketEvent.to_value)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == TicketEventKind.STATUS)
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    spans: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    for at, to_value in rows:
        stopped = to_value in {s.value for s in _STOPPED}
        if stopped and since is None:
            since = at
        elif not stopped and since is not None:
            spans.append((since, at))
            since = None
    return spans


def set_priority(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    priority: str,
    now: datetime | None = None,
) -> Changes:
    """A new priority moves both due times to its targets (the ticket's tier's own, where
    set), counted from creation (pauses still count as paused)."""
    now = now or utcnow()
    new = validate(PriorityIn, {"priority": priority}).priority
    ticket = _loaded(session, actor, ticket_id)
    old = ticket.priority
    if new == old:
        return {}
    target = sla.sla_policy(session).target(new, ticket.customer_tier)
    settings = team_settings(session)
    values: dict[str, Any] = {
        "priority": new,
        "first_response_due": sla.first_response_due(settings, target, ticket.created_at),
        "resolution_due": sla.resolution_due(
            settings, target, ticket.created_at, pauses(session, ticket.id)
        ),
    }
    changes = writepath.update(session, actor, E, ticket, expected_version, values)
    _event(session, ticket.id, actor, TicketEventKind.PRIORITY, now, old=old, new=new)
    return changes


def assign(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    assignee_id: int | None,
    now: datetime | None = None,
) -> Changes:
    """Give the ticket to an agent (a manager overriding routing), or take it yourself; the
    ticket then says who assigned it. Unassigning is a manager's move too."""
    now = now or utcnow()
    ticket = _loaded(session, actor, ticket_id)
    if assignee_id != actor.id:
        require_capability(actor, Capability.ASSIGN_TICKETS)
    if assignee_id is not None:
        role = session.scalar(select(User.role).where(User.id == assignee_id, User.active))
        if role is None or not may(role, (E, Action.UPDATE)):
            raise ValidationError({"assignee_id": msg("ticket.not_an_agent")})
    if assignee_id == ticket.assignee_id:
        return {}
    reason = (
        msg("routing.taken", by=actor.name)
        if assignee_id == actor.id
        else msg("routing.override", by=actor.name)
    )
    old_name = user_name(session, ticket.assignee_id)
    values = {"assignee_id": assignee_id, "routing_reason": to_json(reason)}
    changes = writepath.update(session, actor, E, ticket, expected_version, values)
    _event(
        session,
        ticket.id,
        actor,
        TicketEventKind.ASSIGNMENT,
        now,
        old=old_name,
        new=user_name(session, assignee_id),
    )
    return changes


def take(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    now: datetime | None = None,
) -> Changes:
    return assign(session, actor, ticket_id, expected_version, actor.id, now)


def bulk(
    session: Session,
    actor: Actor,
    versions: Mapping[int, int],
    *,
    status: str | None = None,
    priority: str | None = None,
    assignee_id: int | str | None = "keep",
    now: datetime | None = None,
) -> int:
    """One quick action on many tickets (id -> version read), all or nothing; returns how
    many changed. `assignee_id` "keep" leaves assignments as they are."""
    now = now or utcnow()
    changed = 0
    for ticket_id, version in versions.items():
        current, moved = version, False
        for apply in _quick_actions(status, priority, assignee_id):
            if apply(session, actor, ticket_id, current, now):
                moved = True
                current = session.get_one(Ticket, ticket_id).version
        changed += moved
    return changed


def _quick_actions(
    status: str | None, priority: str | None, assignee_id: int | str | None
) -> list[Any]:
    actions: list[Any] = []
    if assignee_id != "keep":
        target = assignee_id if isinstance(assignee_id, int) or assignee_id is None else None
        actions.append(lambda s, a, i, v, n: assign(s, a, i, v, target, n))
    if priority is not None:
        actions.append(lambda s, a, i, v, n: set_priority(s, a, i, v, priority, n))
    if status is not None:
        actions.append(lambda s, a, i, v, n: change_status(s, a, i, v, status, n))
    return actions


def merge_ticket(
    session: Session,
    actor: Actor,
    keep_id: int,
    duplicate_id: int,
    versions: Mapping[int, int],
    now: datetime | None = None,
) -> None:
    """Merge a duplicate into the ticket kept (the same customer's): the duplicate is closed
    and points to the kept one; its description joins the kept ticket as an internal note.
    `versions`: each ticket's id -> the version read."""
    now = now or utcnow()
    if keep_id == duplicate_id:
        raise ValidationError({"merge_id": msg("ticket.merge_self")})
    keep = _loaded(session, actor, keep_id)
    duplicate = _loaded(session, actor, duplicate_id)
    if keep.customer_id != duplicate.customer_id:
        raise ValidationError({"merge_id": msg("ticket.merge_other_customer")})
    if not keep.status.is_open:
        raise ValidationError({"merge_id": msg("ticket.merge_into_closed")})
    old = duplicate.status
    values: dict[str, Any] = {"status": TicketStatus.CLOSED, "paused_at": None}
    if duplicate.resolved_at is None:
        values["resolved_at"] = now
    writepath.update(session, actor, E, duplicate, versions[duplicate_id], values)
    writepath.update(session, actor, E, keep, versions[keep_id], {})  # its version: checked
    merged = {"merged_ticket": (None, duplicate.id)}
    writepath.record_event(session, actor, E, keep.id, AuditAction.MERGE, merged)
    _event(
        session, duplicate.id, actor, TicketEventKind.STATUS, now, old=old, new=TicketStatus.CLOSED
    )
    _event(session, duplicate.id, actor, TicketEventKind.MERGE, now, new=f"#{keep.id}")
    _event(
        session,
        keep.id,
        actor,
        TicketEventKind.MERGE,
        now,
        old=f"#{duplicate.id}",
        body=duplicate.body,
    )
