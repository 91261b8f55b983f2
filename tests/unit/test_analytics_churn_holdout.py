"""Who is still a customer: the churn model chosen by a holdout test on the CDNOW sample.

Calibrate on the purchases to 1997-09-30, then look at the 39 weeks to 1998-06-30 that the
model did not see: churn risk must rank the customers who never bought again above those who
did (area under the ROC curve at least 0.70), and the purchases the model expects over the
holdout must be within 15% of those made. BG/NBD, which holds every one-order customer alive,
is measured beside it to show why Pareto/NBD was chosen.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from crm_core.analytics.churn import RiskBand, churn_risk, order_windows, purchase_rhythm
from crm_core.analytics.clv import (
    ParetoNbdParams,
    expected_purchases,
    fit_bgnbd,
    fit_pareto_nbd,
    pnbd_expected_purchases,
    pnbd_probability_alive,
    probability_alive,
    quiet_weeks_until_unlikely,
    rfm_summary,
)
from crm_core.analytics.rfm import rfm_scores
from crm_core.kernel.messages import render

CDNOW = Path(__file__).parents[1] / "data" / "CDNOW_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")
HOLDOUT_WEEKS = (HOLDOUT_END - CALIBRATION_END).days / 7  # 273 days = 39 weeks
# Fader, Hardie & Lee (2005), "A Note on Deriving the Pareto/NBD Model", on this sample.
PUBLISHED = ParetoNbdParams(r=0.55, alpha=10.58, s=0.61, beta=11.67, log_likelihood=-9595.0)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "spend"],
        dtype={"date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_id": np.arange(len(raw)),
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["spend"],
        }
    )


@pytest.fixture(scope="module")
def summary(cdnow: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(cdnow, CALIBRATION_END)


@pytest.fixture(scope="module")
def fit(summary: pd.DataFrame) -> ParetoNbdParams:
    return fit_pareto_nbd(summary)


@pytest.fixture(scope="module")
def holdout(cdnow: pd.DataFrame, summary: pd.DataFrame) -> np.ndarray:
    """Purchase days of each calibration customer in the holdout (as the models count)."""
    later = cdnow[(cdnow["ordered_at"] > CALIBRATION_END) & (cdnow["ordered_at"] <= HOLDOUT_END)]
    days = later.groupby("customer_id")["ordered_at"].nunique()
    counted: np.ndarray = days.reindex(summary["customer_id"]).fillna(0).to_numpy()
    return counted


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney): the chance a random positive outranks a
    random negative, ties counting half."""
    ranks = rankdata(score)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def test_the_auc_helper_counts_pairs_ranked_right():
    # positives scored 0.9 and 0.4, negatives 0.5 and 0.1: 3 of the 4 pairs are ranked right
    assert _auc(np.array([0.9, 0.4, 0.5, 0.1]), np.array([True, True, False, False])) == 0.75


def test_pareto_nbd_fitted_to_the_cdnow_sample_gives_the_published_parameters(fit):
    for name in ("r", "alpha", "s", "beta", "log_likelihood"):
        assert getattr(fit, name) == pytest.approx(getattr(PUBLISHED, name), rel=0.01), name


def _churn_on_cdnow(cdnow: pd.DataFrame, summary: pd.DataFrame, fit: ParetoNbdParams):
    """Churn risk as the value table computes it, from the orders alone (no tickets)."""
    ids = pd.Index(summary["customer_id"], name="customer_id")
    signals = pd.DataFrame(index=ids)
    signals["p_alive"] = pnbd_probability_alive(
        fit, summary["frequency"], summary["recency"], summary["T"]
    )
    signals = signals.join(order_windows(cdnow, CALIBRATION_END, 90)).fillna(0)
    signals[["tickets_last_90d", "tickets_prev_90d", "sla_breaches_last_90d"]] = 0
    signals["avg_csat"] = np.nan
    quiet = quiet_weeks_until_unlikely(fit) * 7
    signals = signals.join(purchase_rhythm(cdnow, CALIBRATION_END, quiet).set_index("customer_id"))
    segments = rfm_scores(cdnow, CALIBRATION_END).set_index("customer_id")["rfm_segment"]
    signals["rfm_segment"] = segments
    return churn_risk(signals.reset_index())


def test_churn_risk_ranks_who_never_bought_again_in_the_holdout(cdnow, summary, fit, holdout):
    risk = _churn_on_cdnow(cdnow, summary, fit)
    inactive = holdout == 0
    # 1,673 of the 2,357 never bought again
    assert int(inactive.sum()) == 1673
    auc = _auc(risk["risk"].to_numpy(), inactive)
    print(f"churn risk AUC on the CDNOW holdout: {auc:.3f}")
    assert auc >= 0.70


