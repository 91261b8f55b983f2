"""A/B test statistics in exact formulas: Wilson intervals, the two-proportion z-test, the
sample size to detect an uplift, and the plain-words verdict with the rule it used.

Pure functions over counts (standard library only), checked in tests against SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

_NORMAL = NormalDist()


def _z(quantile: float) -> float:
    return _NORMAL.inv_cdf(quantile)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    """The Wilson score interval of a proportion (sound near 0 % and with small samples);
    None without trials."""
    if n <= 0:
        return None
    z = _z(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class TwoProportionTest:
    """Treatment (x2 of n2) against control (x1 of n1)."""

    rate_control: float
    rate_treatment: float
    difference: float  # treatment - control, in rate points
    uplift: float | None  # difference / control rate; None when the control rate is 0
    z: float
    p_value: float  # two-sided, pooled standard error
    difference_interval: Interval  # unpooled (Wald) interval of the difference


def two_proportion_test(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> TwoProportionTest | None:
    """The two-sided two-proportion z-test (equal to Pearson's chi-square test of the 2x2
    table without continuity correction); None when a group is empty."""
    if n1 <= 0 or n2 <= 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    difference = p2 - p1
    if se_pooled == 0:
        z, p_value = 0.0, 1.0  # both groups all 0 % or all 100 %: no evidence of a difference
    else:
        z = difference / se_pooled
        p_value = math.erfc(abs(z) / math.sqrt(2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = _z(0.5 + confidence / 2) * se
    return TwoProportionTest(
        rate_control=p1,
        rate_treatment=p2,
        difference=difference,
        uplift=difference / p1 if p1 > 0 else None,
        z=z,
        p_value=p_value,
        difference_interval=Interval(difference - half, difference + half),
    )


def sample_size_per_variant(
    baseline_rate: float, relative_uplift: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Members needed in each of two equal groups to detect a relative uplift of the baseline
    rate with a two-sided test at `alpha` and the given power (Fleiss' formula, no continuity
    correction)."""
    if not 0 < baseline_rate < 1:
        raise ValueError("the baseline rate must be between 0 and 1")
    p1, p2 = baseline_rate, baseline_rate * (1 + relative_uplift)
    if not 0 < p2 < 1 or p2 == p1:
        raise ValueError("the uplift must move the rate to another value between 0 and 1")
    mean = (p1 + p2) / 2
    z_alpha, z_beta = _z(1 - alpha / 2), _z(power)
    root = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_beta * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(root * root / (p2 - p1) ** 2)


class Verdict(StrEnum):
    ROLL_OUT = "roll out"
    KEEP_TESTING = "keep testing"
    STOP = "stop"


class VerdictRule(StrEnum):
    """Which rule gave the verdict (a page explains each one)."""

    WINNER = "significant winner"  # p < alpha, the treatment converts more
    LOSER = "significant loser"  # p < alpha, the treatment converts less: stop it
    NO_DIFFERENCE = "no difference at plan"  # planned sample reached, p >= alpha
    TOO_EARLY = "planned sample not reached"  # fewer members than planned, p >= alpha
    NO_DATA = "nothing recorded yet"  # no member of the baseline or any treatment observed


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    rule: VerdictRule
    alpha: float  # the level used (Bonferroni-corrected with several treatments)
    early: bool  # read before every group had its planned number of observed members
    winner: str | None = None  # WINNER: the variant to roll out; LOSER: the baseline


def decide(
    variants: Sequence[str],
    tests: Sequence[TwoProportionTest | None],
    observed: Sequence[int],
    planned_per_variant: int,
    alpha: float = 0.05,
) -> Decision:
    """The verdict over every treatment's test against the baseline.

    `variants` are the names, the baseline first; `tests` each treatment's test against it
    (in the variants' order); `observed` each variant's members whose outcome is known. An
    enrolled member is not yet evidence: a member counts as observed once a send, response
    or conversion of theirs is recorded; a hold-out control's members (nothing is sent to
    them) all count once any outcome of the campaign is recorded (the caller counts them
    so). The planned sample is compared with `observed`, not with the members enrolled.
    Nobody observed: nothing recorded yet; a treatment or baseline nobody observed gives
    no test, so the verdict waits (keep testing, read early).

    With k treatments each is tested at alpha / k (Bonferroni). A significant winner rolls
    out, the best converting one if several (even when read early: a significant result may
    be acted on, with the warning); when every treatment is a significant loser: stop them,
    the baseline does best; at the planned sample without significance: stop, the uplift is
    smaller than the test was designed to find; before it: keep testing.
    """
    level = alpha / max(len(tests), 1)
    early = any(n < planned_per_variant for n in observed)
    seen = observed[0] > 0 if observed else False
    valid = [
        (name, test)
        for name, test, n in zip(variants[1:], tests, observed[1:], strict=True)
        if test is not None and seen and n > 0
    ]
    if not any(observed):
        return Decision(Verdict.KEEP_TESTING, VerdictRule.NO_DATA, level, early)
    if not valid:
        return Decision(Verdict.KEEP_TESTING, VerdictRule.TOO_EARLY, level, early)
    significant = [(name, test) for name, test in valid if test.p_value < level]
    winners = [(name, test) for name, test in significant if test.difference > 0]
    if winners:
        best = max(winners, key=lambda pair: pair[1].rate_treatment)[0]
        return Decision(Verdict.ROLL_OUT, VerdictRule.WINNER, level, early, best)
    if significant and len(significant) == len(tests):
        return Decision(Verdict.STOP, VerdictRule.LOSER, level, early, variants[0])
    if early:
        return Decision(Verdict.KEEP_TESTING, VerdictRule.TOO_EARLY, level, early)
    return Decision(Verdict.STOP, VerdictRule.NO_DIFFERENCE, level, early)
