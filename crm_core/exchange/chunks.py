"""Committing an import in short chunks, and reverting one that did not finish.

SQLite has one writer: an import in one transaction held the write lock for its whole file
(236 s at 100,000 rows; editors got "database is locked", sign-in failed). So an import
commits chunk by chunk, each its own short write transaction under the import lock, and its
rows are planned again per chunk: what another session wrote in between (a customer with
the same email, a concurrent import) is seen, and a row that would now be handled otherwise
than the preview said stops the import. Its batch is `in_progress` until the last chunk;
when a chunk fails, the chunks already written are reverted through the importer's own
revert (chunk by chunk too) and the error goes on to the page. A batch whose process died
half-way is reverted before the next import.

This is the one place where crm_core commits the caller's session: a long job is made
revertible instead of one huge transaction (the architecture's pitfall on SQLite).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_core.exchange.importing import (
    ImportPreview,
    Progress,
    RowAction,
    RowOutcome,
    StalePreview,
    finish_batch,
    new_batch,
    one_commit_at_a_time,
    rows_named,
)
from crm_core.kernel import writepath
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from crm_core.models import ImportBatch, User, utcnow
from crm_core.models.enums import AuditAction, Entity

if TYPE_CHECKING:
    from crm_core.exchange.registry import Importer

log = logging.getLogger(__name__)

CHUNK_ROWS = 500  # about a second of the write path on SQLite: an editor's save waits no more
IN_PROGRESS, FAILED, DONE = "in_progress", "failed", "done"
# A live import commits a chunk every second or so; one silent this long has lost its process.
ABANDONED_AFTER = timedelta(minutes=10)
Between = Callable[[int], None]  # called after chunk n (from 1) committed, the lock released


def write_in_chunks(
    session: Session,
    spec: Importer,
    actor: Actor,
    preview: ImportPreview,
    filename: str,
    progress: Progress | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    between: Between | None = None,
) -> ImportBatch:
    """Import the preview's valid rows, committing `session` after each chunk; the batch is
    returned once its last chunk committed. On any error the chunks written are reverted
    and the error is raised again (nothing of the import stays)."""
    assert spec.write_rows is not None
    recover_abandoned(session, actor)
    if preview.valid == 0:
        raise CRMError("import.nothing_valid")
    parts = plan_chunks(preview, chunk_rows)
    undo: dict[str, Any] = {}
    batch_id: int | None = None
    try:
        for number, positions in enumerate(parts, start=1):
            one_commit_at_a_time(session)
            if batch_id is None:
                batch = new_batch(session, actor, preview, filename)
                batch.state, batch_id = IN_PROGRESS, batch.id
            rows = _replan(session, spec, actor, preview, positions)
            batch = _batch(session, batch_id)
            spec.write_rows(session, actor, batch, rows, preview, undo)
            for position, row in zip(positions, rows, strict=True):
                preview.rows[position].record_id = row.record_id
            if number == len(parts):
                finish_batch(session, actor, batch, preview, undo)
                batch.state = DONE
            else:
                batch.report = dict(undo)  # what a revert needs, should a later chunk fail
            batch.progressed_at = utcnow()
            session.commit()
            if progress is not None:
                progress(number / len(parts))
            if between is not None and number < len(parts):
                between(number)
    except Exception:
        session.rollback()
        if batch_id is not None:
            _revert_quietly(session, batch_id, actor)
        raise
    assert batch_id is not None  # a preview with valid rows has at least one chunk
    return _batch(session, batch_id)


def plan_chunks(preview: ImportPreview, size: int) -> list[list[int]]:
    """The positions (in preview.rows) of the rows to write, in chunks of about `size` rows;
    the lines of one order stay in one chunk."""
    groups: dict[object, list[int]] = {}
    for position, row in enumerate(preview.rows):
        if row.action is not RowAction.SKIP:
            groups.setdefault(row.group if row.group is not None else position, []).append(position)
    parts: list[list[int]] = [[]]
    for members in groups.values():
        if parts[-1] and len(parts[-1]) + len(members) > size:
            parts.append([])
        parts[-1].extend(members)
    return parts


def _replan(
    session: Session, spec: Importer, actor: Actor, whole: ImportPreview, positions: list[int]
) -> list[RowOutcome]:
    """The chunk's rows planned again now, under the lock; StalePreview (in the importer's
    words, naming the lines) when one would be written otherwise than the preview said."""
    part = whole.frame.iloc[positions].reset_index(drop=True)
    fresh: ImportPreview = spec.preview(
        session, actor, part, whole.mapping, whole.mode, whole.match_key, **whole.options
    )
    changed = []
    for position, row in zip(positions, fresh.rows, strict=True):
        seen = whole.rows[position]
        row.row = seen.row  # the file's line, not the chunk's
        before = (seen.action, seen.status, seen.target_id, seen.target_version)
        if (row.action, row.status, row.target_id, row.target_version) != before:
            changed.append(seen.row)
    if changed:
        raise StalePreview(spec.stale, n=len(changed), rows=rows_named(changed))
    return fresh.rows


def _batch(session: Session, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id, populate_existing=True)
    assert batch is not None  # written by this import, never deleted
    return batch


def _revert_quietly(session: Session, batch_id: int, actor: Actor) -> None:
    """Revert a failed import; if even that fails (the database is gone), the batch stays
    unfinished and the next import reverts it. The import's own error is what the user sees."""
    try:
        revert_unfinished(session, batch_id, actor)
    except Exception:  # logged; the next import's recovery retries it
        session.rollback()
        log.exception("import batch %s failed and could not be reverted yet", batch_id)


