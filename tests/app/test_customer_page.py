"""Customer 360's edit form: bad input writes nothing; two editors never silently lose an edit."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine

from crm_core.customers import fields
from crm_core.customers import records as customers
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer
from crm_core.models.enums import Role
from db.session import session_scope
from support import a_customer as new_customer
from support import page_as

a_customer = partial(new_customer, phone="081234567890", city="Bandung")


def saved(engine: Engine, customer_id: int) -> Customer:
    with session_scope(engine, write=False) as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        return customer


def test_a_bad_phone_number_is_shown_beside_the_field_and_nothing_is_saved(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    prefix = f"customer-{customer_id}-v1"
    at.text_input(key=f"{prefix}-phone").input("12")
    at.text_input(key=f"{prefix}-city").input("Jakarta")
    at.button(key=f"FormSubmitter:{prefix}-Save").click().run()
    assert "Please correct the fields marked below." in [e.value for e in at.error]
    assert any("not a phone number" in c.value for c in at.caption)
    assert at.text_input(key=f"{prefix}-city").value == "Jakarta"  # what was typed stays
    assert (saved(app_engine, customer_id).city, saved(app_engine, customer_id).version) == (
        "Bandung",
        1,
    )


def test_the_second_of_two_editors_is_told_who_saved_first_and_keeps_their_typing(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.MANAGER])
    first = page_as("customer", staff[Role.MANAGER], id=str(customer_id)).run()
    second = page_as("customer", staff[Role.ADMIN], id=str(customer_id)).run()
    prefix = f"customer-{customer_id}-v1"
    first.text_input(key=f"{prefix}-city").input("Surabaya")
    first.button(key=f"FormSubmitter:{prefix}-Save").click().run()
    assert [s.value for s in first.success] == ["Saved."]

    second.text_input(key=f"{prefix}-phone").input("0813 9999 0000")
    second.button(key=f"FormSubmitter:{prefix}-Save").click().run()
    conflict = second.error[0].value
    assert "changed by Manager" in conflict and "were not saved" in conflict
    assert second.text_input(key=f"{prefix}-phone").value == "0813 9999 0000"
    stored = saved(app_engine, customer_id)
    assert (stored.city, stored.phone, stored.version) == ("Surabaya", "+6281234567890", 2)

    second.button(key=f"customer-{customer_id}-reload").click().run()
    reloaded = f"customer-{customer_id}-v2"
    assert second.text_input(key=f"{reloaded}-city").value == "Surabaya"
    second.text_input(key=f"{reloaded}-phone").input("0813 9999 0000")
    second.button(key=f"FormSubmitter:{reloaded}-Save").click().run()
    stored = saved(app_engine, customer_id)
    assert (stored.city, stored.phone, stored.version) == ("Surabaya", "+6281399990000", 3)


def test_a_sales_user_reads_someone_elses_customer_but_may_still_log_a_touchpoint(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.MANAGER])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    assert at.title[0].value == "Budi Santoso"
    assert not [t for t in at.text_input if str(t.key).startswith(f"customer-{customer_id}-v")]
    assert "Only the customer's owner, a manager or an admin edits this profile." in [
        c.value for c in at.caption
    ]
    assert at.text_input(key=f"interaction-{customer_id}-n0-subject").value == ""


def test_a_deleted_customer_opens_only_for_who_may_restore_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    with session_scope(app_engine) as s:
        customers.delete_customer(s, staff[Role.MANAGER], customer_id, 1)
    as_sales = page_as("customer", staff[Role.SALES], id=str(customer_id), deleted="1").run()
    assert [e.value for e in as_sales.error] == [f"Customer #{customer_id} was deleted."]
    as_manager = page_as("customer", staff[Role.MANAGER], id=str(customer_id), deleted="1").run()
    assert as_manager.warning[0].value.startswith("Deleted ")
    assert as_manager.button(key=f"customer-{customer_id}-manage-v2-restore").label == "Restore"


def test_the_profile_form_asks_for_every_editable_field_and_saves_tags_owner_and_notes(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.MANAGER])
    at = page_as("customer", staff[Role.MANAGER], id=str(customer_id)).run()
    prefix = f"customer-{customer_id}-v1"
    widgets = [*at.text_input, *at.text_area, *at.selectbox, *at.checkbox, *at.date_input]
    asked = {str(w.key).removeprefix(f"{prefix}-") for w in widgets}
    assert {f.name for f in fields.form_fields()} <= asked
    assert at.selectbox(key=f"{prefix}-owner_id").value == staff[Role.MANAGER].id
    at.text_input(key=f"{prefix}-tags").input("vip; reseller")
    at.selectbox(key=f"{prefix}-owner_id").set_value(staff[Role.SALES].id)
    at.text_area(key=f"{prefix}-notes").input("Prefers mornings")
    at.button(key=f"FormSubmitter:{prefix}-Save").click().run()
    assert [s.value for s in at.success] == ["Saved."]
    stored = saved(app_engine, customer_id)
    assert (stored.tags, stored.owner_id, stored.notes) == (
        ["vip", "reseller"], staff[Role.SALES].id, "Prefers mornings",
    )  # fmt: skip
    assert (stored.city, stored.lifecycle_stage, stored.version) == ("Bandung", "prospect", 2)
