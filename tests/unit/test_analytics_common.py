"""Input checks and reason codes shared by the analytics modules."""

import pandas as pd
import pytest

from crm_core.analytics._common import as_text, msg, msgn, require_columns, to_timestamp
from crm_core.kernel.messages import Message, from_json


def test_a_missing_column_is_named_in_the_error():
    with pytest.raises(ValueError, match="orders is missing column\\(s\\): amount"):
        require_columns(pd.DataFrame({"customer_id": [1]}), ("customer_id", "amount"), "orders")


def test_an_aware_as_of_becomes_naive_utc_like_the_data():
    stamp = to_timestamp(pd.Timestamp("2024-07-01 07:00", tz="Asia/Jakarta"))
    assert stamp == pd.Timestamp("2024-07-01 00:00")
    assert stamp.tzinfo is None


def test_a_reason_is_compact_json_text_that_the_kernel_reads_back_as_a_message():
    text = as_text(msg("rfm.reason", bought=msgn("rfm.bought_days_ago", 12), amount=4.1e6))
    assert text == '["rfm.reason",{"bought":["rfm.bought_days_ago",{"n":12}],"amount":4100000.0}]'
    assert from_json(text) == Message(
        "rfm.reason", {"bought": Message("rfm.bought_days_ago", {"n": 12}), "amount": 4100000.0}
    )
