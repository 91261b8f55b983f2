"""CLV: the BG/NBD and Gamma-Gamma fits against the published CDNOW figures, and the guards."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from crm_core.analytics.clv import (
    BgNbdParams,
    GammaGammaParams,
    NotEnoughHistory,
    expected_average_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    historical_clv,
    predicted_clv,
    probability_alive,
    rfm_summary,
)

CDNOW = Path(__file__).parents[1] / "data" / "CDNOW_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")  # 39 weeks after the first purchases of 1997
PAPER = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4)
GAMMA_GAMMA = GammaGammaParams(p=6.25, q=3.74, v=15.44)


@pytest.fixture(scope="module")
def cdnow_orders() -> pd.DataFrame:
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
def cdnow_summary(cdnow_orders: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(cdnow_orders, CALIBRATION_END, freq="W")


def test_the_cdnow_calibration_summary_matches_the_published_one(cdnow_summary):
    # Customer 1 bought on 1997-01-01 (29.33), 01-18 (29.73) and 08-02 (14.96) before the end:
    # 2 repeats; last at 213 days = 30.43 weeks; age 272 days = 38.86 weeks; mean repeat
    # spend (29.73 + 14.96) / 2 = 22.345. lifetimes ships the same row: 2, 30.43, 38.86, 22.35.
    assert len(cdnow_summary) == 2357
    first = cdnow_summary.iloc[0]
    assert first["customer_id"] == 1
    assert first["frequency"] == 2
    assert first["recency"] == pytest.approx(213 / 7)
    assert first["T"] == pytest.approx(272 / 7)
    assert first["monetary_value"] == pytest.approx(22.345)
    assert int((cdnow_summary["frequency"] > 0).sum()) == 946


def test_bgnbd_fitted_to_cdnow_gives_the_parameters_of_fader_hardie_and_lee(cdnow_summary):
    fit = fit_bgnbd(cdnow_summary)
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(fit, name) == pytest.approx(getattr(PAPER, name), rel=0.01), name


def test_gamma_gamma_fitted_to_cdnow_repeat_buyers_gives_the_published_parameters(
    cdnow_summary,
):
    # Fader & Hardie (2013) and lifetimes' docs: p 6.25, q 3.74, v 15.44, from the 946 repeat
    # buyers with monetary value = mean spend of their repeat purchase days. The summary built
    # here from the raw sample reproduces them, so lifetimes' rounded summary file is not needed.
    fit = fit_gamma_gamma(cdnow_summary)
    for name in ("p", "q", "v"):
        assert getattr(fit, name) == pytest.approx(getattr(GAMMA_GAMMA, name), rel=0.01), name


def test_daily_periods_give_the_same_model_with_alpha_in_days(cdnow_orders, cdnow_summary):
    weekly = fit_bgnbd(cdnow_summary)
    daily = fit_bgnbd(rfm_summary(cdnow_orders, CALIBRATION_END, freq="D"))
    assert (daily.r, daily.a, daily.b) == pytest.approx((weekly.r, weekly.a, weekly.b), rel=1e-3)
    assert daily.alpha == pytest.approx(7 * weekly.alpha, rel=1e-3)
    # each of the 2,457 repeat purchase times is a density per day, not per week
    assert daily.log_likelihood == pytest.approx(weekly.log_likelihood - 2457 * np.log(7), rel=1e-6)


def test_rupiah_sized_amounts_fit_the_same_model_as_dollars(cdnow_summary):
    dollars = fit_gamma_gamma(cdnow_summary)
    rupiah = fit_gamma_gamma(
        cdnow_summary.assign(monetary_value=cdnow_summary["monetary_value"] * 15_000)
    )
    assert (rupiah.p, rupiah.q) == pytest.approx((dollars.p, dollars.q), rel=1e-3)
    assert rupiah.v == pytest.approx(dollars.v * 15_000, rel=1e-3)


def test_customers_who_all_spend_alike_are_predicted_the_common_average():
    # every purchase is drawn from one Gamma(4, 50,000): no customer spends more than another
    # on average, the homogeneous limit of Gamma-Gamma (q and v grow without bound)
    rng = np.random.default_rng(11)
    purchases = rng.integers(1, 6, 500)
    mean_spend = [rng.gamma(4, 50_000, count).mean() for count in purchases]
    summary = pd.DataFrame({"frequency": purchases, "monetary_value": mean_spend})
    fit = fit_gamma_gamma(summary)
    assert fit.q > 100
    assert expected_average_value(fit, 0, 0) == pytest.approx(200_000, rel=0.05)


def test_a_cdnow_customer_is_expected_to_buy_as_in_the_paper():
    # Fader, Hardie & Lee (2005), and Hardie's spreadsheet: x = 2, t_x = 30.43, T = 38.86
    # expects 1.226 purchases in the next 39 weeks
    assert expected_purchases(PAPER, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)


def test_probability_alive_follows_the_bgnbd_formula():
    # a/(b+x-1) = 0.793/3.426 = 0.23147; ((4.414+38.86)/(4.414+30.43))^(0.243+2)
    # = 1.24194^2.243 = 1.62578; P(alive) = 1 / (1 + 0.23147 * 1.62578) = 0.7266
    assert probability_alive(PAPER, 2, 30.43, 38.86) == pytest.approx(0.7266, abs=1e-4)


def test_a_customer_without_repeat_purchases_is_alive_by_the_model():
    assert probability_alive(PAPER, [0, 0], [0, 0], [5, 38]).tolist() == [1.0, 1.0]


def _paper_expected_purchases(t, x, tx, age):
    """Eq. 10 of the paper as printed, with the large hypergeometric term."""
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    term = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * term)
    odds = (x > 0) * a / (b + max(x, 1) - 1) * ((alpha + age) / (alpha + tx)) ** (r + x)
    return head / (1 + odds)


@pytest.mark.parametrize(
    ("x", "tx", "age"), [(0, 0, 38.86), (1, 5, 38.86), (7, 35, 38.86), (30, 50, 52)]
)
def test_the_stable_form_of_expected_purchases_equals_the_papers_formula(x, tx, age):
    assert expected_purchases(PAPER, 52, x, tx, age) == pytest.approx(
        _paper_expected_purchases(52, x, tx, age), rel=1e-9
    )


def test_a_very_frequent_buyer_gets_a_finite_forecast():
    value = expected_purchases(PAPER, 52, 2_000, 300, 300)
    assert np.isfinite(value) and value > 0


def test_expected_spend_blends_the_population_mean_with_the_customers_own():
    # x = 2, m = 22.35: 6.25 * (15.44 + 2 * 22.35) / (6.25 * 2 + 3.74 - 1) = 375.875 / 15.24
    assert expected_average_value(GAMMA_GAMMA, 2, 22.35) == pytest.approx(24.6637, abs=1e-4)
    # no repeats: the population mean p v / (q - 1) = 96.5 / 2.74
    assert expected_average_value(GAMMA_GAMMA, 0, 0) == pytest.approx(35.2190, abs=1e-4)


def test_the_summary_counts_purchase_days_and_values_repeats_only():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2],
            "order_id": [1, 2, 3, 4, 5, 6],
            "ordered_at": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 15:00",
                    "2024-01-15 00:00",
                    "2024-01-29 00:00",
                    "2024-02-05 00:00",
                    "2024-03-01 00:00",
                ]
            ),
            "amount": [100.0, 50.0, 80.0, 40.0, 70.0, 999.0],
        }
    )
    summary = rfm_summary(orders, pd.Timestamp("2024-02-12"), freq="W").set_index("customer_id")
    # customer 1: purchase days 01-01 (150), 01-15 (80), 01-29 (40); repeats 2; last 28 days
    # after the first = 4 weeks; age 42 days = 6 weeks; repeat mean (80 + 40) / 2 = 60
    assert summary.loc[1].tolist() == [2, 4.0, 6.0, 60.0]
    # customer 2: one purchase a week before; the order of 03-01 is after as_of
    assert summary.loc[2].tolist() == [0, 0.0, 1.0, 0.0]
    daily = rfm_summary(orders, pd.Timestamp("2024-02-12"), freq="D").set_index("customer_id")
    assert daily.loc[1, ["recency", "T"]].tolist() == [28.0, 42.0]


def test_historical_clv_is_net_revenue_and_margin_net_of_discounts_so_far():
    inputs = pd.DataFrame(
        {"customer_id": [7], "gross_revenue": [1000.0], "discounts": [50.0], "cogs": [600.0]}
    )
    out = historical_clv(inputs)
    # net of discounts like predicted CLV: 1,000 - 50 = 950 net; 950 - 600 = 350 margin
    assert out.iloc[0].tolist() == [7, 950.0, 350.0]


def test_predicted_clv_without_discounting_is_margin_times_value_times_purchases(cdnow_orders):
    out = predicted_clv(
        cdnow_orders, CALIBRATION_END, margin_rate=0.3, horizon_days=273, discount_rate_annual=0
    )
    first = out.iloc[0]
    # 273 days = the paper's 39-week holdout. Pareto/NBD with the sample's published
    # parameters (r 0.55, alpha 10.58, s 0.61, beta 11.67) expects customer 1 (x = 2,
    # t_x = 30.43, T = 38.86) to buy 1.450 times (BG/NBD: 1.226)
    assert first["predicted_purchases"] == pytest.approx(1.450, rel=0.01)
    assert first["predicted_clv"] == pytest.approx(
        0.3 * first["expected_avg_value"] * first["predicted_purchases"]
    )
    assert out["p_alive"].between(0, 1).all()


def test_discounting_lowers_predicted_clv_by_at_most_a_years_rate(cdnow_orders):
    plain = predicted_clv(cdnow_orders, CALIBRATION_END, margin_rate=1.0, discount_rate_annual=0)
    discounted = predicted_clv(cdnow_orders, CALIBRATION_END, margin_rate=1.0)
    ratio = discounted["predicted_clv"].sum() / plain["predicted_clv"].sum()
    # monthly cash flows over a year at 10%: between 1/1.1 (all at year end) and 1
    assert 1 / 1.1 < ratio < 1


def _orders_of(customers: int, repeat_buyers: int) -> pd.DataFrame:
    rows = []
    for customer in range(customers):
        days = [customer % 30] + ([customer % 30 + 20] if customer < repeat_buyers else [])
        for day in days:
            rows.append((customer, len(rows), pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)))
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at"])
    return frame.assign(amount=10.0 + frame["customer_id"])


def test_too_few_customers_give_not_enough_history_not_a_forecast():
    with pytest.raises(NotEnoughHistory, match="40 customers with orders, need at least 50"):
        predicted_clv(_orders_of(40, 20), pd.Timestamp("2024-03-01"), margin_rate=0.3)


def test_too_few_repeat_buyers_give_not_enough_history_not_a_forecast():
    expected = "Not enough history to predict CLV: 7 repeat buyers, need at least 10"
    with pytest.raises(NotEnoughHistory, match=expected):
        predicted_clv(_orders_of(60, 7), pd.Timestamp("2024-03-01"), margin_rate=0.3)
    summary = rfm_summary(_orders_of(60, 7), pd.Timestamp("2024-03-01"))
    with pytest.raises(NotEnoughHistory, match="7 repeat buyers"):
        fit_gamma_gamma(summary)


def test_a_history_that_does_not_pin_down_the_model_gives_not_enough_history():
    # 60 identical customers buying every week, none ever lapsing: no spread to fit a
    # mixing distribution to, so the parameters run off to infinity
    rows = [
        (customer, customer * 10 + week, pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=week))
        for customer in range(60)
        for week in range(10)
    ]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at"]).assign(
        amount=10.0
    )
    with pytest.raises(NotEnoughHistory, match="did not converge"):
        fit_bgnbd(rfm_summary(orders, pd.Timestamp("2024-03-04")))


def test_predicted_clv_refuses_a_margin_rate_outside_zero_to_one(cdnow_orders):
    with pytest.raises(ValueError, match="margin_rate"):
        predicted_clv(cdnow_orders, CALIBRATION_END, margin_rate=30)


def test_predicted_clv_leaves_the_orders_alone(cdnow_orders):
    before = cdnow_orders.copy()
    predicted_clv(cdnow_orders, CALIBRATION_END, margin_rate=0.3)
    pd.testing.assert_frame_equal(cdnow_orders, before)
