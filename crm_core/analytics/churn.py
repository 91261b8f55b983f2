"""Churn risk: five warning signals per customer, weighted into one 0..1 score with reasons.

Each signal is scaled to 0 (no warning) .. 1 (full warning):

| signal         | from                               | scaled as                            |
|----------------|------------------------------------|--------------------------------------|
| inactive       | p_alive (CLV model)                | 1 - p_alive                          |
| falling_orders | orders_last_90d, orders_prev_90d   | relative drop (prev - last) / prev   |
| rising_tickets | tickets_last_90d, tickets_prev_90d | relative rise, full at +100%         |
| low_csat       | avg_csat, 1..5                     | (3.5 - csat) / 2.5, 0 at 3.5 or more |
| sla_breaches   | sla_breaches_last_90d              | breaches / 3, full at 3 or more      |

A signal that is unknown for a customer (no p_alive, no CSAT rating) is left out and the
other weights are rescaled to sum to 1, so that missing data neither raises nor lowers risk.

A customer the CLV model judges more likely gone than not (P(alive) below 0.5) has a risk of
at least 1 - P(alive): a weighted sum alone would call a long-lapsed buyer with quiet service
history "Medium", which no manager would believe.

The answer must agree with the customer's other answers, so three guards raise it further:
a customer long past their own usual gap between orders (`overdue_after_days`, see
`purchase_rhythm`), or in a lapsed RFM segment, is at least Medium; one whose lifecycle stage
says churned is High. `risk_reason` says why in a salesperson's words ("Bought once, 458 days
ago; customers like this rarely come back after 4 months."); `risk_detail` keeps the formula
(every signal with its weight and part).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from crm_core.analytics._common import N_, msgn, require_columns, to_timestamp
from crm_core.analytics.rfm import LAPSED_SEGMENTS

SIGNAL_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "p_alive",
    "orders_last_90d",
    "orders_prev_90d",
    "tickets_last_90d",
    "tickets_prev_90d",
    "avg_csat",
    "sla_breaches_last_90d",
)
CSAT_THRESHOLD = 3.5  # below this average rating (of 5) a customer is unhappy
CSAT_FLOOR = 1.0
SLA_BREACHES_FOR_FULL_SIGNAL = 3
LAPSED_BELOW = 0.5  # P(alive) under this: the model thinks the customer has more likely left
OVERDUE_FACTOR = 2.0  # quiet for more than twice one's usual gap between orders: overdue
ONE_ORDER_QUIET_DAYS = 180.0  # without a model, a one-order customer quiet this long is overdue
DAYS_PER_MONTH = 30.4375
# Optional inputs of churn_risk: what the guards and the worded reason read.
RHYTHM_COLUMNS: tuple[str, ...] = (
    "orders_total",
    "days_since_last_order",
    "usual_gap_days",
    "overdue_after_days",
)
SIGNALS: tuple[str, ...] = (
    "inactive",
    "falling_orders",
    "rising_tickets",
    "low_csat",
    "sla_breaches",
)


@dataclass(frozen=True)
class ChurnWeights:
    """Weight of each signal; they must sum to 1.

    Defaults: the model's P(alive) carries most (40%), as it already summarises purchase
    timing; falling orders 25%; low satisfaction 15%; rising tickets and SLA breaches 10%
    each, since service trouble often precedes leaving but is noisier.
    """

    inactive: float = 0.40
    falling_orders: float = 0.25
    rising_tickets: float = 0.10
    low_csat: float = 0.15
    sla_breaches: float = 0.10

    def __post_init__(self) -> None:
        values = asdict(self).values()
        if any(value < 0 for value in values):
            raise ValueError("Churn weights cannot be negative")
        if not np.isclose(sum(values), 1.0, atol=1e-6):
            raise ValueError(f"Churn weights must sum to 1, not {sum(values):.4f}")


@dataclass(frozen=True)
class RiskBands:
    """Risk from `medium_from` on is Medium, from `high_from` on High."""

    medium_from: float = 0.30
    high_from: float = 0.60


class RiskBand(StrEnum):
    """Churn risk bands; Unknown only when every weighted signal is missing."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    UNKNOWN = "Unknown"


