"""Backup and move (crm_core/admin/backup.py): one archive of every table, restored anywhere."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update

import manage
from crm_core.admin import backup
from crm_core.admin.users import actor_for
from crm_core.customers import listing
from crm_core.customers import value as customer_value
from crm_core.kernel.errors import CRMError, PermissionDenied
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import value_settings
from crm_core.models import Base, Customer, User
from crm_core.models.enums import Role
from crm_core.sales import analysis
from db import demo
from db.engine import make_engine
from db.migrate import SCHEMA, current_revision, head_revision, upgrade_to
from db.session import read_scope, session_scope
from support import a_customer, fresh_url, make_user, values_refreshed

AS_OF = datetime(2026, 3, 1)
OLDER = "0009_sign_in"  # the revision before the value read model's tables


@pytest.fixture
def two_databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, Engine, Engine]]:
    """An SQLite, a PostgreSQL and a second SQLite database, each new and migrated."""
    urls = [fresh_url("sqlite", request, tmp_path / "a")]
    urls.append(fresh_url("postgresql", request, tmp_path))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    urls.append(fresh_url("sqlite", request, tmp_path / "b"))
    engines = [make_engine(next(url)) for url in urls]
    yield engines[0], engines[1], engines[2]
    for engine, url in zip(engines, urls, strict=True):
        engine.dispose()
        next(url, None)


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order, read through the models' types."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        }


def figures(engine: Engine) -> dict[str, Any]:
    """What pages show: the customers list count, one customer's value figures, the funnel."""
    with read_scope(engine) as session:
        admin = actor_for(session.scalars(select(User).where(User.role == Role.ADMIN)).first())
        total = listing.search_customers(session, admin, stored=True).total
        values = customer_value.customer_values(session, AS_OF, value_settings(session)).frame
        funnel = analysis.funnel_report(session, admin, date(2025, 1, 1), date(2026, 2, 28))
        return {
            "customers": total,
            "values": values.sort_index().astype(str).to_dict(),  # NaN equal to NaN
            "funnel": funnel.funnel.to_dict(),
            # Days and rates as a page shows them: SQLite's julianday and PostgreSQL's epoch
            # differ in the twelfth digit of a mean cycle.
            "kpis": {k: round(v, 6) if isinstance(v, float) else v for k, v in funnel.kpis.items()},
        }


def _seeded(engine: Engine) -> None:
    demo.seed(engine, demo.size_for(50), as_of=AS_OF)
    with session_scope(engine) as session:
        # A customer merged into one with a higher id: restored although it comes first.
        session.execute(update(Customer).where(Customer.id == 3).values(merged_into_id=40))
        session.execute(
            update(User)
            .where(User.id == 1)
            .values(updated_by_id=session.scalar(select(User.id).order_by(User.id.desc())))
        )
    values_refreshed(engine)


def test_a_round_trip_sqlite_postgresql_sqlite_loses_nothing_and_shows_the_same_figures(
    two_databases: tuple[Engine, Engine, Engine], tmp_path: Path
) -> None:
    first, pg, last = two_databases
    _seeded(first)
    before = rows(first)
    assert len(before["customers"]) == 50 and len(before["customer_values"]) == 50
    manifest = backup.export_all(first, tmp_path / "one.zip", SCHEMA)
    assert manifest.revision == head_revision()
    assert manifest.rows["orders"] == len(before["orders"]) > 0
    assert set(manifest.rows) == {t.name for t in Base.metadata.sorted_tables}

    backup.import_all(pg, tmp_path / "one.zip", SCHEMA)
    assert rows(pg) == before
    backup.export_all(pg, tmp_path / "two.zip", SCHEMA)
    backup.import_all(last, tmp_path / "two.zip", SCHEMA)
    assert rows(last) == before
    assert figures(pg) == figures(first) == figures(last)
    assert figures(first)["customers"] == 50

    # PostgreSQL's sequences continue after the restored ids: the next customer is #51.
    owner = make_user(pg, Role.SALES, "new_rep")
    assert owner.id == len(before["users"]) + 1
    assert a_customer(pg, owner) == 51


