"""Customer value for every customer: the SQL that feeds the analytics, and their joined answers.

One table answers the four questions of the 360 (worth over the lifetime, loyalty,
profitability, churn risk) and feeds the list's tier and RFM filters. It is computed for all
customers at once, because tiers and RFM quintiles are relative to the whole customer base.

Days are the team's: order times (stored UTC) are turned into the team's time zone before any
analytic counts days, so an order at 06:00 in Jakarta is that day, not the evening before. A
table "as of" a chosen day (`as_of_day`) ends at that day's local midnight.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, String, and_, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.analytics.churn import churn_risk, order_windows, purchase_rhythm
from crm_core.analytics.clv import (
    ClvSettings,
    GammaGammaParams,
    NotEnoughHistory,
    ParetoNbdParams,
    fit_gamma_gamma,
    fit_pareto_nbd,
    historical_clv,
    predict_clv,
    predict_purchases,
    quiet_weeks_until_unlikely,
    rfm_summary,
)
from crm_core.analytics.profitability import CostToServe, margin_rate, profitability_with
from crm_core.analytics.rfm import RfmCuts, rfm_cuts, rfm_scores
from crm_core.analytics.value_tiers import most_valuable_cutoff, value_tiers
from crm_core.kernel.frames import count_per, driver_rows
from crm_core.kernel.messages import msg, to_json
from crm_core.kernel.permissions import Actor, sees_amounts
from crm_core.kernel.settings import ValueSettings, team_settings
from crm_core.models import Customer, Interaction, Order, OrderItem
from crm_core.models.enums import LifecycleStage, OrderStatus
from crm_core.service import read as service_read

VALUE_COLUMNS = [
    "gross_revenue", "discounts", "cogs", "net_revenue", "gross_margin", "cost_to_serve",
    "profit", "orders", "average_order_value", "first_order_at", "last_order_at",
    "tickets", "interactions", "historical_clv", "predicted_clv", "predicted_purchases",
    "p_alive", "value_tier", "tier_reason", "r_score", "f_score", "m_score", "rfm_segment",
    "segment_reason", "segment_detail", "churn_risk", "risk_band", "risk_reason",
    "risk_detail", "days_since_last_order", "usual_gap_days",
]  # fmt: skip


NO_PURCHASES = "No purchases yet"  # the risk band of who never bought (label risk_band.<it>)


@dataclass(frozen=True)
class ValueTable:
    """One row per customer (index customer_id) with VALUE_COLUMNS; `clv_note` says why
    predicted CLV is missing when the history cannot support the model."""

    frame: pd.DataFrame
    as_of: datetime
    clv_note: str | None
    time_zone: str = "UTC"  # the zone whose days the figures count


def last_quarter_end(day: date) -> date:
    """The last day of the quarter before the one `day` is in (30 September for any day of
    October to December): the day whose tiers the full refresh stores, to compare with."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    return date(day.year, first_month, 1) - timedelta(days=1)


