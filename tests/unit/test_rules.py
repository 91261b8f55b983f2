"""Roles, pages, validation messages, safe CSV and start-up checks, without a database."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_core.customers.inputs import CustomerIn
from crm_core.kernel.config import StartupRefused, auth_config, check_cookie_key, is_demo
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import normalize_phone, validate
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity, LeadStage, Role
from crm_core.pages import can_open, pages_for
from db.engine import DEFAULT_URL, normalise_url, resolve_url

SALES = Actor(id=7, username="sales", name="Sari", role=Role.SALES)


class Owned:
    def __init__(self, owner_id: int) -> None:
        self.owner_id = owner_id


def test_sales_edits_only_the_customers_it_owns() -> None:
    assert allowed(SALES, Entity.CUSTOMER, Action.UPDATE, Owned(7))
    assert not allowed(SALES, Entity.CUSTOMER, Action.UPDATE, Owned(8))
    assert not allowed(SALES, Entity.CUSTOMER, Action.DELETE, Owned(7))


def test_each_role_sees_its_own_sections_and_only_managers_see_admin() -> None:
    assert list(pages_for(Role.SUPPORT)) == ["Overview", "Customers", "Service"]
    assert "Admin" in pages_for(Role.MANAGER)
    assert "Sales" not in pages_for(Role.SUPPORT)
    assert not can_open(Role.SALES, "users")
    assert not can_open(None, "home")


def test_lead_stages_carry_their_forecast_probability_in_funnel_order() -> None:
    open_stages = [s for s in LeadStage if s.is_open]
    probabilities = [s.probability for s in open_stages]
    assert probabilities == sorted(probabilities)
    assert LeadStage.WON.probability == 1.0 and not LeadStage.LOST.is_open


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+65 6123 4567", "+6561234567"),
    ],
)
def test_phone_numbers_are_stored_in_one_form_however_typed(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        # phonenumbers reads letters as a keypad's digits (0812-222): refused, not made up
        ("0812-ABC", "has letters: a phone number has digits only"),
        # 19 digits: no country's numbers are that long
        ("0812345678901234567", "is not a phone number (check the number of digits)"),
        # a plausible length, but in no Indonesian operator's range
        ("081234567890123", "is not a number in use"),
        ("0812 3456", "is not a number in use"),
    ],
)
def test_a_phone_number_that_cannot_exist_is_refused_with_a_clear_message(
    typed: str, said: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        validate(CustomerIn, {"name": "Budi", "phone": typed})
    assert raised.value.texts()["phone"].startswith(said)


def test_empty_boxes_mean_no_value_and_unknown_choices_are_named() -> None:
    parsed = validate(CustomerIn, {"name": "Budi", "email": "  ", "city": ""})
    assert parsed.email is None and parsed.city is None
    with pytest.raises(ValidationError) as raised:
        validate(CustomerIn, {"name": "Budi", "gender": "robot"})
    assert raised.value.texts()["gender"].startswith("must be one of: female, male")


def test_csv_cells_that_spreadsheets_would_run_as_formulas_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("x")', "+62 812", "-1+1", "@SUM(A1)", "Budi"],
            "orders": [1, 2, 3, 4, -5],
        }
    )
    lines = safe_csv(frame).splitlines()
    assert lines[1].startswith("\"'=HYPERLINK")
    assert lines[2] == "'+62 812,2"
    assert lines[3] == "'-1+1,3"
    assert lines[4] == "'@SUM(A1),4"
    assert lines[5] == "Budi,-5"  # numbers stay numbers


def test_outside_demo_mode_a_missing_or_example_cookie_key_refuses_to_start() -> None:
    for key in (None, "some_key", "abcdef", "short-but-not-example"):
        with pytest.raises(StartupRefused):
            check_cookie_key(key, demo=False)
    check_cookie_key("q8Zr-2vLwX_n5TfKc0Ya7hUeB3mJdP9s", demo=False)  # 32 random characters
    check_cookie_key("0f3a9c5e7b1d24680ace13579bdf0246", demo=False)  # 32 hex digits
    check_cookie_key(None, demo=True)


def test_a_long_but_predictable_cookie_key_refuses_to_start() -> None:
    for key in (
        "a" * 32,
        "k" * 48,
        "abcdefgh" * 5,
        "0123456789" * 4,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaabcde",
    ):
        with pytest.raises(StartupRefused, match="too predictable"):
            check_cookie_key(key, demo=False)


def test_the_cookie_settings_come_from_the_sign_in_table_and_never_from_st_login_s_auth() -> None:
    key = "k" * 48
    config = auth_config({}, {"sign_in": {"cookie_key": key, "cookie_expiry_days": 30}})
    assert (config.cookie_key, config.cookie_expiry_days) == (key, 30.0)
    assert auth_config({"CRM_COOKIE_KEY": "e" * 40}, {"sign_in": {"cookie_key": key}}).cookie_key \
        == "e" * 40  # fmt: skip
    # [auth] belongs to Streamlit's st.login (OIDC); a key left there is not ours to read.
    assert auth_config({}, {"auth": {"cookie_key": key}}).cookie_key is None
    assert auth_config({}, {}).cookie_expiry_days == 7.0


def test_the_refusal_to_start_says_where_the_cookie_key_goes() -> None:
    with pytest.raises(StartupRefused, match=r"CRM_COOKIE_KEY, or cookie_key in the \[sign_in\]"):
        check_cookie_key(None, demo=False)


def test_demo_mode_is_the_embedded_database_or_an_explicit_flag() -> None:
    assert is_demo({}, {}, embedded_db=True)
    assert not is_demo({}, {}, embedded_db=False)
    assert is_demo({"CRM_DEMO": "1"}, {}, embedded_db=False)
    assert is_demo({}, {"app": {"demo": True}}, embedded_db=False)


def test_the_database_url_comes_from_environment_then_secrets_then_the_embedded_default() -> None:
    secrets = {"connections": {"crm": {"url": "postgres://u@h/db"}}}
    assert resolve_url({"CRM_DATABASE_URL": "sqlite:///x.db"}, secrets) == ("sqlite:///x.db", False)
    assert resolve_url({}, secrets) == ("postgresql+psycopg://u@h/db", False)
    assert resolve_url({}, {}) == (DEFAULT_URL, True)
    assert normalise_url("postgresql://h/db") == "postgresql+psycopg://h/db"
