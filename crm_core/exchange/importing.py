"""CSV import: read a file, map its columns, preview every row's fate, commit, list and revert.

A preview writes nothing: for each line of the file (the header is line 1) it says what an
import would do (create, update or skip) and why: field errors from the forms' validation,
likely duplicates of stored records or of earlier lines, update rows that match nothing.
A commit plans again inside its transaction (refusing if anything changed since the preview),
writes the valid rows through the write path (permission and audit per record) and records an
ImportBatch whose report keeps what `revert_import` needs to undo the import as a whole.
Each kind of file has its importer, listed in `crm_core.wiring` (customers, orders, leads).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.csv_files import UnreadableFile as UnreadableFile
from crm_core.kernel.csv_files import read_csv as read_csv  # the framework's reading step
from crm_core.kernel.errors import CRMError, NotFound, PermissionDenied
from crm_core.kernel.messages import Message, label, msg, to_json
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models import ImportBatch, User
from crm_core.models.enums import AuditAction, Entity

FIRST_LINE = 2  # the header is line 1 of the file
Progress = Callable[[float], None]


class ImportMode(StrEnum):
    CREATE_ONLY = "create_only"
    CREATE_OR_UPDATE = "create_or_update"
    UPDATE_ONLY = "update_only"


class MatchKey(StrEnum):
    """How a row finds its customer; emails and phones are compared normalised."""

    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL_ID = "external_id"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def word(self) -> Message:
        """The key as a sentence names it ("same email as ..."), in the reader's language."""
        return Message(f"key.{self.value}")


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"


class RowStatus(StrEnum):
    OK = "ok"
    BAD = "bad"  # a field is invalid: fix the file
    DUPLICATE = "duplicate"  # likely the same record as a stored one or an earlier line
    UNMATCHED = "no match"  # an update row whose customer does not exist
    UNCHANGED = "unchanged"  # an update row that changes nothing
    EMPTY = "empty"  # a blank line


class StalePreview(CRMError):
    """The data changed between the preview and the commit; nothing was imported."""


class RevertRefused(CRMError):
    """A record the import touched changed since; nothing was reverted."""


@dataclass
class RowOutcome:
    """One line of the file: what the import does with it, and every reason why."""

    row: int
    action: RowAction = RowAction.CREATE
    status: RowStatus = RowStatus.OK
    errors: dict[str, Message] = field(default_factory=dict)  # field -> message code
    reasons: list[Message] = field(default_factory=list)  # duplicates, no match, ...
    values: dict[str, Any] = field(default_factory=dict)  # what is written
    target_id: int | None = None  # the customer updated, or the order's customer
    target_version: int | None = None
    group: str | None = None  # orders: the order this line belongs to
    record_id: int | None = None  # after commit: the record created or updated

    def reject(self, errors: Mapping[str, Message]) -> None:
        self.action, self.status = RowAction.SKIP, RowStatus.BAD
        self.errors.update(errors)

    def skip(self, status: RowStatus, *reasons: Message) -> None:
        self.action, self.status = RowAction.SKIP, status
        self.reasons.extend(reasons)


