"""What users read: money in the team's currency and times in its zone, gaps shown as a dash."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from ui.format import local_time, local_times, money


def test_rupiah_has_no_minor_units_and_dots_between_thousands() -> None:
    assert money(1_250_000, "IDR") == "Rp 1.250.000"
    assert money(None, "IDR") == "–"


def test_other_currencies_show_their_code_and_cents() -> None:
    assert money(1_250.5, "USD") == "USD 1,250.50"


def test_times_are_shown_in_the_zone_asked_for_and_missing_times_as_a_dash() -> None:
    assert local_time(datetime(2026, 1, 31, 20, 30), "Asia/Jakarta") == "2026-02-01 03:30"
    assert local_time(datetime(2026, 1, 31, 20, 30), "Asia/Jayapura") == "2026-02-01 05:30"
    assert local_time(pd.NaT, "Asia/Jakarta") == "–"
    assert local_time(None, "Asia/Jakarta") == "–"


def test_a_column_of_times_is_shown_in_one_zone() -> None:
    column = pd.Series([datetime(2026, 1, 31, 20, 30), pd.NaT])
    assert list(local_times(column, "Asia/Makassar")) == ["2026-02-01 04:30", "–"]
