"""Churn risk: signals scaled to 0..1, weighted into one score, with a reason per signal."""

import math

import pandas as pd
import pytest

from crm_core.analytics.churn import (
    ChurnWeights,
    RiskBand,
    RiskBands,
    churn_risk,
    churn_signals,
    purchase_rhythm,
)
from crm_core.kernel.messages import render


def _signals(*rows: tuple) -> pd.DataFrame:
    columns = [
        "customer_id",
        "p_alive",
        "orders_last_90d",
        "orders_prev_90d",
        "tickets_last_90d",
        "tickets_prev_90d",
        "avg_csat",
        "sla_breaches_last_90d",
    ]
    return pd.DataFrame(list(rows), columns=columns)


# p_alive 0.31, orders 3 -> 1, tickets 1 -> 3, CSAT 2.0, two SLA breaches
TROUBLED = (1, 0.31, 1, 3, 3, 1, 2.0, 2)
# p_alive 0.95, orders 2 -> 3, no tickets, no CSAT rating, no breaches
HAPPY = (2, 0.95, 3, 2, 0, 0, math.nan, 0)


def test_each_signal_is_scaled_to_zero_to_one():
    scaled = churn_signals(_signals(TROUBLED)).iloc[0]
    assert scaled["inactive"] == pytest.approx(0.69)  # 1 - 0.31
    assert scaled["falling_orders"] == pytest.approx(2 / 3)  # (3 - 1) / 3
    assert scaled["rising_tickets"] == 1.0  # (3 - 1) / 1 = +200%, capped at 1
    assert scaled["low_csat"] == pytest.approx(0.6)  # (3.5 - 2.0) / 2.5
    assert scaled["sla_breaches"] == pytest.approx(2 / 3)  # 2 of 3


def test_a_troubled_customer_sums_every_weighted_signal_into_high_risk():
    out = churn_risk(_signals(TROUBLED)).iloc[0]
    # 0.69*0.40 + 0.6667*0.25 + 1*0.10 + 0.6*0.15 + 0.6667*0.10
    # = 0.2760 + 0.1667 + 0.1000 + 0.0900 + 0.0667 = 0.6993
    assert out["risk"] == pytest.approx(0.276 + 0.25 * 2 / 3 + 0.1 + 0.09 + 0.1 * 2 / 3)
    assert out["risk_band"] == RiskBand.HIGH


def test_the_reason_names_each_signal_with_its_weight_and_contribution_largest_first():
    reason = render(churn_risk(_signals(TROUBLED))["risk_detail"].iloc[0])
    assert reason == (
        "P(alive) 0.31 (signal 0.69 × 40% = 0.28); "
        "orders fell 3 → 1 (signal 0.67 × 25% = 0.17); "
        "tickets rose 1 → 3 (signal 1.00 × 10% = 0.10); "
        "CSAT 2.0 of 5 (signal 0.60 × 15% = 0.09); "
        "2 SLA breaches (signal 0.67 × 10% = 0.07)"
    )


def test_an_unknown_signal_is_left_out_and_the_other_weights_rescaled():
    out = churn_risk(_signals(HAPPY)).iloc[0]
    # CSAT unknown: known weights 0.85; P(alive) weighs 0.40 / 0.85 = 47%, risk
    # 0.05 * 0.4706 = 0.0235; orders rose and nothing else warns
    assert out["risk"] == pytest.approx(0.05 * 0.40 / 0.85)
    assert out["risk_band"] == RiskBand.LOW
    assert render(out["risk_detail"]) == (
        "P(alive) 0.95 (signal 0.05 × 47% = 0.02); "
        "orders rose 2 → 3 (signal 0.00 × 29% = 0.00); "
        "tickets steady at 0 (signal 0.00 × 12% = 0.00); "
        "0 SLA breaches (signal 0.00 × 12% = 0.00); "
        "CSAT: no rating, not counted"
    )
    assert math.isnan(out["contribution_low_csat"])


def test_a_customer_without_a_clv_estimate_is_judged_on_service_signals():
    out = churn_risk(_signals((3, math.nan, 0, 0, 1, 0, 4.5, 0))).iloc[0]
    # known weights 0.25 + 0.10 + 0.15 + 0.10 = 0.60; the first ticket after a quiet quarter
    # is a full signal: 1 * 0.10 / 0.60
    assert out["risk"] == pytest.approx(0.1 / 0.6)
    assert render(out["risk_detail"]).endswith("P(alive) unknown, not counted")


