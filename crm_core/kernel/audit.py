"""The audit trail: who changed what, old -> new, when."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel.errors import NotFound
from crm_core.kernel.permissions import Action, Actor, may, require
from crm_core.models import AuditEntry, User
from crm_core.models.base import model_of
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


def shows_values(actor: Actor) -> bool:
    """Old -> new values are the audit log's: whoever may read the log sees them; whoever may
    only read a record sees which of its fields changed, by whom and when (its timeline too)."""
    return may(actor, (Entity.AUDIT, Action.READ))


def history(
    session: Session,
    actor: Actor,
    entity: Entity | None = None,
    entity_id: int | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """Newest audit entries first, with the actor's name, optionally for one record.

    The log, whole or filtered, needs READ on the audit log; one record's own history (entity
    and id given) needs only READ on that record, and then names the changed fields without
    their values (`shows_values`).
    """
    with_values = shows_values(actor)
    if not with_values:
        _require_record_read(session, actor, entity, entity_id)
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
    frame["changes"] = frame["changes"].map(lambda c: describe_changes(c, with_values))
    return frame


def _require_record_read(
    session: Session, actor: Actor, entity: Entity | None, entity_id: int | None
) -> None:
    """PermissionDenied unless this is one record's history and the actor may read the record."""
    if entity is None or entity_id is None or (model := model_of(entity)) is None:
        require(actor, Entity.AUDIT, Action.READ)
        return
    require(actor, entity, Action.READ)  # a role with no right at all learns no ids
    record = session.get(model, entity_id)
    if record is None:
        raise NotFound(f"No {entity} #{entity_id}.")
    require(actor, entity, Action.READ, record)


def describe_changes(changes: dict[str, Any] | None, with_values: bool = True) -> str:
    """`phone: 0812… -> 0813…; city: Bandung -> Jakarta`, for a table cell (without values:
    `phone, city`)."""
    if not with_values:
        return ", ".join(changes or {})
    return "; ".join(
        f"{field}: {diff.get('old')!s} → {diff.get('new')!s}"
        for field, diff in (changes or {}).items()
    )