def as_of_day(day: date, zone: str) -> datetime:
    """The moment the value figures "as of `day`" describe: the end of that day in the team's
    time zone (the next local midnight), as naive UTC like the stored times. Orders placed
    that day count; the models are calibrated to it."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone))
    return midnight.astimezone(UTC).replace(tzinfo=None)


def local_times(stamps: pd.Series, zone: str) -> pd.Series:
    """Naive UTC times as naive wall-clock times of `zone` (what analytics counts days in)."""
    if stamps.empty:
        return stamps
    local = pd.to_datetime(stamps).dt.tz_localize("UTC").dt.tz_convert(zone)
    return local.dt.tz_localize(None)


def _local_moment(as_of: datetime, zone: str) -> pd.Timestamp:
    """`as_of` (naive UTC, exclusive) as the last local instant it covers."""
    stamp = pd.Timestamp(as_of).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    return stamp - pd.Timedelta(microseconds=1)


def sold_orders(as_of: datetime) -> ColumnElement[bool]:
    """Orders that count as sales: completed, not deleted, placed before `as_of`."""
    return and_(
        Order.status == OrderStatus.COMPLETED,
        Order.deleted_at.is_(None),
        Order.ordered_at < as_of,
    )


def _cents(column: Any) -> ColumnElement[int]:
    """An amount of the Money scale as whole hundredths (exact on every engine)."""
    return cast(func.round(column * 100), BigInteger)


def _line_sum(column: Any) -> Any:
    """The order's lines' quantity x `column`, in hundredths: for an order with no summary."""
    cents = cast(func.sum(OrderItem.quantity * _cents(column)), BigInteger)
    return select(cents).where(OrderItem.order_id == Order.id).scalar_subquery()


def order_cents() -> tuple[Any, Any]:
    """An order's lines' gross and cost in hundredths, from its summary (an order written
    around the write path has none: its lines are summed); None for an order with no lines.
    COALESCE evaluates the subquery only when the summary is missing (both engines)."""
    return (
        func.coalesce(Order.gross_cents, _line_sum(OrderItem.unit_price)),
        func.coalesce(Order.cost_cents, _line_sum(OrderItem.unit_cost)),
    )


# A sold order as the driver returns it; the time is text on SQLite, a datetime on PostgreSQL.
_ORDER_ROW = np.dtype(
    [("customer_id", "i8"), ("order_id", "i8"), ("ordered_at", "O"), ("gross", "i8"),
     ("cogs", "i8"), ("discount", "i8")]
)  # fmt: skip


def order_amounts(
    session: Session, as_of: datetime, customer_ids: Collection[int] | None = None
) -> pd.DataFrame:
    """Per sold order (of `customer_ids` when given): customer_id, order_id, ordered_at,
    gross, cogs, discount, amount (net).

    The amounts come from the order's summary (`gross_cents`, `cost_cents`, written with it),
    so this reads orders, not lines; an order without one (written around the write path)
    has its lines summed, and an order without lines is no sale. Whole hundredths (exact),
    read through Core with no per-value Decimal nor datetime objects; the amounts become
    float64 for the analytics, exact to the cent.
    """
    gross, cost = order_cents()
    stmt = select(
        Order.customer_id,
        Order.id,
        type_coerce(Order.ordered_at, String),
        gross,
        cost,
        _cents(Order.discount),
    ).where(sold_orders(as_of), gross.is_not(None))  # no lines: no sale
    if customer_ids is not None:
        stmt = stmt.where(Order.customer_id.in_(list(customer_ids)))
    # One pass in C from the driver's tuples to columns: transposing 0.4 M orders in Python
    # (zip, then an array per column) took 0.5-0.7 s, a fifth of a full refresh.
    table = np.array(driver_rows(session, stmt), dtype=_ORDER_ROW)
    frame = pd.DataFrame(
        {
            "customer_id": table["customer_id"],
            "order_id": table["order_id"],
            "ordered_at": pd.to_datetime(pd.Series(table["ordered_at"]), format="ISO8601")
            if len(table)
            else pd.Series([], dtype="datetime64[ns]"),
            "gross": table["gross"] / 100,
            "cogs": table["cogs"] / 100,
            "discount": table["discount"] / 100,
        }
    )
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"]).astype("datetime64[ns]")
    frame["amount"] = frame["gross"] - frame["discount"]
    return frame


def value_inputs(
    session: Session,
    as_of: datetime,
    orders: pd.DataFrame,
    customer_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The `customer_value_inputs` of crm_core.analytics: one row per non-deleted customer
    (of `customer_ids` when given)."""
    # the stage as its stored text: no enum object per customer
    stage = type_coerce(Customer.lifecycle_stage, String)
    who = select(Customer.id, stage).where(Customer.deleted_at.is_(None))
    if customer_ids is not None:
        who = who.where(Customer.id.in_(list(customer_ids)))
    people = driver_rows(session, who)  # plain tuples: no result row per customer
    ids = [row[0] for row in people]
    per_customer = orders.groupby("customer_id").agg(
        gross_revenue=("gross", "sum"),
        discounts=("discount", "sum"),
        cogs=("cogs", "sum"),
        orders=("order_id", "count"),
        first_order_at=("ordered_at", "min"),
        last_order_at=("ordered_at", "max"),
    )
    inputs = per_customer.reindex(pd.Index(ids, name="customer_id"))
    for column in ("gross_revenue", "discounts", "cogs"):
        inputs[column] = inputs[column].fillna(0.0)
    inputs["orders"] = inputs["orders"].fillna(0).astype("int64")
    tickets = service_read.ticket_counts(session, as_of, customer_ids)
    touches = count_per(
        session, Interaction.customer_id, Interaction.occurred_at, as_of, customer_ids
    )
    inputs["tickets"] = tickets.reindex(inputs.index).fillna(0).astype("int64")
    inputs["interactions"] = touches.reindex(inputs.index).fillna(0).astype("int64")
    stages = pd.Series([row[1] for row in people], index=inputs.index, dtype="object")
    inputs["lifecycle_stage"] = stages
    return inputs.reset_index()


