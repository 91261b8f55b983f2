"""Population parts kept by a full refresh score a few customers as the whole base would."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_core.analytics.rfm import rfm_cuts, rfm_scores
from crm_core.analytics.value_tiers import most_valuable_cutoff, value_tiers

AS_OF = pd.Timestamp("2026-06-01")


def orders() -> pd.DataFrame:
    """Twelve customers: customer n bought n times, the last n days before AS_OF, n x 10 each."""
    rows = [
        (n, n * 100 + k, AS_OF - pd.Timedelta(days=n + 30 * k), 10.0 * n)
        for n in range(1, 13)
        for k in range(n)
    ]
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at", "amount"])


def test_the_base_scored_with_its_own_cuts_keeps_its_scores() -> None:
    base = rfm_scores(orders(), AS_OF)
    again = rfm_scores(orders(), AS_OF, rfm_cuts(base))
    columns = ["r_score", "f_score", "m_score", "rfm_segment", "segment_reason"]
    pd.testing.assert_frame_equal(base[columns], again[columns])


def test_one_customer_alone_scores_as_within_the_base() -> None:
    everyone = orders()
    base = rfm_scores(everyone, AS_OF)
    cuts = rfm_cuts(base)
    # Customer 12 alone would be a lone customer (all 3s); against the base's cuts it is what
    # it was among all twelve: the longest quiet, the most orders, the biggest spender.
    alone = rfm_scores(everyone[everyone["customer_id"] == 12], AS_OF, cuts)
    expected = base[base["customer_id"] == 12]
    assert alone[["r_score", "f_score", "m_score"]].to_numpy().tolist() == (
        expected[["r_score", "f_score", "m_score"]].to_numpy().tolist()
    )
    assert alone[["r_score", "f_score", "m_score"]].to_numpy().tolist() == [[1, 5, 5]]


def test_a_customer_placed_by_a_kept_cutoff_ranks_among_the_others() -> None:
    profits = pd.DataFrame(
        {"customer_id": [1, 2, 3], "profit": [100.0, 30.0, -5.0], "gross_margin": [100.0] * 3,
         "cost_to_serve": [0.0] * 3, "orders": [1, 1, 1]}
    )  # fmt: skip
    cutoff = most_valuable_cutoff(profits["profit"], 0.5)
    assert cutoff == 100.0  # 100 alone is half of the 130 positive profit
    newcomer = profits.iloc[:0].copy()
    newcomer.loc[0] = [4, 60.0, 60.0, 0.0, 2]
    placed = value_tiers(newcomer, 0.5, cutoff=cutoff, other_profits=np.array([100.0, 30.0, -5.0]))
    assert placed["value_tier"].tolist() == ["Most Growable"]
    assert placed["profit_rank"].tolist() == [2]  # behind 100, ahead of 30 and -5
    assert '"rank":2,"count":4' in placed["tier_reason"].iloc[0]
