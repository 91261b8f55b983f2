"""Staff users, accounts (companies) and customers (contacts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, SoftDeletable, Versioned, enum_column
from crm_core.models.enums import (
    Channel,
    Entity,
    Gender,
    Language,
    LeadSource,
    LifecycleStage,
    Role,
)


class User(Versioned, Base):
    """A member of staff who signs in; `session_version` ends every open session when bumped."""

    __tablename__ = "users"
    ENTITY = Entity.USER

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(String(100))
    skills: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)  # spoken with customers
    # The language Relasi speaks to this user; None reads the team's default.
    ui_language: Mapped[Language | None] = mapped_column(enum_column(Language), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    # Sign-in cookies issued before this moment are refused (logout, password change, deactivation).
    sessions_revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set by an admin's new user or password reset: the user chooses their own at sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    is_demo: Mapped[bool] = mapped_column(default=False)


class Account(Versioned, SoftDeletable, Base):
    """A company we sell to (B2B); its contacts are customers."""

    __tablename__ = "accounts"
    ENTITY = Entity.ACCOUNT

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    employees: Mapped[int | None]
    annual_revenue: Mapped[Decimal | None]
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class Customer(Versioned, SoftDeletable, Base):
    """A contact: a person we sell to, on their own (B2C) or at an account (B2B)."""

    __tablename__ = "customers"
    ENTITY = Entity.CUSTOMER

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Normalised forms find duplicates and matches whatever way a number or address was typed.
    email_normalized: Mapped[str | None] = mapped_column(String(254))
    phone_normalized: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    birth_date: Mapped[date | None]
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    preferred_channel: Mapped[Channel | None] = mapped_column(enum_column(Channel))
    preferred_language: Mapped[Language | None] = mapped_column(enum_column(Language))
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        enum_column(LifecycleStage), default=LifecycleStage.PROSPECT
    )
    source: Mapped[LeadSource | None] = mapped_column(enum_column(LeadSource))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_email: Mapped[bool] = mapped_column(default=False)
    consent_sms: Mapped[bool] = mapped_column(default=False)
    consent_phone: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))

    __table_args__ = (
        Index("ix_customers_name", "name"),
        Index("ix_customers_email_normalized", "email_normalized"),
        Index("ix_customers_phone_normalized", "phone_normalized"),
        Index("ix_customers_owner_id", "owner_id"),
        Index("ix_customers_lifecycle_stage", "lifecycle_stage"),
        Index("ix_customers_region_city", "region", "city"),
    )


def _trigram_index(name: str, column: object) -> Index:
    """A PostgreSQL trigram index on lower(column): `lower(column) LIKE '%part%'` uses it.

    Created by migration 0002 on PostgreSQL only (pg_trgm); SQLite scans instead, and Alembic
    skips expression indexes it cannot reflect there, so the models still match both schemas.
    """
    label = f"{name}_expr"
    return Index(
        name,
        func.lower(column).label(label),
        postgresql_using="gin",
        postgresql_ops={label: "gin_trgm_ops"},
    )


# The customers list's search by part of a word (crm_core.customers.listing).
SEARCH_INDEXES = (
    _trigram_index("ix_customers_name_trgm", Customer.name),
    _trigram_index("ix_customers_email_trgm", Customer.email_normalized),
    _trigram_index("ix_customers_phone_trgm", Customer.phone_normalized),
    _trigram_index("ix_accounts_name_trgm", Account.name),
)
