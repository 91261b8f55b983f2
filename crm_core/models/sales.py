"""Leads and every move of a lead between funnel stages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, SoftDeletable, Versioned, enum_column, utcnow
from crm_core.models.enums import Entity, LeadSource, LeadStage


class Lead(Versioned, SoftDeletable, Base):
    __tablename__ = "leads"
    ENTITY = Entity.LEAD

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[LeadSource] = mapped_column(enum_column(LeadSource))
    # A built-in stage (LeadStage's values) or a pipeline's own stage ("custom-3", named in the
    # sales settings): text, as the enum column already stored it (VARCHAR(24)).
    stage: Mapped[str] = mapped_column(String(24), default=LeadStage.NEW.value)
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    expected_close: Mapped[date | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    # Indexed as customer_id is: a 360 asks for the leads linked to or converted into it.
    converted_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), index=True
    )
    closed_at: Mapped[datetime | None]
    # The pipeline's key in the sales settings (New business, Repeat orders, ...).
    pipeline: Mapped[str] = mapped_column(
        String(40), default="new business", server_default="new business"
    )
    region: Mapped[str | None] = mapped_column(String(80))
    notes: Mapped[str | None] = mapped_column(Text)
    lost_note: Mapped[str | None] = mapped_column(Text)  # the free text beside the lost reason

    __table_args__ = (
        Index("ix_leads_pipeline_stage", "pipeline", "stage"),
        Index("ix_leads_stage_owner_id", "stage", "owner_id"),
        Index("ix_leads_owner_id", "owner_id"),
        Index("ix_leads_created_at", "created_at"),
        # The forecast reads the leads closed in its history's first month (closed.py).
        Index("ix_leads_closed_at", "closed_at"),
        # ... and the leads expected to close in last quarter (its forecast against actuals).
        Index("ix_leads_expected_close", "expected_close"),
        # The Sales pages' change mark, max(updated_at), read on every rerun (sales/marks.py).
        Index("ix_leads_updated_at", "updated_at"),
    )


class LeadStageChange(Base):
    """Append-only: the funnel's velocity and conversion are computed from these moves."""

    __tablename__ = "lead_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_lead_stage_changes_lead_id_changed_at", "lead_id", "changed_at"),)


class LeadFacts(Base):
    """The funnel's stored read model, one row per lead (crm_core/sales/facts.py keeps it):
    the furthest stage reached in the order of its pipeline's funnel (skipped stages count as
    reached) and since when it is in its current stage."""

    __tablename__ = "lead_facts"

    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    furthest_stage: Mapped[str] = mapped_column(String(24))
    stage_since: Mapped[datetime | None]
    # The key this lead is counted under in lead_closed_counts (None: not counted, i.e. open
    # or deleted): kept so that a change of month, owner or pipeline recounts the old key too.
    counted_month: Mapped[date | None]
    counted_owner_id: Mapped[int | None]
    counted_pipeline: Mapped[str | None] = mapped_column(String(40))


class LeadStay(Base):
    """One stay of a lead in a stage (read model): entered, left (None while there) and the
    days it lasted once it ended."""

    __tablename__ = "lead_stays"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(24))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    days: Mapped[float | None] = mapped_column(Float)

    # Covering: the funnel's time in stage and the forecast's history read only these three.
    __table_args__ = (Index("ix_lead_stays_lead_id_stage_days", "lead_id", "stage", "days"),)


class LeadClosedCount(Base):
    """The closed leads the forecast learns from, counted per month closed, owner and
    pipeline (read model, crm_core/sales/closed.py keeps it): per furthest stage and outcome
    (`min_days` None), and per stage, outcome and age bucket of the lead's days in that stage."""

    __tablename__ = "lead_closed_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    closed_month: Mapped[date]  # the first day of the month the lead closed in
    owner_id: Mapped[int | None] = mapped_column(Integer)
    pipeline: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(24))
    won: Mapped[bool] = mapped_column(Boolean)
    min_days: Mapped[int | None] = mapped_column(Integer)
    leads: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_lead_closed_counts_key", "closed_month", "owner_id", "pipeline"),)