def churn_signals(signals: pd.DataFrame) -> pd.DataFrame:
    """The five signals scaled to 0..1 (NaN where unknown), one column per SIGNALS name."""
    require_columns(signals, SIGNAL_COLUMNS, "churn signals")
    p_alive = signals["p_alive"].astype("float64")
    orders_prev = signals["orders_prev_90d"].astype("float64")
    orders_last = signals["orders_last_90d"].astype("float64")
    tickets_prev = signals["tickets_prev_90d"].astype("float64")
    tickets_last = signals["tickets_last_90d"].astype("float64")
    csat = signals["avg_csat"].astype("float64")
    drop = ((orders_prev - orders_last) / orders_prev.where(orders_prev > 0)).fillna(0.0)
    # One new ticket after a quiet quarter counts as a doubling (divide by at least 1).
    rise = (tickets_last - tickets_prev) / tickets_prev.clip(lower=1)
    return pd.DataFrame(
        {
            "inactive": (1 - p_alive).clip(0, 1),
            "falling_orders": drop.clip(0, 1),
            "rising_tickets": rise.clip(0, 1),
            "low_csat": ((CSAT_THRESHOLD - csat) / (CSAT_THRESHOLD - CSAT_FLOOR)).clip(0, 1),
            "sla_breaches": (
                signals["sla_breaches_last_90d"].astype("float64") / SLA_BREACHES_FOR_FULL_SIGNAL
            ).clip(0, 1),
        },
        index=signals.index,
    )


def churn_risk(
    signals: pd.DataFrame,
    weights: ChurnWeights | None = None,
    bands: RiskBands | None = None,
    window_days: int = 90,
) -> pd.DataFrame:
    """Churn risk per customer.

    Input: SIGNAL_COLUMNS (p_alive and avg_csat may be NaN), and optionally RHYTHM_COLUMNS
    (`purchase_rhythm`), `rfm_segment` (RfmSegment values) and `marked_churned` (bool: the
    lifecycle stage says so), which the guards and the worded reason read.
    Output columns: customer_id, risk (0..1, NaN only if nothing is known), risk_band
    (RiskBand values), risk_reason (sentences a salesperson reads, a message code),
    risk_detail (every signal with its weight and contribution, largest first), and per
    signal `signal_<name>` (0..1) and `contribution_<name>` (signal x effective weight).
    """
    weights = weights or ChurnWeights()
    bands = bands or RiskBands()
    scaled = churn_signals(signals)
    raw = pd.Series(asdict(weights))
    known = scaled.notna()
    known_weight = known.mul(raw, axis="columns").sum(axis="columns")
    effective = known.mul(raw, axis="columns").div(known_weight.where(known_weight > 0), axis=0)
    contributions = scaled.fillna(0.0) * effective
    weighted = contributions.sum(axis="columns", min_count=1).where(known_weight > 0)
    p_alive = signals["p_alive"].astype("float64")
    floor = (1 - p_alive).where(p_alive < LAPSED_BELOW)
    lapsed = floor > weighted.fillna(-1)
    risk = weighted.where(~lapsed, floor)
    overdue, quiet_segment, churned = _guards(signals)
    risk = risk.where(~(overdue | quiet_segment) | (risk >= bands.medium_from), bands.medium_from)
    risk = risk.where(~churned | (risk >= bands.high_from), bands.high_from)

    out = pd.DataFrame({"customer_id": signals["customer_id"].to_numpy()}, index=signals.index)
    out["risk"] = risk.astype("float64")
    out["risk_band"] = pd.Series(_bands(risk.to_numpy(), bands), index=signals.index, dtype="str")
    texts = _reasons(signals, scaled, effective, contributions)  # plain list: O(1) item writes
    floors, sums = floor.tolist(), weighted.tolist()
    for row in np.flatnonzero(lapsed.to_numpy()):
        parts = texts[row].removeprefix(_SIGNALS_OPEN)
        texts[row] = f'["{_LAPSED}",{{"floor":{floors[row]:.4g},"weighted":{sums[row]:.4g},{parts}'
    out["risk_reason"] = pd.Series(
        _worded(signals, scaled, overdue, quiet_segment, churned, window_days),
        index=signals.index,
        dtype="str",
    )
    out["risk_detail"] = pd.Series(texts, index=signals.index, dtype="str")
    for name in SIGNALS:
        out[f"signal_{name}"] = scaled[name]
        out[f"contribution_{name}"] = contributions[name].where(known[name])
    return out.reset_index(drop=True)


