"""Command line for operators: migrate, seed demo data, create users.

    python manage.py migrate
    python manage.py seed [--customers N | --size demo|bench] [--seed 42]
    python manage.py createuser USERNAME --role admin [--name NAME] [--email EMAIL]
    python manage.py import customers|orders|products FILE.csv --as USERNAME [--mode create_only]
        [--match email|phone|external_id] [--map "CSV column=field" ...] [--dry-run]
        [--report REPORT.csv] [--create-products (orders: unknown SKUs become products)]
    python manage.py export customers|orders|products FILE.csv --as USERNAME
    python manage.py export customers FILE.csv --as USERNAME --values [--separator ";"]
        (the customers list with its value figures, for a spreadsheet)
    python manage.py revert-import BATCH_ID --as USERNAME
    python manage.py follow-up-stalled --as USERNAME   (daily, from cron: stalled leads)
    python manage.py refresh-values [--full | --incremental]    (by hand or from cron)
    python manage.py export-all BACKUP.zip              (every table, with the schema version)
    python manage.py import-all BACKUP.zip [--replace]  (into an empty database, ids kept)

The database is the app's: CRM_DATABASE_URL, else [connections.crm] url in
.streamlit/secrets.toml, else the embedded data/relasi.db.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crm_core.admin import users
from crm_core.exchange import importing, registry, reverting
from crm_core.exchange.importing import ImportMode, ImportPreview, MatchKey
from crm_core.exchange.registry import importer
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Action, Actor, may
from crm_core.kernel.settings import team_settings
from crm_core.models import User
from crm_core.models.enums import Entity, Role
from crm_core.sales import pipeline
from db.engine import make_engine, pool_from, resolve_url
from db.migrate import upgrade
from db.session import session_scope

SECRETS = Path(__file__).resolve().parent / ".streamlit" / "secrets.toml"


def _engine() -> Engine:
    secrets: dict[str, Any] = tomllib.loads(SECRETS.read_text()) if SECRETS.exists() else {}
    url, _embedded = resolve_url(secrets=secrets)
    return make_engine(url, pool=pool_from(secrets=secrets))


def cmd_migrate(_args: argparse.Namespace) -> int:
    engine = _engine()
    upgrade(engine)
    print(f"Database at {engine.url.render_as_string(hide_password=True)} is at the newest schema.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from db import demo

    engine = _engine()
    upgrade(engine)
    try:
        size = demo.size_for(args.customers) if args.customers else demo.SIZES[args.size]
    except ValueError as exc:
        print(f"Not seeded: {exc}", file=sys.stderr)
        return 1
    started = time.perf_counter()

    def progress(step: str, done: float) -> None:
        print(f"\r[{done:>4.0%}] {step:<40}", end="", flush=True)

    try:
        counts = demo.seed(engine, size, seed=args.seed, progress=progress)
    except ValueError as exc:
        print(f"\nNot seeded: {exc}", file=sys.stderr)
        return 1
    print(f"\nSeeded in {time.perf_counter() - started:.1f} s:")
    for table, count in counts.items():
        print(f"  {table:<22} {count:>10,}")
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Password (at least 8 characters): ")
    data = {
        "username": args.username,
        "name": args.name or args.username,
        "email": args.email or f"{args.username}@localhost.localdomain",
        "role": args.role,
        "password": password,
    }
    engine = _engine()
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            user = users.create_user(session, None, data)
            print(f"Created {user.role.value} {user.username} (#{user.id}).")
    except ValidationError as exc:
        for field, message in exc.field_errors.items():
            print(f"{field}: {render(message)}", file=sys.stderr)
        return 1
    return 0


# Import, export and revert are the import page's tools: the same roles may use them here.
IMPORT_PAGE = (Entity.IMPORT, Action.CREATE)
IMPORTERS = " or ".join(role.value for role in Role if may(role, IMPORT_PAGE))
ACTING = f"the user the command acts as: an active {IMPORTERS}"


def _acting(session: Session, username: str) -> Actor:
    """The named user the command acts as: active, in a role that may use the import page."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active or not may(user.role, IMPORT_PAGE):
        raise CRMError(f"--as {username}: not an active {IMPORTERS}.")
    return users.actor_for(user)


