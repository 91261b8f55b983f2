"""Value tiers (Buttle & Maklan): Most Valuable, Most Growable and Below-Zero customers, and
"No purchases yet" for who never bought (a cost to serve alone says nothing of their value).

Every share is of the same total: the positive profit of the customers who bought, which the
Most Valuable cut-off is a share of too."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from crm_core.analytics._common import N_, require_columns

DEFAULT_TOP_PROFIT_SHARE = 0.5


class ValueTier(StrEnum):
    """The three customer groups, in the order a page lists them."""

    MOST_VALUABLE = "Most Valuable"
    MOST_GROWABLE = "Most Growable"
    BELOW_ZERO = "Below-Zero"
    NO_PURCHASES = "No purchases yet"


def most_valuable_cutoff(profit: pd.Series, top_profit_share: float) -> float:
    """Smallest profit still inside the Most Valuable group; +inf when nobody qualifies.

    The group is the smallest set of the most profitable customers whose profit sums to at
    least `top_profit_share` of all positive profit. Customers tied with the last one taken
    join too, so that two customers with the same profit never land in different tiers.
    """
    positive = np.sort(profit[profit > 0].to_numpy(dtype="float64"))[::-1]
    total = positive.sum()
    if total <= 0:
        return float("inf")
    target = top_profit_share * total
    # A relative tolerance keeps 0.1 + 0.2 style rounding from skipping the exact boundary.
    reached = np.cumsum(positive) >= target - 1e-9 * total
    return float(positive[int(np.argmax(reached))])


def value_tiers(
    profitability: pd.DataFrame,
    top_profit_share: float = DEFAULT_TOP_PROFIT_SHARE,
    *,
    cutoff: float | None = None,
    other_profits: np.ndarray | None = None,
) -> pd.DataFrame:
    """Put each customer in exactly one ValueTier, with its reason (a message code).

    Input: the output of `customer_profitability` (customer_id, profit, gross_margin,
    cost_to_serve are used). Output: a copy with `profit_rank` (1 = most profitable; ties
    share a rank), `value_tier` (ValueTier values as strings) and `tier_reason`.

    No purchases yet: `orders` is 0 (when the input has that column). Of the others:
    Below-Zero: profit < 0 (cost to serve above gross margin). Most Valuable: profit > 0 and
    inside the top `top_profit_share` of positive profit. Most Growable: everyone else.
    Ranks and the cut-off count only customers who bought.

    To place a few customers in a base scored before: `cutoff` (that base's
    `most_valuable_cutoff`) and `other_profits` (the profits of the base's other buyers, who
    rank among them).
    """
    require_columns(
        profitability, ("customer_id", "profit", "gross_margin", "cost_to_serve"), "profitability"
    )
    if not 0 < top_profit_share <= 1:
        raise ValueError("top_profit_share must be above 0 and at most 1")
    if profitability["profit"].isna().any():
        raise ValueError("profit is missing for some customers; compute profitability first")

    out = profitability.copy()
    profit = out["profit"].astype("float64")
    bought = (
        out["orders"].fillna(0).to_numpy() > 0
        if "orders" in out.columns
        else np.ones(len(out), dtype=bool)
    )
    if cutoff is None:
        cutoff = most_valuable_cutoff(profit[bought], top_profit_share)
    tiers = np.where(
        ~bought,
        ValueTier.NO_PURCHASES.value,
        np.where(
            profit < 0,
            ValueTier.BELOW_ZERO.value,
            np.where(
                profit >= cutoff, ValueTier.MOST_VALUABLE.value, ValueTier.MOST_GROWABLE.value
            ),
        ),
    )
    ranks = profit.where(bought).rank(method="min", ascending=False)
    count = int(bought.sum())
    if other_profits is not None:  # a few customers ranked among the rest of the base
        others = np.sort(np.asarray(other_profits, dtype="float64"))
        above = len(others) - np.searchsorted(others, profit.to_numpy(), side="right")
        ranks = ranks + pd.Series(above, index=ranks.index).where(bought)
        count += len(others)
    out["profit_rank"] = ranks.astype("Int64")
    out["value_tier"] = pd.Series(tiers, index=out.index, dtype="str")
    out["tier_reason"] = _reasons(out, count, top_profit_share)
    return out


_BELOW_COST, _COST_ABOVE = N_("tier.below_cost"), N_("tier.cost_above_margin")
_TOP, _GROWABLE, _EVEN = N_("tier.top"), N_("tier.growable"), N_("tier.breaks_even")
_NONE = N_("tier.no_purchases")


def _reasons(frame: pd.DataFrame, count: int, share: float) -> pd.Series:
    """Each customer's reason as a message code (JSON text), said in the reader's language."""
    reasons = []
    columns = ("value_tier", "profit", "gross_margin", "cost_to_serve", "profit_rank")
    # Plain Python values: numpy scalars row by row are several times slower.
    rows = zip(*(frame[column].to_numpy().tolist() for column in columns), strict=True)
    # The tiers' names as plain text, read once: an enum member's lookup per row was a
    # fifth of this loop.
    none, below, top = _TIER_NAMES
    shared, tail = f'{{"share":{share:.4g},"profit":', f',"count":{count}}}]'
    # JSON text written with f-strings: json.dumps per customer is several times slower.
    for tier, profit, margin, cost, rank in rows:
        if tier == none:
            reason = f'["{_NONE}",{{"cost":{cost:.6g}}}]'
        elif tier == below and margin < 0:
            reason = f'["{_BELOW_COST}",{{"margin":{margin:.6g}}}]'
        elif tier == below:
            reason = f'["{_COST_ABOVE}",{{"cost":{cost:.6g},"margin":{margin:.6g}}}]'
        elif tier == top or profit > 0:
            code = _TOP if tier == top else _GROWABLE
            # int(rank): a whole place, however the ranks column is typed
            reason = f'["{code}",{shared}{profit:.6g},"rank":{int(rank)}{tail}'
        else:
            reason = f'["{_EVEN}",{{"margin":{margin:.6g},"cost":{cost:.6g}}}]'
        reasons.append(reason)
    return pd.Series(reasons, index=frame.index, dtype="str")


_TIER_NAMES = (
    ValueTier.NO_PURCHASES.value,
    ValueTier.BELOW_ZERO.value,
    ValueTier.MOST_VALUABLE.value,
)


def tier_summary(tiers: pd.DataFrame) -> pd.DataFrame:
    """Customers, profit and share of profit per tier, every tier listed (for a chart).

    The share is of the positive profit of the customers who bought: the total the Most
    Valuable cut-off takes its share of, so Most Valuable shows at least that share."""
    require_columns(tiers, ("value_tier", "profit"), "value tiers")
    grouped = tiers.groupby("value_tier")["profit"].agg(["size", "sum"])
    grouped = grouped.reindex([tier.value for tier in ValueTier], fill_value=0)
    bought = tiers[tiers["value_tier"] != ValueTier.NO_PURCHASES.value]["profit"]
    total = float(bought[bought > 0].sum())
    return pd.DataFrame(
        {
            "value_tier": grouped.index.astype("str"),
            "customers": grouped["size"].astype("int64").to_numpy(),
            "profit": grouped["sum"].astype("float64").to_numpy(),
            "share_of_profit": (grouped["sum"] / total).to_numpy() if total else np.nan,
        }
    )
