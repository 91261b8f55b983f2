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

import itertools
import logging
import time
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

CHUNK_ROWS = 500  # revert chunks, and the most rows one import chunk takes
# An import chunk is sized by time, not rows: 500 rows took 1 to 5 s on a busy 2-core machine,
# and editors waited up to 20 s (10 saves in 122 got "database is locked"). Each chunk aims at
# CHUNK_SECONDS of holding the write lock, and on SQLite the import then steps aside for
# YIELD_SECONDS: a writer asleep in its busy-timeout retry (sqlite3 sleeps up to 100 ms
# between tries) wakes to a free lock instead of finding the next chunk holding it.
FIRST_CHUNK_ROWS = 50
CHUNK_SECONDS = 0.25
YIELD_SECONDS = 0.15
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
    chunk_rows: int | None = None,
    between: Between | None = None,
) -> ImportBatch:
    """Import the preview's valid rows, committing `session` after each chunk (of
    `chunk_rows` rows, or sized by time when None); the batch is returned once its last
    chunk committed. On any error the chunks written are reverted and the error is raised
    again (nothing of the import stays)."""
    assert spec.write_rows is not None
    recover_abandoned(session, actor)
    if preview.valid == 0:
        raise CRMError("import.nothing_valid")
    sizing = _Sizing(chunk_rows)
    groups = plan_chunks(preview, 1)  # each order's lines, or each row, alone
    undo: dict[str, Any] = {}
    batch_id: int | None = None
    committed: int | None = None  # the batch once a chunk of it is in the database
    taken, written, total = 0, 0, sum(len(group) for group in groups)
    try:
        for number in itertools.count(1):
            positions, taken = sizing.take(groups, taken)
            last = taken == len(groups)
            started = time.perf_counter()
            one_commit_at_a_time(session)
            if batch_id is None:
                batch = new_batch(session, actor, preview, filename)
                batch.state, batch_id = IN_PROGRESS, batch.id
            rest = [p for group in groups[taken:] for p in group]
            rows = _replan(session, spec, actor, preview, positions, rest)
            batch = _batch(session, batch_id)
            spec.write_rows(session, actor, batch, rows, preview, undo)
            for position, row in zip(positions, rows, strict=True):
                preview.rows[position].record_id = row.record_id
            if last:
                finish_batch(session, actor, batch, preview, undo)
                batch.state = DONE
            else:
                batch.report = dict(undo)  # what a revert needs, should a later chunk fail
            batch.progressed_at = utcnow()
            session.commit()
            committed = batch_id
            sizing.took(time.perf_counter() - started)
            written += len(positions)
            if progress is not None:
                progress(written / total)
            if last:
                break
            if session.get_bind().dialect.name == "sqlite":
                time.sleep(YIELD_SECONDS)
            if between is not None:
                between(number)
    except Exception:
        session.rollback()  # a batch created in this chunk goes with it
        if committed is not None:
            _revert_quietly(session, committed, actor)
        raise
    assert batch_id is not None  # a preview with valid rows has at least one chunk
    return _batch(session, batch_id)


class _Sizing:
    """How many rows the next chunk takes: `fixed` rows, or as many as the last chunk's pace
    says fit in CHUNK_SECONDS (between FIRST_CHUNK_ROWS / 5 and CHUNK_ROWS)."""

    def __init__(self, fixed: int | None) -> None:
        self.fixed = fixed
        self.rows = fixed or FIRST_CHUNK_ROWS
        self.last = self.rows

    def take(self, groups: list[list[int]], start: int) -> tuple[list[int], int]:
        """The positions of the next chunk (whole groups from `start`), and where it ends."""
        positions: list[int] = []
        end = start
        while end < len(groups):
            if positions and len(positions) + len(groups[end]) > self.rows:
                break
            positions.extend(groups[end])
            end += 1
        self.last = len(positions)
        return positions, end

    def took(self, seconds: float) -> None:
        if self.fixed is not None or seconds <= 0:
            return
        paced = int(self.last * CHUNK_SECONDS / seconds)
        self.rows = max(FIRST_CHUNK_ROWS // 5, min(CHUNK_ROWS, paced))


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
    session: Session,
    spec: Importer,
    actor: Actor,
    whole: ImportPreview,
    positions: list[int],
    rest: list[int],
) -> list[RowOutcome]:
    """The chunk's rows planned again now, under the lock; StalePreview (in the importer's
    words, naming the lines) when one would be written otherwise than the preview said. It
    names every such line of the file, the later chunks' too (`rest`), not only this one's."""
    fresh, changed = _planned(session, spec, actor, whole, positions)
    if changed:
        changed += _planned(session, spec, actor, whole, rest)[1] if rest else []
        raise StalePreview(spec.stale, n=len(changed), rows=rows_named(changed))
    return fresh


def _planned(
    session: Session, spec: Importer, actor: Actor, whole: ImportPreview, positions: list[int]
) -> tuple[list[RowOutcome], list[int]]:
    """The rows at `positions` planned now, and the file's lines planned otherwise than the
    preview said."""
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
    return fresh.rows, changed


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