def _guards(signals: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Overdue (quiet past overdue_after_days), in a lapsed RFM segment, marked churned."""
    none = pd.Series(False, index=signals.index)
    overdue = none
    if {"days_since_last_order", "overdue_after_days"} <= set(signals.columns):
        days = signals["days_since_last_order"].astype("float64")
        overdue = (days > signals["overdue_after_days"].astype("float64")).fillna(False)
    quiet = none
    if "rfm_segment" in signals.columns:
        quiet = signals["rfm_segment"].isin([segment.value for segment in LAPSED_SEGMENTS])
    churned = none
    if "marked_churned" in signals.columns:
        churned = signals["marked_churned"].fillna(False).astype("bool")
    return overdue.astype("bool"), quiet.astype("bool"), churned


def purchase_rhythm(
    orders: pd.DataFrame,
    as_of: pd.Timestamp,
    one_order_quiet_days: float | None = None,
) -> pd.DataFrame:
    """Each buyer's rhythm up to `as_of`, in calendar days (of the times as given: pass them
    in the team's time zone): orders_total (purchase days), days_since_last_order,
    usual_gap_days (mean days between purchase days; NaN for one purchase day) and
    overdue_after_days: twice the usual gap for a repeat buyer; for a one-day buyer
    `one_order_quiet_days` (how long the CLV model gives such a customer before they are more
    likely gone than not), else ONE_ORDER_QUIET_DAYS.
    """
    require_columns(orders, ("customer_id", "ordered_at"), "orders")
    stamp = to_timestamp(as_of)
    known = orders.loc[orders["ordered_at"] <= stamp, ["customer_id", "ordered_at"]]
    days = known.assign(day=known["ordered_at"].dt.normalize())
    per = days.groupby("customer_id", sort=True)["day"].agg(["min", "max", "nunique"])
    total = per["nunique"].astype("int64")
    span = (per["max"] - per["min"]).dt.days.astype("float64")
    gap = (span / (total - 1).where(total > 1)).astype("float64")
    quiet = ONE_ORDER_QUIET_DAYS if one_order_quiet_days is None else one_order_quiet_days
    return pd.DataFrame(
        {
            "customer_id": per.index.to_numpy(),
            "orders_total": total.to_numpy(),
            "days_since_last_order": (stamp.normalize() - per["max"]).dt.days.to_numpy(
                dtype="int64"
            ),
            "usual_gap_days": gap.to_numpy(),
            "overdue_after_days": (OVERDUE_FACTOR * gap).fillna(quiet).to_numpy(),
        }
    )


def order_windows(orders: pd.DataFrame, as_of: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """Orders per customer in the last `window_days` before `as_of` and in the window before
    (index customer_id; columns orders_last_90d, orders_prev_90d, whatever the window)."""
    stamp = to_timestamp(as_of)
    start = stamp - pd.Timedelta(days=window_days)
    previous = start - pd.Timedelta(days=window_days)
    upto = orders[orders["ordered_at"] <= stamp]
    last = upto[upto["ordered_at"] >= start].groupby("customer_id").size()
    prev_mask = (upto["ordered_at"] >= previous) & (upto["ordered_at"] < start)
    prev = upto[prev_mask].groupby("customer_id").size()
    return (
        pd.DataFrame({"orders_last_90d": last, "orders_prev_90d": prev}).fillna(0).astype("int64")
    )


def _bands(risk: np.ndarray, bands: RiskBands) -> list[str]:
    labels = np.select(
        [np.isnan(risk), risk >= bands.high_from, risk >= bands.medium_from],
        [RiskBand.UNKNOWN.value, RiskBand.HIGH.value, RiskBand.MEDIUM.value],
        default=RiskBand.LOW.value,
    )
    banded: list[str] = labels.tolist()
    return banded


# Reasons are message codes written as JSON text row by row with f-strings: json.dumps of a
# nested message per customer took four times as long at 100,000 customers.
_SIGNALS, _LAPSED = N_("churn.signals"), N_("churn.lapsed")
_SIGNALS_OPEN = f'["{_SIGNALS}",{{'
_CHANGES = {
    "orders": (N_("churn.orders_fell"), N_("churn.orders_rose"), N_("churn.orders_steady")),
    "tickets": (N_("churn.tickets_fell"), N_("churn.tickets_rose"), N_("churn.tickets_steady")),
}


def _reasons(
    signals: pd.DataFrame,
    scaled: pd.DataFrame,
    effective: pd.DataFrame,
    contributions: pd.DataFrame,
) -> list[str]:
    """Each customer's reason: every signal's part, largest contribution first, as the JSON
    text of `["churn.signals",{"parts":[...]}]` (kernel.messages reads it)."""
    facts = {name: _facts(name, signals) for name in SIGNALS}
    # Plain Python floats: numpy scalars row by row are several times slower.
    values = {name: scaled[name].to_numpy().tolist() for name in SIGNALS}
    shares = {name: effective[name].to_numpy().tolist() for name in SIGNALS}
    parts_of = {name: contributions[name].to_numpy().tolist() for name in SIGNALS}
    reasons = []
    for row in range(len(signals)):
        parts: list[tuple[float, str]] = []
        for name in SIGNALS:
            value, share, part = values[name][row], shares[name][row], parts_of[name][row]
            fact = facts[name][row]
            if value != value:  # NaN: the signal is unknown for this customer, not counted
                parts.append((-1.0, f"[{fact}}}]"))
            else:
                said = f'[{fact}"s":{value:.4g},"w":{share:.4g},"c":{part:.4g}}}]'
                parts.append((part, said))
        # Largest contribution first; a stable sort keeps the SIGNALS order among equals.
        parts.sort(key=lambda item: -item[0])
        reasons.append(_SIGNALS_OPEN + '"parts":[' + ",".join(t for _, t in parts) + "]}]")
    return reasons


def _facts(name: str, signals: pd.DataFrame) -> list[str]:
    """The observed fact behind one signal for every customer: the start of its message's
    JSON text, `"code",{"param":value,` (its signal, weight and part are added after)."""
    if name == "inactive":
        known, unknown = N_("churn.p_alive"), N_("churn.p_alive_unknown")
        return [
            f'"{unknown}",{{' if p != p else f'"{known}",{{"p":{p:.4g},'
            for p in signals["p_alive"].to_numpy(dtype="float64").tolist()
        ]
    if name in ("falling_orders", "rising_tickets"):
        noun = "orders" if name == "falling_orders" else "tickets"
        before = signals[f"{noun}_prev_90d"].to_numpy(dtype="int64").tolist()
        after = signals[f"{noun}_last_90d"].to_numpy(dtype="int64").tolist()
        return [_change(noun, b, a) for b, a in zip(before, after, strict=True)]
    if name == "low_csat":
        rated, unrated = N_("churn.csat"), N_("churn.csat_none")
        return [
            f'"{unrated}",{{' if c != c else f'"{rated}",{{"csat":{c:.4g},'
            for c in signals["avg_csat"].to_numpy(dtype="float64").tolist()
        ]
    breaches = msgn("churn.sla_breaches", 0)[0]  # a code with plural forms: "n" is the count
    counts = signals["sla_breaches_last_90d"].to_numpy(dtype="int64").tolist()
    return [f'"{breaches}",{{"n":{n},' for n in counts]


def _change(noun: str, before: int, after: int) -> str:
    fell, rose, steady = _CHANGES[noun]
    if after < before:
        return f'"{fell}",{{"before":{before},"after":{after},'
    if after > before:
        return f'"{rose}",{{"before":{before},"after":{after},'
    return f'"{steady}",{{"after":{after},'


# The worded reason: sentences joined by spaces, `["churn.why",{"parts":[...]}]`.
_WHY = N_("churn.why")
_ONCE_LAPSED, _ONCE_RECENT = msgn("churn.once_lapsed", 0)[0], msgn("churn.once_recent", 0)[0]
_OVERDUE, _ON_SCHEDULE = msgn("churn.overdue", 0)[0], msgn("churn.on_schedule", 0)[0]
_CHANCE = N_("churn.chance_alive")
_FEWER, _MORE_TICKETS = N_("churn.fewer_orders"), N_("churn.more_tickets")
_UNHAPPY, _SLA_MISSED = N_("churn.unhappy"), msgn("churn.sla_missed", 0)[0]
_QUIET_SEGMENT, _MARKED = N_("churn.quiet_segment"), N_("churn.marked_churned")
_NOTHING, _MONTHS = N_("churn.nothing_warns"), msgn("churn.months", 0)[0]


def _column(signals: pd.DataFrame, name: str) -> list[float]:
    if name not in signals.columns:
        return [float("nan")] * len(signals)
    values: list[float] = signals[name].to_numpy(dtype="float64").tolist()
    return values


def _worded(
    signals: pd.DataFrame,
    scaled: pd.DataFrame,
    overdue: pd.Series,
    quiet_segment: pd.Series,
    churned: pd.Series,
    window_days: int,
) -> list[str]:
    """Each customer's reason in words (message codes as JSON text, written with f-strings:
    json.dumps per customer is several times slower at 100,000 customers)."""
    total, since = _column(signals, "orders_total"), _column(signals, "days_since_last_order")
    gap, after = _column(signals, "usual_gap_days"), _column(signals, "overdue_after_days")
    p_alive = _column(signals, "p_alive")
    warn = {name: scaled[name].to_numpy().tolist() for name in SIGNALS}
    counts = {
        column: signals[column].to_numpy(dtype="int64").tolist()
        for column in ("orders_prev_90d", "orders_last_90d", "tickets_prev_90d",
                       "tickets_last_90d", "sla_breaches_last_90d")
    }  # fmt: skip
    csat = _column(signals, "avg_csat")
    segments = (
        signals["rfm_segment"].astype("object").tolist()
        if "rfm_segment" in signals.columns
        else [None] * len(signals)
    )
    late, quiet, marked = overdue.tolist(), quiet_segment.tolist(), churned.tolist()
    w = window_days
    texts = []
    for row in range(len(signals)):
        parts = []
        days = since[row]
        if days == days and total[row] == 1:
            months = max(1, round(after[row] / DAYS_PER_MONTH)) if after[row] == after[row] else 6
            code = _ONCE_LAPSED if late[row] else _ONCE_RECENT
            said = f'["{_MONTHS}",{{"n":{months}}}]'
            parts.append(f'["{code}",{{"n":{int(days)},"months":{said}}}]')
        elif days == days and gap[row] == gap[row]:
            code = _OVERDUE if late[row] else _ON_SCHEDULE
            parts.append(f'["{code}",{{"n":{int(days)},"gap":{max(1, round(gap[row]))}}}]')
        elif p_alive[row] == p_alive[row]:
            parts.append(f'["{_CHANCE}",{{"p":{p_alive[row]:.4g}}}]')
        if warn["falling_orders"][row] > 0:
            before, now = counts["orders_prev_90d"][row], counts["orders_last_90d"][row]
            parts.append(f'["{_FEWER}",{{"before":{before},"after":{now},"window":{w}}}]')
        if warn["rising_tickets"][row] > 0:
            before, now = counts["tickets_prev_90d"][row], counts["tickets_last_90d"][row]
            parts.append(f'["{_MORE_TICKETS}",{{"before":{before},"after":{now},"window":{w}}}]')
        if warn["low_csat"][row] > 0:
            parts.append(f'["{_UNHAPPY}",{{"csat":{csat[row]:.4g}}}]')
        if warn["sla_breaches"][row] > 0:
            n = counts["sla_breaches_last_90d"][row]
            parts.append(f'["{_SLA_MISSED}",{{"n":{n},"window":{w}}}]')
        if quiet[row] and not late[row]:
            parts.append(f'["{_QUIET_SEGMENT}",{{"segment":["rfm_segment.{segments[row]}"]}}]')
        if marked[row]:
            parts.append(f'["{_MARKED}"]')
        if not parts:
            parts.append(f'["{_NOTHING}"]')
        texts.append(f'["{_WHY}",{{"parts":[' + ",".join(parts) + "]}]")
    return texts
