"""Who may read the trail: the audit log is for its readers in the matrix (admins and
managers); one record's history is for whoever may read the record, without old and new
values, and a customer's timeline shows its changes by the same rule."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crm_core.customers import records as customers
from crm_core.customers import timeline
from crm_core.kernel import audit
from crm_core.kernel.errors import NotFound, PermissionDenied
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import Lead
from crm_core.models.enums import Entity, LeadSource
from db.session import session_scope
from support import a_customer


def edited_customer(engine: Engine, owner: Actor) -> int:
    customer_id = a_customer(engine, owner, phone="081234567890")
    with session_scope(engine) as s:
        customers.update_customer(s, owner, customer_id, 1, {"phone": "0813 9999 0000"})
    return customer_id


def test_the_audit_log_is_refused_to_roles_that_may_not_read_it(
    engine: Engine, sales: Actor, support: Actor
) -> None:
    edited_customer(engine, sales)
    for actor in (sales, support):
        with session_scope(engine, write=False) as s:
            with pytest.raises(PermissionDenied, match=r"cannot read audits"):
                audit.history(s, actor)
            with pytest.raises(PermissionDenied, match=r"cannot read audits"):
                audit.history(s, actor, Entity.CUSTOMER)  # every customer's changes


def test_a_manager_reads_the_whole_log_with_old_and_new_values(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    customer_id = edited_customer(engine, sales)
    with session_scope(engine, write=False) as s:
        log = audit.history(s, manager)
    newest = log.iloc[0]
    assert (newest["actor"], newest["entity"], newest["entity_id"]) == (
        "Sales",
        "customer",
        customer_id,
    )
    assert render(newest["changes"]).startswith("Phone: +6281234567890 → +6281399990000")


def test_one_record_s_history_names_the_changed_fields_to_whoever_may_read_the_record(
    engine: Engine, sales: Actor, support: Actor
) -> None:
    customer_id = edited_customer(engine, sales)
    for actor in (sales, support):  # both may read every customer
        with session_scope(engine, write=False) as s:
            trail = audit.history(s, actor, Entity.CUSTOMER, customer_id)
        assert list(trail["action"]) == ["update", "create"]
        assert render(trail["changes"][0]) == "Phone, Phone (as compared)"
        assert "+62" not in "".join(render(c) for c in trail["changes"])


def test_one_record_s_history_is_refused_to_whoever_may_not_read_the_record(
    engine: Engine, sales: Actor, support: Actor, manager: Actor
) -> None:
    with session_scope(engine) as s:
        lead = Lead(name="Kantor Budi", source=LeadSource.REFERRAL, owner_id=manager.id)
        s.add(lead)
        s.flush()
        lead_id = lead.id
    with session_scope(engine, write=False) as s:
        with pytest.raises(PermissionDenied, match="only leads you own"):
            audit.history(s, sales, Entity.LEAD, lead_id)
        with pytest.raises(PermissionDenied, match=r"\(support\) cannot read leads"):
            audit.history(s, support, Entity.LEAD, lead_id)
        with pytest.raises(PermissionDenied, match="cannot read imports"):
            audit.history(s, sales, Entity.IMPORT, 1)
        with pytest.raises(NotFound, match="No customer #4242"):
            audit.history(s, sales, Entity.CUSTOMER, 4242)
        assert audit.history(s, manager, Entity.LEAD, lead_id).empty  # no entry yet, not refused


def test_a_customer_s_timeline_shows_field_values_only_to_audit_readers(
    engine: Engine, sales: Actor, support: Actor, admin: Actor
) -> None:
    customer_id = edited_customer(engine, sales)
    details = {}
    for actor in (sales, support, admin):
        with session_scope(engine, write=False) as s:
            feed = timeline.customer_timeline(s, actor, customer_id, kinds={"change"})
        said = [render(title) for title in feed["title"]]
        assert said == ["Record updated by Sales", "Record created by Sales"]
        details[actor.role.value] = [render(detail) for detail in feed["detail"]]
    assert details["sales"] == details["support"]
    assert details["sales"][0] == "phone"
    assert details["sales"][1].startswith("name; phone; ")  # the fields its creation set
    assert "+62" not in "".join(details["sales"])
    assert details["admin"][0] == "phone: +6281234567890 → +6281399990000"
    assert details["admin"][1].startswith("name: – → Budi Santoso; phone: – → +6281234567890")
