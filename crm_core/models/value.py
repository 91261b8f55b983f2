"""The customer value read model: each customer's stored figures, and the refreshes that wrote them.

Written only by `crm_core.customers.value_store.refresh` (a derived table, not a record anyone
edits: no version, no audit). Money is stored in hundredths (the `Money` scale) as integers,
so sums and comparisons are exact on every engine.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.activity import Interaction
from crm_core.models.base import Base
from crm_core.models.commerce import Order
from crm_core.models.people import Customer
from crm_core.models.service import Ticket

# Money columns of customer_values, in hundredths of the currency unit.
MONEY_COLUMNS = (
    "gross_revenue", "discounts", "cogs", "net_revenue", "gross_margin", "cost_to_serve",
    "profit", "average_order_value", "historical_clv",
)  # fmt: skip


class CustomerValue(Base):
    """One customer's value figures as of `as_of` (naive UTC, exclusive), computed at
    `computed_at` by refresh `refresh_id`."""

    __tablename__ = "customer_values"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[datetime]
    computed_at: Mapped[datetime]
    refresh_id: Mapped[int] = mapped_column(BigInteger)
    gross_revenue: Mapped[int] = mapped_column(BigInteger)
    discounts: Mapped[int] = mapped_column(BigInteger)
    cogs: Mapped[int] = mapped_column(BigInteger)
    net_revenue: Mapped[int] = mapped_column(BigInteger)
    gross_margin: Mapped[int] = mapped_column(BigInteger)
    cost_to_serve: Mapped[int] = mapped_column(BigInteger)
    profit: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int]
    average_order_value: Mapped[int | None] = mapped_column(BigInteger)
    first_order_at: Mapped[datetime | None]
    last_order_at: Mapped[datetime | None]
    tickets: Mapped[int]
    interactions: Mapped[int]
    historical_clv: Mapped[int | None] = mapped_column(BigInteger)
    predicted_clv: Mapped[float | None] = mapped_column(Float)
    predicted_purchases: Mapped[float | None] = mapped_column(Float)
    p_alive: Mapped[float | None] = mapped_column(Float)
    value_tier: Mapped[str] = mapped_column(String(24))
    tier_reason: Mapped[str] = mapped_column(Text)
    r_score: Mapped[int | None]
    f_score: Mapped[int | None]
    m_score: Mapped[int | None]
    rfm_segment: Mapped[str | None] = mapped_column(String(24))
    segment_reason: Mapped[str | None] = mapped_column(Text)
    segment_detail: Mapped[str | None] = mapped_column(Text)
    churn_risk: Mapped[float | None] = mapped_column(Float)
    risk_band: Mapped[str | None] = mapped_column(String(24))
    risk_reason: Mapped[str | None] = mapped_column(Text)
    risk_detail: Mapped[str | None] = mapped_column(Text)
    days_since_last_order: Mapped[float | None] = mapped_column(Float)
    usual_gap_days: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index("ix_customer_values_value_tier_profit", "value_tier", "profit"),
        Index("ix_customer_values_rfm_segment", "rfm_segment"),
        Index("ix_customer_values_profit", "profit"),
        Index("ix_customer_values_net_revenue", "net_revenue"),
        Index("ix_customer_values_churn_risk", "churn_risk"),
        Index("ix_customer_values_last_order_at", "last_order_at"),
    )


class ValueRefresh(Base):
    """One refresh of customer_values: full (every customer, the population parts refit) or
    incremental (the customers changed since `changes_since`, scored with the last full
    refresh's population parts). `population` holds those parts (cut-offs, model fit) as JSON."""

    __tablename__ = "value_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # "full" or "incremental"
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    as_of: Mapped[datetime]
    changes_since: Mapped[datetime | None]
    customers: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float | None] = mapped_column(Float)
    population: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_value_refreshes_kind_finished_at", "kind", "finished_at"),)


class TierSnapshot(Base):
    """A customer's value tier at the end of a past day (in the team's time zone): the last
    quarter's end, written by each full refresh, so that a tier migration since then reads
    100,000 short rows instead of summing every order line up to that day (3 s and more)."""

    __tablename__ = "value_tier_snapshots"

    day: Mapped[date] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    value_tier: Mapped[str] = mapped_column(String(24))
    refresh_id: Mapped[int] = mapped_column(BigInteger)


class StoredFigure(Base):
    """An aggregate another area computes over every customer, stored by each full refresh
    (as of its moment) so that no viewer's first page run computes it: Marketing's cohorts,
    churn per month and lost customers, say. `body` is the area's own JSON."""

    __tablename__ = "stored_figures"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    refresh_id: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[datetime]
    body: Mapped[dict[str, Any]]


# What an incremental refresh asks first: who changed since the last one. Without these, that
# question reads every order and touchpoint (a million at 100,000 customers). Declared here,
# beside the read model that needs them, so the entities' own modules stay as they are.
CHANGE_INDEXES = tuple(
    Index(f"ix_{model.__tablename__}_updated_at", model.updated_at)
    for model in (Customer, Order, Ticket, Interaction)
)
