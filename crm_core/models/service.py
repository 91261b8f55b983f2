"""Customer-service tickets, with SLA due times and CSAT, and their event history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, SoftDeletable, Versioned, enum_column, utcnow
from crm_core.models.enums import (
    ArticleKind,
    Channel,
    Entity,
    Language,
    Priority,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)


class Ticket(Versioned, SoftDeletable, Base):
    __tablename__ = "tickets"
    ENTITY = Entity.TICKET

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    category: Mapped[TicketCategory] = mapped_column(enum_column(TicketCategory))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus), default=TicketStatus.NEW
    )
    language: Mapped[str | None] = mapped_column(String(8))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    csat: Mapped[int | None]
    csat_comment: Mapped[str | None] = mapped_column(Text)
    csat_at: Mapped[datetime | None]
    # Why routing chose the assignee: a message code as JSON (crm_core.kernel.messages).
    routing_reason: Mapped[str | None] = mapped_column(Text)
    # Since when the SLA clock stands still (Pending on the customer); None: it runs.
    paused_at: Mapped[datetime | None]
    # SHA-256 of the one open survey link's token; None once rated (single use) or never sent.
    survey_token_hash: Mapped[str | None] = mapped_column(String(64))
    # The customer's value tier when the ticket was created: its SLA targets follow that
    # tier's own targets where a manager set some (None: no tier known, the defaults).
    customer_tier: Mapped[str | None] = mapped_column(String(24))
    # SHA-256 of the customer's reply link's token (their page of the conversation); None:
    # no link, or the ticket closed.
    reply_token_hash: Mapped[str | None] = mapped_column(String(64))
    # Sent through the public support form: anyone may type any email there, and whoever sent
    # it holds the reply link. True until an agent has confirmed who writes.
    sender_unverified: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (
        Index("ix_tickets_status_priority", "status", "priority"),
        # deleted_at too: an agent's open load and experience are counted from the index
        Index("ix_tickets_assignee_id_status_deleted_at", "assignee_id", "status", "deleted_at"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_resolved_at", "resolved_at"),  # the period's resolved tickets
        CheckConstraint("csat IS NULL OR (csat BETWEEN 1 AND 5)", name="csat_1_to_5"),
    )


class TicketEvent(Base):
    """Append-only history of a ticket: comments, status, assignment and priority changes."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TicketEventKind] = mapped_column(enum_column(TicketEventKind))
    body: Mapped[str | None] = mapped_column(Text)
    from_value: Mapped[str | None] = mapped_column(String(40))
    to_value: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_ticket_events_ticket_id_at", "ticket_id", "at"),)


class Article(Versioned, SoftDeletable, Base):
    """A canned answer or a knowledge-base article, per ticket category (None: any), written
    and edited by managers; a public article is on the FAQ page."""

    __tablename__ = "service_articles"
    ENTITY = Entity.ARTICLE

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ArticleKind] = mapped_column(enum_column(ArticleKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[TicketCategory | None] = mapped_column(enum_column(TicketCategory))
    language: Mapped[Language | None] = mapped_column(enum_column(Language))
    public: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_service_articles_kind_category", "kind", "category"),)


class TicketView(Versioned, Base):
    """A saved view of the ticket queue: its owner's named queue and filters; a shared one
    (a manager's choice) is offered to the whole team."""

    __tablename__ = "ticket_views"
    ENTITY = Entity.VIEW

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    # {"queue": "open", "priorities": [...], "categories": [...], "channels": [...],
    #  "tiers": [...], "search": "..."}
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shared: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("owner_id", "name"),
        Index("ix_ticket_views_shared", "shared"),
    )
