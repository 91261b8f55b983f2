"""Backup and move: every table of the one metadata into one zip archive, and back.

The archive holds `manifest.json` (format, the Alembic schema revision, per table its columns,
how each column's values are written, and its row count) and `tables/<table>.jsonl`, one JSON
array per row. Both directions stream in chunks of CHUNK rows, so memory stays flat whatever
the size of the database. A restore keeps every id, resets PostgreSQL's sequences after, and
refuses a database that holds data unless asked to replace it. An archive of an older schema
is restored into that schema (the database is rebuilt at the archive's revision), then
migrated to the newest one, so the migrations themselves carry its data forward; what the
database held is copied aside first and put back should that restore fail.

The schema operations (which revision is the newest, upgrading to one) are the `Schema` the
caller passes: Alembic lives in db/, which crm_core does not import.
"""

from __future__ import annotations

import base64
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Time,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import StatementError
from sqlalchemy.types import TypeDecorator, TypeEngine

from crm_core.kernel.errors import CRMError
from crm_core.kernel.messages import N_
from crm_core.kernel.permissions import Actor, Capability, require_capability
from crm_core.models import Base

FORMAT = "relasi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 2000
VERSION_TABLE = "alembic_version"
# Rows that a running app writes by itself into an empty database (the value refresher's
# log and figures, sign-in tries): they do not make a database "hold data".
HOUSEKEEPING = frozenset({"value_refreshes", "customer_values", "sign_in_attempts"})

Target = str | Path | IO[bytes]
Progress = Callable[[str, int], None]  # table, rows so far


class Schema(Protocol):
    """The migrations, as db/migrate.py offers them."""

    def head(self) -> str: ...

    def knows(self, revision: str) -> bool: ...

    def upgrade(self, engine: Engine, revision: str) -> None: ...


@dataclass(frozen=True)
class Manifest:
    revision: str
    tables: dict[str, dict[str, Any]]  # name -> {"columns": [...], "kinds": [...], "rows": n}
    created_at: str

    @property
    def rows(self) -> dict[str, int]:
        return {name: int(table["rows"]) for name, table in self.tables.items()}


# --- export -------------------------------------------------------------------------------


