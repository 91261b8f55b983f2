"""What users read: money, numbers and dates as a reader of their language writes them (Babel),
times in the team's zone, gaps shown as a dash. Every expected value here is checked by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from crm_core.kernel import localized
from ui.format import (
    compact_money,
    local_time,
    local_times,
    long_date,
    money,
    number,
    percent,
    when,
)


def test_rupiah_in_indonesian_has_dots_between_thousands_and_no_minor_units() -> None:
    assert money(1_250_000, lang="id") == "Rp 1.250.000"
    assert money(Decimal("1250000.40"), lang="id") == "Rp 1.250.000"
    assert money(-3_400_000, lang="id") == "-Rp 3.400.000"
    assert money(0, lang="id") == "Rp 0"


def test_rupiah_in_english_has_commas_between_thousands() -> None:
    assert money(1_250_000, lang="en") == "Rp 1,250,000"
    assert money(1_250_000) == "Rp 1,250,000"  # English when nobody chose a language


def test_other_currencies_keep_their_minor_units_and_symbols() -> None:
    assert money(1_250.5, "USD", lang="en") == "$1,250.50"
    assert money(1_250.5, "USD", lang="id") == "US$1.250,50"
    assert money(99, "EUR", lang="id") == "€99,00"


@pytest.mark.parametrize(
    ("amount", "indonesian", "english"),
    [
        (950, "Rp 950", "Rp 950"),
        (12_500, "Rp 12,5 rb", "Rp 12.5K"),
        (1_250_000, "Rp 1,2 jt", "Rp 1.2M"),
        (4_100_000_000, "Rp 4,1 M", "Rp 4.1B"),
        (1_200_000_000_000, "Rp 1,2 T", "Rp 1.2T"),
        (-5_000, "Rp -5 rb", "Rp -5K"),
    ],
)
def test_compact_amounts_read_as_each_language_shortens_them(
    amount: float, indonesian: str, english: str
) -> None:
    # rb = ribu (thousand), jt = juta (million), M = miliar (billion), T = triliun. CLDR puts a
    # no-break space before the unit, so "1,2" and "jt" never part at a line end.
    assert compact_money(amount, lang="id").replace("\u00a0", " ") == indonesian
    assert compact_money(amount, lang="en") == english


def test_numbers_and_percentages_use_each_languages_separators() -> None:
    assert number(1_234_567, lang="id") == "1.234.567"
    assert number(1_234_567, lang="en") == "1,234,567"
    assert number(2.5, digits=2, lang="id") == "2,50"
    assert percent(0.254, lang="en") == "25%"
    assert percent(0.254, digits=1, lang="id") == "25,4%"


def test_long_dates_name_the_month_in_the_readers_language() -> None:
    assert long_date(date(2026, 2, 1), lang="id") == "1 Februari 2026"
    assert long_date(date(2026, 2, 1), lang="en") == "1 February 2026"
    assert long_date(date(2026, 8, 17), lang="id") == "17 Agustus 2026"


def test_a_stored_utc_time_reads_in_the_teams_zone() -> None:
    # 20:30 UTC on 31 January is 03:30 on 1 February in Jakarta (UTC+7).
    stored = datetime(2026, 1, 31, 20, 30)
    assert when(stored, "Asia/Jakarta", lang="id") == "1 Feb 2026 03.30"
    assert when(stored, "Asia/Jakarta", lang="en") == "1 Feb 2026 03:30"
    assert when(datetime(2026, 5, 10, 1, 5), "Asia/Makassar", lang="id") == "10 Mei 2026 09.05"


def test_table_times_keep_the_sortable_iso_order_in_the_teams_zone() -> None:
    assert local_time(datetime(2026, 1, 31, 20, 30)) == "2026-02-01 03:30"
    assert local_time(datetime(2026, 1, 31, 20, 30), "UTC") == "2026-01-31 20:30"


def test_missing_figures_and_times_show_as_a_dash() -> None:
    for blank in (None, float("nan"), pd.NaT):
        assert money(blank, lang="id") == "–"
        assert compact_money(blank, lang="en") == "–"
        assert when(blank) == "–"
        assert local_time(blank) == "–"
    assert long_date(None) == "–"
    assert percent(None) == "–"


def test_times_are_shown_in_the_zone_asked_for() -> None:
    assert local_time(datetime(2026, 1, 31, 20, 30), "Asia/Jayapura") == "2026-02-01 05:30"


def test_a_column_of_times_is_shown_in_one_zone() -> None:
    column = pd.Series([datetime(2026, 1, 31, 20, 30), pd.NaT])
    assert list(local_times(column, "Asia/Makassar")) == ["2026-02-01 04:30", "–"]


def test_an_axis_of_amounts_gets_round_steps_from_zero_past_the_highest() -> None:
    """Rp 173 jt at most: 0, 50, 100, 150, 200 juta; seven tickets: 0, 2, 4, 6, 8."""
    assert localized.nice_ticks(0, 173_050_000) == [0, 50e6, 100e6, 150e6, 200e6]
    assert localized.nice_ticks(0, 7) == [0, 2, 4, 6, 8]
    assert localized.nice_ticks(0, 0) == [0]
