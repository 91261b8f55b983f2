"""RFM quintile scores, named segments and their reasons."""

import pandas as pd
import pytest

from crm_core.analytics.rfm import (
    SEGMENT_GRID,
    RfmSegment,
    quintile_scores,
    rfm_scores,
    segment_for,
    segment_summary,
)
from crm_core.kernel.messages import render

AS_OF = pd.Timestamp("2024-07-01")


def _orders(spec: dict[int, tuple[int, list[float]]]) -> pd.DataFrame:
    """Orders from {customer: (days before AS_OF of the last order, [amounts])}; earlier
    orders are one day apart before the last."""
    rows = []
    for customer, (days_ago, amounts) in spec.items():
        for back, amount in enumerate(reversed(amounts)):
            at = AS_OF - pd.Timedelta(days=days_ago + back, hours=-9)
            rows.append((customer, len(rows) + 1, at, amount))
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at", "amount"])


FIVE = {
    # customer: (days since last order, amounts) -> R, F, M ranks among five customers
    1: (2, [100.0] * 5),  # 2 days, 5 orders, 500 -> R5 F5 M5
    2: (10, [50.0]),  # 10 days, 1 order, 50 -> R4 F1 M1
    3: (30, [100.0] * 3),  # 30 days, 3 orders, 300 -> R3 F3 M3
    4: (90, [100.0] * 4),  # 90 days, 4 orders, 400 -> R2 F4 M4
    5: (200, [50.0, 50.0]),  # 200 days, 2 orders, 100 -> R1 F2 M2
}


def test_five_distinct_customers_score_their_rank_on_each_axis():
    out = rfm_scores(_orders(FIVE), AS_OF).set_index("customer_id")
    assert out["recency_days"].tolist() == [2, 10, 30, 90, 200]
    assert out["frequency"].tolist() == [5, 1, 3, 4, 2]
    assert out["monetary"].tolist() == [500.0, 50.0, 300.0, 400.0, 100.0]
    assert out["r_score"].tolist() == [5, 4, 3, 2, 1]
    assert out["f_score"].tolist() == [5, 1, 3, 4, 2]
    assert out["m_score"].tolist() == [5, 1, 3, 4, 2]


def test_segments_follow_the_r_by_fm_grid():
    out = rfm_scores(_orders(FIVE), AS_OF).set_index("customer_id")
    # (R, FM): 1 (5,5) 2 (4,1) 3 (3,3) 4 (2,4) 5 (1,2)
    assert out["rfm_segment"].tolist() == [
        RfmSegment.CHAMPIONS,
        RfmSegment.PROMISING,
        RfmSegment.NEED_ATTENTION,
        RfmSegment.AT_RISK,
        RfmSegment.LOST,
    ]


def test_the_segment_detail_names_recency_orders_and_spend_with_their_scores():
    out = rfm_scores(_orders(FIVE), AS_OF).set_index("customer_id")
    said = render(out.loc[1, "segment_detail"])
    assert said == "Bought 2 days ago (R5), 5 orders (F5), Rp 500 (M5)"
    assert (
        render(out.loc[2, "segment_detail"]) == "Bought 10 days ago (R4), 1 order (F1), Rp 50 (M1)"
    )
    indonesian = render(out.loc[1, "segment_detail"], "id")
    assert indonesian == "Membeli 2 hari lalu (R5), 5 pesanan (F5), Rp 500 (M5)"


def test_the_segment_reason_says_what_the_segment_means_for_a_salesperson():
    out = rfm_scores(_orders(FIVE), AS_OF).set_index("customer_id")
    assert render(out.loc[1, "segment_reason"]) == (
        "Bought 2 days ago, 5 orders worth Rp 500 in all: among our best on recency, "
        "frequency and spend; thank them, reward them and ask for referrals."
    )
    assert render(out.loc[5, "segment_reason"]) == (
        "Bought 200 days ago, 2 orders worth Rp 100 in all: quiet the longest and bought "
        "least; only a strong offer would bring them back."
    )
    assert render(out.loc[5, "segment_reason"], "id") == (
        "Membeli 200 hari lalu, 2 pesanan senilai total Rp 100: paling lama diam dan paling "
        "sedikit belanja; hanya penawaran kuat yang bisa membawanya kembali."
    )


def test_a_purchase_earlier_on_the_as_of_day_reads_as_today():
    orders = pd.DataFrame(
        {
            "customer_id": [1],
            "order_id": [1],
            "ordered_at": [AS_OF + pd.Timedelta(hours=8)],
            "amount": [4_100_000.0],
        }
    )
    out = rfm_scores(orders, AS_OF + pd.Timedelta(hours=12))
    assert render(out["segment_detail"].iloc[0]) == "Bought today (R3), 1 order (F3), Rp 4.1M (M3)"


def test_recency_counts_calendar_days_not_24_hour_spans():
    # last evening 21:00 to this morning 08:00 is 11 hours, but it was yesterday
    orders = pd.DataFrame(
        {
            "customer_id": [1],
            "order_id": [1],
            "ordered_at": [AS_OF - pd.Timedelta(hours=3)],
            "amount": [10.0],
        }
    )
    out = rfm_scores(orders, AS_OF + pd.Timedelta(hours=8))
    assert out["recency_days"].iloc[0] == 1
    assert render(out["segment_reason"].iloc[0]).startswith("Bought 1 day ago")