def export_all(
    engine: Engine,
    target: Target,
    schema: Schema,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Write every table into one archive at `target` (a path or a binary file)."""
    if actor is not None:
        require_capability(actor, Capability.BACKUP)
    with _consistent(engine) as conn, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        revision = current_revision(conn)
        if revision is None:
            raise CRMError(N_("backup.no_schema"))
        tables = _tables(conn, revision == schema.head())
        described: dict[str, dict[str, Any]] = {}
        for table in tables:
            described[table.name] = _export_table(conn, zf, table, progress)
        manifest = Manifest(revision, described, datetime.now().astimezone().isoformat())
        zf.writestr(MANIFEST, json.dumps(_manifest_json(manifest), indent=1))
    return manifest


@contextmanager
def _consistent(engine: Engine) -> Iterator[Connection]:
    """One read transaction for every table: a consistent snapshot (REPEATABLE READ on
    PostgreSQL; SQLite's read transaction in WAL mode is one by itself)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as transaction:
            yield conn
            transaction.rollback()


def _tables(conn: Connection, at_head: bool) -> list[Table]:
    """The metadata's tables at the newest schema; an older database's own, as reflected."""
    if at_head:
        return list(Base.metadata.sorted_tables)
    reflected = MetaData()
    reflected.reflect(conn)
    return [t for t in reflected.sorted_tables if t.name != VERSION_TABLE]


def _export_table(
    conn: Connection, zf: zipfile.ZipFile, table: Table, progress: Progress | None
) -> dict[str, Any]:
    columns = list(table.columns)
    kinds = [_kind(c.type) for c in columns]
    encoders = [_ENCODE[k] for k in kinds]
    order = list(table.primary_key.columns) or columns
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
        select(*columns).order_by(*order)
    )
    rows = 0
    with zf.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        for chunk in result.partitions(CHUNK):
            lines = [
                json.dumps([enc(v) for enc, v in zip(encoders, row, strict=True)],
                           ensure_ascii=False, separators=(",", ":"))
                for row in chunk
            ]  # fmt: skip
            out.write("\n".join(lines) + "\n")
            rows += len(lines)
            if progress is not None:
                progress(table.name, rows)
        out.flush()
        out.detach()
    return {"columns": [c.name for c in columns], "kinds": kinds, "rows": rows}


def _kind(type_: TypeEngine[Any]) -> str:
    """How a column's values are written: JSON has no dates, decimals or bytes of its own."""
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    checks: tuple[tuple[type, str], ...] = (
        (JSON, "json"), (DateTime, "datetime"), (Date, "date"), (Time, "time"),
        (Float, "plain"), (Numeric, "decimal"), (LargeBinary, "bytes"),
    )  # fmt: skip
    for cls, kind in checks:
        if isinstance(type_, cls):
            return kind
    return "plain"


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _decimal(value: Any) -> Any:
    return None if value is None else str(value)


def _bytes(value: Any) -> Any:
    return None if value is None else base64.b64encode(value).decode("ascii")


def _naive_utc(value: datetime | None) -> str | None:
    # Relasi keeps naive UTC everywhere; an aware value (a foreign column) is turned into it.
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return None if value is None else value.isoformat()


_ENCODE: dict[str, Callable[[Any], Any]] = {
    "plain": lambda v: v, "json": lambda v: v, "datetime": _naive_utc, "date": _iso,
    "time": _iso, "decimal": _decimal, "bytes": _bytes,
}  # fmt: skip
_DECODE: dict[str, Callable[[Any], Any]] = {
    "plain": lambda v: v, "json": lambda v: v,
    "datetime": lambda v: None if v is None else datetime.fromisoformat(v),
    "date": lambda v: None if v is None else date.fromisoformat(v),
    "time": lambda v: None if v is None else time.fromisoformat(v),
    "decimal": lambda v: None if v is None else Decimal(v),
    "bytes": lambda v: None if v is None else base64.b64decode(v),
}  # fmt: skip


def _manifest_json(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": manifest.revision,
        "created_at": manifest.created_at,
        "tables": manifest.tables,
    }


# --- import -------------------------------------------------------------------------------


def read_manifest(source: Target) -> Manifest:
    """The archive's manifest; refused with a reason when it is no Relasi backup."""
    try:
        with zipfile.ZipFile(source) as zf:
            data = json.loads(zf.read(MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CRMError(N_("backup.not_an_archive")) from exc
    finally:
        _rewind(source)
    ours = isinstance(data, dict) and data.get("format") == FORMAT
    if not ours or data.get("format_version") != FORMAT_VERSION or "schema_revision" not in data:
        raise CRMError(N_("backup.not_an_archive"))
    return Manifest(data["schema_revision"], data.get("tables", {}), data.get("created_at", ""))


def import_all(
    engine: Engine,
    source: Target,
    schema: Schema,
    *,
    replace: bool = False,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Restore an archive into `engine`'s database, ids kept, then bring it to the newest
    schema. A database holding data is refused unless `replace` (then its rows are gone). A
    restore that fails leaves the database as it was."""
    if actor is not None:
        require_capability(actor, Capability.BACKUP)
    manifest = read_manifest(source)
    if not schema.knows(manifest.revision):
        raise CRMError(N_("backup.unknown_schema"), revision=manifest.revision)
    if not replace and holds_data(engine):
        raise CRMError(N_("backup.not_empty"))
    if manifest.revision == schema.head():
        schema.upgrade(engine, manifest.revision)
        _restore(engine, source, manifest, True, progress)  # one transaction: all or nothing
    else:
        _restore_older(engine, source, manifest, schema, progress)
    return manifest


def _restore_older(
    engine: Engine, source: Target, manifest: Manifest, schema: Schema, progress: Progress | None
) -> None:
    """The database is rebuilt at the archive's revision, which no transaction can undo on
    SQLite: what it holds is first copied aside, and put back if the restore fails."""
    with tempfile.TemporaryFile() as kept:
        held = holds_data(engine)
        if held:
            export_all(engine, kept, schema)  # refuses a database of no known schema, untouched
        try:
            _rebuild_and_restore(engine, source, manifest, schema, progress)
        except Exception:
            if held:
                kept.seek(0)
                _rebuild_and_restore(engine, kept, read_manifest(kept), schema, None)
            raise


def _rebuild_and_restore(
    engine: Engine, source: Target, manifest: Manifest, schema: Schema, progress: Progress | None
) -> None:
    drop_everything(engine)
    schema.upgrade(engine, manifest.revision)
    _restore(engine, source, manifest, manifest.revision == schema.head(), progress)
    schema.upgrade(engine, schema.head())


def _restore(
    engine: Engine, source: Target, manifest: Manifest, at_head: bool, progress: Progress | None
) -> None:
    """Every table of the archive into the database, whose schema is at the archive's revision."""
    with engine.begin() as conn, zipfile.ZipFile(source) as zf:
        tables = _tables(conn, at_head)
        _check_columns(manifest, tables)
        _empty(conn, tables)
        for table in tables:
            try:
                _load(conn, zf, table, manifest.tables[table.name], progress)
            except (ValueError, KeyError, TypeError, zipfile.BadZipFile, StatementError) as exc:
                raise CRMError(N_("backup.damaged"), table=table.name) from exc
        reset_sequences(conn, tables)
    _rewind(source)


def _rewind(source: Target) -> None:
    if hasattr(source, "seek"):
        source.seek(0)


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    revision = conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return None if revision is None else str(revision)


def holds_data(engine: Engine) -> bool:
    """Whether any table of the database has a row (the app's housekeeping aside)."""
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        counted = [
            t for t in Base.metadata.sorted_tables
            if t.name in existing and t.name not in HOUSEKEEPING
        ]  # fmt: skip
        return any(
            conn.scalar(select(literal(1)).select_from(t).limit(1)) is not None for t in counted
        )


def drop_everything(engine: Engine) -> None:
    """Every table of the database, the schema version's too: it is then rebuilt by the
    migrations at the archive's revision."""
    with engine.begin() as conn:
        reflected = MetaData()
        reflected.reflect(conn)
        reflected.drop_all(conn)


def _check_columns(manifest: Manifest, tables: list[Table]) -> None:
    for table in tables:
        described = manifest.tables.get(table.name)
        if described is None or set(described["columns"]) != set(table.columns.keys()):
            raise CRMError(N_("backup.tables_differ"), table=table.name)
    extra = set(manifest.tables) - {t.name for t in tables}
    if extra:
        raise CRMError(N_("backup.tables_differ"), table=", ".join(sorted(extra)))


def _empty(conn: Connection, tables: list[Table]) -> None:
    for table in reversed(tables):
        conn.execute(table.delete())


def _self_references(table: Table) -> list[str]:
    """Columns pointing at the same table (a merged customer, who last changed a user):
    written once every row is in, so that no row waits for one later in the file."""
    return [c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]


def _rows(
    zf: zipfile.ZipFile, table: str, described: dict[str, Any]
) -> Iterator[list[dict[str, Any]]]:
    names, decoders = described["columns"], [_DECODE[k] for k in described["kinds"]]
    chunk: list[dict[str, Any]] = []
    with zf.open(f"tables/{table}.jsonl") as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            values = json.loads(line)
            chunk.append({n: d(v) for n, d, v in zip(names, decoders, values, strict=True)})
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _load(
    conn: Connection,
    zf: zipfile.ZipFile,
    table: Table,
    described: dict[str, Any],
    progress: Progress | None,
) -> None:
    later = _self_references(table)
    done = 0
    for chunk in _rows(zf, table.name, described):
        conn.execute(insert(table), [{**row, **dict.fromkeys(later)} for row in chunk])
        done += len(chunk)
        if progress is not None:
            progress(table.name, done)
    if not later:
        return
    key = [c.name for c in table.primary_key.columns]
    for chunk in _rows(zf, table.name, described):
        for row in chunk:
            values = {name: row[name] for name in later if row[name] is not None}
            if values:
                where = [table.c[k] == row[k] for k in key]
                conn.execute(update(table).where(*where).values(values))


def reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each id sequence continues after the highest id restored."""
    if conn.dialect.name != "postgresql":
        return  # SQLite takes the next id from the rows themselves
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) != 1:
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": key[0].name}
        )
        if sequence is None:
            continue
        conn.execute(
            text(
                f'SELECT setval(:s, COALESCE((SELECT MAX("{key[0].name}") FROM "{table.name}"), 1),'
                f' (SELECT MAX("{key[0].name}") FROM "{table.name}") IS NOT NULL)'
            ),
            {"s": sequence},
        )
