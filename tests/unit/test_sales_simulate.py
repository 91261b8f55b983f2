"""The cheaper Monte-Carlo draws the same distribution as one Bernoulli trial per lead and run:
its outcomes' frequencies, bands and mean against ones computed by hand."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from crm_core.analytics import forecast
from crm_core.sales import simulate

AS_OF = datetime(2026, 2, 1)


def _live(values: list[float], p: list[float], months: list[date | None]) -> pd.DataFrame:
    return pd.DataFrame({"expected_close": months, "value": values, "probability": p})


def test_the_successes_of_bernoulli_trials_are_where_they_fall_and_as_many_as_expected() -> None:
    rng = np.random.default_rng(3)
    trials, q = 200_000, 0.2
    found = np.concatenate(list(simulate._successes(rng, trials, q)))
    assert found.min() >= 0 and found.max() < trials
    assert np.all(np.diff(found) > 0)  # each trial at most once
    # 40,000 expected, sd 179: within five sd; and spread evenly over the trials
    assert abs(found.size - 40_000) < 5 * 179
    halves = np.bincount(found // 100_000)
    assert abs(int(halves[0]) - int(halves[1])) < 5 * 253


def test_steps_longer_than_one_draw_keep_every_trial_independent() -> None:
    rng = np.random.default_rng(5)
    trials = simulate.CELLS * 2 + 17
    steps = list(simulate._successes(rng, trials, 0.001))
    found = np.concatenate(steps)
    assert len(steps) == 3 and found.max() < trials and np.all(np.diff(found) > 0)
    assert abs(found.size - trials * 0.001) < 5 * np.sqrt(trials * 0.001)


def test_two_leads_outcomes_come_with_their_hand_computed_chances() -> None:
    # 100 at 30 % and 10 at 80 % (drawn as losses): nothing 0.7 x 0.2 = 0.14, only the 10
    # 0.7 x 0.8 = 0.56, only the 100 0.3 x 0.2 = 0.06, both 0.3 x 0.8 = 0.24
    live = _live([100.0, 10.0], [0.3, 0.8], [date(2026, 2, 5), date(2026, 2, 9)])
    bands = simulate.monte_carlo(live, AS_OF, runs=20_000).set_index("month")
    row = bands.loc["2026-02"]
    assert row["leads"] == 2
    assert [row["p10"], row["p50"], row["p90"]] == [0.0, 10.0, 110.0]
    assert row["mean"] == pytest.approx(0.3 * 100 + 0.8 * 10, abs=1.0)  # sd of the mean 0.33


def test_certain_and_hopeless_leads_are_pinned_and_months_kept_apart() -> None:
    live = _live(
        [500.0, 300.0, 100.0, 40.0],
        [1.0, 0.0, 0.5, float("nan")],
        [date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1), None],
    )
    bands = simulate.monte_carlo(live, AS_OF, runs=4000).set_index("month")
    assert bands.loc["2026-03", ["p10", "p50", "p90", "mean"]].tolist() == [500.0] * 4
    assert bands.loc["2026-04", "p10"] == 0.0 and bands.loc["2026-04", "p90"] == 100.0
    assert bands.loc["2026-04", "mean"] == pytest.approx(50, abs=3)
    assert bands.loc["2026-02", ["leads", "p90"]].tolist() == [1, 0.0]  # no close date: now


def test_many_leads_match_the_one_trial_per_lead_reference_in_distribution() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    values = (rng.integers(1, 50, n) * 1000).astype(float)
    p = rng.choice([0.15, 0.22, 0.48, 0.7, 1.0], n)
    live = _live(list(values), list(p), [date(2026, 2 + i % 2, 1) for i in range(n)])
    ours = simulate.monte_carlo(live, AS_OF, runs=4000).set_index("month")
    reference = forecast.monte_carlo(live, AS_OF, runs=4000).set_index("month")
    assert ours["leads"].tolist() == reference["leads"].tolist() == [1500, 1500]
    for month, part in (("2026-02", slice(0, n, 2)), ("2026-03", slice(1, n, 2))):
        mean = float((values[part] * p[part]).sum())
        sd = float(np.sqrt((values[part] ** 2 * p[part] * (1 - p[part])).sum()))
        for bands in (ours, reference):
            assert bands.loc[month, "mean"] == pytest.approx(mean, abs=5 * sd / np.sqrt(4000))
            assert bands.loc[month, "p50"] == pytest.approx(mean, abs=0.1 * sd)
            spread = bands.loc[month, "p90"] - bands.loc[month, "p10"]
            assert spread == pytest.approx(2 * 1.2816 * sd, rel=0.08)  # normal: P90 - P10


def test_the_same_seed_gives_the_same_bands() -> None:
    live = _live([100.0, 250.0, 75.0], [0.2, 0.6, 0.9], [None, None, date(2026, 5, 1)])
    first = simulate.monte_carlo(live, AS_OF, runs=500, seed=7)
    pd.testing.assert_frame_equal(first, simulate.monte_carlo(live, AS_OF, runs=500, seed=7))
