"""The customer field declaration agrees with the validator and the model, and is unambiguous."""

from __future__ import annotations

from enum import StrEnum
from typing import get_args

from crm_core.customers import fields
from crm_core.customers.fields import Widget
from crm_core.customers.inputs import CustomerIn
from crm_core.exchange.importing import normalise_header
from crm_core.models import Customer


def test_every_editable_field_has_a_validator_field_and_every_validator_field_is_declared() -> None:
    assert set(fields.editable_names()) == set(CustomerIn.model_fields)


def test_every_declared_field_is_a_column_of_the_customers_table() -> None:
    columns = set(Customer.__table__.columns.keys())
    assert [f.name for f in fields.declared() if f.name not in columns] == []


def test_names_and_the_columns_they_are_shown_under_are_each_used_once() -> None:
    names = [f.name for f in fields.declared()]
    keys = [f.key for f in fields.declared()]
    assert len(set(names)) == len(names) and len(set(keys)) == len(keys)


def test_a_choice_offers_the_values_its_validator_accepts() -> None:
    for field in fields.declared():
        annotation = CustomerIn.model_fields[field.name].annotation
        accepted = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type)]
        enums = [a for a in accepted if issubclass(a, StrEnum)]
        assert (field.widget is Widget.CHOICE) == bool(enums), field.name
        if enums:
            assert field.choices is enums[0], field.name
            assert set(field.values.values()) <= {c.value for c in field.choices}, field.name


def test_a_csv_header_proposes_one_field_only() -> None:
    seen: dict[str, str] = {}
    for field in fields.importable():
        for header in (field.name, *(field.headers or ())):
            word = normalise_header(header)
            assert seen.setdefault(word, field.name) == field.name, (word, field.name)


def test_sortable_fields_are_listed_and_references_are_shown_by_their_name() -> None:
    assert {f.name for f in fields.sortable()} <= {f.name for f in fields.listed()}
    references = [f for f in fields.declared() if f.widget in (Widget.USER, Widget.ACCOUNT)]
    assert {f.name: f.key for f in references} == {"account_id": "company", "owner_id": "owner"}


def test_the_new_customer_form_asks_for_the_name_and_the_ways_to_reach_them() -> None:
    assert [f.name for f in fields.quick_fields()] == [
        "name", "email", "phone", "city", "preferred_channel", "lifecycle_stage",
    ]  # fmt: skip
    assert "account_id" not in {f.name for f in fields.form_fields()}  # the Account tab's
    assert fields.required("lifecycle_stage") and not fields.required("gender")
    assert fields.default("lifecycle_stage") == "prospect"
