"""Command line for operators: migrate, seed demo data, create users.

    python manage.py migrate
    python manage.py seed [--customers N | --size demo|bench] [--seed 42]
    python manage.py createuser USERNAME --role admin [--name NAME] [--email EMAIL]

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

from sqlalchemy import Engine

from crm_core import users
from crm_core.errors import ValidationError
from db.engine import make_engine, resolve_url
from db.migrate import upgrade
from db.session import session_scope

SECRETS = Path(__file__).resolve().parent / ".streamlit" / "secrets.toml"


def _engine() -> Engine:
    secrets: dict[str, Any] = tomllib.loads(SECRETS.read_text()) if SECRETS.exists() else {}
    url, _embedded = resolve_url(secrets=secrets)
    return make_engine(url)


def cmd_migrate(_args: argparse.Namespace) -> int:
    engine = _engine()
    upgrade(engine)
    print(f"Database at {engine.url.render_as_string(hide_password=True)} is at the newest schema.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from db import demo

    engine = _engine()
    upgrade(engine)
    size = demo.size_for(args.customers) if args.customers else demo.SIZES[args.size]
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
            print(f"{field}: {message}", file=sys.stderr)
        return 1
    return 0


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
    args = parser.parse_args(argv)
    handlers = {"migrate": cmd_migrate, "seed": cmd_seed, "createuser": cmd_createuser}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
