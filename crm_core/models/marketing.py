"""Segments (rules over customers) and campaigns aimed at them, with A/B members."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, SoftDeletable, Versioned, enum_column
from crm_core.models.enums import CampaignStatus, Channel, Entity


class Segment(Versioned, SoftDeletable, Base):
    __tablename__ = "segments"
    ENTITY = Entity.SEGMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Campaign(Versioned, SoftDeletable, Base):
    __tablename__ = "campaigns"
    ENTITY = Entity.CAMPAIGN

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    segment_rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    variants: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.DRAFT
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    budget: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The test design (crm_core.marketing.campaigns.Design): seed, control variant, planned
    # sample, attribution window; empty on campaigns planned before designs were kept.
    design: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))


class CampaignMember(Base):
    __tablename__ = "campaign_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    variant: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    converted_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "customer_id", name="uq_campaign_members_campaign_customer"
        ),
        Index("ix_campaign_members_campaign_id_variant", "campaign_id", "variant"),
    )
