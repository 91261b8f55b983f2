"""Sales forecasts over DataFrames: the weighted pipeline by expected close month, last
quarter's forecast against what closed, win probability learned from closed history (by stage
and time in stage), a Monte-Carlo forecast as P10/P50/P90 bands per month, and the calibration
of each stage's set probability. Pure functions; the random draws are seeded.

Column names follow `funnel`: leads (id, created_at, stage, value, expected_close, closed_at,
pipeline), changes (lead_id, from_stage, to_stage, changed_at).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from crm_core.analytics.funnel import LOST, WON, reached, stays

AGE_BUCKETS = (0, 7, 30, 90)  # days in the current stage: [0, 7), [7, 30), [30, 90), 90+
MIN_HISTORY = 20  # closed leads a bucket needs; fewer and the stage's own rate is used
Probabilities = Mapping[tuple[str, str], float]  # (pipeline, stage) -> set probability


def close_month(expected: pd.Series, as_of: datetime) -> pd.Series:
    """The month a lead is expected to close in; none given or already past: this month."""
    this_month = pd.Timestamp(as_of).to_period("M")
    months = pd.to_datetime(expected, errors="coerce").dt.to_period("M")
    return months.where(months.notna() & (months >= this_month), this_month).astype(str)


def open_only(leads: pd.DataFrame) -> pd.DataFrame:
    return leads[~leads["stage"].isin([WON, LOST])]


def weighted_pipeline(
    leads: pd.DataFrame, probability: Probabilities, as_of: datetime
) -> pd.DataFrame:
    """Open leads by expected close month: count, value and value x the stage's probability
    (won and lost leads are never counted)."""
    live = open_only(leads)
    p = [
        probability.get((pl, st), 0.0)
        for pl, st in zip(live["pipeline"], live["stage"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "month": close_month(live["expected_close"], as_of).to_numpy(),
            "value": live["value"].astype(float).to_numpy(),
            "weighted": live["value"].astype(float).to_numpy() * np.array(p, dtype=float),
        }
    )
    grouped = frame.groupby("month", sort=True).agg(
        leads=("value", "size"), value=("value", "sum"), weighted=("weighted", "sum")
    )
    return grouped.reset_index()


def stage_at(changes: pd.DataFrame, moment: datetime) -> pd.Series:
    """Lead id -> its stage just before `moment` (leads created since are left out)."""
    before = changes[pd.to_datetime(changes["changed_at"]) < pd.Timestamp(moment)]
    last = before.sort_values(["lead_id", "changed_at"], kind="stable").groupby("lead_id").tail(1)
    return last.set_index("lead_id")["to_stage"].astype(str)


def forecast_vs_actual(
    leads: pd.DataFrame,
    changes: pd.DataFrame,
    probability: Probabilities,
    start: date,
    end: date,
) -> pd.DataFrame:
    """Per month of [start, end): what the weighted pipeline forecast at `start` (open leads
    then, expected to close that month, value x their stage's probability then) and the value
    actually won in the month (by any lead)."""
    then = stage_at(changes, datetime.combine(start, datetime.min.time()))
    then = then[~then.isin([WON, LOST])]
    known = leads.set_index("id")
    at_start = known.loc[known.index.intersection(then.index)]
    at_start = at_start.assign(stage=then.reindex(at_start.index)).reset_index()
    won = leads[(leads["stage"] == WON) & leads["closed_at"].notna()]
    won_month = pd.to_datetime(won["closed_at"]).dt.to_period("M").astype(str)
    actual = (
        won.assign(month=won_month.to_numpy())
        .groupby("month")
        .agg(actual_leads=("value", "size"), actual=("value", "sum"))
        .reset_index()
    )
    return quarter_table(at_start, actual, probability, start, end)


def quarter_table(
    at_start: pd.DataFrame,
    actual: pd.DataFrame,
    probability: Probabilities,
    start: date,
    end: date,
) -> pd.DataFrame:
    """`forecast_vs_actual` from the leads open at `start` (pipeline, stage then, value,
    expected_close) and the value won per month (month, actual_leads, actual)."""
    months = pd.period_range(
        pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1), freq="M"
    )
    expected = pd.to_datetime(at_start["expected_close"], errors="coerce").dt.to_period("M")
    p = np.array(
        [
            probability.get((pl, st), 0.0)
            for pl, st in zip(at_start["pipeline"], at_start["stage"], strict=True)
        ],
        dtype=float,
    )
    weighted = at_start["value"].astype(float).to_numpy() * p
    won = actual.set_index("month")
    rows = []
    for month in months:
        in_month = (expected == month).to_numpy()
        key = str(month)
        rows.append(
            {
                "month": key,
                "forecast": float(weighted[in_month].sum()),
                "forecast_leads": int(in_month.sum()),
                "actual": float(won["actual"].get(key, 0.0)),
                "actual_leads": int(won["actual_leads"].get(key, 0)),
            }
        )
    return pd.DataFrame(
        rows, columns=["month", "forecast", "forecast_leads", "actual", "actual_leads"]
    )


def learned_probabilities(
    leads: pd.DataFrame, changes: pd.DataFrame, stages: Sequence[str], as_of: datetime
) -> pd.DataFrame:
    """Win probability by stage and days in it, from the closed leads: of the closed leads
    that reached the stage and stayed in it at least `min_days`, the share won. A bucket with
    fewer than MIN_HISTORY closed leads takes the stage's rate (bucket 0)."""
    closed = leads[leads["stage"].isin([WON, LOST])]
    moves = changes[changes["lead_id"].isin(set(closed["id"]))]
    won = closed.set_index("id")["stage"] == WON
    spent = stays(moves, as_of)
    days = spent.groupby(["lead_id", "stage"])["days"].sum().reset_index()
    days = days[days["days"] > 0]
    aged = days.assign(
        won=days["lead_id"].map(won).fillna(False).astype(bool),
        min_days=age_bucket(days["days"].to_numpy()),
    )
    aged = aged.groupby(["stage", "won", "min_days"]).size().rename("leads").reset_index()
    return learned_from_counts(reached_counts(closed, moves, stages), aged, stages)


def reached_counts(
    closed: pd.DataFrame, moves: pd.DataFrame, stages: Sequence[str]
) -> pd.DataFrame:
    """Closed leads counted per furthest stage index reached and won or not (furthest, won,
    leads), as SQL counts them over the stored read model."""
    furthest = reached(closed, moves, stages)
    won = (closed.set_index("id")["stage"] == WON).reindex(furthest.index).fillna(False)
    frame = pd.DataFrame({"furthest": furthest.to_numpy(), "won": won.to_numpy(dtype=bool)})
    return frame.groupby(["furthest", "won"]).size().rename("leads").reset_index()


def age_bucket(days: np.ndarray) -> np.ndarray:
    """The AGE_BUCKETS lower bound each number of days falls in."""
    return np.array(AGE_BUCKETS)[np.searchsorted(AGE_BUCKETS, days, side="right") - 1]


def _reached(counts: pd.DataFrame, i: int) -> tuple[int, int]:
    part = counts[counts["furthest"] >= i]
    return int(part["leads"].sum()), int(part.loc[part["won"].astype(bool), "leads"].sum())


def learned_from_counts(
    reached: pd.DataFrame, aged: pd.DataFrame, stages: Sequence[str]
) -> pd.DataFrame:
    """`learned_probabilities` from the closed leads counted per furthest stage and outcome
    (`reached_counts`) and per stage, outcome and age bucket of their days in it (stage, won,
    min_days, leads; a lead with no days in a stage is in no row of it)."""
    rows = []
    for i, stage in enumerate(stages[:-1]):
        n0, w0 = _reached(reached, i)
        base = w0 / n0 if n0 else None
        part = aged[aged["stage"] == stage]
        for low in AGE_BUCKETS:
            if low == 0:
                n, w = n0, w0
            else:
                older = part[part["min_days"] >= low]
                n = int(older["leads"].sum())
                w = int(older.loc[older["won"].astype(bool), "leads"].sum())
            rate = w / n if n else None
            rows.append(
                {
                    "stage": stage,
                    "min_days": low,
                    "closed": n,
                    "won": w,
                    "probability": rate if n >= MIN_HISTORY or low == 0 else base,
                }
            )
    return pd.DataFrame(rows, columns=["stage", "min_days", "closed", "won", "probability"])


def open_lead_probabilities(
    leads: pd.DataFrame,
    changes: pd.DataFrame,
    learned: pd.DataFrame,
    fallback: Probabilities,
    as_of: datetime,
) -> pd.DataFrame:
    """The open leads with their days in the current stage and the learned probability of
    their (stage, age bucket); without history, the stage's set probability."""
    live = open_only(leads)
    spent = stays(changes[changes["lead_id"].isin(set(live["id"]))], as_of)
    current: pd.Series = spent[spent["left"].isna()].set_index("lead_id")["days"]
    days = live["id"].map(current).fillna(0.0).astype(float)
    return with_probabilities(live.assign(days_in_stage=days.to_numpy()), learned, fallback)


def with_probabilities(
    live: pd.DataFrame, learned: pd.DataFrame, fallback: Probabilities
) -> pd.DataFrame:
    """Open leads with `days_in_stage` given their bucket and learned probability."""
    days = live["days_in_stage"].fillna(0.0).astype(float).to_numpy()
    bucket = age_bucket(days)
    table = learned.set_index(["stage", "min_days"])["probability"].to_dict()
    p = [
        table.get((stage, int(b)))
        if table.get((stage, int(b))) is not None
        else fallback.get((pl, stage), 0.0)
        for stage, b, pl in zip(live["stage"], bucket, live["pipeline"], strict=True)
    ]
    return live.assign(days_in_stage=days, min_days=bucket, probability=np.array(p, dtype=float))


def monte_carlo(
    live: pd.DataFrame, as_of: datetime, runs: int = 2000, seed: int = 7
) -> pd.DataFrame:
    """Revenue per expected close month over `runs` simulated futures, each open lead won with
    its `probability`: the P10, P50 and P90 of each month's won value, and its mean. Every
    month at once: each block of leads' draws (runs x leads) times their values spread over
    their months (leads x months) adds to the runs x months totals."""
    rng = np.random.default_rng(seed)
    months = close_month(live["expected_close"], as_of).to_numpy()
    names, column = np.unique(months.astype(str), return_inverse=True)
    values = live["value"].astype(float).to_numpy()
    probability = live["probability"].astype(float).to_numpy()
    total = np.zeros((runs, names.size))
    block = 2048  # runs x 2048 draws at a time: bounded memory
    for low in range(0, values.size, block):
        part = slice(low, low + block)
        spread = np.zeros((values[part].size, names.size))
        spread[np.arange(values[part].size), column[part]] = values[part]
        won = rng.random((runs, values[part].size), dtype=np.float32) < probability[part]
        total += won.astype(np.float64) @ spread
    p10, p50, p90 = np.percentile(total, [10, 50, 90], axis=0) if names.size else ([], [], [])
    return pd.DataFrame(
        {
            "month": names.astype(str),
            "leads": np.bincount(column, minlength=names.size).astype(int),
            "p10": np.asarray(p10, dtype=float),
            "p50": np.asarray(p50, dtype=float),
            "p90": np.asarray(p90, dtype=float),
            "mean": total.mean(axis=0) if names.size else np.array([], dtype=float),
        },
        columns=["month", "leads", "p10", "p50", "p90", "mean"],
    )


def calibration(
    leads: pd.DataFrame,
    changes: pd.DataFrame,
    stages: Sequence[str],
    set_probability: Mapping[str, float],
) -> pd.DataFrame:
    """Per open stage: its set probability against the observed win rate of the closed leads
    that reached it, and the gap (observed - set)."""
    closed = leads[leads["stage"].isin([WON, LOST])]
    moves = changes[changes["lead_id"].isin(set(closed["id"]))]
    return calibration_from_counts(reached_counts(closed, moves, stages), stages, set_probability)


def calibration_from_counts(
    reached: pd.DataFrame, stages: Sequence[str], set_probability: Mapping[str, float]
) -> pd.DataFrame:
    """`calibration` from the closed leads counted by `reached_counts`."""
    rows = []
    for i, stage in enumerate(stages[:-1]):
        n, w = _reached(reached, i)
        observed = w / n if n else None
        setp = float(set_probability.get(stage, 0.0))
        rows.append(
            {
                "stage": stage,
                "set_probability": setp,
                "closed": n,
                "won": w,
                "observed": observed,
                "gap": None if observed is None else observed - setp,
            }
        )
    columns = ["stage", "set_probability", "closed", "won", "observed", "gap"]
    return pd.DataFrame(rows, columns=columns)
