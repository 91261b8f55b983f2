"""The Customers page: the search narrows the list, filters too, and every role can use it."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

import pytest
from sqlalchemy import Engine, update

from crm_core.customers import listing as customer_list
from crm_core.customers import records as customers
from crm_core.customers import value_store
from crm_core.customers.listing import CustomerFilter
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer
from crm_core.models.enums import Role
from db.session import session_scope
from support import page_as


@pytest.fixture
def listed(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    manager, sales = staff[Role.MANAGER], staff[Role.SALES]
    with session_scope(app_engine) as s:
        for name, phone, stage, owner in [
            ("Budi Santoso", "081234567890", "customer", sales),
            ("Siti Rahmawati", "081399990000", "prospect", manager),
            ("Andi Wijaya", None, "prospect", manager),
        ]:
            data = {"name": name, "phone": phone, "lifecycle_stage": stage, "owner_id": owner.id}
            customers.create_customer(s, manager, data)


def shown(at) -> list[str]:  # type: ignore[no-untyped-def]
    return list(at.dataframe[0].value["name"])


def test_typing_a_search_narrows_the_list(listed: None, staff: dict[Role, Actor]) -> None:
    at = page_as("customers", staff[Role.MANAGER]).run()
    assert not at.exception
    assert shown(at) == ["Andi Wijaya", "Budi Santoso", "Siti Rahmawati"]
    at.text_input(key="customers_query").input("santo").run()
    assert shown(at) == ["Budi Santoso"]
    assert any("1 customer matches" in c.value for c in at.caption)
    at.text_input(key="customers_query").input("0813 9999").run()
    assert shown(at) == ["Siti Rahmawati"]


def test_a_filter_and_a_sort_change_the_list(listed: None, staff: dict[Role, Actor]) -> None:
    at = page_as("customers", staff[Role.MANAGER]).run()
    at.multiselect(key="customers_f_stage").select("prospect").run()
    assert shown(at) == ["Andi Wijaya", "Siti Rahmawati"]
    at.toggle(key="customers_desc").set_value(True).run()
    assert shown(at) == ["Siti Rahmawati", "Andi Wijaya"]


def test_a_sales_user_sees_the_page(listed: None, staff: dict[Role, Actor]) -> None:
    at = page_as("customers", staff[Role.SALES]).run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Customers"
    assert shown(at) == ["Andi Wijaya", "Budi Santoso", "Siti Rahmawati"]
    assert "version" not in at.dataframe[0].value.columns


def select_rows(at, *positions: int):  # type: ignore[no-untyped-def]
    at.session_state[at.dataframe[0].key] = {
        "selection": {"rows": list(positions), "columns": [], "cells": []}
    }
    return at.run()


REVIEW = "FormSubmitter:customers_bulk-Review the change"


def review_and_confirm(at):  # type: ignore[no-untyped-def]
    """Review the change, then confirm it (the confirmation names the count)."""
    at.button(key=REVIEW).click().run()
    return at.button(key="customers_bulk_confirm").click().run()


def test_selecting_several_customers_changes_their_owner_in_one_action(
    app_engine: Engine, listed: None, staff: dict[Role, Actor]
) -> None:
    at = page_as("customers", staff[Role.MANAGER]).run()
    select_rows(at, 0, 2)  # Andi and Siti
    scope = at.radio(key="customers_bulk_scope")
    assert scope.options == ["The 2 ticked customers", "All 3 customers matching the filters"]
    at.selectbox(key="customers_bulk_owner").set_value(staff[Role.SALES].id)
    at.button(key=REVIEW).click().run()
    assert at.button(key="customers_bulk_confirm").label == "Yes, change 2 customers"
    at.button(key="customers_bulk_confirm").click().run()
    assert [s.value for s in at.success] == ["Changed 2 customers."]
    # the selection is cleared with the new versions
    assert at.radio(key="customers_bulk_scope").options == ["All 3 customers matching the filters"]
    with session_scope(app_engine, write=False) as s:
        page = customer_list.search_customers(
            s, staff[Role.MANAGER], CustomerFilter(owner_ids=(staff[Role.SALES].id,))
        )
    assert list(page.rows["name"]) == ["Andi Wijaya", "Budi Santoso", "Siti Rahmawati"]


def test_one_selected_customer_can_be_opened(listed: None, staff: dict[Role, Actor]) -> None:
    at = page_as("customers", staff[Role.SUPPORT]).run()
    select_rows(at, 1)
    assert at.button(key="customers_open").label == "Open customer"
    select_rows(at, 1, 2)
    assert any("cannot change customers" in c.value for c in at.caption)


def test_a_customer_saved_by_someone_else_meanwhile_stops_the_bulk_edit_and_is_named(
    app_engine: Engine, listed: None, staff: dict[Role, Actor]
) -> None:
    at = page_as("customers", staff[Role.MANAGER]).run()
    select_rows(at, 0, 2)  # Andi and Siti, both at version 1
    with session_scope(app_engine) as s:  # the admin saves Siti while the manager decides
        siti = customer_list.search_customers(s, staff[Role.ADMIN], CustomerFilter(query="siti"))
        customers.update_customer(
            s, staff[Role.ADMIN], int(siti.rows["id"][0]), 1, {"city": "Medan"}
        )
    at.selectbox(key="customers_bulk_stage").set_value("customer")
    review_and_confirm(at)
    message = at.error[0].value
    assert message.startswith("Nothing was changed: 1 of 2 selected customers")
    assert "Siti Rahmawati: This customer was changed by Admin" in message
    with session_scope(app_engine, write=False) as s:
        prospects = customer_list.search_customers(
            s, staff[Role.MANAGER], CustomerFilter(lifecycle_stages=("prospect",))
        )
    assert list(prospects.rows["name"]) == ["Andi Wijaya", "Siti Rahmawati"]
    # The list now shows Siti's new version, still selected: applying again saves both.
    review_and_confirm(at)
    assert [s.value for s in at.success] == ["Changed 2 customers."]


def test_the_list_shows_the_stored_value_figures_and_when_they_were_computed(
    listed: None, app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("customers", staff[Role.MANAGER]).run()
    # Before the first refresh: the list works, the value columns are empty, the page says so.
    assert shown(at) == ["Andi Wijaya", "Budi Santoso", "Siti Rahmawati"]
    assert any("have not been computed yet" in i.value for i in at.info)
    value_store.refresh(partial(session_scope, app_engine))  # the background refresh
    at = page_as("customers", staff[Role.MANAGER]).run()
    assert not at.info
    assert any(c.value.startswith("Value figures as of ") for c in at.caption)
    at.multiselect(key="customers_f_tier").select("No purchases yet").run()
    assert shown(at) == ["Andi Wijaya", "Budi Santoso", "Siti Rahmawati"]
    at.multiselect(key="customers_f_tier").unselect("No purchases yet").select("Below-Zero").run()
    assert at.dataframe[0].value.empty  # nobody bought, so nobody costs more than they earn


def test_a_dashboard_link_opens_the_list_with_its_owner_and_period(
    listed: None, app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    """The dashboard's "New customers" of November for the manager's customers: the list opens
    with those filters set (the link's address then cleared), and the rest can be changed."""
    manager = staff[Role.MANAGER]
    with session_scope(app_engine) as s:
        s.execute(update(Customer).values(created_at=datetime(2026, 10, 1)))
        s.execute(update(Customer).where(Customer.name == "Andi Wijaya")
                  .values(created_at=datetime(2026, 11, 5)))  # fmt: skip
    november = (date(2026, 11, 1), date(2026, 11, 30))
    link = customer_list.list_address(owner_id=manager.id, created=november)
    at = page_as("customers", manager, **link).run()
    assert not at.exception
    assert shown(at) == ["Andi Wijaya"]
    assert at.multiselect(key="customers_f_owner").value == [manager.id]
    assert at.date_input(key="customers_f_created").value == november
    assert "created" not in at.query_params
    at.multiselect(key="customers_f_owner").set_value([]).run()  # the filters are the user's
    assert shown(at) == ["Andi Wijaya"]
