"""The Customers list people work in: a name opens its 360 in one click, the list comes back
as it was (search, filters, page), a saved view applies in one pick ("My customers" ready),
and a bulk edit covers the whole filtered result, not only the page on screen, after a
confirmation naming the count."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from app_pages.customers import customers as customers_page
from crm_core.customers import records as customers
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer
from crm_core.models.enums import LifecycleStage, Role
from db.session import session_scope
from support import page_as


@pytest.fixture
def listed(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    manager, sales = staff[Role.MANAGER], staff[Role.SALES]
    with session_scope(app_engine) as s:
        for name, stage, owner in [
            ("Budi Santoso", "customer", sales),
            ("Siti Rahmawati", "prospect", manager),
            ("Andi Wijaya", "prospect", manager),
        ]:
            data = {"name": name, "lifecycle_stage": stage, "owner_id": owner.id}
            customers.create_customer(s, manager, data)


def names(at) -> list[str]:  # type: ignore[no-untyped-def]
    return list(at.dataframe[0].value["name"])


def test_a_name_opens_the_customer_and_the_list_comes_back_as_it_was(
    listed: None, staff: dict[Role, Actor]
) -> None:
    at = page_as("customers", staff[Role.MANAGER]).run()
    at.multiselect(key="customers_f_stage").select("prospect").run()
    at.toggle(key="customers_desc").set_value(True).run()
    assert names(at) == ["Siti Rahmawati", "Andi Wijaya"]
    at.session_state[at.dataframe[0].key] = {
        "selection": {"rows": [], "columns": [], "cells": [[1, "name"]]}
    }
    at.run()
    # one click on Andi's name asks for his 360 (this bare page has no navigation to go to)
    assert at.session_state["relasi_list_origin"] == "customers"
    assert [e.value for e in at.error] == ["You do not have access to that page."]
    remembered = at.session_state["relasi_list_state:customers"]
    # Back: a new run of the page (its widgets forgotten) draws the same list again
    back = page_as("customers", staff[Role.MANAGER])
    back.session_state["relasi_list_state:customers"] = remembered
    back.run()
    assert back.multiselect(key="customers_f_stage").value == ["prospect"]
    assert names(back) == ["Siti Rahmawati", "Andi Wijaya"]


def test_my_customers_is_one_pick_and_a_saved_view_comes_back(
    listed: None, staff: dict[Role, Actor]
) -> None:
    at = page_as("customers", staff[Role.SALES]).run()
    at.selectbox(key="customers_view").set_value("builtin:my-customers").run()
    assert names(at) == ["Budi Santoso"]
    at.selectbox(key="customers_view").set_value(None).run()
    at.multiselect(key="customers_f_owner").set_value([]).run()
    at.multiselect(key="customers_f_stage").select("prospect").run()
    at.text_input(key="customers_view_name").input("Prospek").run()
    at.button(key="customers_view_save").click().run()
    assert "View saved." in [s.value for s in at.success]
    at.multiselect(key="customers_f_stage").set_value([]).run()
    assert len(names(at)) == 3
    at.selectbox(key="customers_view").set_value("own:Prospek").run()
    assert names(at) == ["Andi Wijaya", "Siti Rahmawati"]


def test_a_bulk_edit_covers_every_page_of_the_filtered_result_after_a_confirmation(
    app_engine: Engine, listed: None, staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customers_page, "PAGE_SIZE", 1)  # one customer a page
    at = page_as("customers", staff[Role.MANAGER]).run()
    at.multiselect(key="customers_f_stage").select("prospect").run()
    assert len(names(at)) == 1  # the page shows one of the two prospects
    assert at.radio(key="customers_bulk_scope").value == "all"
    at.selectbox(key="customers_bulk_stage").set_value("customer")
    at.button(key="FormSubmitter:customers_bulk-Review the change").click().run()
    assert at.warning[0].value.startswith("Change 2 customers?")
    with session_scope(app_engine, write=False) as s:  # nothing before the confirmation
        assert s.scalars(select(Customer.lifecycle_stage)).all().count("customer") == 1
    at.button(key="customers_bulk_confirm").click().run()
    assert [s.value for s in at.success] == ["Changed 2 customers."]
    with session_scope(app_engine, write=False) as s:
        stages = set(s.scalars(select(Customer.lifecycle_stage)))
    assert stages == {LifecycleStage.CUSTOMER}
