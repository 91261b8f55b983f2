"""Customer value for every customer: the SQL that feeds the analytics, and their joined answers.

One table answers the four questions of the 360 (worth over the lifetime, loyalty,
profitability, churn risk) and feeds the list's tier and RFM filters. It is computed for all
customers at once, because tiers and RFM quintiles are relative to the whole customer base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from crm_core.analytics.churn import churn_risk
from crm_core.analytics.clv import NotEnoughHistory, historical_clv, predicted_clv
from crm_core.analytics.profitability import CostToServe, margin_rate, profitability_with
from crm_core.analytics.rfm import rfm_scores
from crm_core.analytics.value_tiers import value_tiers
from crm_core.kernel.frames import count_per, query_frame
from crm_core.kernel.money import compact_money
from crm_core.kernel.settings import DEFAULT_CURRENCY, ValueSettings
from crm_core.models import Customer, Interaction, Order, OrderItem
from crm_core.models.enums import OrderStatus
from crm_core.service import read as service_read

VALUE_COLUMNS = [
    "gross_revenue", "discounts", "cogs", "net_revenue", "gross_margin", "cost_to_serve",
    "profit", "orders", "average_order_value", "first_order_at", "last_order_at",
    "tickets", "interactions", "historical_clv", "predicted_clv", "predicted_purchases",
    "p_alive", "value_tier", "tier_reason", "r_score", "f_score", "m_score", "rfm_segment",
    "segment_reason", "churn_risk", "risk_band", "risk_reason",
]  # fmt: skip


NO_PURCHASES = "No purchases yet"


@dataclass(frozen=True)
class ValueTable:
    """One row per customer (index customer_id) with VALUE_COLUMNS; `clv_note` says why
    predicted CLV is missing when the history cannot support the model."""

    frame: pd.DataFrame
    as_of: datetime
    clv_note: str | None


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
    ids = session.scalars(select(Customer.id).where(Customer.deleted_at.is_(None))).all()
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
    return inputs.reset_index()


def _order_windows(orders: pd.DataFrame, as_of: datetime, window_days: int) -> pd.DataFrame:
    stamp = pd.Timestamp(as_of)
    start = stamp - pd.Timedelta(days=window_days)
    previous = start - pd.Timedelta(days=window_days)
    last = orders[orders["ordered_at"] >= start].groupby("customer_id").size()
    prev_mask = (orders["ordered_at"] >= previous) & (orders["ordered_at"] < start)
    prev = orders[prev_mask].groupby("customer_id").size()
    return pd.DataFrame({"orders_last_90d": last, "orders_prev_90d": prev})


def _predicted(
    orders: pd.DataFrame, inputs: pd.DataFrame, as_of: datetime, settings: ValueSettings
) -> tuple[pd.DataFrame, str | None]:
    empty = pd.DataFrame(columns=["predicted_clv", "predicted_purchases", "p_alive"])
    rate = margin_rate(inputs)
    if np.isnan(rate):
        return empty, "Not enough history to predict CLV: no sales yet."
    try:
        clv = predicted_clv(
            orders[["customer_id", "order_id", "ordered_at", "amount"]],
            pd.Timestamp(as_of),
            margin_rate=min(max(rate, 0.0), 1.0),
            horizon_days=settings.clv_horizon_days,
            discount_rate_annual=settings.discount_rate_annual,
        )
    except NotEnoughHistory as reason:
        return empty, str(reason)
    return clv.set_index("customer_id")[["predicted_clv", "predicted_purchases", "p_alive"]], None


def _churn(
    inputs: pd.DataFrame,
    predicted: pd.DataFrame,
    orders: pd.DataFrame,
    tickets: pd.DataFrame,
    as_of: datetime,
    window_days: int,
) -> pd.DataFrame:
    index = inputs["customer_id"]
    signals = pd.DataFrame(index=pd.Index(index, name="customer_id"))
    signals["p_alive"] = predicted["p_alive"].reindex(signals.index).astype("float64")
    windows = _order_windows(orders, as_of, window_days).reindex(signals.index).fillna(0)
    signals = signals.join(windows.astype("int64"))
    ticket_frame = tickets.reindex(signals.index)
    signals["tickets_last_90d"] = ticket_frame["tickets_last"].fillna(0).astype("int64")
    signals["tickets_prev_90d"] = ticket_frame["tickets_prev"].fillna(0).astype("int64")
    signals["avg_csat"] = ticket_frame["avg_csat"]
    signals["sla_breaches_last_90d"] = ticket_frame["sla_breaches"].fillna(0).astype("int64")
    risk = churn_risk(signals.reset_index()).set_index("customer_id")
    risk = risk[["risk", "risk_band", "risk_reason"]].rename(columns={"risk": "churn_risk"})
    # Churn is leaving after buying: someone who never bought has nothing to leave yet.
    never = inputs.set_index("customer_id")["orders"].reindex(risk.index) == 0
    risk.loc[never, "churn_risk"] = np.nan
    risk.loc[never, "risk_band"] = NO_PURCHASES
    risk.loc[never, "risk_reason"] = "Has not bought yet: churn risk applies once a customer buys."
    return risk


def customer_values(
    session: Session, as_of: datetime, settings: ValueSettings, currency: str = DEFAULT_CURRENCY
) -> ValueTable:
    """Every non-deleted customer's value, loyalty, profitability and churn risk at `as_of`;
    amounts in the reasons are in `currency` (the team's)."""
    orders = order_amounts(session, as_of)
    inputs = value_inputs(session, as_of, orders)

    def money(amount: float) -> str:
        return compact_money(amount, currency)

    costs = CostToServe(settings.cost_per_ticket, settings.cost_per_interaction)
    tiers = value_tiers(profitability_with(inputs, costs), settings.top_profit_share, money)
    frame = tiers.set_index("customer_id")
    history = historical_clv(inputs).set_index("customer_id")
    frame["historical_clv"] = history["historical_gross_margin"]
    rfm = rfm_scores(
        orders[["customer_id", "order_id", "ordered_at", "amount"]], pd.Timestamp(as_of), money
    )
    frame = frame.join(
        rfm.set_index("customer_id")[
            ["r_score", "f_score", "m_score", "rfm_segment", "segment_reason"]
        ]
    )
    predicted, note = _predicted(orders, inputs, as_of, settings)
    frame = frame.join(predicted)
    tickets = service_read.ticket_signals(session, as_of, settings.churn_window_days)
    frame = frame.join(
        _churn(inputs, predicted, orders, tickets, as_of, settings.churn_window_days)
    )
    for column in VALUE_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    return ValueTable(frame=frame[VALUE_COLUMNS], as_of=as_of, clv_note=note)
