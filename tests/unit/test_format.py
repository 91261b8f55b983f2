"""What users read: money in Rupiah and times in the team's zone, gaps shown as a dash."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from ui.format import local_time, money


def test_rupiah_has_no_minor_units_and_dots_between_thousands() -> None:
    assert money(1_250_000) == "Rp 1.250.000"
    assert money(None) == "–"


def test_times_are_shown_in_jakarta_and_missing_times_as_a_dash() -> None:
    assert local_time(datetime(2026, 1, 31, 20, 30)) == "2026-02-01 03:30"
    assert local_time(pd.NaT) == "–"
    assert local_time(None) == "–"
