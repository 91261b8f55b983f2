"""What customers do without signing in: send a request through the public support form (it
becomes a ticket from the web, routed like any other), and follow it through their reply
link: read the replies the team sent (never an internal note) and answer, which reopens a
ticket waiting on them (Pending, or Resolved) and starts its clock again.

The reply link is per ticket, like the survey link: `reply?ticket=<id>&token=<secret>`, only
the secret's SHA-256 kept; a new link replaces the old one. A Closed ticket's link still
shows the conversation and takes no more messages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers
from crm_core.kernel import writepath
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, Capability, may, require
from crm_core.kernel.settings import team_settings
from crm_core.models import Customer, Ticket, TicketEvent, User, utcnow
from crm_core.models.enums import (
    AuditAction,
    Channel,
    Entity,
    LeadSource,
    TicketEventKind,
    TicketStatus,
)
from crm_core.service import tickets
from crm_core.service.inputs import CustomerMessageIn, RequestIn

E = Entity.TICKET
HONEYPOT = "website"
MESSAGES_PER_HOUR = 10  # a customer's messages on one ticket within an hour
_PUBLIC = (TicketEventKind.REPLY, TicketEventKind.CUSTOMER)  # what the customer reads
_REOPENED = (TicketStatus.PENDING, TicketStatus.RESOLVED)  # a customer's answer reopens


class TooManyRequests(CRMError):
    """The sender sent the hourly limit of requests already; nothing was written."""


class ReplyRefused(CRMError):
    """The reply link is wrong or replaced, its ticket closed, or too many messages came."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the public support form ---


def _receiver(session: Session) -> Actor | None:
    """Whom a request is written for: the first active user who assigns tickets (a manager),
    else the first who may create them."""
    users = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    for wanted in (Capability.ASSIGN_TICKETS, None):
        for user in users:
            if (wanted is None or may(user.role, wanted)) and may(user.role, (E, Action.CREATE)):
                return Actor(id=user.id, username=user.username, name=user.name, role=user.role)
    return None


def _customer(session: Session, receiver: Actor, held: RequestIn) -> int:
    """The customer with that email, else a new one (owned by nobody yet). The answer is the
    same either way: the form tells nobody whether an email is known."""
    found = session.scalar(
        select(Customer.id)
        .where(Customer.deleted_at.is_(None), Customer.email_normalized == held.email)
        .order_by(Customer.id)
        .limit(1)
    )
    if found is not None:
        return int(found)
    data = {
        "name": held.name,
        "email": held.email,
        "phone": held.phone,
        "owner_id": None,
        "source": LeadSource.WEB_FORM,
        "preferred_language": held.language,
    }
    return customers.create_customer(session, receiver, data, allow_duplicate=True).id


@dataclass(frozen=True)
class Sent:
    ticket_id: int
    token: str  # the reply link's secret, shown once to the sender


def submit_request(
    session: Session,
    data: Mapping[str, Any],
    sent_last_hour: int,
    limit: int = 5,
    now: datetime | None = None,
) -> Sent | None:
    """A ticket from the public form (None when the honeypot was filled: a bot, told
    nothing), from the web channel, routed, with its reply link. `sent_last_hour`: how many
    requests this sender (the page counts per address) sent in the past hour; at `limit` the
    request is refused."""
    if data.get(HONEYPOT):
        return None
    if sent_last_hour >= limit:
        raise TooManyRequests(msg("ticket.request_too_many"))
    held = validate(RequestIn, data)
    receiver = _receiver(session)
    if receiver is None:  # no active user at all: nobody could ever answer
        raise CRMError(msg("ticket.request_closed"))
    customer_id = _customer(session, receiver, held)
    values = {
        "customer_id": customer_id,
        "subject": held.subject,
        "body": held.body,
        "channel": Channel.WEB,
        "category": held.category,
        "language": held.language,
    }
    ticket = tickets.create_ticket(session, receiver, values, now=now).ticket
    token = secrets.token_urlsafe(24)
    # Nobody verified the email typed, and the sender now holds the reply link: the ticket
    # says so until an agent has confirmed who writes.
    values = {"reply_token_hash": _digest(token), "sender_unverified": True}
    writepath.update(session, receiver, E, ticket, ticket.version, values)
    return Sent(ticket.id, token)


