"""The write path on a real database (SQLite and PostgreSQL): errors, locking, audit, rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from crm_core.customers import records as customers
from crm_core.kernel import audit
from crm_core.kernel.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Customer
from crm_core.models.enums import Entity
from db.session import session_scope


def count(engine: Engine, model: type) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def create(engine: Engine, actor: Actor, **data: object) -> Customer:
    with session_scope(engine) as s:
        return customers.create_customer(s, actor, {"name": "Siti Rahma", **data})


def test_a_valid_customer_is_saved_with_normalised_phone_and_an_audit_entry(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    created = create(engine, sales, phone="0812-3456-7890", email="Siti@Example.COM")
    with session_scope(engine, write=False) as s:
        saved = s.get(Customer, created.id)
        assert saved is not None
        assert saved.phone == "+6281234567890"
        assert saved.email_normalized == "siti@example.com"
        assert saved.owner_id == sales.id
        assert saved.version == 1
        trail = audit.history(s, manager, Entity.CUSTOMER, created.id)
    assert list(trail["action"]) == ["create"]
    assert "+6281234567890" in render(trail["changes"][0])


def test_bad_input_names_every_bad_field_and_writes_nothing(engine: Engine, sales: Actor) -> None:
    audit_before = count(engine, AuditEntry)
    with pytest.raises(ValidationError) as raised:
        create(engine, sales, name="", email="not-an-email", phone="12", birth_date="2999-01-01")
    assert set(raised.value.field_errors) == {"name", "email", "phone", "birth_date"}
    assert raised.value.texts()["name"] == "is required"
    assert count(engine, Customer) == 0
    assert count(engine, AuditEntry) == audit_before


def test_a_sales_user_cannot_edit_a_customer_owned_by_someone_else(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    theirs = create(engine, manager)
    with pytest.raises(PermissionDenied, match="only customers you own"):
        with session_scope(engine) as s:
            customers.update_customer(s, sales, theirs.id, 1, {"city": "Bandung"})
    with session_scope(engine, write=False) as s:
        assert s.get(Customer, theirs.id).city is None  # type: ignore[union-attr]


def test_a_support_user_cannot_delete_a_customer(
    engine: Engine, support: Actor, manager: Actor
) -> None:
    customer = create(engine, manager)
    with pytest.raises(PermissionDenied, match="cannot delete"), session_scope(engine) as s:
        customers.delete_customer(s, support, customer.id, 1)


def test_the_second_of_two_editors_gets_a_conflict_naming_the_first(
    engine: Engine, manager: Actor, admin: Actor
) -> None:
    customer = create(engine, manager, phone="081234567890")
    read_version = customer.version  # both editors opened version 1
    with session_scope(engine) as s:
        customers.update_customer(s, manager, customer.id, read_version, {"city": "Surabaya"})
    with pytest.raises(ConflictError) as raised, session_scope(engine) as s:
        customers.update_customer(s, admin, customer.id, read_version, {"city": "Medan"})
    assert raised.value.changed_by == "Manager"
    assert "changed by Manager" in str(raised.value)
    with session_scope(engine, write=False) as s:
        saved = s.get(Customer, customer.id)
        assert saved is not None
        assert (saved.city, saved.version) == ("Surabaya", 2)


def test_saving_over_the_current_version_succeeds_and_audits_old_and_new(
    engine: Engine, manager: Actor
) -> None:
    customer = create(engine, manager, phone="081234567890")
    with session_scope(engine) as s:
        changes = customers.update_customer(s, manager, customer.id, 1, {"phone": "0813 1111 2222"})
    assert changes["phone"] == ("+6281234567890", "+6281311112222")
    with session_scope(engine, write=False) as s:
        trail = audit.history(s, manager, Entity.CUSTOMER, customer.id)
    assert list(trail["action"]) == ["update", "create"]
    assert "Phone: +6281234567890 → +6281311112222" in render(trail["changes"][0])


def test_a_failed_write_leaves_nothing_behind_even_after_earlier_writes_in_the_same_action(
    engine: Engine, manager: Actor
) -> None:
    audit_before = count(engine, AuditEntry)
    with pytest.raises(ValidationError), session_scope(engine) as s:
        customers.create_customer(s, manager, {"name": "First, valid"})
        customers.create_customer(s, manager, {"name": "Second", "email": "bad"})
    assert count(engine, Customer) == 0
    assert count(engine, AuditEntry) == audit_before


def test_a_deleted_customer_is_hidden_and_a_manager_can_restore_it(
    engine: Engine, manager: Actor
) -> None:
    customer = create(engine, manager)
    with session_scope(engine) as s:
        customers.delete_customer(s, manager, customer.id, 1)
    with pytest.raises(NotFound, match="was deleted"), session_scope(engine, write=False) as s:
        customers.get_customer(s, manager, customer.id)
    with session_scope(engine) as s:
        customers.restore_customer(s, manager, customer.id, 2)
    with session_scope(engine, write=False) as s:
        assert customers.get_customer(s, manager, customer.id).deleted_at is None
        actions = list(audit.history(s, manager, Entity.CUSTOMER, customer.id)["action"])
    assert actions == ["restore", "delete", "create"]


def test_an_unknown_owner_or_account_is_a_field_error(engine: Engine, manager: Actor) -> None:
    with pytest.raises(ValidationError) as raised:
        create(engine, manager, owner_id=9999, account_id=4242)
    assert raised.value.texts() == {
        "account_id": "no account #4242",
        "owner_id": "must be an active user",
    }


def test_concurrent_read_then_write_sessions_queue_instead_of_failing_with_locked(
    engine: Engine, manager: Actor
) -> None:
    """SQLite begins write transactions immediately, so writers wait their turn (PostgreSQL
    row locks do the same); every save either lands or reports a conflict, never an error."""
    import threading

    customer = create(engine, manager)
    outcomes: list[str] = []

    def editor(n: int) -> None:
        for i in range(15):
            with session_scope(engine, write=False) as s:
                version = s.get(Customer, customer.id).version  # type: ignore[union-attr]
            try:
                with session_scope(engine) as s:
                    customers.update_customer(
                        s, manager, customer.id, version, {"notes": f"{n}-{i}"}
                    )
                outcomes.append("saved")
            except ConflictError:
                outcomes.append("conflict")
            except Exception as exc:  # noqa: BLE001 - the point: nothing else may happen
                outcomes.append(f"error: {exc}")

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o for o in outcomes if o.startswith("error")] == []
    with session_scope(engine, write=False) as s:
        final = s.get(Customer, customer.id)
        assert final is not None and final.version == 1 + outcomes.count("saved")