def revert_unfinished(
    session: Session, batch_id: int, actor: Actor, chunk_rows: int = CHUNK_ROWS
) -> None:
    """Mark the batch failed and revert what its chunks wrote, one short transaction per
    chunk of records (the report keeps what is left, should this stop half-way too)."""
    from crm_core.exchange.registry import importer  # the registry imports this module

    batch = _batch(session, batch_id)
    batch.state, batch.progressed_at = FAILED, utcnow()
    session.commit()
    spec, acting = importer(batch.kind), _importer_of(session, batch, actor)
    while (split := _split(_batch(session, batch_id).report, chunk_rows)) is not None:
        part, rest = split
        with session.no_autoflush:  # each write flushes itself
            spec.revert(session, acting, part)
        batch = _batch(session, batch_id)
        batch.report, batch.progressed_at = rest, utcnow()
        session.commit()
    batch = _batch(session, batch_id)
    batch.reverted_at = utcnow()
    changes = {"state": (IN_PROGRESS, FAILED), "reverted_at": (None, batch.reverted_at)}
    writepath.record_event(session, acting, Entity.IMPORT, batch.id, AuditAction.DELETE, changes)
    session.commit()


def _split(report: dict[str, Any], size: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The next `size` records of the report's first list that still has some (in the
    report's order: an order import's orders before the products they sell), and the rest."""
    for key, value in report.items():
        if isinstance(value, list) and value:
            empty = {k: [] if isinstance(v, list) else v for k, v in report.items()}
            return {**empty, key: value[:size]}, {**report, key: value[size:]}
    return None


def _importer_of(session: Session, batch: ImportBatch, fallback: Actor) -> Actor:
    """The batch's own importer undoes its writes (the audit names them); else the caller."""
    user = session.get(User, batch.actor_id) if batch.actor_id is not None else None
    if user is None or not user.active:
        return fallback
    return Actor(id=user.id, username=user.username, name=user.name, role=user.role)


def recover_abandoned(session: Session, actor: Actor) -> list[int]:
    """Revert the batches left unfinished by a process that died (nothing committed for
    ABANDONED_AFTER): they never show as finished imports. Returns their ids."""
    quiet = utcnow() - ABANDONED_AFTER
    stmt = select(ImportBatch.id).where(
        ImportBatch.state.in_([IN_PROGRESS, FAILED]),
        ImportBatch.reverted_at.is_(None),
        or_(ImportBatch.progressed_at.is_(None), ImportBatch.progressed_at < quiet),
    )
    found = list(session.scalars(stmt.order_by(ImportBatch.id)))
    session.commit()
    for batch_id in found:
        log.warning("reverting import batch %s, left unfinished by a stopped process", batch_id)
        revert_unfinished(session, batch_id, actor)
    return found
