"""A customer field declared once shows in the form, the list, the import and data quality.

A newcomer declares the field in crm_core/customers/fields.py and adds its column (model and
migration) and its validator field. A test cannot run a migration, so the column is stood in
for by one that exists: `Customer.nickname` below is the notes column under the new field's
name. Nothing else is patched: the form, the list, the import and the data-quality page find
the field because they read the declaration.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from crm_core.customers import data_quality, fields
from crm_core.customers import listing as customer_list
from crm_core.customers.fields import CustomerField, Quality, Widget
from crm_core.exchange import importing
from crm_core.exchange.registry import importer
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer
from crm_core.models.enums import Role
from db.session import session_scope
from support import a_customer, page_as

NICKNAME = CustomerField(
    "nickname",
    "Nickname",
    Widget.TEXT,
    headers=("panggilan", "namapanggilan"),
    listed=True,
    sortable=True,
    quality=Quality.COUNTED,
)


@pytest.fixture
def nickname(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fields, "FIELDS", (*fields.FIELDS, NICKNAME))
    # A plain class attribute: type.__setattr__ skips SQLAlchemy's hook that would map it.
    type.__setattr__(Customer, "nickname", Customer.notes)
    yield
    type.__delattr__(Customer, "nickname")


def three_customers(engine: Engine, actor: Actor) -> dict[str, int]:
    nicknames = {"Budi Santoso": "Bud", "Siti Rahma": "Ti", "Andi Wijaya": None}
    return {
        name: a_customer(engine, actor, name=name, notes=nick) for name, nick in nicknames.items()
    }


def test_the_list_shows_and_sorts_by_a_newly_declared_field(
    nickname: None, engine: Engine, manager: Actor
) -> None:
    three_customers(engine, manager)
    with session_scope(engine, write=False) as s:
        up = customer_list.search_customers(s, manager, sort_by="nickname")
        down = customer_list.search_customers(s, manager, sort_by="nickname", descending=True)
    assert customer_list.sorts()["nickname"] == "Nickname"
    assert list(up.rows.columns) == customer_list.list_columns()
    assert list(up.rows["nickname"].fillna("-")) == ["Bud", "Ti", "-"]  # missing last, either way
    assert list(down.rows["name"]) == ["Siti Rahma", "Budi Santoso", "Andi Wijaya"]


def test_data_quality_counts_a_newly_declared_field(
    nickname: None, engine: Engine, manager: Actor
) -> None:
    three_customers(engine, manager)
    with session_scope(engine, write=False) as s:
        table = data_quality.field_completeness(s, manager).set_index("field")
    assert table.loc["nickname"].tolist() == ["Nickname", 2, 3, 2 / 3]


def test_the_import_proposes_a_newly_declared_field_for_its_headers(nickname: None) -> None:
    proposal = importing.suggest_mapping(
        ["Nama", "Nama Panggilan", "No HP"], importer("customers").fields
    )
    assert proposal == {"Nama": "name", "Nama Panggilan": "nickname", "No HP": "phone"}


def test_the_profile_form_and_the_customers_page_show_a_newly_declared_field(
    nickname: None, app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    budi = three_customers(app_engine, staff[Role.MANAGER])["Budi Santoso"]
    at = page_as("customer", staff[Role.MANAGER], id=str(budi)).run()
    box = at.text_input(key=f"customer-{budi}-v1-nickname")
    assert (box.label, box.value) == ("Nickname", "Bud")
    listing = page_as("customers", staff[Role.MANAGER]).run()
    assert "Nickname" in listing.selectbox(key="customers_sort").options
    assert list(listing.dataframe[0].value["nickname"].fillna("-")) == ["-", "Bud", "Ti"]