_PREDICTED = ["predicted_clv", "predicted_purchases", "p_alive"]


@dataclass(frozen=True)
class _Prediction:
    frame: pd.DataFrame  # index customer_id, _PREDICTED columns (predicted_clv may be NaN)
    note: str | None  # why a figure is missing (a message code as JSON text)
    quiet_days: float | None  # how long a one-order customer stays "more likely alive"


@dataclass(frozen=True)
class Population:
    """The parts of the value figures that belong to the whole customer base, kept so that a
    few changed customers can be scored without the base: the Most Valuable cut-off, the RFM
    quintile boundaries, the margin rate and the Pareto/NBD and Gamma-Gamma fits."""

    tier_cutoff: float
    rfm: RfmCuts | None
    margin_rate: float
    pareto: ParetoNbdParams | None
    gamma_gamma: GammaGammaParams | None
    note: str | None  # why predicted CLV is missing (a message code as JSON text)
    quiet_days: float | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (no infinities: PostgreSQL's json refuses them)."""
        out: dict[str, Any] = _jsonable(asdict(self))
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Population:
        data = _unjsonable(data)
        rfm = data.get("rfm")
        pareto, gamma = data.get("pareto"), data.get("gamma_gamma")
        return cls(
            tier_cutoff=float(data["tier_cutoff"]),
            rfm=RfmCuts(**{k: tuple(v) for k, v in rfm.items()}) if rfm else None,
            margin_rate=float(data["margin_rate"]),
            pareto=ParetoNbdParams(**pareto) if pareto else None,
            gamma_gamma=GammaGammaParams(**gamma) if gamma else None,
            note=data.get("note"),
            quiet_days=data.get("quiet_days"),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": str(value)}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _unjsonable(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    if isinstance(value, dict):
        return {k: _unjsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class _Fit:
    pareto: ParetoNbdParams | None
    gamma_gamma: GammaGammaParams | None
    margin_rate: float
    note: str | None
    quiet_days: float | None


def _fit(summary: pd.DataFrame, inputs: pd.DataFrame) -> _Fit:
    """Pareto/NBD for purchases and P(alive), Gamma-Gamma for spend: each may fail alone, so a
    history with too few repeat amounts still gets P(alive)."""
    rate = margin_rate(inputs)
    if np.isnan(rate):
        return _Fit(None, None, rate, to_json(msg("clv.no_sales")), None)
    try:
        model = fit_pareto_nbd(summary)
    except NotEnoughHistory as reason:
        return _Fit(None, None, rate, to_json(reason.reason), None)
    quiet = quiet_weeks_until_unlikely(model) * 7
    quiet_days = quiet if np.isfinite(quiet) else None
    try:
        gamma_gamma = fit_gamma_gamma(summary)
    except NotEnoughHistory as reason:
        return _Fit(model, None, rate, to_json(reason.reason), quiet_days)
    return _Fit(model, gamma_gamma, rate, None, quiet_days)


def _predicted(summary: pd.DataFrame, fit: _Fit, settings: ValueSettings) -> _Prediction:
    empty = pd.DataFrame(columns=_PREDICTED)
    if fit.pareto is None:
        return _Prediction(empty, fit.note, None)
    if fit.gamma_gamma is None:
        out = predict_purchases(summary, fit.pareto, settings.clv_horizon_days)
        out["predicted_clv"] = np.nan
        return _Prediction(out.set_index("customer_id")[_PREDICTED], fit.note, fit.quiet_days)
    clv_settings = ClvSettings(
        margin_rate=min(max(fit.margin_rate, 0.0), 1.0),
        horizon_days=settings.clv_horizon_days,
        discount_rate_annual=settings.discount_rate_annual,
    )
    out = predict_clv(summary, fit.pareto, fit.gamma_gamma, clv_settings)
    return _Prediction(out.set_index("customer_id")[_PREDICTED], None, fit.quiet_days)


def _churn(
    inputs: pd.DataFrame,
    prediction: _Prediction,
    orders: pd.DataFrame,
    rfm: pd.DataFrame,
    tickets: pd.DataFrame,
    stamp: pd.Timestamp,
    window_days: int,
) -> pd.DataFrame:
    index = inputs["customer_id"]
    signals = pd.DataFrame(index=pd.Index(index, name="customer_id"))
    signals["p_alive"] = prediction.frame["p_alive"].reindex(signals.index).astype("float64")
    windows = order_windows(orders, stamp, window_days).reindex(signals.index).fillna(0)
    signals = signals.join(windows.astype("int64"))
    ticket_frame = tickets.reindex(signals.index)
    signals["tickets_last_90d"] = ticket_frame["tickets_last"].fillna(0).astype("int64")
    signals["tickets_prev_90d"] = ticket_frame["tickets_prev"].fillna(0).astype("int64")
    signals["avg_csat"] = ticket_frame["avg_csat"]
    signals["sla_breaches_last_90d"] = ticket_frame["sla_breaches"].fillna(0).astype("int64")
    rhythm = purchase_rhythm(orders, stamp, prediction.quiet_days).set_index("customer_id")
    signals = signals.join(rhythm)
    signals["rfm_segment"] = rfm["rfm_segment"].reindex(signals.index)
    stages = inputs.set_index("customer_id")["lifecycle_stage"].reindex(signals.index)
    signals["marked_churned"] = (stages == LifecycleStage.CHURNED.value).to_numpy()
    risk = churn_risk(signals.reset_index(), window_days=window_days).set_index("customer_id")
    risk = risk[["risk", "risk_band", "risk_reason", "risk_detail"]].rename(
        columns={"risk": "churn_risk"}
    )
    risk = risk.join(rhythm[["days_since_last_order", "usual_gap_days"]])
    # Churn is leaving after buying: someone who never bought has nothing to leave yet.
    never = inputs.set_index("customer_id")["orders"].reindex(risk.index) == 0
    risk.loc[never, "churn_risk"] = np.nan
    risk.loc[never, "risk_band"] = NO_PURCHASES
    risk.loc[never, "risk_reason"] = to_json(msg("churn.never_bought"))
    risk.loc[never, "risk_detail"] = to_json(msg("churn.never_bought"))
    return risk


def customer_values(
    session: Session, as_of: datetime, settings: ValueSettings, zone: str | None = None
) -> ValueTable:
    """Every non-deleted customer's value, loyalty, profitability and churn risk at `as_of`
    (naive UTC; orders before it count), counting days in `zone` (default: the team's).

    Reasons are message codes whose amounts are numbers: the page writes them in its reader's
    language and the team's currency, so neither a language nor a currency needs a new table.
    Each answer has a worded reason (`tier_reason`, `segment_reason`, `risk_reason`) and, for
    RFM and churn, the formula behind it (`segment_detail`, `risk_detail`).
    """
    return values_and_population(session, as_of, settings, zone)[0]


def values_and_population(
    session: Session, as_of: datetime, settings: ValueSettings, zone: str | None = None
) -> tuple[ValueTable, Population]:
    """`customer_values` and the population parts it fitted (what a full refresh keeps)."""
    return _values(session, as_of, settings, zone or team_settings(session).time_zone)


def values_and_tiers_on(
    session: Session, as_of: datetime, day: date, settings: ValueSettings, zone: str
) -> tuple[ValueTable, Population, pd.Series]:
    """`values_and_population` at `as_of` and `tiers_as_of(day)` for a `day` before it, from
    one read of the orders: those of the day are the same rows cut at its end (the full
    refresh stores both; reading the orders twice was a fifth of its time)."""
    orders = order_amounts(session, as_of)
    table, population = _values(session, as_of, settings, zone, orders=orders)
    before = as_of_day(day, zone)
    assert before <= as_of, (day, as_of)
    kept = orders[orders["ordered_at"] < before].reset_index(drop=True)
    return table, population, _tiers_at(session, before, settings, kept)


def values_of(
    session: Session,
    customer_ids: Collection[int],
    as_of: datetime,
    settings: ValueSettings,
    population: Population,
    other_profits: np.ndarray,
    zone: str | None = None,
) -> ValueTable:
    """The value rows of `customer_ids` alone (those not deleted), scored against a base fitted
    before (`population`) and ranked among `other_profits` (the profits of the base's other
    buyers): what an incremental refresh writes for the customers that changed."""
    zone = zone or team_settings(session).time_zone
    table, _ = _values(
        session, as_of, settings, zone, list(customer_ids), population, other_profits
    )
    return table


def _profitability(
    session: Session,
    as_of: datetime,
    settings: ValueSettings,
    customer_ids: list[int] | None = None,
    orders: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The orders (read unless given: `order_amounts` at `as_of`), the value inputs and each
    customer's profitability at `as_of`."""
    if orders is None:
        orders = order_amounts(session, as_of, customer_ids)
    inputs = value_inputs(session, as_of, orders, customer_ids)
    costs = CostToServe(settings.cost_per_ticket, settings.cost_per_interaction)
    return orders, inputs, profitability_with(inputs, costs)


def _tiered(
    profitability: pd.DataFrame,
    settings: ValueSettings,
    population: Population | None = None,
    other_profits: np.ndarray | None = None,
) -> tuple[pd.DataFrame, float]:
    """The tiers and the Most Valuable cut-off: this population's, or a kept one's."""
    if population is None:
        bought = profitability["orders"].fillna(0).to_numpy() > 0
        cutoff = most_valuable_cutoff(
            profitability["profit"].astype("float64")[bought], settings.top_profit_share
        )
        return value_tiers(profitability, settings.top_profit_share, cutoff=cutoff), cutoff
    cutoff = population.tier_cutoff
    tiers = value_tiers(
        profitability, settings.top_profit_share, cutoff=cutoff, other_profits=other_profits
    )
    return tiers, cutoff


def _values(
    session: Session,
    as_of: datetime,
    settings: ValueSettings,
    zone: str,
    customer_ids: list[int] | None = None,
    population: Population | None = None,
    other_profits: np.ndarray | None = None,
    orders: pd.DataFrame | None = None,
) -> tuple[ValueTable, Population]:
    orders, inputs, profitability = _profitability(session, as_of, settings, customer_ids, orders)
    local = orders.assign(ordered_at=local_times(orders["ordered_at"], zone))
    stamp = _local_moment(as_of, zone)
    tiers, cutoff = _tiered(profitability, settings, population, other_profits)
    frame = tiers.set_index("customer_id").drop(columns=["lifecycle_stage"])
    history = historical_clv(inputs).set_index("customer_id")
    frame["historical_clv"] = history["historical_gross_margin"]
    scoring = local[["customer_id", "order_id", "ordered_at", "amount"]]
    rfm = rfm_scores(scoring, stamp, population.rfm if population is not None else None)
    cuts = rfm_cuts(rfm) if population is None else population.rfm
    rfm = rfm.set_index("customer_id")
    frame = frame.join(
        rfm[["r_score", "f_score", "m_score", "rfm_segment", "segment_reason", "segment_detail"]]
    )
    summary = (
        rfm_summary(local[["customer_id", "ordered_at", "amount"]], stamp)
        if not local.empty
        else pd.DataFrame(columns=["customer_id", "frequency", "recency", "T", "monetary_value"])
    )
    if population is None:
        fit = _fit(summary, inputs)
    else:
        fit = _Fit(
            population.pareto,
            population.gamma_gamma,
            population.margin_rate,
            population.note,
            population.quiet_days,
        )
    prediction = _predicted(summary, fit, settings)
    frame = frame.join(prediction.frame)
    tickets = service_read.ticket_signals(session, as_of, settings.churn_window_days, customer_ids)
    frame = frame.join(
        _churn(inputs, prediction, local, rfm, tickets, stamp, settings.churn_window_days)
    )
    for column in VALUE_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    kept = Population(
        cutoff,
        cuts,
        fit.margin_rate,
        fit.pareto,
        fit.gamma_gamma,
        fit.note,
        fit.quiet_days,
    )
    table = ValueTable(frame=frame[VALUE_COLUMNS], as_of=as_of, clv_note=fit.note, time_zone=zone)
    return table, kept


def customer_values_as_of(
    session: Session, day: date, settings: ValueSettings, zone: str | None = None
) -> ValueTable:
    """The value figures as they stood at the end of `day` in the team's time zone: what a
    team that imported its history looks at to see the models calibrated to that date."""
    zone = zone or team_settings(session).time_zone
    return customer_values(session, as_of_day(day, zone), settings, zone)


def tiers_as_of(
    session: Session, day: date, settings: ValueSettings, zone: str | None = None
) -> pd.Series:
    """Each customer's value tier as it stood at the end of `day` (a tier migration's first
    date): the tiers of `customer_values_as_of` without what they do not need (the RFM
    quintiles, the Pareto/NBD fit, churn risk), half of its time at 100,000 customers."""
    return _tiers_at(session, as_of_day(day, zone or team_settings(session).time_zone), settings)


def _tiers_at(
    session: Session, as_of: datetime, settings: ValueSettings, orders: pd.DataFrame | None = None
) -> pd.Series:
    profitability = _profitability(session, as_of, settings, orders=orders)[2]
    tiers, _cutoff = _tiered(profitability, settings)
    return tiers.set_index("customer_id")["value_tier"]


# The figures that are amounts of money: read only by who `sees_amounts` (the matrix); the
# others read the tier, the segment and the risk, which say what to do, not what it is worth.
AMOUNT_COLUMNS = ("net_revenue", "gross_margin", "cost_to_serve", "profit", "discounts", "cogs",
                  "average_order_value", "historical_clv", "predicted_clv",
                  # reasons that quote an amount ("profit Rp 140K ranks 1 of 1")
                  "tier_reason", "segment_reason", "segment_detail")  # fmt: skip


def amounts_for(actor: Actor, owner_id: int | None, figures: pd.Series) -> pd.Series:
    """One customer's figures as the actor may read them: the amounts blanked unless the
    matrix lets the actor read this customer's amounts."""
    if sees_amounts(actor, owner_id):
        return figures
    hidden = [c for c in AMOUNT_COLUMNS if c in figures.index]
    return figures.astype(object).where(~figures.index.isin(hidden), float("nan"))
