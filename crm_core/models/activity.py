"""Touchpoints (interactions) and follow-up tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, SoftDeletable, Versioned, enum_column
from crm_core.models.enums import Channel, Direction, Entity


class Interaction(Versioned, SoftDeletable, Base):
    """One touchpoint with a customer on a channel: a call, an email, a meeting, a chat..."""

    __tablename__ = "interactions"
    ENTITY = Entity.INTERACTION

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_interactions_customer_id_occurred_at", "customer_id", "occurred_at"),
        Index("ix_interactions_occurred_at", "occurred_at"),
    )


class Task(Versioned, SoftDeletable, Base):
    """A follow-up owed to a customer or a lead, due at a time, by its owner."""

    __tablename__ = "tasks"
    ENTITY = Entity.TASK

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_tasks_owner_id_done_at_due_at", "owner_id", "done_at", "due_at"),
        Index("ix_tasks_updated_at", "updated_at"),  # the Pipeline's change mark
        CheckConstraint(
            "customer_id IS NOT NULL OR lead_id IS NOT NULL", name="about_customer_or_lead"
        ),
    )
