"""The lead funnel over DataFrames: stages reached, conversion, time in stage, win rate, lost
reasons, sales velocity and the stalled leads. Pure functions; they never mutate their input.

`leads` columns: id, created_at, stage, value, closed_at, lost_reason (and whatever a
breakdown groups by); `changes` columns: lead_id, from_stage, to_stage, changed_at. `stages`
is the funnel's order, first stage to the winning stage ("new" .. "won"); "lost" is no stage
of the funnel: a lost lead reached the stage it was lost from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

WON, LOST = "won", "lost"
DAY = pd.Timedelta(days=1)


def reached(leads: pd.DataFrame, changes: pd.DataFrame, stages: Sequence[str]) -> pd.Series:
    """Lead id -> the index in `stages` of the furthest stage the lead reached: its current
    stage, any stage it moved to or from. Stages skipped on the way count as reached."""
    order = {stage: i for i, stage in enumerate(stages)}
    current = leads["stage"].map(order).fillna(0).astype("int64").to_numpy()
    furthest = pd.Series(current, index=pd.Index(leads["id"], name="id"), dtype="int64")
    if not changes.empty:
        moved = pd.concat(
            [
                changes[["lead_id"]].assign(at=changes["to_stage"].map(order)),
                changes[["lead_id"]].assign(at=changes["from_stage"].map(order)),
            ]
        ).dropna()
        best = moved.groupby("lead_id")["at"].max().astype("int64")
        best = best[best.index.isin(furthest.index)]
        furthest.loc[best.index] = np.maximum(furthest.loc[best.index], best)
    return furthest


def funnel(
    leads: pd.DataFrame, furthest: pd.Series, stages: Sequence[str], by: str | None = None
) -> pd.DataFrame:
    """Per group (`by`, or one group "all") and stage: the leads that reached it, those lost
    on the way from the stage before, the stage-to-stage and the overall conversion."""
    at = leads[["id"]].assign(
        group="all" if by is None else leads[by].astype("object").fillna("–").astype(str),
        furthest=leads["id"].map(furthest).fillna(0).astype("int64"),
    )
    counts = at.groupby(["group", "furthest"]).size().rename("leads").reset_index()
    return funnel_from_counts(counts, stages)


def funnel_from_counts(counts: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """`funnel` from leads counted per group and furthest stage index (columns group,
    furthest, leads), as SQL counts them over the stored read model."""
    rows = []
    for group, members in counts.groupby("group", sort=True):
        at = members["furthest"].to_numpy()
        n = members["leads"].to_numpy()
        reached = [int(n[at >= i].sum()) for i in range(len(stages))]
        for i, stage in enumerate(stages):
            before = reached[i - 1] if i else reached[0]
            rows.append(
                {
                    "group": group,
                    "stage": stage,
                    "reached": reached[i],
                    "dropped": before - reached[i],
                    "step_rate": _share(reached[i], before),
                    "overall_rate": _share(reached[i], reached[0]),
                }
            )
    columns = ["group", "stage", "reached", "dropped", "step_rate", "overall_rate"]
    return pd.DataFrame(rows, columns=columns)


def by_group(table: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """One row per group of a `funnel` table: leads, won, the overall conversion to the last
    stage and the step where the most leads were lost, best converting group first."""
    rows = []
    for group, part in table.groupby("group", sort=False):
        part = part.set_index("stage")
        steps = part.iloc[1:]
        worst = (
            steps["dropped"].idxmax() if not steps.empty and steps["dropped"].max() > 0 else None
        )
        rows.append(
            {
                "group": group,
                "leads": int(part["reached"].to_numpy()[0]),
                "won": int(part["reached"].to_numpy()[-1]),
                "conversion": float(part["overall_rate"].to_numpy()[-1]),
                "biggest_drop_before": worst,
                "biggest_drop": int(steps["dropped"].max()) if not steps.empty else 0,
            }
        )
    columns = ["group", "leads", "won", "conversion", "biggest_drop_before", "biggest_drop"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["conversion", "leads"], ascending=False, ignore_index=True)


def monthly_trend(leads: pd.DataFrame, furthest: pd.Series, stages: Sequence[str]) -> pd.DataFrame:
    """Per month the leads were created in: leads, won, conversion to the last stage."""
    last = len(stages) - 1
    at = pd.DataFrame(
        {
            "month": pd.to_datetime(leads["created_at"]).dt.to_period("M").astype(str),
            "won": leads["id"].map(furthest).fillna(0).to_numpy() >= last,
        }
    )
    grouped = at.groupby("month", sort=True)["won"].agg(["size", "sum"]).reset_index()
    grouped.columns = ["month", "leads", "won"]
    grouped["won"] = grouped["won"].astype("int64")
    grouped["conversion"] = grouped["won"] / grouped["leads"]
    return grouped


def stays(changes: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Each stay of a lead in a stage: lead_id, stage, entered, left (NaT while there), days."""
    if changes.empty:
        return pd.DataFrame(columns=["lead_id", "stage", "entered", "left", "days"])
    moves = changes.sort_values(["lead_id", "changed_at"], kind="stable")
    left = moves.groupby("lead_id")["changed_at"].shift(-1)
    entered = pd.to_datetime(moves["changed_at"])
    until = pd.to_datetime(left).fillna(pd.Timestamp(as_of))
    return pd.DataFrame(
        {
            "lead_id": moves["lead_id"].to_numpy(),
            "stage": moves["to_stage"].astype(str).to_numpy(),
            "entered": entered.to_numpy(),
            "left": pd.to_datetime(left).to_numpy(),
            "days": ((until - entered) / DAY).to_numpy(),
        }
    )


