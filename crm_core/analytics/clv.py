"""Customer lifetime value: historical, and predicted with Pareto/NBD and Gamma-Gamma.

Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader, Hardie & Lee 2005, "A Note on
Deriving the Pareto/NBD Model") predicts purchases and P(alive) for every buyer, one-order
customers included: they can have left too, and the longer they are quiet the likelier it is.
It ranks who buys again in a holdout better than BG/NBD, which holds every one-order customer
alive (tests/unit/test_analytics_churn_holdout.py measures both on the CDNOW sample).
BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way") predicts how many
purchases a customer will make and how likely they are still active; Gamma-Gamma (Fader &
Hardie 2013, "The Gamma-Gamma Model of Monetary Value") predicts the value of a purchase.
Both are fitted here by maximum likelihood with SciPy, on log parameters so they stay
positive. Time is measured in periods (weeks by default, as in the paper); several orders
on one day count as one purchase, as in the paper and in the `lifetimes` package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1

from crm_core.analytics._common import Reason, msg, require_columns, to_timestamp

Freq = Literal["W", "D"]
PERIOD_DAYS: dict[str, float] = {"W": 7.0, "D": 1.0}
MIN_CUSTOMERS = 50
MIN_REPEAT_BUYERS = 10
# Parameters are searched in log space within [-12, 12], after scaling time and money to
# their means so that a sound fit lands near 0. A fit that runs off instead has no interior
# optimum, and what that means depends on the direction:
# - a parameter driven towards 0 (log < -9) is degenerate, e.g. a -> 0 "nobody ever lapses",
#   which a short history cannot tell: refused;
# - a Gamma's shape and scale (or a Beta's two shapes) driven up together is the homogeneous
#   limit, "customers do not differ in this respect" (same purchase rate, same dropout, same
#   mean spend), whose predictions are well defined and closely approximated: accepted;
# - one parameter driven up alone (e.g. alpha -> inf, "purchase rate -> 0"): refused.
_LOG_BOUND = 12.0
_RUNAWAY_LOG = 9.0  # e^9 = 8,103 (or its inverse): far beyond any sound scaled fit
_LARGE_LOG = 6.0  # e^6 = 403: a partner this large means practically no spread
_DAYS_PER_YEAR = 365.25
PARETO_FIT_SAMPLE = 20_000  # customers the Pareto/NBD parameters are estimated from, at most


class NotEnoughHistory(Exception):
    """The order history cannot support a CLV prediction; the message says why, in English,
    and `reason` says it as a message code for readers of every language."""

    def __init__(self, text: str, reason: Reason) -> None:
        super().__init__(text)
        self.reason = reason


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD: purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma: spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, v)."""

    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")


def historical_clv(inputs: pd.DataFrame) -> pd.DataFrame:
    """Value each customer has brought so far, from `customer_value_inputs`.

    Columns: customer_id, historical_net_revenue (gross_revenue - discounts) and
    historical_gross_margin (gross_revenue - discounts - cogs, the profitability page's gross
    margin): net of discounts, as predicted CLV is (it values net amounts at the margin rate).
    """
    require_columns(
        inputs, ("customer_id", "gross_revenue", "discounts", "cogs"), "customer_value_inputs"
    )
    return pd.DataFrame(
        {
            "customer_id": inputs["customer_id"].to_numpy(),
            "historical_net_revenue": (inputs["gross_revenue"] - inputs["discounts"]).to_numpy(
                dtype="float64"
            ),
            "historical_gross_margin": (
                inputs["gross_revenue"] - inputs["discounts"] - inputs["cogs"]
            ).to_numpy(dtype="float64"),
        }
    )


