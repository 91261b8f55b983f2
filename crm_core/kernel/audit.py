"""The audit trail: who changed what, old -> new, when."""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from crm_core.kernel.errors import NotFound
from crm_core.kernel.messages import N_, Message, label, msg, to_json
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
    frame["changes"] = [
        describe_changes(e, c, with_values)
        for e, c in zip(frame["entity"], frame["changes"], strict=True)
    ]
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
        raise NotFound("error.not_found", entity=Message(f"entity.{entity}"), id=entity_id)
    require(actor, entity, Action.READ, record)


def describe_changes(
    entity: Entity | str, changes: dict[str, Any] | None, with_values: bool = True
) -> str:
    """An entry's changes as message JSON for a table cell, said in each reader's language:
    `Phone: 0812… → 0813…; City: Bandung → Jakarta`; without values `Phone, City`. Fields
    are labelled `field.<name>`; vocabulary values, times, numbers and yes/no are said as such.
    """
    if not changes:
        return ""
    if not with_values:
        return to_json(
            msg(
                "format.joined_comma",
                parts=[msg("audit.changed", field=_field(n)) for n in changes],
            )
        )
    columns = _columns(entity)
    return to_json(
        msg(
            "format.list",
            items=[
                msg(
                    "audit.change",
                    field=_field(name),
                    old=_shown(name, columns.get(name), diff.get("old")),
                    new=_shown(name, columns.get(name), diff.get("new")),
                )
                for name, diff in changes.items()
            ],
        )
    )


def _field(name: str) -> Message:
    return Message(f"field.{name}")  # an unlabelled one reads as its name (messages.gettext)


def _columns(entity: Entity | str) -> dict[str, ColumnElement[Any]]:
    model = model_of(Entity(entity))
    return {} if model is None else {c.name: c for c in model.__table__.columns}


def _shown(name: str, column: ColumnElement[Any] | None, value: Any) -> Any:
    """A stored old or new value as its reader should see it."""
    if value is None or value == "" or value == []:
        return msg("audit.blank")
    if isinstance(value, bool):
        return msg(N_("audit.yes")) if value else msg(N_("audit.no"))
    if isinstance(value, list | dict):  # tags, moved ids, a design: as text, never as codes
        return ", ".join(map(str, value)) if isinstance(value, list) else json.dumps(value)
    kind = _python_type(column)
    if isinstance(kind, type) and issubclass(kind, StrEnum) and value in set(kind):
        return label(kind(value))
    if kind is datetime:
        return msg("audit.moment", at=value)
    if kind is date:
        return msg("audit.day", day=value)
    if kind in (int, float, Decimal) and not name.endswith("_id") and name != "id":
        with suppress(TypeError, ValueError):
            return msg("audit.number", x=float(value))
    return str(value)


def _python_type(column: ColumnElement[Any] | None) -> Any:
    if column is None:
        return None
    kind = getattr(column.type, "impl", column.type)  # a TypeDecorator (UtcDateTime): its base
    try:
        return kind.python_type
    except NotImplementedError:  # JSON and the like: said as stored
        return None