def test_a_database_that_holds_data_is_refused_unless_replacing(
    engine: Engine, admin: Actor, sales: Actor, tmp_path: Path
) -> None:
    a_customer(engine, sales, name="Siti Aminah")
    archive = tmp_path / "backup.zip"
    with pytest.raises(PermissionDenied):
        backup.export_all(engine, archive, SCHEMA, actor=sales)
    backup.export_all(engine, archive, SCHEMA, actor=admin)
    a_customer(engine, sales, name="Made Wirawan")  # written after the backup

    with pytest.raises(CRMError) as refused:
        backup.import_all(engine, archive, SCHEMA, actor=admin)
    assert refused.value.code == "backup.not_empty"
    with read_scope(engine) as session:
        assert session.scalars(select(Customer.name).order_by(Customer.id)).all() == [
            "Siti Aminah",
            "Made Wirawan",
        ]

    backup.import_all(engine, archive, SCHEMA, replace=True, actor=admin)
    with read_scope(engine) as session:
        assert session.scalars(select(Customer.name)).all() == ["Siti Aminah"]


def _older_archive(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """An archive made at OLDER, of one salesperson and her customer Dewi Lestari."""
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    old_url = fresh_url("sqlite", request, old_dir)
    old = make_engine(next(old_url))
    with old.begin() as conn:  # back to an empty database at the older revision
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE alembic_version"))
    upgrade_to(old, OLDER)
    a_customer(old, make_user(old, Role.SALES, "ayu"), name="Dewi Lestari")
    archive = tmp_path / "old.zip"
    backup.export_all(old, archive, SCHEMA)
    old.dispose()
    return archive


def test_an_archive_of_an_older_schema_is_restored_then_migrated(
    engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    archive = _older_archive(tmp_path, request)
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["schema_revision"] == OLDER and "customer_values" not in manifest["tables"]

    backup.import_all(engine, archive, SCHEMA)  # `engine` is new, at the newest schema
    assert current_revision(engine) == head_revision()
    with read_scope(engine) as session:
        restored = session.scalars(select(Customer).where(Customer.name == "Dewi Lestari")).one()
        assert session.get_one(User, restored.owner_id).username == "ayu"
    values_refreshed(engine)  # the newer tables are there and work
    with read_scope(engine) as session:
        assert session.scalar(text("SELECT COUNT(*) FROM customer_values")) == 1


def test_a_damaged_older_archive_leaves_the_database_as_it_was(
    engine: Engine, admin: Actor, sales: Actor, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An older archive is restored into a database rebuilt at its revision: when its
    customers turn out unreadable half-way, the data the database held is back."""
    a_customer(engine, sales, name="Siti Aminah")
    damaged = tmp_path / "damaged.zip"
    with (
        zipfile.ZipFile(_older_archive(tmp_path, request)) as old,
        zipfile.ZipFile(damaged, "w") as new,
    ):
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, b"[1, 2" if item.filename == "tables/customers.jsonl" else data)

    with pytest.raises(CRMError) as refused:
        backup.import_all(engine, damaged, SCHEMA, replace=True, actor=admin)
    assert (refused.value.code, refused.value.params) == ("backup.damaged", {"table": "customers"})
    assert current_revision(engine) == head_revision()
    with read_scope(engine) as session:
        assert session.scalars(select(Customer.name)).all() == ["Siti Aminah"]
        assert session.scalars(select(User.username).order_by(User.id)).all() == ["admin", "sales"]
    a_customer(engine, sales, name="Made Wirawan")  # ids go on after the rows put back
    with read_scope(engine) as session:
        assert session.scalars(select(Customer.id).order_by(Customer.id)).all() == [1, 2]


def test_an_archive_of_an_unknown_schema_or_no_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "future.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "manifest.json",
            json.dumps({"format": "relasi-backup", "format_version": 1,
                        "schema_revision": "0099_future", "tables": {}}),
        )  # fmt: skip
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(CRMError) as unknown:
        backup.import_all(engine, archive, SCHEMA)
    assert (unknown.value.code, unknown.value.params) == (
        "backup.unknown_schema",
        {"revision": "0099_future"},
    )
    (tmp_path / "notes.zip").write_bytes(b"not a zip")
    with pytest.raises(CRMError) as not_one:
        backup.import_all(engine, tmp_path / "notes.zip", SCHEMA)
    assert not_one.value.code == "backup.not_an_archive"
    assert not (tmp_path / "x.db").exists() or not backup.holds_data(engine)


def test_the_commands_export_all_and_import_all_refuse_then_replace(
    engine: Engine, sales: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    a_customer(engine, sales, name="Agus Salim")
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    archive = str(tmp_path / "all.zip")
    assert manage.main(["export-all", archive]) == 0
    assert manage.main(["import-all", archive]) == 1
    assert "--replace deletes what it holds" in capsys.readouterr().err
    assert manage.main(["import-all", archive, "--replace"]) == 0
    assert "Imported" in capsys.readouterr().out
    with read_scope(engine) as session:
        assert session.scalars(select(Customer.name)).all() == ["Agus Salim"]
