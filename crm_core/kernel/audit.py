"""The audit trail: who changed what, old -> new, when."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import AuditEntry, User
from crm_core.models.enums import AuditAction, Entity

# Secrets never enter the trail; that they changed is recorded, not their value.
_REDACTED_FIELDS = frozenset({"password_hash", "password"})


def to_json_value(value: Any) -> Any:
    """A value as JSON can hold it, readable in the audit view."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [to_json_value(v) for v in value]
    return value


def record(
    session: Session,
    actor_id: int | None,
    entity: Entity,
    entity_id: int | None,
    action: AuditAction,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> AuditEntry:
    """Add one audit entry to the current transaction; `changes` maps field -> (old, new)."""
    payload = {
        field: (
            {"old": "***", "new": "***"}
            if field in _REDACTED_FIELDS
            else {"old": to_json_value(old), "new": to_json_value(new)}
        )
        for field, (old, new) in (changes or {}).items()
    }
    entry = AuditEntry(
        actor_id=actor_id, entity=entity, entity_id=entity_id, action=action, changes=payload
    )
    session.add(entry)
    return entry


def history(
    session: Session, entity: str | None = None, entity_id: int | None = None, limit: int = 200
) -> pd.DataFrame:
    """Newest audit entries first, with the actor's name, optionally for one record."""
    stmt = (
        select(
            AuditEntry.at,
            User.name.label("actor"),
            AuditEntry.entity,
            AuditEntry.entity_id,
            AuditEntry.action,
            AuditEntry.changes,
        )
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["at", "actor", "entity", "entity_id", "action", "changes"])
    frame["action"] = frame["action"].map(lambda a: a.value if isinstance(a, Enum) else a)
    frame["changes"] = frame["changes"].map(describe_changes)
    return frame


def describe_changes(changes: dict[str, Any] | None) -> str:
    """`phone: 0812… -> 0813…; city: Bandung -> Jakarta`, for a table cell."""
    return "; ".join(
        f"{field}: {diff.get('old')!s} → {diff.get('new')!s}"
        for field, diff in (changes or {}).items()
    )
