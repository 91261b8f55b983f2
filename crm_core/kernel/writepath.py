"""The one write path: validate, permission, optimistic lock, audit, in the caller's transaction.

Area modules (customers, users, ...) call these helpers; the caller's session scope commits
once, or rolls everything back on any error, so a failed write leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_core.kernel import audit
from crm_core.kernel.errors import ConflictError, NotFound
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import User, utcnow
from crm_core.models.enums import AuditAction

Row = TypeVar("Row")


class _Record(Protocol):
    @property
    def id(self) -> int: ...


Inserted = TypeVar("Inserted", bound=_Record)


def load(session: Session, model: type[Row], record_id: int, *, deleted: bool = False) -> Row:
    """The record, or NotFound; soft-deleted rows only when `deleted` is asked for."""
    row = session.get(model, record_id, populate_existing=True)
    entity = getattr(model, "__tablename__", "record").rstrip("s")
    if row is None:
        raise NotFound(f"No {entity} #{record_id}.")
    if getattr(row, "deleted_at", None) is not None and not deleted:
        raise NotFound(f"{entity.capitalize()} #{record_id} was deleted.")
    return row


def insert(
    session: Session, actor: Actor, entity: str, row: Inserted, values: Mapping[str, Any]
) -> Inserted:
    """Add a new validated record and its audit entry (permission already checked)."""
    for field, value in values.items():
        setattr(row, field, value)
    if hasattr(row, "updated_by_id"):
        row.updated_by_id = actor.id
    session.add(row)
    session.flush()
    changes = {f: (None, v) for f, v in values.items() if v not in (None, [], "")}
    audit.record(session, actor.id, entity, row.id, AuditAction.CREATE, changes)
    return row


def update(
    session: Session,
    actor: Actor,
    entity: str,
    row: Any,
    expected_version: int,
    values: Mapping[str, Any],
    action: AuditAction = AuditAction.UPDATE,
) -> dict[str, tuple[Any, Any]]:
    """Apply `values` to a row read at `expected_version`; returns the fields that changed."""
    if row.version != expected_version:
        raise _conflict(session, entity, row)
    changes = {f: (getattr(row, f), v) for f, v in values.items() if getattr(row, f) != v}
    if not changes:
        return {}
    for field, (_old, new) in changes.items():
        setattr(row, field, new)
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    row_id = row.id  # the row is unreadable after a failed flush
    try:
        session.flush()
    except StaleDataError:
        # Another transaction committed between our read and our UPDATE ... WHERE version = n.
        raise _reread_conflict(session, entity, type(row), row_id) from None
    audit.record(session, actor.id, entity, row.id, action, changes)
    return changes


def soft_delete(
    session: Session, actor: Actor, entity: str, row: Any, expected_version: int
) -> None:
    require(actor, entity, Action.DELETE, row)
    update(
        session, actor, entity, row, expected_version, {"deleted_at": utcnow()}, AuditAction.DELETE
    )


def restore(session: Session, actor: Actor, entity: str, row: Any, expected_version: int) -> None:
    require(actor, entity, Action.RESTORE, row)
    update(session, actor, entity, row, expected_version, {"deleted_at": None}, AuditAction.RESTORE)


def _conflict(session: Session, entity: str, row: Any) -> ConflictError:
    who = None
    if row.updated_by_id is not None:
        who = session.execute(select(User.name).where(User.id == row.updated_by_id)).scalar()
    return ConflictError(entity, who, row.updated_at)


def _reread_conflict(session: Session, entity: str, model: Any, row_id: int) -> ConflictError:
    """Who won the race, read on a fresh connection: this transaction is unusable now."""
    table, users = model.__table__, User.__table__
    with session.get_bind().engine.connect() as conn:  # a session may be bound to a Connection
        fresh = conn.execute(
            select(table.c.updated_at, users.c.name)
            .outerjoin(users, users.c.id == table.c.updated_by_id)
            .where(table.c.id == row_id)
        ).one_or_none()
    return ConflictError(entity, fresh.name if fresh else None, fresh.updated_at if fresh else None)
