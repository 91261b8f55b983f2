"""A person's target for one month: what a manager expects of a salesperson or an agent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, Versioned
from crm_core.models.enums import Entity


class Target(Versioned, Base):
    __tablename__ = "targets"
    ENTITY = Entity.TARGET

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    metric: Mapped[str] = mapped_column(String(24))  # an overview.targets.Metric value
    month: Mapped[date]  # the first day of the month it is for
    value: Mapped[Decimal]

    __table_args__ = (UniqueConstraint("user_id", "metric", "month"),)