def _mapping(args: argparse.Namespace, columns: list[str]) -> dict[str, str]:
    """Proposed from the headers, then each --map "column=field" ("column=" ignores it)."""
    mapping = importing.suggest_mapping(columns, importer(args.kind).fields)
    for item in args.map or []:
        column, _, field = item.partition("=")
        mapping.pop(column.strip(), None)
        if field.strip():
            mapping = {c: f for c, f in mapping.items() if f != field.strip()}
            mapping[column.strip()] = field.strip()
    return mapping


def _print_preview(preview: ImportPreview) -> None:
    for column, field in preview.mapping.items():
        print(f"  {column!r:>28} -> {field}")
    counts = preview.counts
    print(", ".join(f"{name}: {count:,}" for name, count in counts.items()))
    report = importing.render_report(preview.report(), render)  # in English, like the logs
    for row in report[report["action"] == "skip"].itertuples():
        detail = "; ".join(str(part) for part in (row.errors, row.reasons) if part)
        print(f"  row {row.row}: {row.status}: {detail}")
    for notice in preview.notices:  # a file imported before, overlaps, unknown SKUs
        print(f"Note: {render(notice)}")


def cmd_import(args: argparse.Namespace) -> int:
    kind = args.kind
    if args.create_products and kind != "orders":
        print("--create-products is for orders only.", file=sys.stderr)
        return 1
    try:
        frame = importing.read_csv(Path(args.file))
    except (OSError, importing.UnreadableFile) as exc:
        print(f"Could not read {args.file} as CSV: {exc}", file=sys.stderr)
        return 1
    engine = _engine()
    upgrade(engine)
    mapping = _mapping(args, list(frame.columns))
    started = time.perf_counter()
    try:
        # The preview reads only: on SQLite a write session would hold the write lock while
        # a 100,000-row file is planned; the import then commits in short chunks.
        with session_scope(engine, write=False) as session:
            actor = _acting(session, args.as_user)
            extra = {"create_products": True} if args.create_products else {}
            preview = importer(kind).preview(
                session, actor, frame, mapping, args.mode, args.match, **extra
            )
        _print_preview(preview)
        print(f"Previewed {len(frame):,} rows in {time.perf_counter() - started:.1f} s.")
        report = preview.report()
        if preview.valid == 0:
            print("Nothing to import: no row is valid.", file=sys.stderr)
        elif not args.dry_run:
            with session_scope(engine) as session:
                batch = importer(kind).write(
                    session, actor, preview, Path(args.file).name, _progress
                )
                report = importing.batch_report(session, actor, batch.id)
            print(
                f"\nImported as batch #{batch.id} ({preview.valid:,} rows) in "
                f"{time.perf_counter() - started:.1f} s; undo: revert-import {batch.id}"
            )
    except CRMError as exc:
        print(f"Not imported: {exc}", file=sys.stderr)
        return 1
    if args.report:
        Path(args.report).write_text(safe_csv(importing.render_report(report, render)))
    return 0 if preview.valid else 1


def _progress(done: float) -> None:
    print(f"\r[{done:>4.0%}] importing", end="", flush=True)


def cmd_export(args: argparse.Namespace) -> int:
    if args.values and args.kind != "customers":
        print("--values is for customers only.", file=sys.stderr)
        return 1
    engine = _engine()
    try:
        with session_scope(engine, write=False) as session:
            actor = _acting(session, args.as_user)
            if args.values:
                return _export_values(session, actor, args)
            frame = importer(args.kind).export(session, actor)
    except CRMError as exc:
        print(f"Not exported: {exc}", file=sys.stderr)
        return 1
    Path(args.file).write_text(safe_csv(frame))
    print(f"Exported {len(frame):,} {args.kind} rows to {args.file}.")
    return 0


