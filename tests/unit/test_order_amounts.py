"""An order file's amounts: what is not a finite number stays text, for validation to name."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm_core.customers.order_import import coerce, parse_amount


def test_a_rupiah_amount_reads_as_a_number() -> None:
    assert parse_amount("Rp 1.250.000") == Decimal(1_250_000)


@pytest.mark.parametrize("text", ["INF", "-Infinity", "NaN", "snan"])
def test_infinity_and_not_a_number_stay_text(text: str) -> None:
    assert parse_amount(text) == text
    assert coerce({"quantity": text, "unit_price": text}, "Asia/Jakarta")["quantity"] == text
