"""Numbers and tags a form or a CSV may send: each refusal says what is wrong with the value
(too large, not whole, negative), and nothing past a bound reaches the database."""

from __future__ import annotations

from typing import Any

import pytest

from crm_core.customers.inputs import AccountIn, CustomerIn
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import validate


def refusal(schema: Any, **data: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as raised:
        validate(schema, data)
    return raised.value.texts()


@pytest.mark.parametrize(
    ("employees", "problem"),
    [
        ("12.5", "must be a whole number"),
        (12.5, "must be a whole number"),
        ("dua belas", "must be a number"),
        (-3, "must be 0 or more"),
        (99_999_999_999, "is too large: at most 2,147,483,647"),
        ("99999999999999999999999", "is too large: at most 2,147,483,647"),
    ],
)
def test_a_bad_count_of_employees_says_what_is_wrong(employees: Any, problem: str) -> None:
    assert refusal(AccountIn, name="PT Maju", employees=employees) == {"employees": problem}


def test_an_amount_with_too_many_digits_says_how_many_fit() -> None:
    assert refusal(AccountIn, name="PT Maju", annual_revenue="1e20") == {
        "annual_revenue": "is too large: at most 14 digits"
    }
    assert refusal(AccountIn, name="PT Maju", annual_revenue="10.123") == {
        "annual_revenue": "has too many decimals: at most 2"
    }


def test_an_id_past_what_the_database_holds_is_refused_before_it_sees_it() -> None:
    assert refusal(CustomerIn, name="Budi", owner_id=2**40) == {
        "owner_id": "is too large: at most 2,147,483,647"
    }


def test_tags_have_a_length_and_a_count_limit() -> None:
    assert refusal(CustomerIn, name="Budi", tags="x" * 51) == {
        "tags": "a tag is at most 50 characters"
    }
    many = ", ".join(f"t{i}" for i in range(21))
    assert refusal(CustomerIn, name="Budi", tags=many) == {"tags": "at most 20 tags"}
    kept = validate(CustomerIn, {"name": "Budi", "tags": "vip, VIP , reseller"})
    assert kept.tags == ["vip", "reseller"]  # the same tag twice is one tag