def time_in_stage(changes: pd.DataFrame, stages: Sequence[str], as_of: datetime) -> pd.DataFrame:
    """Per stage before the last: median and 90th percentile days of the stays that ended
    (the lead moved on or was lost), and how many stays that is."""
    done = stays(changes, as_of)
    return stay_quantiles(done[done["left"].notna()], stages)


def stay_quantiles(done: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """`time_in_stage` from the ended stays (columns stage, days)."""
    rows = []
    for stage in stages[:-1]:
        days = done.loc[done["stage"] == stage, "days"].astype(float)
        rows.append(
            {
                "stage": stage,
                "stays": int(days.size),
                "median_days": float(days.median()) if days.size else None,
                "p90_days": float(days.quantile(0.9)) if days.size else None,
            }
        )
    return pd.DataFrame(rows, columns=["stage", "stays", "median_days", "p90_days"])


def cycle_days(leads: pd.DataFrame) -> pd.Series:
    """Days from created to won, per won lead."""
    won = leads[(leads["stage"] == WON) & leads["closed_at"].notna()]
    spent = pd.to_datetime(won["closed_at"]) - pd.to_datetime(won["created_at"])
    return (spent / DAY).astype(float)


def summary(leads: pd.DataFrame) -> dict[str, float | int | None]:
    """The KPIs of a cohort: leads, won, lost, open, win rate (won of the closed), average won
    value, median sales cycle in days, and the won value."""
    won = leads["stage"] == WON
    lost = leads["stage"] == LOST
    closed = int(won.sum() + lost.sum())
    cycle = cycle_days(leads)
    won_values = leads.loc[won, "value"].astype(float)
    return {
        "leads": len(leads),
        "won": int(won.sum()),
        "lost": int(lost.sum()),
        "open": int(len(leads) - closed),
        "win_rate": _share(int(won.sum()), closed),
        "average_won_value": float(won_values.mean()) if won_values.size else None,
        "won_value": float(won_values.sum()),
        "cycle_days": float(cycle.median()) if cycle.size else None,
    }


def velocity(
    open_leads: int, win_rate: float | None, average_value: float | None, cycle: float | None
) -> float | None:
    """Sales velocity: open leads x win rate x average won value / cycle length (per day)."""
    if win_rate is None or average_value is None or not cycle:
        return None
    return open_leads * win_rate * average_value / cycle


def lost_reasons(leads: pd.DataFrame) -> pd.DataFrame:
    """The lost leads by reason, most frequent first, with share and cumulative share (a
    Pareto); a lost lead without a reason counts under reason None."""
    lost = leads.loc[leads["stage"] == LOST, "lost_reason"].astype("object")
    counts = lost.where(lost.notna(), None).value_counts(dropna=False)
    return pareto(pd.DataFrame({"reason": counts.index.to_list(), "leads": counts.to_numpy()}))


def pareto(counts: pd.DataFrame) -> pd.DataFrame:
    """Lost leads counted per reason (columns reason, leads) as `lost_reasons`' Pareto."""
    frame = counts.assign(reason=counts["reason"].astype("object"))
    frame["reason"] = frame["reason"].where(frame["reason"].notna(), None)
    frame = frame.sort_values(["leads", "reason"], ascending=[False, True], ignore_index=True)
    total = int(frame["leads"].sum())
    frame["share"] = frame["leads"] / total if total else 0.0
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame


def stalled(
    leads: pd.DataFrame, changes: pd.DataFrame, usual_days: dict[str, float], as_of: datetime
) -> pd.DataFrame:
    """Open leads in a stage longer than that stage's usual days, longest over first."""
    open_ids = set(leads.loc[~leads["stage"].isin([WON, LOST]), "id"])
    now = stays(changes[changes["lead_id"].isin(open_ids)], as_of)
    now = now[now["left"].isna()]
    now = now.assign(usual=now["stage"].map(usual_days))
    over = now[now["usual"].notna() & (now["days"] > now["usual"])]
    over = over.assign(over_days=over["days"] - over["usual"])
    over = over.sort_values("over_days", ascending=False, ignore_index=True)
    return over[["lead_id", "stage", "entered", "days", "usual", "over_days"]]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
