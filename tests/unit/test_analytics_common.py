"""Number formatting and input checks shared by the analytics modules."""

import math

import pandas as pd
import pytest

from crm_core.analytics._common import compact_number, plural, require_columns, to_timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (950, "950"),
        (12_300, "12.3K"),
        (800_000, "800K"),
        (4_120_000, "4.1M"),
        (999_999, "1M"),  # rounds up into the next unit instead of printing "1000K"
        (-1_250_000_000, "-1.2B"),
        (math.nan, "n/a"),
    ],
)
def test_compact_number_writes_amounts_the_way_a_manager_reads_them(value, expected):
    assert compact_number(value) == expected


def test_plural_uses_the_singular_for_exactly_one():
    assert plural(1, "order") == "1 order"
    assert plural(2_000, "order") == "2,000 orders"
    assert plural(2, "breach", "breaches") == "2 breaches"


def test_a_missing_column_is_named_in_the_error():
    with pytest.raises(ValueError, match="orders is missing column\\(s\\): amount"):
        require_columns(pd.DataFrame({"customer_id": [1]}), ("customer_id", "amount"), "orders")


def test_an_aware_as_of_becomes_naive_utc_like_the_data():
    stamp = to_timestamp(pd.Timestamp("2024-07-01 07:00", tz="Asia/Jakarta"))
    assert stamp == pd.Timestamp("2024-07-01 00:00")
    assert stamp.tzinfo is None