def test_bgnbd_ranks_holdout_inactivity_worse_because_one_order_customers_stay_alive(
    summary, holdout
):
    bgnbd = fit_bgnbd(summary)
    alive = probability_alive(bgnbd, summary["frequency"], summary["recency"], summary["T"])
    assert _auc(1 - alive, holdout == 0) < 0.70


def test_predicted_holdout_purchases_are_within_15_percent_of_actual(summary, fit, holdout):
    x, tx, age = summary["frequency"], summary["recency"], summary["T"]
    predicted = float(pnbd_expected_purchases(fit, HOLDOUT_WEEKS, x, tx, age).sum())
    actual = float(holdout.sum())
    # measured: 1,666 expected, 1,882 purchase days in the holdout (11.5% under)
    assert actual == 1882
    assert abs(predicted - actual) / actual <= 0.15
    # BG/NBD expects about as many: the two differ in whom they expect them from
    bgnbd = fit_bgnbd(summary)
    assert float(expected_purchases(bgnbd, HOLDOUT_WEEKS, x, tx, age).sum()) == pytest.approx(
        predicted, rel=0.05
    )


def test_a_one_order_customer_has_a_real_chance_of_having_left(fit):
    # bought once, 1 week ago: very likely still a customer; 39 weeks ago: more likely gone
    recent, old = pnbd_probability_alive(fit, [0, 0], [0, 0], [1, 39])
    assert 0.8 < recent < 1.0
    assert old < 0.5
    # the model's own "rarely come back after": P(alive) of a one-order customer below 1/2
    weeks = quiet_weeks_until_unlikely(fit)
    assert 10 < weeks < 30
    below = pnbd_probability_alive(fit, [0], [0], [weeks])[0]
    assert below < 0.5 < pnbd_probability_alive(fit, [0], [0], [weeks - 0.1])[0]


def test_expected_purchases_follow_the_pareto_nbd_formula(fit):
    # a customer quiet since their first order long ago expects fewer purchases than one who
    # bought last week with the same count; both are positive and finite
    quiet, active = pnbd_expected_purchases(fit, 39, [2, 2], [5, 38], [39, 39])
    assert 0 < quiet < active < 10


def test_no_customer_in_a_lapsed_segment_or_long_past_their_gap_reads_low(cdnow, summary, fit):
    risk = _churn_on_cdnow(cdnow, summary, fit).set_index("customer_id")
    segments = rfm_scores(cdnow, CALIBRATION_END).set_index("customer_id")["rfm_segment"]
    lapsed = segments.isin(["At Risk", "Cannot Lose Them", "Hibernating", "Lost"])
    assert lapsed.sum() > 500
    assert (risk.loc[lapsed[lapsed].index, "risk_band"] != RiskBand.LOW).all()
    rhythm = purchase_rhythm(cdnow, CALIBRATION_END).set_index("customer_id")
    late = rhythm["days_since_last_order"] > 2 * rhythm["usual_gap_days"]
    assert (risk.loc[late[late].index, "risk_band"] != RiskBand.LOW).all()


def test_the_reason_reads_as_a_sentence_and_the_formula_stays_available(cdnow, summary, fit):
    risk = _churn_on_cdnow(cdnow, summary, fit).set_index("customer_id")
    # customer 3 bought once, on 1997-01-01: 272 days before the calibration end; the model
    # gives such a customer 17.4 weeks (4 months) before they are more likely gone than not
    assert render(risk.loc[3, "risk_reason"]) == (
        "Bought once, 272 days ago; customers like this rarely come back after 4 months."
    )
    assert render(risk.loc[3, "risk_reason"], "id") == (
        "Membeli sekali, 272 hari lalu; pelanggan seperti ini jarang kembali setelah 4 bulan."
    )
    assert risk.loc[3, "risk_band"] == RiskBand.HIGH
    assert render(risk.loc[3, "risk_detail"]).startswith(
        "Likely lapsed: risk is at least 1 − P(alive) = 0.70"
    )
    # customer 2 bought on 8 days over the first 16 weeks and then not for 260 days
    assert render(risk.loc[2, "risk_reason"]) == (
        "Usually buys every 12 days, but the last order was 260 days ago."
    )


def test_a_large_base_is_fitted_on_a_fixed_sample_with_nearly_the_same_parameters(summary, fit):
    sampled = fit_pareto_nbd(summary, fit_sample=2000)
    assert sampled == fit_pareto_nbd(summary, fit_sample=2000)  # the same sample every time
    for name in ("r", "alpha", "s", "beta"):
        assert getattr(sampled, name) == pytest.approx(getattr(fit, name), rel=0.25), name
