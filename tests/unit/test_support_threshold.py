"""A co-purchase rule's minimum support is met in whole baskets, not in floating point."""

from __future__ import annotations

import pandas as pd

from crm_core.analytics.recommendations import association_rules, min_baskets


def _lines(baskets: int, with_both: int) -> pd.DataFrame:
    """`baskets` customers; the first `with_both` bought products 1 and 2, the rest product 3."""
    rows = []
    for customer in range(baskets):
        bought = (1, 2) if customer < with_both else (3,)
        rows += [{"customer_id": customer, "product_id": p} for p in bought]
    return pd.DataFrame(rows)


def test_a_pair_in_exactly_the_minimum_share_of_baskets_is_kept() -> None:
    # 7 of 100 baskets is 7 %; 0.07 * 100 is 7.000000000000001 in floating point.
    assert 0.07 * 100 > 7
    rules = association_rules(_lines(100, 7), min_support=0.07)
    assert set(zip(rules["antecedent"], rules["consequent"], strict=True)) == {(1, 2), (2, 1)}
    assert list(rules["customers"]) == [7, 7]


def test_a_pair_one_basket_short_of_the_minimum_is_dropped() -> None:
    assert association_rules(_lines(100, 6), min_support=0.07).empty


def test_the_minimum_is_counted_in_whole_baskets_and_never_below_one() -> None:
    assert min_baskets(0.07, 100) == 7
    assert min_baskets(0.005, 1000) == 5
    assert min_baskets(0.005, 1001) == 6  # 5.005 baskets: a sixth is needed
    assert min_baskets(0.0, 50) == 1
    assert min_baskets(0.29, 100) == 29  # 28.999999999999996 in floating point
