"""An editor's wait while a big customer import commits, on SQLite or PostgreSQL (issue 9: no
editor or sign-in waits more than 2 s during an import), the import in chunks against the old
way in one transaction, side by side on fresh databases:

    python -m bench.imports --rows 20000            # both ways
    python -m bench.imports --rows 100000 --only chunks
    python -m bench.imports --rows 100000 --only chunks --backend postgresql

An editor saves a customer and records a sign-in every half second, in a thread of the same
process (as Streamlit's sessions are), while the import runs; prints the import's time and
the editor's waits (median, 95th percentile, longest) and how many saves were refused.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from bench.run import PG_SERVER
from bench.run import database as run_database
from crm_core.admin import users
from crm_core.customers import records
from crm_core.exchange import importing
from crm_core.exchange.importing import ImportPreview
from crm_core.exchange.registry import importer
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, utcnow
from crm_core.models.enums import Role
from db.migrate import upgrade
from db.session import session_scope

HERE = Path(__file__).resolve().parent


def _user(engine: Engine, role: Role) -> Actor:
    with session_scope(engine) as s:
        user = users.create_user(s, None, {
            "username": role.value, "name": role.value.title(), "role": role,
            "email": f"{role.value}@example.com", "password": "bench-password-1",
        })  # fmt: skip
        return users.actor_for(user)


def _name(how: str) -> str:
    return f"imports_{how.replace('-', '_')}"


def drop_database(backend: str, rows: int, how: str) -> None:
    """The run's database gone (bench.run's file or PostgreSQL database of that name)."""
    kind = _name(how)
    if backend == "sqlite":
        for leftover in (HERE / ".data").glob(f"{kind}-{rows}.db*"):
            leftover.unlink()
        return
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "relasi_{kind}_{rows}" WITH (FORCE)')
    admin.dispose()


def one_run(backend: str, rows: int, how: str) -> dict[str, float]:
    drop_database(backend, rows, how)  # each run starts from an empty database
    engine = run_database(backend, rows, _name(how))
    upgrade(engine)
    admin, manager = _user(engine, Role.ADMIN), _user(engine, Role.MANAGER)
    with session_scope(engine) as s:
        edited = records.create_customer(s, manager, {"name": "Ibu Sari"}).id
    lines = "".join(f"Pelanggan {i},p{i}@example.com,Kota {i % 50}\n" for i in range(rows))
    frame = importing.read_csv(("name,email,city\n" + lines).encode())
    mapping = {"name": "name", "email": "email", "city": "city"}
    with session_scope(engine, write=False) as s:
        preview: ImportPreview = importer("customers").preview(
            s, admin, frame, mapping, "create_only", "email"
        )
    done, waits, refused = threading.Event(), [], []

    def editor() -> None:
        n = 0
        while not done.is_set():
            n, started = n + 1, time.perf_counter()
            try:
                with session_scope(engine) as s:
                    found = s.get(Customer, edited)
                    assert found is not None
                    records.update_customer(s, manager, edited, found.version, {"city": f"K{n}"})
                    users.record_login(s, manager.username, utcnow())
            except (OperationalError, CRMError):  # "database is locked", a lock timeout: refused
                refused.append(n)
            waits.append(time.perf_counter() - started)
            time.sleep(0.5)

    thread = threading.Thread(target=editor)
    thread.start()
    started = time.perf_counter()
    with session_scope(engine) as s:
        if how == "chunks":
            importer("customers").write(s, admin, preview, "big.csv")
        else:  # the old way: the whole file in the page's one transaction
            importing.one_commit_at_a_time(s)
            importer("customers").commit(s, admin, preview, "big.csv")
    took = time.perf_counter() - started
    done.set()
    thread.join()
    engine.dispose()
    drop_database(backend, rows, how)
    waits.sort()
    return {"import": took, "saves": len(waits), "refused": len(refused),
            "p50": waits[len(waits) // 2], "p95": waits[int(len(waits) * 0.95)],
            "max": waits[-1]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--only", choices=["chunks", "one-transaction"])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    (HERE / ".data").mkdir(exist_ok=True)
    print(f"Import of {args.rows:,} customers on {args.backend}, load {os.getloadavg()[0]:.1f}")
    for how in [args.only] if args.only else ["one-transaction", "chunks"]:
        got = one_run(args.backend, args.rows, how)
        print(f"  {how:<16} import {got['import']:6.1f} s; editor saves {got['saves']:.0f}, "
              f"refused {got['refused']:.0f}; wait p50 {got['p50']:.2f} s, p95 "
              f"{got['p95']:.2f} s, longest {got['max']:.2f} s", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