@dataclass
class ImportPreview:
    kind: str  # the importer's kind (crm_core.exchange.registry), stored on the batch
    mode: ImportMode
    match_key: MatchKey
    mapping: dict[str, str]  # CSV column -> field
    frame: pd.DataFrame
    rows: list[RowOutcome]
    options: dict[str, Any] = field(default_factory=dict)  # more arguments a commit repeats
    # What the user should know before deciding to import (a file imported before, rows that
    # overlap stored records...): message codes the page shows above the commit button.
    notices: list[Message] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Rows in = create + update + skipped + bad: nothing is dropped silently."""
        status = {s: sum(r.status is s for r in self.rows) for s in RowStatus}
        action = {a: sum(r.action is a for r in self.rows) for a in RowAction}
        counts = {"rows": len(self.rows), "create": action[RowAction.CREATE]}
        counts["update"], counts["bad"] = action[RowAction.UPDATE], status[RowStatus.BAD]
        counts["skipped"] = action[RowAction.SKIP] - status[RowStatus.BAD]
        counts |= {s.value: status[s] for s in RowStatus if s not in (RowStatus.OK, RowStatus.BAD)}
        # Rows that group (the lines of one order) also count their groups.
        groups = {r.group for r in self.rows if r.action is RowAction.CREATE}
        counts["groups"] = len(groups - {None})
        return counts

    @property
    def valid(self) -> int:
        return sum(r.action is not RowAction.SKIP for r in self.rows)

    def plan(self) -> list[tuple[Any, ...]]:
        """What a commit would do; a commit refuses when its fresh plan differs."""
        return [(r.row, r.action, r.status, r.target_id, r.target_version) for r in self.rows]

    def report(self) -> pd.DataFrame:
        """Every row: action, status, errors and reasons (by the file's column names), then
        the row's own cells under the file's headers, so a user fixes the file from it."""
        records = row_records(self.rows, self.mapping, self.frame)
        return report_frame(records, [str(c) for c in self.frame.columns])

    def problems(self, *statuses: RowStatus) -> pd.DataFrame:
        """The report of the rows with these statuses only (their cells read for them alone)."""
        rows = [r for r in self.rows if r.status in statuses]
        records = row_records(rows, self.mapping, self.frame)
        return report_frame(records, [str(c) for c in self.frame.columns])


REPORT_COLUMNS = ["row", "order", "action", "status", "errors", "reasons", "record_id"]


FILE_COLUMN_PREFIX = "file:"  # a file's header named like a report column ("status")


def report_frame(records: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """The report's own columns, then the file's (`columns`, in the file's order; by default
    those the records hold): a row without its cells (one imported) has them empty."""
    frame = pd.DataFrame(records, columns=REPORT_COLUMNS)
    frame["record_id"] = frame["record_id"].astype("Int64")
    held = [r.get("cells") or {} for r in records]
    if columns is None:
        columns = list(dict.fromkeys(c for cells in held for c in cells))
    for column in columns:
        name = FILE_COLUMN_PREFIX + column if column in REPORT_COLUMNS else column
        frame[name] = [cells.get(column, "") for cells in held]
    return frame


def row_records(
    rows: Iterable[RowOutcome],
    mapping: Mapping[str, str],
    frame: pd.DataFrame | None = None,
    *,
    skipped_only: bool = False,
) -> list[dict[str, Any]]:
    """The report's records; with the file's `frame`, each row's own cells under the file's
    headers (`skipped_only`: only for the rows not imported, the ones a user fixes)."""
    column_of = {f: c for c, f in mapping.items()}
    rows = list(rows)
    cells = {} if frame is None else _cells(frame, rows, skipped_only)
    return [
        {
            "row": r.row,
            "order": r.group,
            "action": r.action.value,
            "status": r.status.value,
            # Message codes as JSON text (the report is stored with the batch): said by
            # render_report in the reader's language.
            "errors": _said_later(
                [
                    msg("error.field", field=column_of.get(f, f), problem=m)
                    for f, m in r.errors.items()
                ]
            ),
            "reasons": _said_later(r.reasons),
            "record_id": r.record_id,
            **({"cells": cells[r.row]} if r.row in cells else {}),
        }
        for r in rows
    ]


def _cells(
    frame: pd.DataFrame, rows: list[RowOutcome], skipped_only: bool
) -> dict[int, dict[str, Any]]:
    """The file's cells of these rows (by line number), read for them alone: a preview of
    100,000 good rows does not copy the file to list its ten bad ones."""
    wanted = [
        r.row for r in rows
        if 0 <= r.row - FIRST_LINE < len(frame)
        and not (skipped_only and r.action is not RowAction.SKIP)
    ]  # fmt: skip
    picked = frame.iloc[[line - FIRST_LINE for line in wanted]].astype(str)
    header = [str(c) for c in frame.columns]
    return {
        line: dict(zip(header, values, strict=True))
        for line, values in zip(wanted, picked.itertuples(index=False, name=None), strict=True)
    }


def _said_later(messages: list[Message]) -> str:
    return to_json(msg("format.list", items=messages)) if messages else ""


# ---- reading the file and proposing a mapping -------------------------------------------------


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def suggest_mapping(
    columns: Iterable[str], synonyms: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """CSV column -> field by header similarity ("E-mail", "No HP", "Nama" included).

    A field's own name first, then exact synonyms, close spellings, a synonym inside the
    header; each field is proposed for one column at most. Unmatched columns are left out.
    """
    names = {normalise_header(s): f for f, words in synonyms.items() for s in (f, *words)}
    own = {normalise_header(f): f for f in synonyms}
    columns = list(columns)
    mapping: dict[str, str] = {}

    def propose(column: str, found: str | None) -> None:
        if found and found not in mapping.values() and column not in mapping:
            mapping[column] = found

    for lookup in (own, names):
        for column in columns:
            propose(column, lookup.get(normalise_header(column)))
    for column in columns:
        close = difflib.get_close_matches(normalise_header(column), names, n=1, cutoff=0.8)
        propose(column, names[close[0]] if close else None)
    for column in columns:
        key = normalise_header(column)
        inside = [n for n in names if len(n) >= 4 and n in key]
        propose(column, names[max(inside, key=len)] if inside else None)
    return mapping


def check_mapping(
    frame: pd.DataFrame, mapping: Mapping[str, str], fields: Iterable[str], required: set[str]
) -> None:
    """Refuse a mapping that names unknown columns or fields, or misses a required field."""
    known, problems = set(fields), []
    problems += [msg("mapping.no_column", column=c) for c in mapping if c not in frame.columns]
    problems += [msg("mapping.not_a_field", field=f) for f in mapping.values() if f not in known]
    twice = sorted({f for f in mapping.values() if list(mapping.values()).count(f) > 1})
    problems += [msg("mapping.twice", field=Message(f"field.{f}")) for f in twice]
    missing = sorted(required - set(mapping.values()))
    problems += [msg("mapping.required", field=Message(f"field.{f}")) for f in missing]
    if problems:
        raise CRMError("mapping.check", problems=problems)


def mapped_records(frame: pd.DataFrame, mapping: Mapping[str, str]) -> list[dict[str, str]]:
    """Each row as field -> stripped text, blank cells left out; the apostrophe a safe export
    puts before "+62..." (so a spreadsheet does not run it as a formula) is taken off again."""
    picked = frame[list(mapping)].rename(columns=dict(mapping))
    return [
        {str(k): _cell(v) for k, v in rec.items() if isinstance(v, str) and v.strip()}
        for rec in picked.to_dict("records")
    ]


def _cell(text: str) -> str:
    # A NUL (U+0000, which a UTF-16 file can hold) becomes U+FFFD, as a decoder marks a
    # character it cannot read: the previews look SKUs, references and emails up before
    # validating them, and PostgreSQL refused the query with a raw error.
    text = text.strip().replace("\x00", "\ufffd")
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def parse_choice(text: str, synonyms: Mapping[str, str] | None = None) -> str:
    """An enum value however cased, or its Indonesian/other name ("toko" -> "store")."""
    low = " ".join(text.strip().lower().replace("_", " ").split())
    return (synonyms or {}).get(low, low)


_IMPORT_LOCK = 0x52454C41  # "RELA": the advisory lock key of import commits (PostgreSQL)


def one_commit_at_a_time(session: Session) -> None:
    """Hold the import lock until this transaction ends, before an import plans its rows
    again: two imports of the same new emails at once must not both see them as new. On
    SQLite the write transaction (BEGIN IMMEDIATE) already is that lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})