def test_no_orders_in_the_previous_quarter_is_not_a_fall():
    assert churn_signals(_signals((4, 0.5, 0, 0, 0, 0, 4.0, 0)))["falling_orders"].iloc[0] == 0


def test_risk_bands_split_at_their_thresholds():
    # P(alive) 0.5 (no lapsed floor) gives 0.40 x 0.5 = 0.20 each
    frame = _signals(
        (1, 0.50, 1, 1, 0, 0, 5.0, 0),  # 0.20 -> Low
        (2, 0.50, 1, 1, 0, 0, 5.0, 3),  # + 3 SLA breaches 0.10 = 0.30 -> Medium
        (3, 0.50, 0, 4, 1, 0, 5.0, 3),  # + orders 4 -> 0 0.25 + first ticket 0.10 = 0.65 -> High
    )
    assert churn_risk(frame)["risk"].tolist() == pytest.approx([0.20, 0.30, 0.65])
    assert churn_risk(frame)["risk_band"].tolist() == ["Low", "Medium", "High"]
    assert churn_risk(frame, bands=RiskBands(medium_from=0.5, high_from=0.9))[
        "risk_band"
    ].tolist() == ["Low", "Low", "Medium"]


def test_when_every_weighted_signal_is_unknown_the_risk_is_unknown():
    weights = ChurnWeights(
        inactive=1.0, falling_orders=0, rising_tickets=0, low_csat=0, sla_breaches=0
    )
    out = churn_risk(_signals((5, math.nan, 0, 3, 0, 0, 4.0, 0)), weights).iloc[0]
    assert math.isnan(out["risk"])
    assert out["risk_band"] == RiskBand.UNKNOWN


def test_weights_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        ChurnWeights(inactive=0.5)
    with pytest.raises(ValueError, match="negative"):
        ChurnWeights(inactive=0.6, falling_orders=-0.05)