def rfm_summary(orders: pd.DataFrame, as_of: pd.Timestamp, freq: Freq = "W") -> pd.DataFrame:
    """Per customer with an order on or before `as_of`: the inputs of BG/NBD and Gamma-Gamma.

    Columns: customer_id; frequency (repeat purchases: purchase days after the first);
    recency (periods from first to last purchase); T (periods from first purchase to the day
    of `as_of`); monetary_value (mean net amount of the repeat purchase days, 0 without any).
    """
    require_columns(orders, ("customer_id", "ordered_at", "amount"), "orders")
    if freq not in PERIOD_DAYS:
        raise ValueError(f"freq must be one of {sorted(PERIOD_DAYS)}, not {freq!r}")
    stamp = to_timestamp(as_of)
    period = PERIOD_DAYS[freq]
    known = orders.loc[orders["ordered_at"] <= stamp, ["customer_id", "ordered_at", "amount"]]
    daily = (
        known.assign(day=known["ordered_at"].dt.normalize())
        .groupby(["customer_id", "day"], sort=True)["amount"]
        .sum()
        .reset_index()
    )
    grouped = daily.groupby("customer_id", sort=True)
    per = grouped.agg(
        first=("day", "min"),
        last=("day", "max"),
        days=("day", "size"),
        total=("amount", "sum"),
        first_amount=("amount", "first"),
    )
    repeat = (per["days"] - 1).astype("int64")
    repeat_value = (per["total"] - per["first_amount"]).astype("float64")
    return pd.DataFrame(
        {
            "customer_id": per.index.to_numpy(),
            "frequency": repeat.to_numpy(),
            "recency": ((per["last"] - per["first"]).dt.days / period).to_numpy(dtype="float64"),
            "T": ((stamp.normalize() - per["first"]).dt.days / period).to_numpy(dtype="float64"),
            "monetary_value": (repeat_value / repeat.where(repeat > 0)).fillna(0.0).to_numpy(),
        }
    )