def changed_rows(fresh: ImportPreview, seen: ImportPreview) -> list[int]:
    """The file's lines that would now be handled otherwise than the preview showed."""
    pairs = zip(fresh.rows, fresh.plan(), seen.plan(), strict=True)
    return [row.row for row, now, before in pairs if now != before]


def rows_named(lines: list[int], shown: int = 5) -> Message:
    """ "2, 3, 4, 5, 6 and 195 more": which lines, short enough for a message."""
    listed = ", ".join(str(line) for line in lines[:shown])
    if len(lines) <= shown:
        return msg("import.rows", rows=listed)
    return msg("import.rows_and_more", rows=listed, more=len(lines) - shown)


def chunks(values: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    """IN lists short enough for every engine's parameter limit."""
    items = list(values)
    for low in range(0, len(items), size):
        yield items[low : low + size]


# ---- batches: record, list, report, revert ---------------------------------------------------


def require_import_right(actor: Actor, action: Action, what: Message) -> None:
    """The matrix's rights on imports (read: see them, create: import, delete: revert),
    refused in the import page's words (`what`: import.see, import.revert...)."""
    if not allowed(actor, Entity.IMPORT, action):
        raise PermissionDenied("error.role_cannot", role=label(actor.role), what=what)


def new_batch(session: Session, actor: Actor, preview: ImportPreview, filename: str) -> ImportBatch:
    """The batch row first, so that the records an import creates can point at it."""
    require_import_right(actor, Action.CREATE, msg("import.files"))
    batch = ImportBatch(kind=preview.kind, filename=filename[:200], actor_id=actor.id)
    batch.report = {}
    session.add(batch)
    session.flush()
    return batch


def finish_batch(
    session: Session, actor: Actor, batch: ImportBatch, preview: ImportPreview, undo: dict[str, Any]
) -> ImportBatch:
    """Store the full report and what revert needs; audit the import itself."""
    counts = preview.counts
    batch.report = {
        "mode": preview.mode.value,
        "match_key": preview.match_key.value,
        "mapping": preview.mapping,
        "counts": counts,
        # the cells of the rows not imported, so that a past import's report shows them too
        "rows": row_records(preview.rows, preview.mapping, preview.frame, skipped_only=True),
        "columns": [str(c) for c in preview.frame.columns],
        **undo,
    }
    summary = {k: (None, counts[k]) for k in ("rows", "create", "update", "bad", "skipped")}
    writepath.record_event(session, actor, Entity.IMPORT, batch.id, AuditAction.CREATE, summary)
    session.flush()
    return batch


def progress_every(total: int, progress: Progress | None) -> Callable[[int], None]:
    """A tick(done) that reports progress about a hundred times over `total` steps."""
    step = max(1, total // 100)

    def tick(done: int) -> None:
        if progress is not None and (done % step == 0 or done == total):
            progress(done / total)

    return tick


def list_imports(session: Session, actor: Actor, limit: int = 50) -> pd.DataFrame:
    """The newest imports first: who, when, what file, the counts, whether reverted, and
    whether it is still being written or failed (then it was reverted as a whole)."""
    require_import_right(actor, Action.READ, msg("import.see"))
    stmt = (
        select(
            ImportBatch.id, ImportBatch.kind, ImportBatch.filename, ImportBatch.at,
            User.name.label("by"), ImportBatch.report["counts"].label("counts"),
            ImportBatch.reverted_at, ImportBatch.state,
        )
        .outerjoin(User, User.id == ImportBatch.actor_id)
        .order_by(ImportBatch.at.desc(), ImportBatch.id.desc())
        .limit(limit)
    )  # fmt: skip
    rows = [row._asdict() for row in session.execute(stmt)]
    for row in rows:
        counts = row.pop("counts") or {}
        row.update({k: counts.get(k, 0) for k in ("rows", "create", "update", "bad", "skipped")})
    # state: done, in_progress (its chunks are being written), failed (reverted as a whole)
    columns = ["id", "kind", "filename", "at", "by", "reverted_at", "state"]
    return pd.DataFrame(rows, columns=[*columns, "rows", "create", "update", "bad", "skipped"])


def batch_report(session: Session, actor: Actor, batch_id: int) -> pd.DataFrame:
    """The report of a past import, row by row, as it was when committed."""
    require_import_right(actor, Action.READ, msg("import.see"))
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("error.no_import", id=batch_id)
    return report_frame(batch.report.get("rows", []), batch.report.get("columns"))


def render_report(report: pd.DataFrame, say: Callable[[str], str]) -> pd.DataFrame:
    """The report with its errors and reasons (message codes) said by `say`, for a reader."""
    said = report.copy()
    for column in ("errors", "reasons"):
        said[column] = report[column].map(lambda text: say(text) if text else "")
    return said
