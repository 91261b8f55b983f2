"""The one write path: validate, permission, optimistic lock, audit, in the caller's transaction.

Area modules (customers, users, ...) call these helpers; the caller's session scope commits
once, or rolls everything back on any error, so a failed write leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_core.kernel import audit
from crm_core.kernel.errors import ConflictError, NotFound
from crm_core.kernel.messages import Message
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import User, utcnow
from crm_core.models.enums import AuditAction, Entity

Row = TypeVar("Row")
Changes = Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Lines:
    """A record's lines (an order's items): inserted with it in one audit entry that lists
    them, deleted with it. `link` is the line's column holding the record's id."""

    model: type[Any]
    link: str
    audited: tuple[str, ...]  # what the record's audit entry lists of each line


class _Record(Protocol):
    @property
    def id(self) -> int: ...


Inserted = TypeVar("Inserted", bound=_Record)


def load(session: Session, model: type[Row], record_id: int, *, deleted: bool = False) -> Row:
    """The record, or NotFound; soft-deleted rows only when `deleted` is asked for."""
    row = session.get(model, record_id, populate_existing=True)
    entity = getattr(model, "ENTITY", None) or "record"
    if row is None:
        raise NotFound("error.not_found", entity=Message(f"entity.{entity}"), id=record_id)
    if getattr(row, "deleted_at", None) is not None and not deleted:
        raise NotFound("error.deleted", entity=Message(f"entity.{entity}"), id=record_id)
    return row


def insert(
    session: Session,
    actor: Actor,
    entity: Entity,
    row: Row,
    values: Mapping[str, Any],
    *,
    audited: Changes | None = None,
) -> Row:
    """Add a new validated record and its audit entry (permission already checked).

    `audited` replaces the audited field changes when a column holds a document (a setting's
    JSON): the trail then names the document's fields, not one opaque column.
    """
    for field, value in values.items():
        setattr(row, field, value)
    if hasattr(row, "updated_by_id"):
        row.updated_by_id = actor.id
    session.add(row)
    session.flush()
    changes = {f: (None, v) for f, v in values.items() if v not in (None, [], "")}
    audit.record(
        session, actor.id, entity, _audit_id(row), AuditAction.CREATE,
        changes if audited is None else dict(audited),
    )  # fmt: skip
    return row


def insert_with_lines(
    session: Session,
    actor: Actor,
    entity: Entity,
    row: Inserted,
    values: Mapping[str, Any],
    lines: Lines,
    line_rows: Sequence[Any],
    noted: Changes | None = None,
) -> Inserted:
    """Add a new validated record with its lines, and one audit entry holding the record's
    values, every line and `noted` (figures derived from them, an order's total); permission
    already checked."""
    for field, value in values.items():
        setattr(row, field, value)
    if hasattr(row, "updated_by_id"):
        row.updated_by_id = actor.id
    session.add(row)
    session.flush()
    row_id = row.id
    for line in line_rows:
        setattr(line, lines.link, row_id)
    session.add_all(line_rows)  # flushed with the next write, or at commit
    listed = [
        {f: audit.to_json_value(getattr(line, f)) for f in lines.audited} for line in line_rows
    ]
    changes = {f: (None, v) for f, v in values.items() if v not in (None, [], "")}
    changes |= {"lines": (None, listed), **(noted or {})}
    audit.record(session, actor.id, entity, row_id, AuditAction.CREATE, changes)
    return row


def update(
    session: Session,
    actor: Actor,
    entity: Entity,
    row: Any,
    expected_version: int,
    values: Mapping[str, Any],
    action: AuditAction = AuditAction.UPDATE,
    *,
    audited: Changes | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Apply `values` to a row read at `expected_version`; returns the fields that changed
    (`audited`, when given, as with insert)."""
    if row.version != expected_version:
        raise _conflict(session, entity, row)
    changes = {f: (getattr(row, f), v) for f, v in values.items() if getattr(row, f) != v}
    if not changes:
        return {}
    for field, (_old, new) in changes.items():
        setattr(row, field, new)
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    identity = inspect(row).identity  # the row is unreadable after a failed flush
    try:
        session.flush()
    except StaleDataError:
        # Another transaction committed between our read and our UPDATE ... WHERE version = n.
        raise reread_conflict(session, entity, type(row), identity) from None
    changes = changes if audited is None else dict(audited)
    audit.record(session, actor.id, entity, _audit_id(row), action, changes)
    return changes


def soft_delete(
    session: Session, actor: Actor, entity: Entity, row: Any, expected_version: int
) -> None:
    require(actor, entity, Action.DELETE, row)
    update(
        session, actor, entity, row, expected_version, {"deleted_at": utcnow()}, AuditAction.DELETE
    )


def restore(
    session: Session, actor: Actor, entity: Entity, row: Any, expected_version: int
) -> None:
    require(actor, entity, Action.RESTORE, row)
    update(session, actor, entity, row, expected_version, {"deleted_at": None}, AuditAction.RESTORE)


def delete_for_good(
    session: Session,
    actor: Actor,
    entity: Entity,
    model: type[Any],
    versions: Mapping[int, int],
    lines: Lines | None = None,
    audited: tuple[str, ...] = (),
) -> int:
    """Delete rows for good, lines included, given id -> the version read; returns how many.

    For what must leave no trace to collide with (an import's orders, whose external refs a
    corrected file reuses); anything else is soft-deleted. A row changed since it was read is
    a conflict and nothing is deleted; a row already gone is skipped. Each deleted row gets a
    DELETE audit entry with the last values of its `audited` fields.
    """
    require(actor, entity, Action.DELETE)
    table = model.__table__
    columns = [table.c.id, table.c.version, table.c.updated_at, *(table.c[f] for f in audited)]
    found = {
        row.id: row
        for chunk in _chunks(list(versions))
        for row in session.execute(select(*columns).where(table.c.id.in_(chunk)))
    }
    for row_id, version in versions.items():
        row = found.get(row_id)
        if row is not None and row.version != version:
            raise ConflictError(entity, None, row.updated_at, record_id=row_id)
    for chunk in _chunks(list(found)):
        if lines is not None:
            session.execute(delete(lines.model).where(getattr(lines.model, lines.link).in_(chunk)))
        session.execute(delete(table).where(table.c.id.in_(chunk)))
    for row in found.values():
        changes = {f: (getattr(row, f), None) for f in audited}
        audit.record(session, actor.id, entity, row.id, AuditAction.DELETE, changes)
    return len(found)


def record_event(
    session: Session,
    actor: Actor | None,
    entity: Entity,
    entity_id: int | None,
    action: AuditAction,
    changes: Changes | None = None,
) -> None:
    """Audit what is no insert, update or delete of one row by the helpers above: a sign-in
    or sign-out, a merge's summary, an import batch, the first admin made at the command line
    (`actor` None: the system). The one way outside the kernel to write an audit entry."""
    actor_id = actor.id if actor is not None else None
    audit.record(session, actor_id, entity, entity_id, action, dict(changes or {}))


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    """IN lists short enough for every engine's parameter limit."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def _conflict(session: Session, entity: Entity, row: Any) -> ConflictError:
    who = None
    if row.updated_by_id is not None:
        who = session.execute(select(User.name).where(User.id == row.updated_by_id)).scalar()
    return ConflictError(entity, who, row.updated_at)


def _audit_id(row: Any) -> int | None:
    # The trail's ids are integers; a row keyed by name (a setting) is named by its entity.
    row_id = getattr(row, "id", None)
    return row_id if isinstance(row_id, int) else None


def reread_conflict(
    session: Session, entity: Entity, model: Any, identity: tuple[Any, ...] | None
) -> ConflictError:
    """Who won a race for this row (by primary key), read on a fresh connection: this
    transaction is unusable now."""
    table, users = model.__table__, User.__table__
    keys = [c == v for c, v in zip(inspect(model).primary_key, identity or (), strict=True)]
    with session.get_bind().engine.connect() as conn:  # a session may be bound to a Connection
        fresh = conn.execute(
            select(table.c.updated_at, users.c.name)
            .outerjoin(users, users.c.id == table.c.updated_by_id)
            .where(*keys)
        ).one_or_none()
    return ConflictError(entity, fresh.name if fresh else None, fresh.updated_at if fresh else None)