def test_orders_after_as_of_are_not_counted():
    orders = _orders(FIVE)
    late = pd.DataFrame(
        {
            "customer_id": [2],
            "order_id": [99],
            "ordered_at": [AS_OF + pd.Timedelta(days=1)],
            "amount": [1_000.0],
        }
    )
    out = rfm_scores(pd.concat([orders, late]), AS_OF).set_index("customer_id")
    assert out.loc[2, "frequency"] == 1
    assert out.loc[2, "monetary"] == 50.0


def test_ten_customers_fall_two_to_each_quintile():
    scores = quintile_scores(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]))
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_lower_recency_is_better():
    scores = quintile_scores(pd.Series([300, 1, 50]), higher_is_better=False)
    # ranks best to worst: 1 day, 50 days, 300 days; three customers spread over 1, 3, 5
    assert scores.tolist() == [1, 5, 3]


def test_two_tied_customers_get_the_same_score():
    scores = quintile_scores(pd.Series([7, 7], index=[11, 12]))
    assert scores.tolist() == [3, 3]


def test_ties_share_a_score_and_the_others_keep_their_quintiles():
    # ten customers, the 4th to 7th tied: their average rank 5.5 gives (5.5 - 0.5) / 10
    # = 50% -> the third fifth; the rest score as without the tie
    scores = quintile_scores(pd.Series([10, 20, 30, 50, 50, 50, 50, 80, 90, 100]))
    assert scores.tolist() == [1, 1, 2, 3, 3, 3, 3, 4, 5, 5]


def test_two_identical_customers_land_in_the_same_segment():
    orders = _orders({1: (10, [50.0, 50.0]), 2: (10, [50.0, 50.0]), 3: (200, [10.0])})
    out = rfm_scores(orders, AS_OF).set_index("customer_id")
    assert out.loc[1, "rfm_segment"] == out.loc[2, "rfm_segment"]
    assert (
        out.loc[1, ["r_score", "f_score", "m_score"]].tolist()
        == out.loc[2, ["r_score", "f_score", "m_score"]].tolist()
    )


def test_a_lone_customer_scores_the_middle():
    orders = _orders({9: (40, [10.0, 20.0])})
    out = rfm_scores(orders, AS_OF)
    assert out[["r_score", "f_score", "m_score", "fm_score"]].iloc[0].tolist() == [3, 3, 3, 3]
    assert out["rfm_segment"].iloc[0] == RfmSegment.NEED_ATTENTION


def test_no_orders_give_an_empty_table_with_all_columns():
    orders = _orders(FIVE).iloc[0:0]
    out = rfm_scores(orders, AS_OF)
    assert out.empty
    assert "rfm_segment" in out.columns


@pytest.mark.parametrize(
    ("r", "fm", "segment"),
    [
        (5, 1, RfmSegment.NEW_CUSTOMERS),
        (5, 4, RfmSegment.CHAMPIONS),
        (4, 5, RfmSegment.LOYAL),
        (4, 2, RfmSegment.POTENTIAL_LOYALIST),
        (3, 1, RfmSegment.ABOUT_TO_SLEEP),
        (2, 1, RfmSegment.HIBERNATING),
        (1, 5, RfmSegment.CANNOT_LOSE_THEM),
        (1, 1, RfmSegment.LOST),
    ],
)
def test_grid_cells_name_the_documented_segment(r, fm, segment):
    assert segment_for(r, fm) == segment


def test_every_named_segment_has_a_cell_and_every_cell_a_segment():
    cells = [segment for row in SEGMENT_GRID.values() for segment in row]
    assert len(cells) == 25
    assert set(cells) == set(RfmSegment)


def test_fm_rounds_half_up_towards_the_better_score():
    spec = {
        10: (90, [20.0] * 5),  # R2, 5 orders (F5), 100 (M4) -> FM (5 + 4) / 2 = 4.5 -> 5
        11: (2, [500.0]),  # R5, F1, M5
        12: (10, [30.0, 30.0]),  # R4, F2, M3
        13: (30, [10.0] * 3),  # R3, F3, M2
        14: (200, [5.0] * 4),  # R1, 4 orders (F4), 20 (M1) -> FM (4 + 1) / 2 = 2.5 -> 3
    }
    out = rfm_scores(_orders(spec), AS_OF).set_index("customer_id")
    assert out.loc[10, ["f_score", "m_score", "fm_score"]].tolist() == [5, 4, 5]
    assert out.loc[14, ["f_score", "m_score", "fm_score"]].tolist() == [4, 1, 3]
    # rounding down would have made these At Risk and Lost
    assert out.loc[10, "rfm_segment"] == RfmSegment.CANNOT_LOSE_THEM
    assert out.loc[14, "rfm_segment"] == RfmSegment.AT_RISK


def test_rfm_leaves_the_orders_alone():
    orders = _orders(FIVE)
    before = orders.copy()
    rfm_scores(orders, AS_OF)
    pd.testing.assert_frame_equal(orders, before)


def test_the_segment_summary_lists_every_segment_in_order():
    summary = segment_summary(rfm_scores(_orders(FIVE), AS_OF))
    assert summary["rfm_segment"].tolist() == [segment.value for segment in RfmSegment]
    assert summary["customers"].sum() == 5
    champions = summary.set_index("rfm_segment").loc[RfmSegment.CHAMPIONS]
    assert (champions["customers"], champions["monetary"]) == (1, 500.0)
