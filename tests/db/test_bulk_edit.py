"""Bulk edit on SQLite and PostgreSQL: each record through the write path, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from crm_core.customers import bulk
from crm_core.customers import records as customers
from crm_core.kernel import writepath
from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Customer
from crm_core.models.enums import AuditAction, LifecycleStage, Role
from db.engine import make_engine
from db.session import session_scope
from support import fresh_url, make_user


def three(engine: Engine, owner: Actor, by: Actor | None = None) -> list[int]:
    with session_scope(engine) as s:
        return [
            customers.create_customer(s, by or owner, {"name": name, "owner_id": owner.id}).id
            for name in ("Budi Santoso", "Siti Rahmawati", "Andi Wijaya")
        ]


def stored(engine: Engine, ids: list[int]) -> list[tuple[int | None, str, list[str], int]]:
    with session_scope(engine, write=False) as s:
        rows = s.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id))
        return [(c.owner_id, str(c.lifecycle_stage), c.tags, c.version) for c in rows]


def updates_audited(engine: Engine) -> list[tuple[int, dict]]:
    with session_scope(engine, write=False) as s:
        rows = s.execute(
            select(AuditEntry.entity_id, AuditEntry.changes)
            .where(AuditEntry.entity == "customer", AuditEntry.action == AuditAction.UPDATE)
            .order_by(AuditEntry.entity_id)
        )
        return [(entity_id, changes) for entity_id, changes in rows]


def test_an_owner_change_is_written_to_each_customer_and_audited_once_each(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    ids = three(engine, manager)
    with session_scope(engine) as s:
        result = bulk.bulk_update_customers(
            s, manager, {"owner_id": sales.id}, [(i, 1) for i in ids]
        )
    assert (result.updated, result.skipped, result.written) == (ids, [], True)
    assert [(owner, version) for owner, _, _, version in stored(engine, ids)] == [(sales.id, 2)] * 3
    audited = updates_audited(engine)
    assert [entity_id for entity_id, _ in audited] == ids
    assert all(
        changes == {"owner_id": {"old": manager.id, "new": sales.id}} for _, changes in audited
    )


def test_one_stale_version_writes_nothing_and_names_the_record(
    engine: Engine, manager: Actor, admin: Actor, sales: Actor
) -> None:
    ids = three(engine, manager)
    with session_scope(engine) as s:  # someone saves Siti after the list was loaded
        customers.update_customer(s, admin, ids[1], 1, {"city": "Bandung"})
    before = stored(engine, ids)
    with session_scope(engine) as s:
        result = bulk.bulk_update_customers(
            s, manager, {"owner_id": sales.id, "add_tag": "VIP"}, [(i, 1) for i in ids]
        )
    assert (result.updated, result.written) == ([], False)
    [skipped] = result.skipped
    assert (skipped.customer_id, skipped.name) == (ids[1], "Siti Rahmawati")
    assert "changed by Admin" in render(skipped.reason)
    assert str(skipped).startswith(f"#{ids[1]} Siti Rahmawati: ")
    assert stored(engine, ids) == before
    assert [entity_id for entity_id, _ in updates_audited(engine)] == [ids[1]]  # admin's edit


def test_a_sales_user_cannot_bulk_edit_customers_of_others(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    theirs = three(engine, manager)
    with session_scope(engine) as s:
        mine = customers.create_customer(s, sales, {"name": "Dewi Lestari"}).id
    targets = [(mine, 1)] + [(i, 1) for i in theirs]
    with session_scope(engine) as s:
        result = bulk.bulk_update_customers(s, sales, {"lifecycle_stage": "customer"}, targets)
    assert [skipped.customer_id for skipped in result.skipped] == theirs
    assert all("only customers you own" in render(skipped.reason) for skipped in result.skipped)
    assert [stage for _, stage, _, _ in stored(engine, [mine, *theirs])] == ["prospect"] * 4
    assert updates_audited(engine) == []


def test_a_sales_user_bulk_edits_their_own_customers(engine: Engine, sales: Actor) -> None:
    ids = three(engine, sales)
    with session_scope(engine) as s:
        result = bulk.bulk_update_customers(
            s, sales, {"lifecycle_stage": LifecycleStage.CUSTOMER}, [(i, 1) for i in ids]
        )
    assert result.updated == ids
    assert [stage for _, stage, _, _ in stored(engine, ids)] == ["customer"] * 3


def test_a_support_user_may_not_bulk_edit_at_all(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    ids = three(engine, manager)
    with pytest.raises(PermissionDenied, match="cannot update"), session_scope(engine) as s:
        bulk.bulk_update_customers(s, support, {"add_tag": "VIP"}, [(i, 1) for i in ids])


def test_tags_are_added_and_removed_and_a_record_already_so_is_left_alone(
    engine: Engine, manager: Actor
) -> None:
    ids = three(engine, manager)
    with session_scope(engine) as s:
        customers.update_customer(s, manager, ids[0], 1, {"tags": ["VIP", "old"]})
    targets = [(ids[0], 2), (ids[1], 1), (ids[2], 1)]
    with session_scope(engine) as s:
        result = bulk.bulk_update_customers(s, manager, {"add_tag": " VIP "}, targets)
    assert (result.updated, result.unchanged) == (ids[1:], ids[:1])
    with session_scope(engine) as s:
        bulk.bulk_update_customers(
            s, manager, {"remove_tag": "old"}, [(ids[0], 2), (ids[1], 2), (ids[2], 2)]
        )
    assert [tags for _, _, tags, _ in stored(engine, ids)] == [["VIP"]] * 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "changes"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"lifecycle_stage": "champion"}, "lifecycle_stage"),
        ({"add_tag": "x" * 51}, "add_tag"),
        ({"name": "Budi"}, "name"),
        ({"add_tag": "VIP", "remove_tag": "VIP"}, "remove_tag"),
    ],
)
def test_bad_changes_are_refused_before_any_record_is_touched(
    engine: Engine, manager: Actor, changes: dict, field: str
) -> None:
    ids = three(engine, manager)
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        bulk.bulk_update_customers(s, manager, changes, [(i, 1) for i in ids])
    assert field in raised.value.field_errors
    assert updates_audited(engine) == []


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """PostgreSQL only: on SQLite the write lock (BEGIN IMMEDIATE) keeps the racer out."""
    for url in fresh_url("postgresql", request, tmp_path):
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_a_save_racing_the_bulk_edit_is_a_conflict_and_nothing_is_written(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another transaction commits between our read and our UPDATE ... WHERE version = n."""
    engine = pg_engine
    manager, sales = make_user(engine, Role.MANAGER), make_user(engine, Role.SALES)
    ids = three(engine, manager)
    load = writepath.load

    def load_then_race(session, model, record_id, **kw):  # type: ignore[no-untyped-def]
        row = load(session, model, record_id, **kw)
        if record_id == ids[1]:
            with engine.begin() as other:
                other.execute(text("UPDATE customers SET version = 2 WHERE id = :i"), {"i": ids[1]})
        return row

    monkeypatch.setattr(writepath, "load", load_then_race)
    with session_scope(engine) as s:
        result = bulk.bulk_update_customers(
            s, manager, {"owner_id": sales.id}, [(i, 1) for i in ids]
        )
        still_usable = s.scalar(select(func.count()).select_from(Customer))
    assert [skipped.customer_id for skipped in result.skipped] == [ids[1]]
    assert "after you opened it" in render(result.skipped[0].reason)
    assert still_usable == 3
    assert [owner for owner, _, _, _ in stored(engine, ids)] == [manager.id] * 3
    assert updates_audited(engine) == []
