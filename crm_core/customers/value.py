"""Customer value for every customer: the SQL that feeds the analytics, and their joined answers.

One table answers the four questions of the 360 (worth over the lifetime, loyalty,
profitability, churn risk) and feeds the list's tier and RFM filters. It is computed for all
customers at once, because tiers and RFM quintiles are relative to the whole customer base.

Days are the team's: order times (stored UTC) are turned into the team's time zone before any
analytic counts days, so an order at 06:00 in Jakarta is that day, not the evening before. A
table "as of" a chosen day (`as_of_day`) ends at that day's local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from crm_core.analytics.churn import churn_risk, order_windows, purchase_rhythm
from crm_core.analytics.clv import (
    ClvSettings,
    NotEnoughHistory,
    fit_gamma_gamma,
    fit_pareto_nbd,
    historical_clv,
    predict_clv,
    predict_purchases,
    quiet_weeks_until_unlikely,
    rfm_summary,
)
from crm_core.analytics.profitability import CostToServe, margin_rate, profitability_with
from crm_core.analytics.rfm import rfm_scores
from crm_core.analytics.value_tiers import value_tiers
from crm_core.kernel.frames import count_per, query_frame
from crm_core.kernel.messages import msg, to_json
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


def order_amounts(session: Session, as_of: datetime) -> pd.DataFrame:
    """Per sold order: customer_id, order_id, ordered_at, gross, cogs, discount, amount (net)."""
    stmt = (
        select(
            Order.customer_id,
            Order.id.label("order_id"),
            Order.ordered_at,
            func.sum(OrderItem.quantity * OrderItem.unit_price).label("gross"),
            func.sum(OrderItem.quantity * OrderItem.unit_cost).label("cogs"),
            Order.discount,
        )
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(sold_orders(as_of))
        .group_by(Order.id, Order.customer_id, Order.ordered_at, Order.discount)
    )
    columns = ["customer_id", "order_id", "ordered_at", "gross", "cogs", "discount"]
    frame = query_frame(session, stmt, columns)
    for column in ("gross", "cogs", "discount"):
        frame[column] = frame[column].astype("float64")
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    frame["amount"] = frame["gross"] - frame["discount"]
    return frame


def value_inputs(session: Session, as_of: datetime, orders: pd.DataFrame) -> pd.DataFrame:
    """The `customer_value_inputs` of crm_core.analytics: one row per non-deleted customer."""
    people = session.execute(
        select(Customer.id, Customer.lifecycle_stage).where(Customer.deleted_at.is_(None))
    ).all()
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
    tickets = service_read.ticket_counts(session, as_of)
    touches = count_per(session, Interaction.customer_id, Interaction.occurred_at, as_of)
    inputs["tickets"] = tickets.reindex(inputs.index).fillna(0).astype("int64")
    inputs["interactions"] = touches.reindex(inputs.index).fillna(0).astype("int64")
    stages = pd.Series([_stage(row[1]) for row in people], index=inputs.index, dtype="object")
    inputs["lifecycle_stage"] = stages
    return inputs.reset_index()


def _stage(value: object) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


_PREDICTED = ["predicted_clv", "predicted_purchases", "p_alive"]


@dataclass(frozen=True)
class _Prediction:
    frame: pd.DataFrame  # index customer_id, _PREDICTED columns (predicted_clv may be NaN)
    note: str | None  # why a figure is missing (a message code as JSON text)
    quiet_days: float | None  # how long a one-order customer stays "more likely alive"


def _predicted(
    orders: pd.DataFrame, inputs: pd.DataFrame, stamp: pd.Timestamp, settings: ValueSettings
) -> _Prediction:
    """Pareto/NBD for purchases and P(alive), Gamma-Gamma for spend: each may fail alone, so a
    history with too few repeat amounts still gets P(alive)."""
    empty = pd.DataFrame(columns=_PREDICTED)
    rate = margin_rate(inputs)
    if np.isnan(rate):
        return _Prediction(empty, to_json(msg("clv.no_sales")), None)
    summary = rfm_summary(orders[["customer_id", "ordered_at", "amount"]], stamp)
    try:
        model = fit_pareto_nbd(summary)
    except NotEnoughHistory as reason:
        return _Prediction(empty, to_json(reason.reason), None)
    quiet = quiet_weeks_until_unlikely(model) * 7
    quiet_days = quiet if np.isfinite(quiet) else None
    clv_settings = ClvSettings(
        margin_rate=min(max(rate, 0.0), 1.0),
        horizon_days=settings.clv_horizon_days,
        discount_rate_annual=settings.discount_rate_annual,
    )
    try:
        gamma_gamma = fit_gamma_gamma(summary)
    except NotEnoughHistory as reason:
        out = predict_purchases(summary, model, settings.clv_horizon_days)
        out["predicted_clv"] = np.nan
        return _Prediction(out.set_index("customer_id")[_PREDICTED], to_json(reason.reason),
                           quiet_days)  # fmt: skip
    out = predict_clv(summary, model, gamma_gamma, clv_settings)
    return _Prediction(out.set_index("customer_id")[_PREDICTED], None, quiet_days)


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
    zone = zone or team_settings(session).time_zone
    orders = order_amounts(session, as_of)
    inputs = value_inputs(session, as_of, orders)
    local = orders.assign(ordered_at=local_times(orders["ordered_at"], zone))
    stamp = _local_moment(as_of, zone)

    costs = CostToServe(settings.cost_per_ticket, settings.cost_per_interaction)
    tiers = value_tiers(profitability_with(inputs, costs), settings.top_profit_share)
    frame = tiers.set_index("customer_id").drop(columns=["lifecycle_stage"])
    history = historical_clv(inputs).set_index("customer_id")
    frame["historical_clv"] = history["historical_gross_margin"]
    rfm = rfm_scores(local[["customer_id", "order_id", "ordered_at", "amount"]], stamp)
    rfm = rfm.set_index("customer_id")
    frame = frame.join(
        rfm[["r_score", "f_score", "m_score", "rfm_segment", "segment_reason", "segment_detail"]]
    )
    prediction = _predicted(local, inputs, stamp, settings)
    frame = frame.join(prediction.frame)
    tickets = service_read.ticket_signals(session, as_of, settings.churn_window_days)
    frame = frame.join(
        _churn(inputs, prediction, local, rfm, tickets, stamp, settings.churn_window_days)
    )
    for column in VALUE_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    return ValueTable(
        frame=frame[VALUE_COLUMNS], as_of=as_of, clv_note=prediction.note, time_zone=zone
    )


def customer_values_as_of(
    session: Session, day: date, settings: ValueSettings, zone: str | None = None
) -> ValueTable:
    """The value figures as they stood at the end of `day` in the team's time zone: what a
    team that imported its history looks at to see the models calibrated to that date."""
    zone = zone or team_settings(session).time_zone
    return customer_values(session, as_of_day(day, zone), settings, zone)
