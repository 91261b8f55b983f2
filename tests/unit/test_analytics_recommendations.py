"""Next best offer: co-purchase rules and the offers they make, checked by hand."""

import itertools

import numpy as np
import pandas as pd
import pytest

from crm_core.analytics.recommendations import (
    association_rules,
    next_best_offers,
    products_bought,
)
from crm_core.kernel.messages import render

# Five baskets: 1 {1,2,3}  2 {1,2}  3 {1,3}  4 {2,4}  5 {1,2,4}
# Product counts: 1 -> 4, 2 -> 4, 3 -> 2, 4 -> 2. Pairs: (1,2) 3, (1,3) 2, (1,4) 1,
# (2,3) 1, (2,4) 2, (3,4) 0.
BASKETS = {1: [1, 2, 3], 2: [1, 2], 3: [1, 3], 4: [2, 4], 5: [1, 2, 4]}
NAMES = {1: "Kopi Arabika 250g", 2: "Gula Aren 500g", 3: "French Press", 4: "Teh Melati"}


def _lines() -> pd.DataFrame:
    rows = [(customer, product) for customer, products in BASKETS.items() for product in products]
    rows.append((1, 1))  # a second purchase of the same product counts once
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id"])
    return frame.assign(order_id=np.arange(len(frame)) // 2 + 100)


def _rule(rules: pd.DataFrame, antecedent: int, consequent: int) -> pd.Series:
    match = rules[(rules["antecedent"] == antecedent) & (rules["consequent"] == consequent)]
    assert len(match) == 1
    return match.iloc[0]


def test_rules_carry_support_confidence_and_lift_as_computed_by_hand():
    rules = association_rules(_lines(), min_support=0.2)
    assert len(rules) == 10  # five pairs that occur, both directions
    one_to_three = _rule(rules, 1, 3)
    # 2 of 5 baskets hold both; 2 of the 4 with Kopi have a press; 0.5 / (2/5) = 1.25
    assert one_to_three[["customers", "support", "confidence", "lift"]].tolist() == [
        2,
        0.4,
        0.5,
        pytest.approx(1.25),
    ]
    three_to_one = _rule(rules, 3, 1)
    # both press buyers bought Kopi: confidence 1, lift 1 / (4/5) = 1.25
    assert (three_to_one["confidence"], three_to_one["lift"]) == (1.0, pytest.approx(1.25))
    one_to_two = _rule(rules, 1, 2)
    # 3 of 4 Kopi buyers bought sugar, but 4 of 5 of everyone did: lift 0.75 / 0.8 = 0.9375
    assert one_to_two["lift"] == pytest.approx(0.9375)


def test_min_support_drops_rare_pairs():
    rules = association_rules(_lines(), min_support=0.4)
    # only pairs in at least 2 of 5 baskets: (1,2), (1,3), (2,4)
    pairs = set(zip(rules["antecedent"], rules["consequent"], strict=True))
    assert pairs == {(1, 2), (2, 1), (1, 3), (3, 1), (2, 4), (4, 2)}


def test_a_kopi_buyer_is_offered_the_press_with_a_reason_naming_the_product():
    rules = association_rules(_lines(), min_support=0.2)
    offers = next_best_offers(rules, {1}, product_names=NAMES)
    # sugar (lift 0.94) and tea (lift 0.63) are less likely than average: not offered
    assert offers["product_id"].tolist() == [3]
    assert render(offers["reason"].iloc[0]) == (
        "Bought by 50% of customers who bought Kopi Arabika 250g (lift 1.2)"
    )


def test_offers_rank_by_lift_then_confidence_then_product_id():
    rules = association_rules(_lines(), min_support=0.2)
    # buyer of {1, 2}: press via 1 -> 3 and tea via 2 -> 4 both have lift 1.25, confidence 0.5
    assert next_best_offers(rules, {1, 2})["product_id"].tolist() == [3, 4]
    assert next_best_offers(rules, {1, 2}, top_n=1)["product_id"].tolist() == [3]
    # allowing any lift, a Kopi buyer sees press (1.25), sugar (0.94), tea (0.63)
    assert next_best_offers(rules, {1}, min_lift=0)["product_id"].tolist() == [3, 2, 4]


def test_each_product_is_offered_once_on_its_strongest_rule():
    rules = association_rules(_lines(), min_support=0.2)
    offers = next_best_offers(rules, {3, 4}, min_lift=0)
    # Kopi via 3 -> 1 (confidence 1.0, lift 1.25) beats 4 -> 1 (0.5, 0.625); sugar via 4 -> 2
    assert offers["product_id"].tolist() == [1, 2]
    assert offers["because_of"].tolist() == [3, 4]


def test_min_confidence_filters_weak_rules():
    rules = association_rules(_lines(), min_support=0.2)
    offers = next_best_offers(rules, {1}, min_confidence=0.6, min_lift=0)
    assert offers["product_id"].tolist() == [2]  # 1 -> 2 at 75%, the others at 50% and 25%


def test_a_customer_who_bought_everything_gets_no_offer_and_unknown_names_read_as_ids():
    rules = association_rules(_lines(), min_support=0.2)
    assert next_best_offers(rules, {1, 2, 3, 4}).empty
    offer = next_best_offers(rules, {1})
    assert render(offer["reason"].iloc[0]).endswith("who bought product 1 (lift 1.2)")


def test_products_bought_are_the_set_a_customer_bought():
    assert products_bought(_lines(), 1) == {1, 2, 3}
    assert products_bought(_lines(), 99) == set()


def test_no_order_lines_give_no_rules():
    assert association_rules(_lines().iloc[0:0], min_support=0.1).empty


def test_sparse_pair_counts_match_a_plain_count_over_random_baskets():
    rng = np.random.default_rng(7)
    lines = pd.DataFrame(
        {"customer_id": rng.integers(0, 300, 3000), "product_id": rng.integers(0, 25, 3000)}
    )
    baskets = lines.groupby("customer_id")["product_id"].apply(set)
    pair_counts: dict[tuple[int, int], int] = {}
    for basket in baskets:
        for a, b in itertools.permutations(sorted(basket), 2):
            pair_counts[(a, b)] = pair_counts.get((a, b), 0) + 1
    rules = association_rules(lines, min_support=0.0)
    got = {
        (int(a), int(b)): int(n)
        for a, b, n in zip(
            rules["antecedent"], rules["consequent"], rules["customers"], strict=True
        )
    }
    assert got == pair_counts