def _bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, weights: np.ndarray
) -> float:
    """Total log-likelihood of BG/NBD (Fader, Hardie & Lee 2005, eq. 6), in log space."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    # The dropout term exists only for repeat buyers; np.maximum keeps b + x - 1 > 0 for x = 0.
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx)
    a4 = np.where(x > 0, a4, -np.inf)
    return float(np.sum(weights * (a1 + a2 + np.logaddexp(a3, a4))))


def _check_history(summary: pd.DataFrame, min_customers: int, min_repeat_buyers: int) -> None:
    customers = len(summary)
    repeat_buyers = int((summary["frequency"] > 0).sum())
    if customers < min_customers:
        raise NotEnoughHistory(
            f"Not enough history to predict CLV: {customers:,} customers with orders, "
            f"need at least {min_customers:,}",
            msg("clv.few_customers", customers=customers, needed=min_customers),
        )
    if repeat_buyers < min_repeat_buyers:
        raise NotEnoughHistory(
            f"Not enough history to predict CLV: {repeat_buyers:,} repeat buyers, "
            f"need at least {min_repeat_buyers:,}",
            msg("clv.few_repeat_buyers", buyers=repeat_buyers, needed=min_repeat_buyers),
        )


def _maximise(
    log_likelihood: Callable[[np.ndarray], float],
    start: np.ndarray,
    model: str,
    pairs: tuple[tuple[int, int], ...],
    customers: float,
) -> tuple[np.ndarray, float]:
    """Maximise a log-likelihood over log parameters; raise NotEnoughHistory on a bad fit.

    `pairs` are the (shape, scale) positions of each Gamma/Beta mixing distribution, which
    may run off together towards a homogeneous population (see _LOG_BOUND).
    """

    def negative(log_params: np.ndarray) -> float:
        # Per customer, so that the tolerances below mean the same for 100 or 100,000.
        value = log_likelihood(np.exp(log_params)) / customers
        return -value if np.isfinite(value) else np.inf

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    # L-BFGS-B gets close in few evaluations; Nelder-Mead, which needs no gradient, then
    # polishes and confirms. If it ends by its own tolerances, or cannot improve on the first
    # answer (what a fit creeping along the edge towards a homogeneous limit looks like), the
    # fit has settled.
    rough = minimize(negative, start, method="L-BFGS-B", bounds=bounds)
    result = minimize(
        negative, rough.x, method="Nelder-Mead", bounds=bounds,
        options={"maxfev": 2000, "xatol": 1e-7, "fatol": 1e-12},
    )  # fmt: skip
    settled = result.success or rough.fun - result.fun <= 1e-9 * abs(result.fun)
    if not settled or not np.isfinite(result.fun) or _degenerate(result.x, pairs):
        raise NotEnoughHistory(
            f"Not enough history to predict CLV: the {model} model did not converge on this "
            "order history (too few repeat purchases or too little spread between customers)",
            msg("clv.no_convergence", model=model),
        )
    return np.exp(result.x), -float(result.fun) * customers


def _degenerate(log_params: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> bool:
    """True when the fit ran off in a direction that makes no sense (see _LOG_BOUND)."""
    if np.any(log_params < -_RUNAWAY_LOG):
        return True
    partner = {i: j for pair in pairs for i, j in (pair, pair[::-1])}
    return any(
        value > _RUNAWAY_LOG and (i not in partner or log_params[partner[i]] < _LARGE_LOG)
        for i, value in enumerate(log_params)
    )


def fit_bgnbd(
    summary: pd.DataFrame,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
) -> BgNbdParams:
    """Fit BG/NBD by maximum likelihood to a summary with frequency, recency and T."""
    require_columns(summary, ("frequency", "recency", "T"), "summary")
    _check_history(summary, min_customers, min_repeat_buyers)
    # Customers with identical (x, t_x, T) contribute identically: fit on the distinct rows.
    counts = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
    x, tx, T, weights = (
        counts[column].to_numpy(dtype="float64") for column in ("frequency", "recency", "T", "n")
    )
    # Fit in units of the mean age so that alpha starts near 1 whatever the period; alpha
    # scales with time and the log-likelihood shifts by sum(x) * log(scale) (purchase times
    # are densities in time), both undone below.
    scale = float(np.average(T, weights=weights)) or 1.0

    def log_likelihood(params: np.ndarray) -> float:
        return _bgnbd_log_likelihood(params, x, tx / scale, T / scale, weights)

    (r, alpha, a, b), ll = _maximise(
        log_likelihood, np.zeros(4), "BG/NBD", pairs=((0, 1), (2, 3)), customers=len(summary)
    )
    ll -= float(np.sum(weights * x)) * np.log(scale)
    return BgNbdParams(float(r), float(alpha * scale), float(a), float(b), float(ll))


def _gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> float:
    """Log-likelihood of the mean spend m of x purchases (Fader & Hardie 2013, eq. 1a)."""
    p, q, v = params
    px = p * x
    return float(
        np.sum(
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(v + x * m)
        )
    )


def fit_gamma_gamma(
    summary: pd.DataFrame, *, min_repeat_buyers: int = MIN_REPEAT_BUYERS
) -> GammaGammaParams:
    """Fit Gamma-Gamma to the repeat buyers (frequency > 0, monetary_value > 0) of a summary."""
    require_columns(summary, ("frequency", "monetary_value"), "summary")
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < min_repeat_buyers:
        raise NotEnoughHistory(
            f"Not enough history to predict CLV: {len(repeat):,} repeat buyers, "
            f"need at least {min_repeat_buyers:,}",
            msg("clv.few_repeat_buyers", buyers=len(repeat), needed=min_repeat_buyers),
        )
    x = repeat["frequency"].to_numpy(dtype="float64")
    m = repeat["monetary_value"].to_numpy(dtype="float64")

    # Fit in units of the mean spend (Rupiah amounts would push v far past the search box);
    # v scales with money and the log-likelihood of the densities shifts by n * log(scale).
    scale = float(m.mean())

    def log_likelihood(params: np.ndarray) -> float:
        return _gamma_gamma_log_likelihood(params, x, m / scale)

    (p, q, v), ll = _maximise(
        log_likelihood, np.zeros(3), "Gamma-Gamma", pairs=((1, 2),), customers=len(m)
    )
    v *= scale
    ll -= len(m) * np.log(scale)
    if q <= 1:
        # The mean spend is p*v/(q-1): with q <= 1 it is infinite, so no prediction exists.
        raise NotEnoughHistory(
            "Not enough history to predict CLV: spend per purchase varies too widely between "
            "customers for a finite average to be predicted",
            msg("clv.spend_too_varied"),
        )
    return GammaGammaParams(float(p), float(q), float(v), float(ll))


def probability_alive(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(still active | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 10); 1 without repeats."""
    x, tx, t_age = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x), kept in logs so large x cannot overflow.
    log_odds_dead = (
        np.log(a)
        - np.log(b + np.maximum(x, 1) - 1)
        + (r + x) * (np.log(alpha + t_age) - np.log(alpha + tx))
    )
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def expected_purchases(
    params: BgNbdParams, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Expected purchases in the next t periods given x, t_x, T (Fader, Hardie & Lee, eq. 10).

    The paper's 2F1(r+x, b+x; a+b+x-1; z) grows without bound with x; Euler's transformation
    2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the product
    (1-z)^(r+x) 2F1(...) into (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), which stays finite.
    """
    x, tx, t_age = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # At a = 1 exactly the formula is 0/0; it is continuous there, so step just beside it.
    a = 1 + 1e-9 if a == 1 else a
    z = t / (alpha + t_age + t)
    tail = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    scale = (a + b + x - 1) / (a - 1)
    expected: np.ndarray = scale * (1 - tail) * probability_alive(params, x, tx, t_age)
    return expected


def expected_average_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> np.ndarray:
    """Expected spend per purchase (Fader & Hardie 2013, eq. 5): a weighted mean of the
    population mean p*v/(q-1) and the customer's own mean, weighted by repeat purchases."""
    x = np.asarray(frequency, dtype="float64")
    m = np.asarray(monetary, dtype="float64")
    p, q, v = params.p, params.q, params.v
    mean: np.ndarray = p * (v + x * m) / (p * x + q - 1)
    return mean


@dataclass(frozen=True)
class ParetoNbdParams:
    """Pareto/NBD: purchase rate ~ Gamma(r, alpha), dropout rate ~ Gamma(s, beta)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float


def _pnbd_log_a0(
    params: np.ndarray | tuple[float, float, float, float],
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """log A0 of Fader, Hardie & Lee (2005, "A Note on Deriving the Pareto/NBD Model"):
    2F1(r+s+x, b; r+s+x+1; |alpha-beta| / (m+t_x)) / (m+t_x)^(r+s+x) minus the same at T,
    with m = max(alpha, beta) and b = r+x if alpha < beta, else s+1; -inf when t_x = T."""
    r, alpha, s, beta = params
    if alpha < beta:
        big, shape = beta, r + x
    else:
        big, shape = alpha, s + 1.0
    gap = abs(alpha - beta)
    rsx = r + s + x
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.log(hyp2f1(rsx, shape, rsx + 1.0, gap / (big + tx))) - rsx * np.log(big + tx)
        second = np.log(hyp2f1(rsx, shape, rsx + 1.0, gap / (big + T))) - rsx * np.log(big + T)
        # log(e^first - e^second), first >= second since t_x <= T
        diff: np.ndarray = first + np.log1p(-np.exp(np.minimum(second - first, 0.0)))
    return diff


def _pnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, weights: np.ndarray
) -> float:
    """Total log-likelihood of Pareto/NBD (Fader, Hardie & Lee 2005, note eq. 22)."""
    r, alpha, s, beta = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    gone = np.log(s) - np.log(r + s + x) + _pnbd_log_a0(params, x, tx, T)
    return float(np.sum(weights * (head + np.logaddexp(alive, gone))))


def fit_pareto_nbd(
    summary: pd.DataFrame,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
    fit_sample: int | None = PARETO_FIT_SAMPLE,
) -> ParetoNbdParams:
    """Fit Pareto/NBD by maximum likelihood to a summary with frequency, recency and T (on a
    fixed random sample of `fit_sample` customers when there are more; the log-likelihood is
    then the sample's).

    Unlike BG/NBD, which lets a customer drop out only right after a repeat purchase (so a
    one-order customer is alive by construction), Pareto/NBD lets anyone drop out at any
    time: the longer a customer has been quiet, the likelier they have left, one order or many.
    """
    require_columns(summary, ("frequency", "recency", "T"), "summary")
    _check_history(summary, min_customers, min_repeat_buyers)
    if fit_sample is not None and len(summary) > fit_sample:
        # Its likelihood needs two hypergeometric functions per distinct customer history;
        # a fixed random sample pins the four parameters down as well (their standard errors
        # shrink with the square root of the count) at a fraction of the time.
        summary = summary.sample(n=fit_sample, random_state=0)
    counts = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
    x, tx, T, weights = (
        counts[column].to_numpy(dtype="float64") for column in ("frequency", "recency", "T", "n")
    )
    scale = float(np.average(T, weights=weights)) or 1.0  # as in fit_bgnbd: alpha, beta scale

    def log_likelihood(params: np.ndarray) -> float:
        return _pnbd_log_likelihood(params, x, tx / scale, T / scale, weights)

    (r, alpha, s, beta), ll = _maximise(
        log_likelihood, np.zeros(4), "Pareto/NBD", pairs=((0, 1), (2, 3)), customers=len(summary)
    )
    ll -= float(np.sum(weights * x)) * np.log(scale)
    return ParetoNbdParams(float(r), float(alpha * scale), float(s), float(beta * scale), ll)


def pnbd_probability_alive(
    params: ParetoNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(still active | x, t_x, T) under Pareto/NBD (Fader, Hardie & Lee 2005, note eq. 18):
    1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0). Below 1 for one-order customers too."""
    x, tx, t_age = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_odds_dead = (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + t_age)
        + s * np.log(beta + t_age)
        + _pnbd_log_a0((r, alpha, s, beta), x, tx, t_age)
    )
    alive: np.ndarray = expit(-log_odds_dead)
    return alive


def pnbd_expected_purchases(
    params: ParetoNbdParams, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Expected purchases in the next t periods given x, t_x, T (note eq. 20):
    P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]."""
    x, tx, t_age = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    rate = (r + x) / (alpha + t_age)
    if abs(s - 1) < 1e-9:  # the limit s -> 1: (beta+T) log(1 + t/(beta+T))
        lifetime = (beta + t_age) * np.log1p(t / (beta + t_age))
    else:
        lifetime = (beta + t_age) / (s - 1) * (1 - ((beta + t_age) / (beta + t_age + t)) ** (s - 1))
    expected: np.ndarray = rate * lifetime * pnbd_probability_alive(params, x, tx, t_age)
    return expected


def quiet_weeks_until_unlikely(params: ParetoNbdParams, below: float = 0.5) -> float:
    """How long a one-order customer stays quiet before the model thinks it more likely they
    have left than not (P(alive) of x = 0 at age T falls below `below`), in periods; inf if
    never within ten years. The reason a salesperson reads: "customers like this rarely come
    back after N months"."""
    ages = np.linspace(0.0, 520.0 * 7 / 7, 5201)  # in periods; weeks: ten years in 0.1 steps
    alive = pnbd_probability_alive(params, np.zeros_like(ages), np.zeros_like(ages), ages)
    under = np.flatnonzero(alive < below)
    return float(ages[under[0]]) if under.size else float("inf")


@dataclass(frozen=True)
class ClvSettings:
    """How predicted CLV is valued: horizon, margin and the yearly discount rate."""

    margin_rate: float
    horizon_days: int = 365
    discount_rate_annual: float = 0.10
    freq: Freq = "W"


PurchaseModel = BgNbdParams | ParetoNbdParams


def model_probability_alive(
    model: PurchaseModel, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(alive) under whichever purchase model was fitted."""
    if isinstance(model, ParetoNbdParams):
        return pnbd_probability_alive(model, frequency, recency, T)
    return probability_alive(model, frequency, recency, T)


def model_expected_purchases(
    model: PurchaseModel, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Expected purchases in the next t periods under whichever purchase model was fitted."""
    if isinstance(model, ParetoNbdParams):
        return pnbd_expected_purchases(model, t, frequency, recency, T)
    return expected_purchases(model, t, frequency, recency, T)


def predict_purchases(
    summary: pd.DataFrame, model: PurchaseModel, horizon_days: int, freq: Freq = "W"
) -> pd.DataFrame:
    """Adds predicted_purchases (over the horizon) and p_alive to a copy of `summary`."""
    period = PERIOD_DAYS[freq]
    x, tx, t_age = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    out = summary.copy()
    out["predicted_purchases"] = model_expected_purchases(
        model, horizon_days / period, x, tx, t_age
    )
    out["p_alive"] = model_probability_alive(model, x, tx, t_age)
    return out


def predict_clv(
    summary: pd.DataFrame,
    model: PurchaseModel,
    gamma_gamma: GammaGammaParams,
    settings: ClvSettings,
) -> pd.DataFrame:
    """Predicted CLV from fitted models (lets a caller cache the fits).

    Adds to a copy of `summary`: predicted_purchases (over the horizon), p_alive,
    expected_avg_value, predicted_clv = margin_rate x expected_avg_value x purchases,
    each month's purchases discounted to `as_of` at the yearly rate. The purchase model is
    Pareto/NBD (what `predicted_clv` fits) or BG/NBD.
    """
    period = PERIOD_DAYS[settings.freq]
    x, tx, t_age = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    steps = max(1, round(settings.horizon_days / (_DAYS_PER_YEAR / 12)))
    ends_days = settings.horizon_days * np.arange(1, steps + 1) / steps
    cumulative = np.vstack(
        [model_expected_purchases(model, d / period, x, tx, t_age) for d in ends_days]
    )
    per_step = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1 + settings.discount_rate_annual) ** (-ends_days / _DAYS_PER_YEAR)
    value = expected_average_value(gamma_gamma, x, summary["monetary_value"].to_numpy())
    out = summary.copy()
    out["predicted_purchases"] = cumulative[-1]
    out["p_alive"] = model_probability_alive(model, x, tx, t_age)
    out["expected_avg_value"] = value
    out["predicted_clv"] = settings.margin_rate * value * (discount @ per_step)
    return out


def predicted_clv(
    orders: pd.DataFrame,
    as_of: pd.Timestamp,
    *,
    margin_rate: float,
    horizon_days: int = 365,
    discount_rate_annual: float = 0.10,
    freq: Freq = "W",
) -> pd.DataFrame:
    """Summarise `orders` up to `as_of`, fit both models and predict CLV per customer.

    Columns: customer_id, frequency, recency, T, monetary_value, predicted_purchases,
    p_alive, expected_avg_value, predicted_clv (over `horizon_days`, on margin).
    Raises NotEnoughHistory when the history cannot support the models.
    """
    if not 0 <= margin_rate <= 1:
        raise ValueError("margin_rate must be between 0 and 1")
    if horizon_days <= 0:
        raise ValueError("horizon_days must be positive")
    summary = rfm_summary(orders, as_of, freq)
    model = fit_pareto_nbd(summary)
    gamma_gamma = fit_gamma_gamma(summary)
    settings = ClvSettings(margin_rate, horizon_days, discount_rate_annual, freq)
    return predict_clv(summary, model, gamma_gamma, settings)