def test_churn_risk_leaves_the_signals_alone_and_keeps_their_order():
    frame = _signals(HAPPY, TROUBLED)
    before = frame.copy()
    out = churn_risk(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["customer_id"].tolist() == [2, 1]


def test_a_buyer_the_model_thinks_has_lapsed_is_high_risk_whatever_else_is_quiet():
    # p_alive 0.10, no orders in either quarter, no tickets, no CSAT rating, no breaches:
    # weighted signals give 0.90 x 0.40 / 0.85 = 0.42 (Medium); the floor 1 - 0.10 = 0.90
    out = churn_risk(_signals((5, 0.10, 0, 0, 0, 0, math.nan, 0))).iloc[0]
    assert out["risk"] == pytest.approx(0.90)
    assert out["risk_band"] == RiskBand.HIGH
    assert render(out["risk_detail"]).startswith(
        "Likely lapsed: risk is at least 1 − P(alive) = 0.90 (weighted signals alone give 0.42); "
        "P(alive) 0.10"
    )


def test_the_lapsed_floor_does_not_apply_to_a_customer_more_likely_active():
    out = churn_risk(_signals((6, 0.60, 1, 1, 0, 0, 4.0, 0))).iloc[0]
    # weighted: inactive 0.40 x 0.40 = 0.16, nothing else warns; no floor at P(alive) 0.60
    assert out["risk"] == pytest.approx(0.16)
    assert not render(out["risk_detail"]).startswith("Likely lapsed")


def test_no_customers_give_an_empty_table_not_an_error():
    out = churn_risk(_signals())
    assert out.empty and "risk_reason" in out.columns


def _with_rhythm(rows: list[tuple], rhythm: list[tuple], **more: list) -> pd.DataFrame:
    frame = _signals(*rows)
    columns = ["orders_total", "days_since_last_order", "usual_gap_days", "overdue_after_days"]
    frame[columns] = pd.DataFrame(rhythm, columns=columns)
    for name, values in more.items():
        frame[name] = values
    return frame


QUIET = (7, 0.80, 0, 0, 0, 0, math.nan, 0)  # the model still rates them likely alive


def test_a_customer_long_past_their_usual_gap_is_never_low():
    # buys every 20 days, quiet for 100 (more than twice the gap): weighted risk 0.2 x 0.47
    # = 0.09 would be Low; overdue lifts it to the Medium floor 0.30
    out = churn_risk(_with_rhythm([QUIET], [(6, 100, 20.0, 40.0)])).iloc[0]
    assert out["risk"] == pytest.approx(0.30)
    assert out["risk_band"] == RiskBand.MEDIUM
    assert render(out["risk_reason"]) == (
        "Usually buys every 20 days, but the last order was 100 days ago."
    )


def test_a_customer_on_schedule_keeps_a_low_risk_and_says_so():
    out = churn_risk(_with_rhythm([QUIET], [(6, 15, 20.0, 40.0)])).iloc[0]
    assert out["risk_band"] == RiskBand.LOW
    assert render(out["risk_reason"]) == (
        "Buys about every 20 days; the last order was 15 days ago, so not overdue."
    )


def test_a_one_order_customer_reads_when_they_bought_and_how_long_such_buyers_come_back():
    out = churn_risk(
        _with_rhythm([QUIET, QUIET], [(1, 458, math.nan, 122.0), (1, 20, math.nan, 122.0)])
    )
    assert render(out["risk_reason"].iloc[0]) == (
        "Bought once, 458 days ago; customers like this rarely come back after 4 months."
    )
    assert out["risk_band"].iloc[0] != RiskBand.LOW
    assert render(out["risk_reason"].iloc[1]) == (
        "Bought once, 20 days ago; customers like this usually come back within 4 months, "
        "if they do."
    )
    assert render(out["risk_reason"].iloc[1], "id") == (
        "Membeli sekali, 20 hari lalu; pelanggan seperti ini, bila kembali, biasanya kembali "
        "dalam 4 bulan."
    )


def test_a_lapsed_rfm_segment_is_at_least_medium_and_a_churned_stage_high():
    frame = _with_rhythm(
        [QUIET, QUIET, QUIET],
        [(3, 30, 20.0, 40.0)] * 3,
        rfm_segment=["Hibernating", "Champions", "Champions"],
        marked_churned=[False, False, True],
    )
    out = churn_risk(frame)
    assert out["risk_band"].tolist() == [RiskBand.MEDIUM, RiskBand.LOW, RiskBand.HIGH]
    assert render(out["risk_reason"].iloc[0]).endswith(
        "Their RFM segment, Hibernating, is one of the quiet ones."
    )
    assert render(out["risk_reason"].iloc[2]).endswith(
        "Their lifecycle stage says they have left (churned)."
    )


def test_service_trouble_is_said_in_words_after_the_buying_rhythm():
    out = churn_risk(_with_rhythm([TROUBLED], [(9, 10, 12.0, 24.0)])).iloc[0]
    assert render(out["risk_reason"]) == (
        "Buys about every 12 days; the last order was 10 days ago, so not overdue. "
        "Orders fell from 3 to 1 between the previous 90 days and the last 90. "
        "Support tickets rose from 1 to 3 between the previous 90 days and the last 90. "
        "Unhappy with our support: rated us 2.0 of 5 on average. "
        "We missed 2 service deadlines for them in the last 90 days."
    )


def test_purchase_rhythm_counts_purchase_days_and_the_usual_gap():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2],
            "ordered_at": pd.to_datetime(
                [
                    "2025-01-01 09:00",
                    "2025-01-01 17:00",
                    "2025-01-11 10:00",
                    "2025-01-21 10:00",
                    "2025-01-05 10:00",
                ]
            ),
        }
    )
    out = purchase_rhythm(orders, pd.Timestamp("2025-03-01 12:00"), 120.0).set_index("customer_id")
    # customer 1: purchase days 1, 11 and 21 January: every 10 days, quiet 39 days since
    assert out.loc[1].tolist() == [3, 39, 10.0, 20.0]
    # customer 2: one purchase day; overdue after the model's 120 days
    assert out.loc[2, "orders_total"] == 1 and math.isnan(out.loc[2, "usual_gap_days"])
    assert out.loc[2, "overdue_after_days"] == 120.0
