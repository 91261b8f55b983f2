"""What the ticket page shows: the ticket, its conversation and history, its SLA state and
routing reason, the customer's other open tickets; and the customers a new ticket may be for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.messages import Message, from_json
from crm_core.kernel.permissions import Action, Actor, Capability, may, read_filter, require
from crm_core.kernel.settings import team_settings
from crm_core.models import Customer, Ticket, TicketEvent, User
from crm_core.models.enums import Entity, TicketStatus
from crm_core.service import routing, sla
from crm_core.service.sla import SlaState, Target

E = Entity.TICKET


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket  # detached, every column loaded
    customer: str
    customer_owner_id: int | None  # whose customer: who may read their amounts (CLV)
    assignee: str | None
    target: Target
    state: SlaState
    reason: Message | None  # why it went to its assignee
    events: pd.DataFrame  # at, kind, by, from_value, to_value, body, oldest first
    other_open: pd.DataFrame  # the customer's other open tickets: id, subject, status, priority,
    # version


def ticket_detail(session: Session, actor: Actor, ticket_id: int, now: datetime) -> TicketDetail:
    ticket = writepath.load(session, Ticket, ticket_id)
    require(actor, E, Action.READ, ticket)
    customer, owner_id = session.execute(
        select(Customer.name, Customer.owner_id).where(Customer.id == ticket.customer_id)
    ).one()
    assignee = session.scalar(select(User.name).where(User.id == ticket.assignee_id))
    target = sla.sla_policy(session).target(ticket.priority, ticket.customer_tier)
    state = sla.ticket_state(
        team_settings(session),
        target,
        now,
        first_response_due=ticket.first_response_due,
        first_response_at=ticket.first_response_at,
        resolution_due=ticket.resolution_due,
        resolved_at=ticket.resolved_at,
        paused_at=ticket.paused_at,
    )
    events = pd.DataFrame(
        session.execute(
            select(
                TicketEvent.at,
                TicketEvent.kind,
                User.name,
                TicketEvent.from_value,
                TicketEvent.to_value,
                TicketEvent.body,
            )
            .outerjoin(User, User.id == TicketEvent.actor_id)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at, TicketEvent.id)
        ).all(),
        columns=["at", "kind", "by", "from_value", "to_value", "body"],
    )
    events["kind"] = events["kind"].map(str)
    # pandas 3 reads a text column's NULL as NaN: a page showed it as "nan" and took it for
    # true (`by or "the customer"`); keep None for what an event has not
    for column in ("by", "from_value", "to_value", "body"):
        events[column] = events[column].astype(object).where(events[column].notna(), None)
    other = pd.DataFrame(
        session.execute(
            select(Ticket.id, Ticket.subject, Ticket.status, Ticket.priority, Ticket.version)
            .where(
                Ticket.customer_id == ticket.customer_id,
                Ticket.id != ticket_id,
                Ticket.status.in_([s for s in TicketStatus if s.is_open]),
                Ticket.deleted_at.is_(None),
                read_filter(actor, E, Ticket.assignee_id),
            )
            .order_by(Ticket.created_at)
        ).all(),
        columns=["id", "subject", "status", "priority", "version"],
    )
    for column in ("status", "priority"):
        other[column] = other[column].map(str)
    reason = from_json(ticket.routing_reason) if ticket.routing_reason else None
    return TicketDetail(
        ticket, customer or "", owner_id, assignee, target, state, reason, events, other
    )


def assignable_agents(session: Session, actor: Actor) -> pd.DataFrame:
    """Who the actor may give tickets to (id, name, open load): every agent for a manager,
    else the actor alone (to take one)."""
    frame = routing.agents(session)[["id", "name", "open_load"]]
    if may(actor, Capability.ASSIGN_TICKETS):
        return frame.reset_index(drop=True)
    return frame[frame["id"] == actor.id].reset_index(drop=True)


def customer_choices(session: Session, text: str, limit: int = 20) -> pd.DataFrame:
    """Customers whose name, email or phone holds `text` (id, name, email), for a new ticket."""
    like = f"%{text.strip().lower()}%"
    stmt = (
        select(Customer.id, Customer.name, Customer.email)
        .where(
            Customer.deleted_at.is_(None),
            Customer.name.ilike(like)
            | Customer.email_normalized.like(like)
            | Customer.phone_normalized.like(like),
        )
        .order_by(Customer.name, Customer.id)
        .limit(limit)
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=["id", "name", "email"])