def _export_values(session: Session, actor: Actor, args: argparse.Namespace) -> int:
    """The customers list with its value figures (amounts as the actor may read them), as
    the Customers page downloads it, with English headers."""
    from crm_core.customers import export, listing

    frame = export.export_frame(session, actor)
    headers = {**listing.column_labels(), **export.VALUE_COLUMNS, "id": "ID"}
    zone = team_settings(session).time_zone
    raw = export.spreadsheet_csv(frame, headers, zone=zone, separator=args.separator)
    Path(args.file).write_bytes(raw)
    print(f"Exported {len(frame):,} customers with their value figures to {args.file}.")
    return 0


def cmd_revert_import(args: argparse.Namespace) -> int:
    engine = _engine()
    try:
        with session_scope(engine) as session:
            actor = _acting(session, args.as_user)
            batch = reverting.revert_import(session, actor, args.batch_id)
            print(f"Reverted import #{batch.id} ({batch.kind}, {batch.filename}).")
    except CRMError as exc:
        print(f"Not reverted: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_follow_up_stalled(args: argparse.Namespace) -> int:
    """A follow-up for the owner of each lead longer in its stage than the stage's usual days."""
    engine = _engine()
    try:
        with session_scope(engine) as session:
            made = pipeline.follow_up_stalled(session, _acting(session, args.as_user))
    except CRMError as exc:
        print(f"No follow-ups made: {exc}", file=sys.stderr)
        return 1
    print(f"Made {made:,} follow-ups for stalled leads.")
    return 0


def cmd_refresh_values(args: argparse.Namespace) -> int:
    """Refresh the stored customer value figures (what the app's background thread does)."""
    from functools import partial

    from crm_core.customers import value_store

    engine = _engine()
    upgrade(engine)
    full = True if args.full else (False if args.incremental else None)
    result = value_store.refresh(
        partial(session_scope, engine),
        full=full,
        progress=lambda step: print(f"Refreshing ({step})...", flush=True),
    )
    if result.kind == "busy":
        print("Another refresh is running; nothing done.", file=sys.stderr)
        return 1
    if result.kind == "unchanged":
        print("No customer changed since the last refresh; nothing to do.")
        return 0
    print(
        f"{result.kind.capitalize()} refresh: {result.customers:,} customers as of "
        f"{result.as_of:%Y-%m-%d %H:%M} UTC in {result.seconds:.1f} s."
    )
    return 0


def _table_progress(table: str, rows: int) -> None:
    print(f"\r  {table:<22} {rows:>10,}", end="", flush=True)


def cmd_export_all(args: argparse.Namespace) -> int:
    from crm_core.admin import backup
    from db.migrate import SCHEMA

    engine = _engine()
    started = time.perf_counter()
    try:
        manifest = backup.export_all(engine, Path(args.file), SCHEMA, progress=_table_progress)
    except CRMError as exc:
        print(f"Not exported: {exc}", file=sys.stderr)
        return 1
    print(
        f"\rExported {sum(manifest.rows.values()):,} rows of {len(manifest.rows)} tables "
        f"(schema {manifest.revision}) to {args.file} in {time.perf_counter() - started:.1f} s."
    )
    return 0


def cmd_import_all(args: argparse.Namespace) -> int:
    from crm_core.admin import backup
    from db.migrate import SCHEMA

    engine = _engine()
    started = time.perf_counter()
    try:
        manifest = backup.import_all(
            engine, Path(args.file), SCHEMA, replace=args.replace, progress=_table_progress
        )
    except CRMError as exc:
        print(f"\nNot imported: {exc}", file=sys.stderr)
        if exc.code == "backup.not_empty":
            print("--replace deletes what it holds, then restores.", file=sys.stderr)
        return 1
    print(
        f"\rImported {sum(manifest.rows.values()):,} rows of {len(manifest.rows)} tables "
        f"(archive schema {manifest.revision}, now {SCHEMA.head()}) "
        f"in {time.perf_counter() - started:.1f} s."
    )
    return 0


def _add_backup_commands(sub: Any) -> None:
    exp = sub.add_parser("export-all", help="back up every table into one zip archive")
    exp.add_argument("file")
    imp = sub.add_parser("import-all", help="restore a backup archive (ids kept)")
    imp.add_argument("file")
    imp.add_argument(
        "--replace", action="store_true", help="delete what the database holds, then restore"
    )


def _add_data_commands(sub: Any) -> None:
    kinds = registry.kinds()
    imp = sub.add_parser("import", help="import a CSV file of one of the kinds listed")
    imp.add_argument("kind", choices=kinds)
    imp.add_argument("file")
    imp.add_argument("--as", dest="as_user", metavar="USERNAME", required=True, help=ACTING)
    imp.add_argument("--mode", choices=[m.value for m in ImportMode], default="create_only")
    imp.add_argument("--match", choices=[k.value for k in MatchKey], default="email")
    imp.add_argument(
        "--map",
        action="append",
        metavar="COLUMN=FIELD",
        help="map a CSV column to a field (repeatable); COLUMN= ignores it",
    )
    imp.add_argument("--dry-run", action="store_true", help="preview only, write nothing")
    imp.add_argument(
        "--create-products", action="store_true", help="orders: create unknown SKUs as products"
    )
    imp.add_argument("--report", help="write the row-by-row report to this CSV file")
    exp = sub.add_parser("export", help="export customers, orders or products to a CSV file")
    exp.add_argument("kind", choices=kinds)
    exp.add_argument("file")
    exp.add_argument("--as", dest="as_user", metavar="USERNAME", required=True, help=ACTING)
    exp.add_argument(
        "--values", action="store_true", help="customers with their value figures, for Excel"
    )
    exp.add_argument(
        "--separator", choices=[",", ";"], default=",", help="with --values: ';' for decimal commas"
    )
    rev = sub.add_parser("revert-import", help="undo an import as a whole")
    rev.add_argument("batch_id", type=int)
    rev.add_argument("--as", dest="as_user", metavar="USERNAME", required=True, help=ACTING)
    stalled = sub.add_parser("follow-up-stalled", help="follow-ups for leads stalled in a stage")
    stalled.add_argument("--as", dest="as_user", metavar="USERNAME", required=True, help=ACTING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the newest schema")
    seed = sub.add_parser("seed", help="fill an empty database with realistic demo data")
    seed.add_argument("--customers", type=int, help="scale every table from this customer count")
    seed.add_argument("--size", choices=["demo", "bench"], default="demo")
    seed.add_argument("--seed", type=int, default=42)
    create = sub.add_parser("createuser", help="create a staff user (the first admin, say)")
    create.add_argument("username")
    create.add_argument("--role", choices=["admin", "manager", "sales", "support"], required=True)
    create.add_argument("--name")
    create.add_argument("--email")
    create.add_argument("--password", help="omit to be asked (keeps it out of shell history)")
    _add_data_commands(sub)
    _add_backup_commands(sub)
    values = sub.add_parser("refresh-values", help="refresh the stored customer value figures")
    which = values.add_mutually_exclusive_group()
    which.add_argument("--full", action="store_true", help="every customer, models refit")
    which.add_argument(
        "--incremental", action="store_true", help="only customers changed since the last one"
    )
    args = parser.parse_args(argv)
    handlers = {
        "migrate": cmd_migrate,
        "seed": cmd_seed,
        "createuser": cmd_createuser,
        "import": cmd_import,
        "export": cmd_export,
        "revert-import": cmd_revert_import,
        "follow-up-stalled": cmd_follow_up_stalled,
        "refresh-values": cmd_refresh_values,
        "export-all": cmd_export_all,
        "import-all": cmd_import_all,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
