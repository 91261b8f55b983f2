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
    months = pd.period_range(
        pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1), freq="M"
    )
    then = stage_at(changes, datetime.combine(start, datetime.min.time()))
    then = then[~then.isin([WON, LOST])]
    known = leads.set_index("id")
    at_start = known.loc[known.index.intersection(then.index)]
    expected = pd.to_datetime(at_start["expected_close"], errors="coerce").dt.to_period("M")
    p = np.array(
        [
            probability.get((pl, then[i]), 0.0)
            for i, pl in zip(at_start.index, at_start["pipeline"], strict=True)
        ],
        dtype=float,
    )
    weighted = pd.Series(at_start["value"].astype(float).to_numpy() * p, index=at_start.index)
    won = leads[(leads["stage"] == WON) & leads["closed_at"].notna()]
    won_month = pd.to_datetime(won["closed_at"]).dt.to_period("M")
    rows = []
    for month in months:
        in_month = (expected == month).to_numpy()
        rows.append(
            {
                "month": str(month),
                "forecast": float(weighted[in_month].sum()),
                "forecast_leads": int(in_month.sum()),
                "actual": float(
                    won.loc[(won_month == month).to_numpy(), "value"].astype(float).sum()
                ),
                "actual_leads": int((won_month == month).sum()),
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
    furthest = reached(closed, changes[changes["lead_id"].isin(set(closed["id"]))], stages)
    spent = stays(changes[changes["lead_id"].isin(set(closed["id"]))], as_of)
    days = spent.groupby(["lead_id", "stage"])["days"].sum()
    won = closed.set_index("id")["stage"] == WON
    rows = []
    for i, stage in enumerate(stages[:-1]):
        ids = furthest.index[furthest.to_numpy() >= i]
        in_stage = (
            days.xs(stage, level="stage")
            if stage in days.index.get_level_values("stage")
            else pd.Series(dtype=float)
        )
        stayed = in_stage.reindex(ids).fillna(0.0)  # a skipped stage: no days in it
        base = None
        for low in AGE_BUCKETS:
            members = stayed.index[stayed.to_numpy() >= low]
            n, w = len(members), int(won.reindex(members).fillna(False).sum())
            rate = w / n if n else None
            if low == 0:
                base = rate
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
    days = live["id"].map(current).fillna(0.0).astype(float).to_numpy()
    bucket = np.array(AGE_BUCKETS)[np.searchsorted(AGE_BUCKETS, days, side="right") - 1]
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
    its `probability`: the P10, P50 and P90 of each month's won value, and its mean."""
    rng = np.random.default_rng(seed)
    months = close_month(live["expected_close"], as_of).to_numpy()
    values = live["value"].astype(float).to_numpy()
    probability = live["probability"].astype(float).to_numpy()
    rows = []
    for month in sorted(set(months)):
        pick = months == month
        v, p = values[pick], probability[pick]
        total = np.zeros(runs)
        for low in range(0, v.size, 4096):  # bounded memory: runs x 4096 draws at a time
            draws = rng.random((runs, min(4096, v.size - low))) < p[low : low + 4096]
            total += draws @ v[low : low + 4096]
        p10, p50, p90 = np.percentile(total, [10, 50, 90])
        rows.append(
            {
                "month": month,
                "leads": int(pick.sum()),
                "p10": float(p10),
                "p50": float(p50),
                "p90": float(p90),
                "mean": float(total.mean()),
            }
        )
    return pd.DataFrame(rows, columns=["month", "leads", "p10", "p50", "p90", "mean"])


def calibration(
    leads: pd.DataFrame,
    changes: pd.DataFrame,
    stages: Sequence[str],
    set_probability: Mapping[str, float],
) -> pd.DataFrame:
    """Per open stage: its set probability against the observed win rate of the closed leads
    that reached it, and the gap (observed - set)."""
    closed = leads[leads["stage"].isin([WON, LOST])]
    furthest = reached(closed, changes[changes["lead_id"].isin(set(closed["id"]))], stages)
    won = (closed.set_index("id")["stage"] == WON).reindex(furthest.index)
    rows = []
    for i, stage in enumerate(stages[:-1]):
        members = furthest.to_numpy() >= i
        n, w = int(members.sum()), int(won[members].sum())
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
