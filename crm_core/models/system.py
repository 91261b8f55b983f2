"""The audit trail, settings, and import batches (so an import can be reverted whole)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, enum_column, utcnow
from crm_core.models.enums import AuditAction, Entity


class AuditEntry(Base):
    """Who changed what, old -> new, when. Append-only."""

    __tablename__ = "audit_entries"
    ENTITY = Entity.AUDIT

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        Index("ix_audit_entries_entity_entity_id", "entity", "entity_id"),
        Index("ix_audit_entries_at", "at"),
    )


class Setting(Base):
    """One named group of settings (the team, customer value...), stored as JSON."""

    __tablename__ = "settings"
    ENTITY = Entity.SETTING

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Two admins saving at once: the second UPDATE ... WHERE version = n fails, not overwrites.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it


class ImportBatch(Base):
    """One CSV import; rows it created point here so the whole import can be reverted."""

    __tablename__ = "import_batches"
    ENTITY = Entity.IMPORT

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reverted_at: Mapped[datetime | None]
    # in_progress until an import's last chunk commits, failed while its chunks are reverted,
    # done after (crm_core.exchange.chunks)
    state: Mapped[str] = mapped_column(
        String(20), default="done", server_default="done", index=True
    )
    progressed_at: Mapped[datetime | None]  # when its last chunk committed
