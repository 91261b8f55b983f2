"""Value tiers: Most Valuable, Most Growable and Below-Zero customers with their reasons."""

import pandas as pd
import pytest

from crm_core.analytics.value_tiers import (
    ValueTier,
    most_valuable_cutoff,
    tier_summary,
    value_tiers,
)
from crm_core.kernel.messages import render

MVC, MGC, BZC = ValueTier.MOST_VALUABLE, ValueTier.MOST_GROWABLE, ValueTier.BELOW_ZERO
NONE = ValueTier.NO_PURCHASES


def _profits(profits: list[float]) -> pd.DataFrame:
    """A profitability frame where cost to serve is 100 and margin makes up the profit."""
    return pd.DataFrame(
        {
            "customer_id": list(range(1, len(profits) + 1)),
            "gross_margin": [profit + 100.0 for profit in profits],
            "cost_to_serve": [100.0] * len(profits),
            "profit": [float(profit) for profit in profits],
        }
    )


def test_the_most_profitable_customers_making_half_of_all_profit_are_most_valuable():
    # positive profit 600 + 300 + 100 = 1000; half is 500, reached by the 600 alone
    out = value_tiers(_profits([600, 300, 100, 0, -50]))
    assert out["value_tier"].tolist() == [MVC, MGC, MGC, MGC, BZC]


def test_a_larger_top_share_takes_more_customers_into_most_valuable():
    # 70% of 1000 is 700: 600 is not enough, 600 + 300 = 900 is
    out = value_tiers(_profits([600, 300, 100, 0, -50]), top_profit_share=0.7)
    assert out["value_tier"].tolist() == [MVC, MVC, MGC, MGC, BZC]


def test_customers_tied_with_the_last_one_taken_join_most_valuable_too():
    # total 1000, half 500: 400 then one 300 reaches it; the other 300 is tied and joins
    out = value_tiers(_profits([400, 300, 300, 0]))
    assert out["value_tier"].tolist() == [MVC, MVC, MVC, MGC]
    assert most_valuable_cutoff(out["profit"], 0.5) == 300.0


def test_exactly_reaching_the_share_is_enough_despite_floating_point_rounding():
    # 0.7 + 0.4 + 0.2 + 0.1 sums to 1.4000000000000001 in floating point, so half of it is
    # 0.7000000000000001 > 0.7; yet 0.7 is exactly half the profit and must suffice alone
    out = value_tiers(_profits([0.7, 0.4, 0.2, 0.1]))
    assert out["value_tier"].tolist() == [MVC, MGC, MGC, MGC]


def test_when_everyone_loses_money_all_are_below_zero_and_none_most_valuable():
    out = value_tiers(_profits([-5, -10, -1]))
    assert set(out["value_tier"]) == {BZC}


def test_when_nobody_makes_a_profit_break_even_customers_are_most_growable():
    out = value_tiers(_profits([0, 0, -3]))
    assert out["value_tier"].tolist() == [MGC, MGC, BZC]
    # Reasons are message codes; in English amounts read in the team's currency (Rupiah).
    reason = render(out["tier_reason"].iloc[0])
    assert reason == "Breaks even: gross margin Rp 100 equals cost to serve Rp 100"


def test_no_customers_give_an_empty_table_with_the_tier_columns():
    out = value_tiers(_profits([]))
    assert out.empty
    assert {"value_tier", "tier_reason", "profit_rank"} <= set(out.columns)


def test_every_customer_lands_in_exactly_one_tier():
    profits = [50, -20, 0, 900, 10, 10, -1, 300]
    out = value_tiers(_profits(profits))
    assert len(out) == len(profits)
    assert set(out["value_tier"]) <= {tier.value for tier in ValueTier}


def test_reasons_explain_each_tier_in_plain_words():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "gross_margin": [12_500_000.0, 800_000.0, 2_000_000.0],
            "cost_to_serve": [200_000.0, 1_200_000.0, 900_000.0],
            "profit": [12_300_000.0, -400_000.0, 1_100_000.0],
        }
    )
    out = value_tiers(frame)
    assert [render(reason) for reason in out["tier_reason"]] == [
        "Top 50% of profit: profit Rp 12.3M ranks 1 of 3",
        "Cost to serve Rp 1.2M is above gross margin Rp 800K",
        "Profit Rp 1.1M ranks 2 of 3, outside the top 50% of profit: room to grow",
    ]


def test_a_customer_sold_below_cost_of_goods_is_told_so():
    frame = pd.DataFrame(
        {
            "customer_id": [1],
            "gross_margin": [-5_000.0],
            "cost_to_serve": [0.0],
            "profit": [-5_000.0],
        }
    )
    out = value_tiers(frame)
    assert render(out["tier_reason"].iloc[0]) == "Sold below cost of goods: gross margin Rp -5K"
    said = render(out["tier_reason"].iloc[0], "id").replace("\u00a0", " ")
    assert said == "Dijual di bawah harga pokok: margin kotor Rp -5 rb"


def test_value_tiers_leave_the_input_alone():
    frame = _profits([600, 300, -50])
    before = frame.copy()
    value_tiers(frame)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_a_top_profit_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="top_profit_share"):
        value_tiers(_profits([1, 2]), top_profit_share=share)


def test_the_tier_summary_lists_every_tier_with_customers_and_profit():
    summary = tier_summary(value_tiers(_profits([600, 300, 100, 0, -50])))
    assert summary["value_tier"].tolist() == [MVC, MGC, BZC, NONE]
    assert summary["customers"].tolist() == [1, 3, 1, 0]
    assert summary["profit"].tolist() == [600.0, 400.0, -50.0, 0.0]
    # shares of the positive profit 600 + 300 + 100 = 1,000, the total the cut-off takes
    # half of: Most Valuable shows at least that half (60%), not 600 / 950 = 63%
    assert summary["share_of_profit"].tolist() == pytest.approx([0.6, 0.4, -0.05, 0.0])


def test_a_customer_who_never_bought_has_no_purchases_yet_not_below_zero():
    # customer 3 never ordered but has cost 100 to serve (tickets): profit -100
    frame = _profits([600, 300, -100]).assign(orders=[4, 2, 0])
    out = value_tiers(frame).set_index("customer_id")
    assert out["value_tier"].tolist() == [MVC, MGC, NONE]
    assert out["profit_rank"].tolist()[:2] == [1, 2] and pd.isna(out.loc[3, "profit_rank"])
    assert render(out.loc[3, "tier_reason"]) == (
        "Has not bought yet: the value tier follows the first order (cost to serve so far Rp 100)."
    )
    # ranks and counts are among the two who bought
    assert render(out.loc[2, "tier_reason"]) == (
        "Profit Rp 300 ranks 2 of 2, outside the top 50% of profit: room to grow"
    )
