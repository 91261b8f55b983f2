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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from crm_core.analytics._common import N_, msgn, require_columns

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
) -> pd.DataFrame:
    """Churn risk per customer.

    Input: SIGNAL_COLUMNS (p_alive and avg_csat may be NaN). Output columns: customer_id,
    risk (0..1, NaN only if nothing is known), risk_band (RiskBand values), risk_reason
    (every signal with its weight and contribution, largest first), and per signal
    `signal_<name>` (0..1) and `contribution_<name>` (signal x effective weight).
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

    out = pd.DataFrame({"customer_id": signals["customer_id"].to_numpy()}, index=signals.index)
    out["risk"] = risk.astype("float64")
    out["risk_band"] = pd.Series(_bands(risk.to_numpy(), bands), index=signals.index, dtype="str")
    texts = _reasons(signals, scaled, effective, contributions)  # plain list: O(1) item writes
    floors, sums = floor.tolist(), weighted.tolist()
    for row in np.flatnonzero(lapsed.to_numpy()):
        parts = texts[row].removeprefix(_SIGNALS_OPEN)
        texts[row] = f'["{_LAPSED}",{{"floor":{floors[row]:.4g},"weighted":{sums[row]:.4g},{parts}'
    out["risk_reason"] = pd.Series(texts, index=signals.index, dtype="str")
    for name in SIGNALS:
        out[f"signal_{name}"] = scaled[name]
        out[f"contribution_{name}"] = contributions[name].where(known[name])
    return out.reset_index(drop=True)


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