# --- the customer's reply link ---


def reply_token(session: Session, actor: Actor, ticket_id: int, expected_version: int) -> str:
    """A new reply link's secret for the ticket (an earlier link stops working); only its
    hash is kept. The link is `reply?ticket=<id>&token=<this>`."""
    ticket = writepath.load(session, Ticket, ticket_id)
    require(actor, E, Action.UPDATE, ticket)
    if ticket.status is TicketStatus.CLOSED:
        raise ValidationError({"status": msg("ticket.reply_closed")})
    token = secrets.token_urlsafe(24)
    writepath.update(
        session, actor, E, ticket, expected_version, {"reply_token_hash": _digest(token)}
    )
    return token


def _by_link(session: Session, ticket_id: int, token: str) -> Ticket | None:
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None or ticket.deleted_at is not None or not token:
        return None
    stored = ticket.reply_token_hash
    return ticket if stored is not None and hmac.compare_digest(stored, _digest(token)) else None


@dataclass(frozen=True)
class Conversation:
    """What the customer's page shows: the request, and the messages both ways."""

    ticket_id: int
    subject: str
    status: TicketStatus
    created_at: datetime
    body: str | None
    messages: pd.DataFrame  # at, from_customer, by (the agent's name), body; oldest first

    @property
    def open_to_replies(self) -> bool:
        return self.status is not TicketStatus.CLOSED


def conversation(session: Session, ticket_id: int, token: str) -> Conversation | None:
    """The ticket as its customer reads it (None: the link is wrong or replaced): replies
    sent to them and their own messages only, never an internal note or the history."""
    ticket = _by_link(session, ticket_id, token)
    if ticket is None:
        return None
    rows = session.execute(
        select(TicketEvent.at, TicketEvent.kind, User.name, TicketEvent.body)
        .outerjoin(User, User.id == TicketEvent.actor_id)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(_PUBLIC))
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    messages = pd.DataFrame(
        [(at, kind is TicketEventKind.CUSTOMER, by, body) for at, kind, by, body in rows],
        columns=["at", "from_customer", "by", "body"],
    )
    return Conversation(
        ticket.id, ticket.subject, ticket.status, ticket.created_at, ticket.body, messages
    )


def reply_by_link(
    session: Session, ticket_id: int, token: str, body: str, now: datetime | None = None
) -> bool:
    """The customer's message through their link, into the ticket's conversation, written
    as the system (no staff acted) and audited. A ticket Pending on them, or Resolved, opens
    again and its resolution clock runs on from where it stopped. Returns whether it reopened."""
    now = now or utcnow()
    held = validate(CustomerMessageIn, {"body": body})
    ticket = _by_link(session, ticket_id, token)
    if ticket is None:
        raise ReplyRefused(msg("ticket.reply_link_closed"))
    if ticket.status is TicketStatus.CLOSED:
        raise ReplyRefused(msg("ticket.reply_closed"))
    recent = session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind == TicketEventKind.CUSTOMER,
            TicketEvent.at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= MESSAGES_PER_HOUR:
        raise ReplyRefused(msg("ticket.reply_too_many", n=MESSAGES_PER_HOUR))
    old = ticket.status
    values: dict[str, Any] = {}
    if old in _REOPENED:
        values = {
            "status": TicketStatus.OPEN,
            "resolution_due": tickets.resumed_due(team_settings(session), ticket, now),
            "paused_at": None,
            "resolved_at": None,
        }
    changes = {f: (getattr(ticket, f), v) for f, v in values.items() if getattr(ticket, f) != v}
    for field, value in values.items():
        setattr(ticket, field, value)
    ticket.updated_at = now
    session.flush()  # the version moves on: an agent's open form sees the message
    changes["customer_message"] = (None, held.body[:500])
    writepath.record_event(session, None, E, ticket.id, AuditAction.UPDATE, changes)
    session.add(
        TicketEvent(ticket_id=ticket.id, at=now, kind=TicketEventKind.CUSTOMER, body=held.body)
    )
    if values:
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                kind=TicketEventKind.STATUS,
                from_value=old.value,
                to_value=TicketStatus.OPEN.value,
            )
        )
    return bool(values)
