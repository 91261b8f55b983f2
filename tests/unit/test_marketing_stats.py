"""A/B statistics: each figure equals what SciPy computes independently, or a hand count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sp

from crm_core.marketing.stats import (
    Verdict,
    VerdictRule,
    decide,
    sample_size_per_variant,
    two_proportion_test,
    wilson_interval,
)


@pytest.mark.parametrize(("x", "n"), [(0, 20), (3, 40), (50, 100), (412, 2900), (20, 20)])
def test_the_wilson_interval_equals_scipys(x: int, n: int) -> None:
    ours = wilson_interval(x, n)
    theirs = sp.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert ours is not None
    assert ours.low == pytest.approx(theirs.low, abs=1e-12)
    assert ours.high == pytest.approx(theirs.high, abs=1e-12)


def test_no_trials_have_no_interval() -> None:
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(120, 1000, 150, 1000), (30, 400, 22, 380), (5, 60, 14, 61)]
)
def test_the_two_proportion_test_equals_scipys_chi_square(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    test = two_proportion_test(x1, n1, x2, n2)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    chi2, p_value, _dof, _expected = sp.chi2_contingency(table, correction=False)
    assert test is not None
    assert test.z**2 == pytest.approx(chi2, rel=1e-10)
    assert test.p_value == pytest.approx(p_value, rel=1e-9)


def test_a_hand_checked_ab_result() -> None:
    # Control 120 of 1000 (12 %), treatment 150 of 1000 (15 %): pooled 13.5 %,
    # se = sqrt(.135 * .865 * .002) = 0.015282..., z = 0.03 / se = 1.9631, p = 0.0496.
    test = two_proportion_test(120, 1000, 150, 1000)
    assert test is not None
    assert test.difference == pytest.approx(0.03)
    assert test.uplift == pytest.approx(0.25)
    assert test.z == pytest.approx(1.9631, abs=1e-4)
    assert test.p_value == pytest.approx(2 * sp.norm.sf(test.z), rel=1e-12)
    assert test.p_value == pytest.approx(0.0496, abs=1e-4)
    se = math.sqrt(0.12 * 0.88 / 1000 + 0.15 * 0.85 / 1000)
    assert test.difference_interval.low == pytest.approx(0.03 - 1.959964 * se, abs=1e-6)


def test_groups_with_nothing_to_compare_give_no_evidence() -> None:
    test = two_proportion_test(0, 50, 0, 50)
    assert test is not None and test.p_value == 1.0 and test.uplift is None
    assert two_proportion_test(1, 0, 1, 10) is None


def test_the_sample_size_follows_fleiss_formula_with_scipys_quantiles() -> None:
    p1, p2 = 0.10, 0.12
    z_a, z_b = sp.norm.ppf(0.975), sp.norm.ppf(0.8)
    mean = (p1 + p2) / 2
    expected = (
        z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (p2 - p1) ** 2
    assert sample_size_per_variant(0.10, 0.20) == math.ceil(expected) == 3841


def test_a_sample_of_the_planned_size_detects_the_uplift_with_the_planned_power() -> None:
    # At n per group, a true 10 % -> 12 % difference is found about 80 % of the time.
    n = sample_size_per_variant(0.10, 0.20)
    se = math.sqrt(0.10 * 0.90 / n + 0.12 * 0.88 / n)
    power = sp.norm.sf(sp.norm.ppf(0.975) * math.sqrt(2 * 0.11 * 0.89 / n) / se - 0.02 / se)
    assert power == pytest.approx(0.80, abs=0.005)


def test_an_impossible_uplift_is_refused() -> None:
    with pytest.raises(ValueError):
        sample_size_per_variant(0.6, 1.0)
    with pytest.raises(ValueError):
        sample_size_per_variant(0.0, 0.1)


def test_a_significant_winner_rolls_out_even_read_early_with_the_warning() -> None:
    winner = two_proportion_test(120, 1000, 170, 1000)
    decision = decide(["A", "B"], [winner], [1000, 1000], planned_per_variant=3841)
    assert (decision.verdict, decision.rule, decision.early, decision.winner) == (
        Verdict.ROLL_OUT, VerdictRule.WINNER, True, "B",
    )  # fmt: skip


def test_no_significant_difference_keeps_testing_until_the_plan_then_stops() -> None:
    close = two_proportion_test(120, 1000, 125, 1000)
    assert decide(["A", "B"], [close], [1000, 1000], 3841).verdict is Verdict.KEEP_TESTING
    at_plan = decide(["A", "B"], [close], [4000, 4000], 3841)
    assert (at_plan.verdict, at_plan.rule, at_plan.winner) == (
        Verdict.STOP, VerdictRule.NO_DIFFERENCE, None,
    )  # fmt: skip


def test_groups_without_a_recorded_outcome_are_nothing_recorded_yet() -> None:
    # 8,168 enrolled per group, none sent: the test over the members says p = 1, but
    # nobody is observed, so the plan is not reached and there is nothing to read.
    empty = two_proportion_test(0, 8168, 0, 8168)
    decision = decide(["A", "B"], [empty], [0, 0], 8000)
    assert (decision.verdict, decision.rule, decision.early, decision.winner) == (
        Verdict.KEEP_TESTING, VerdictRule.NO_DATA, True, None,
    )  # fmt: skip


def test_outcomes_recorded_for_one_variant_only_wait_for_the_other() -> None:
    only_b = two_proportion_test(0, 500, 40, 500)  # A's sends not recorded yet
    decision = decide(["A", "B"], [only_b], [0, 500], 400)
    assert (decision.verdict, decision.rule, decision.early) == (
        Verdict.KEEP_TESTING, VerdictRule.TOO_EARLY, True,
    )  # fmt: skip


def test_a_big_segment_read_before_the_planned_outcomes_is_early() -> None:
    close = two_proportion_test(10, 8168, 11, 8168)
    decision = decide(["A", "B"], [close], [300, 280], 8000)
    assert (decision.verdict, decision.rule, decision.early) == (
        Verdict.KEEP_TESTING, VerdictRule.TOO_EARLY, True,
    )  # fmt: skip


def test_a_significant_loser_stops_and_the_baseline_is_named() -> None:
    loser = two_proportion_test(150, 1000, 90, 1000)
    decision = decide(["A", "B"], [loser], [1000, 1000], 500)
    assert (decision.rule, decision.winner) == (VerdictRule.LOSER, "A")


def test_several_treatments_are_each_tested_at_a_bonferroni_level() -> None:
    # p = 0.0496 passes alone at 5 % but not at 2.5 % beside a second treatment.
    borderline = two_proportion_test(120, 1000, 150, 1000)
    other = two_proportion_test(120, 1000, 121, 1000)
    assert decide(["A", "B"], [borderline], [1000, 1000], 1000).verdict is Verdict.ROLL_OUT
    two = decide(["A", "B", "C"], [borderline, other], [1000, 1000, 1000], 1000)
    assert two.alpha == 0.025 and two.verdict is Verdict.STOP and two.winner is None


def test_of_several_significant_treatments_the_best_converting_is_named() -> None:
    # Against A's 12 %: B 17 % (p = 0.0015), C 20 % (p < 0.0001), D 12.1 %; each at 5 % / 3.
    tests = [two_proportion_test(120, 1000, x, 1000) for x in (170, 200, 121)]
    assert tests[0] is not None and tests[0].p_value < 0.05 / 3
    decision = decide(["A", "B", "C", "D"], tests, [1000] * 4, 1000)
    assert (decision.verdict, decision.winner, decision.early) == (Verdict.ROLL_OUT, "C", False)
