"""The segment dashboard's figures on small frames counted by hand: breakdowns, tier
migration, concentration, cohorts and churn per month."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from crm_core.marketing.cohorts import churn_by_month, cohort_retention
from crm_core.marketing.dashboard import (
    breakdown,
    concentration,
    dashboard_frame,
    tier_migration,
    tier_moves,
)

AS_OF = datetime(2026, 5, 1)
MV, MG, BZ, NP = "Most Valuable", "Most Growable", "Below-Zero", "No purchases yet"


def attributes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gender": ["female", "male", None, "female"],
            "birth_date": [pd.Timestamp("2002-05-02"), pd.Timestamp("1990-01-01"), None,
                           pd.Timestamp("1960-05-01")],
            "region": ["Jawa Barat", "Jawa Barat", "Bali", None],
            "city": ["Bandung", "Bekasi", "Denpasar", None],
            "source": ["website", None, "referral", "website"],
            "preferred_channel": ["chat", "email", None, "chat"],
            "industry": [None, "Hotel", "Hotel", None],
            "employees": [None, 12, 300, None],
            "account_id": [None, 1, 2, None],
        },
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )  # fmt: skip


def values() -> pd.DataFrame:
    return pd.DataFrame(
        {"value_tier": [MV, MG, BZ, MG], "rfm_segment": ["Champions", "Loyal", "Lost", None],
         "net_revenue": [600.0, 300.0, 100.0, 0.0], "profit": [200.0, 50.0, -30.0, 0.0],
         "tickets": [0, 1, 6, 3]},
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )  # fmt: skip


def test_customers_revenue_and_profit_by_tier_in_the_tiers_order() -> None:
    frame = dashboard_frame(attributes(), values(), AS_OF)
    table = breakdown(frame, "value_tier").set_index("group")
    assert list(table.index) == [MV, MG, BZ]
    assert table["customers"].tolist() == [1, 2, 1]
    assert table["net_revenue"].tolist() == [600.0, 300.0, 100.0]
    assert table["profit"].tolist() == [200.0, 50.0, -30.0]
    assert table["revenue_share"].tolist() == [0.6, 0.3, 0.1]
    assert table.loc[MG, "customer_share"] == 0.5


def test_age_bands_firm_sizes_and_missing_attributes() -> None:
    frame = dashboard_frame(attributes(), values(), AS_OF)
    # Born 2 May 2002: 23 on 1 May 2026; 1 Jan 1990: 36; 1 May 1960: 66 that day.
    assert frame["age_band"].tolist() == ["under 25", "35-44", "unknown", "65+"]
    assert frame["firm_size"].tolist() == ["B2C", "10-49", "250+", "B2C"]
    regions = breakdown(frame, "region").set_index("group")
    assert regions.loc["Jawa Barat", "customers"] == 2 and regions.loc["unknown", "customers"] == 1
    assert regions.index[0] == "Jawa Barat"  # most customers first


def test_tier_migration_counts_who_moved_up_and_down() -> None:
    before = pd.DataFrame({"value_tier": [MV, MG, BZ]}, index=[1, 2, 3])
    after = pd.DataFrame({"value_tier": [MG, MV, BZ, MG]}, index=[1, 2, 3, 4])
    matrix = tier_migration(before, after)
    assert matrix.loc["new", MG] == 1 and matrix.loc[MV, MG] == 1
    assert matrix.loc[MG, MV] == 1 and matrix.loc[BZ, BZ] == 1
    assert int(matrix.to_numpy().sum()) == 4
    moves = tier_moves(before, after).set_index("customer_id")
    assert moves["direction"].to_dict() == {1: "down", 2: "up"}


def test_a_first_purchase_moves_up_and_a_customer_whose_orders_went_moves_down() -> None:
    # 5 had bought nothing and now is Most Growable (a first purchase); 6 was Most Valuable
    # and has no completed order now (returned); 7 still has none; 4 is new since.
    before = pd.DataFrame({"value_tier": [MV, MG, BZ, NP, MV, NP]}, index=[1, 2, 3, 5, 6, 7])
    after = pd.DataFrame({"value_tier": [MG, MV, BZ, MG, MG, NP, NP]}, index=[1, 2, 3, 4, 5, 6, 7])
    matrix = tier_migration(before, after)
    assert list(matrix.index) == ["new", MV, MG, BZ, NP]
    assert list(matrix.columns) == [MV, MG, BZ, NP]
    assert matrix.loc[NP, MG] == 1 and matrix.loc[MV, NP] == 1 and matrix.loc[NP, NP] == 1
    assert int(matrix.to_numpy().sum()) == 7  # every customer of today, none dropped
    moves = tier_moves(before, after).set_index("customer_id")
    assert moves["direction"].to_dict() == {1: "down", 2: "up", 5: "up", 6: "down"}
    assert list(moves.loc[5, ["from", "to"]]) == [NP, MG]
    assert list(moves.loc[6, ["from", "to"]]) == [MV, NP]


def test_the_top_fifth_of_customers_share_of_revenue_and_tickets() -> None:
    frame = pd.DataFrame({"net_revenue": [100.0, 50.0, 30.0, 20.0, 0.0],
                          "tickets": [0, 0, 1, 1, 8]})  # fmt: skip
    revenue = concentration(frame, "net_revenue")
    assert (revenue["top"], revenue["share"]) == (1, 0.5)
    assert revenue["curve"]["held"].iloc[-1] == pytest.approx(1.0)
    assert revenue["curve"]["held"].iloc[3] == pytest.approx(0.75)  # top 40 %: 150 of 200
    assert concentration(frame, "tickets")["share"] == 0.8


ORDERS = pd.DataFrame(
    {"customer_id": [1, 1, 1, 2, 3, 3],
     "ordered_at": pd.to_datetime(["2026-01-05", "2026-02-10", "2026-04-01", "2026-01-20",
                                   "2026-02-03", "2026-03-03"])}
)  # fmt: skip


def test_monthly_cohorts_and_their_retention() -> None:
    table = cohort_retention(ORDERS, AS_OF)
    got = {(r.cohort, r.month): (r.customers, r.size, r.share) for r in table.itertuples()}
    assert got == {
        ("2026-01", 0): (2, 2, 1.0), ("2026-01", 1): (1, 2, 0.5), ("2026-01", 3): (1, 2, 0.5),
        ("2026-02", 0): (1, 1, 1.0), ("2026-02", 1): (1, 1, 1.0),
    }  # fmt: skip


def test_churn_per_month_with_a_30_day_window() -> None:
    # Customer 1 lapses on 4 Feb, 12 Mar and 1 May; 2 on 19 Feb; 3 on 2 Apr. May is not over.
    table = churn_by_month(ORDERS, AS_OF, window_days=30, months=4).set_index("month")
    assert list(table.index) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert table["active"].tolist() == [0, 2, 2, 2]
    assert table["churned"].tolist() == [0, 2, 1, 2]
    assert table["rate"].tolist()[1:] == [1.0, 0.5, 1.0]
    assert np.isnan(table["rate"].iloc[0])


def test_the_tiers_compare_with_the_end_of_the_last_quarter_by_default() -> None:
    from datetime import date

    from crm_core.customers.read import last_quarter_end

    assert last_quarter_end(date(2026, 12, 1)) == date(2026, 9, 30)
    assert last_quarter_end(date(2026, 10, 1)) == date(2026, 9, 30)
    assert last_quarter_end(date(2026, 3, 31)) == date(2025, 12, 31)
    assert last_quarter_end(date(2026, 5, 15)) == date(2026, 3, 31)


def test_the_province_tiles_cover_the_38_provinces_once_and_place_a_split() -> None:
    from crm_core.marketing.geography import on_tiles, province_tiles

    tiles = province_tiles()
    assert len(tiles) == 38 and tiles["province"].is_unique
    assert not tiles.duplicated(["row", "col"]).any()
    split = pd.DataFrame(
        {
            "group": ["Jawa Barat", "bali ", "Selangor", "unknown"],
            "customers": [5, 2, 1, 3],
            "net_revenue": [500.0, 20.0, 9.0, 0.0],
        }
    )
    placed, elsewhere = on_tiles(split)
    by_name = placed.set_index("province")
    assert by_name.loc["Jawa Barat", "customers"] == 5 and by_name.loc["Bali", "customers"] == 2
    assert by_name.loc["Papua", "customers"] == 0 and placed["customers"].sum() == 7
    assert elsewhere["group"].tolist() == ["Selangor", "unknown"]
