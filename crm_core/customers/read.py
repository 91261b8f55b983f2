"""What other areas may read of Customers: a customer and its account, the sold orders, and
the customer value table (value tiers, RFM segments, churn risk; each customer's stored tier)
that segments, service levels and the overview are built on; and the writes other areas start
(a lead converted into a customer and account, after the one likely-duplicate rule; a
follow-up for a lead's owner); and what the overview counts: sold orders and new customers in
a period, touchpoints per person, and the stored value rows of the customers a person owns."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, TypeVarTuple

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Select, String, case, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.analytics.churn import RiskBand
from crm_core.customers.accounts import create_account
from crm_core.customers.duplicates import LikelyDuplicate, likely_duplicates
from crm_core.customers.listing import list_address
from crm_core.customers.records import (
    CustomerProfile,
    create_customer,
    customer_profile,
    get_customer,
)
from crm_core.customers.tasks import complete_follow_up, open_follow_ups, schedule_follow_up
from crm_core.customers.value import (
    ValueTable,
    customer_values,
    last_quarter_end,
    order_amounts,
    order_cents,
    sold_orders,
)
from crm_core.customers.value_store import stored_figure, stored_tiers, stored_values
from crm_core.kernel.frames import core_frame, query_frame
from crm_core.models import Customer, CustomerValue, Interaction, Order

__all__ = [
    "CustomerProfile",
    "LikelyDuplicate",
    "ValueTable",
    "complete_follow_up",
    "create_account",
    "create_customer",
    "customer_names",
    "customer_profile",
    "customer_values",
    "customers_created",
    "get_customer",
    "last_quarter_end",
    "likely_duplicates",
    "list_address",
    "open_follow_ups",
    "order_amounts",
    "order_times",
    "orders_between",
    "orders_changed",
    "owned_totals",
    "owned_values",
    "regions",
    "schedule_follow_up",
    "sold_orders",
    "stored_figure",
    "stored_tiers",
    "stored_values",
    "touchpoints_logged",
]


_Row = TypeVarTuple("_Row")


def _cents(column: Any) -> Any:
    return cast(func.round(column * 100), BigInteger)


def orders_between(
    session: Session, start: datetime, end: datetime, after_id: int | None = None
) -> pd.DataFrame:
    """Sold orders placed in [start, end) (with an id above `after_id`, when given): order_id,
    customer_id, ordered_at, net (after the discount), margin (net less the cost of goods),
    and the customer's owner_id and region."""
    gross, cost = order_cents()  # the order's summary: no read of its lines
    stmt = (
        select(
            Order.id, Order.customer_id, type_coerce(Order.ordered_at, String), gross, cost,
            _cents(Order.discount), Customer.owner_id, Customer.region,
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(sold_orders(end), Order.ordered_at >= start, gross.is_not(None))
    )  # fmt: skip
    rows = session.connection().execute(_above(stmt, after_id)).all()
    data = list(zip(*rows, strict=True)) if rows else [()] * 8
    cents = [np.asarray(data[k], dtype="float64") for k in (3, 4, 5)]
    out = pd.DataFrame(
        {
            "order_id": np.asarray(data[0], dtype="int64"),
            "customer_id": np.asarray(data[1], dtype="int64"),
            "ordered_at": pd.to_datetime(pd.Series(data[2], dtype="object"), format="ISO8601"),
            "owner_id": pd.array(data[6], dtype="Int64"),
            "region": pd.Series(data[7], dtype="object"),
            "net": (cents[0] - cents[2]) / 100,
            "margin": (cents[0] - cents[2] - cents[1]) / 100,
        }
    )
    out["ordered_at"] = out["ordered_at"].astype("datetime64[ns]")
    return out


def order_times(
    session: Session, start: datetime, end: datetime, after_id: int | None = None
) -> pd.DataFrame:
    """Sold orders placed in [start, end) (with an id above `after_id`, when given) without
    their lines (an index range, no join to the lines): order_id, customer_id, ordered_at,
    and the customer's owner_id and region."""
    stmt = (
        select(Order.id, Order.customer_id, type_coerce(Order.ordered_at, String),
               Customer.owner_id, Customer.region)
        .join(Customer, Customer.id == Order.customer_id)
        .where(sold_orders(end), Order.ordered_at >= start)
    )  # fmt: skip
    rows = session.connection().execute(_above(stmt, after_id)).all()
    data = list(zip(*rows, strict=True)) if rows else [()] * 5
    out = pd.DataFrame(
        {
            "order_id": np.asarray(data[0], dtype="int64"),
            "customer_id": np.asarray(data[1], dtype="int64"),
            "ordered_at": pd.to_datetime(pd.Series(data[2], dtype="object"), format="ISO8601"),
            "owner_id": pd.array(data[3], dtype="Int64"),
            "region": pd.Series(data[4], dtype="object"),
        }
    )
    out["ordered_at"] = out["ordered_at"].astype("datetime64[ns]")
    return out


def _above(stmt: Select[*_Row], after_id: int | None) -> Select[*_Row]:
    return stmt if after_id is None else stmt.where(Order.id > after_id)


def orders_changed(session: Session, up_to_id: int, since: datetime) -> bool:
    """Whether an order with an id up to `up_to_id` was saved after `since` (edited,
    cancelled, deleted): what a reader holding the orders up to that id must read again."""
    stmt = select(Order.id).where(Order.id <= up_to_id, Order.updated_at > since).limit(1)
    return session.scalar(stmt) is not None


def customers_created(session: Session, start: datetime, end: datetime) -> pd.DataFrame:
    """Customers created in [start, end), not deleted nor merged: customer_id, created_at,
    owner_id, region."""
    created = type_coerce(Customer.created_at, String)
    stmt = select(Customer.id, created, Customer.owner_id, Customer.region).where(
        Customer.created_at >= start,
        Customer.created_at < end,
        Customer.deleted_at.is_(None),
        Customer.merged_into_id.is_(None),
    )
    frame = core_frame(session, stmt, ["customer_id", "created_at", "owner_id", "region"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], format="ISO8601")
    frame["created_at"] = frame["created_at"].astype("datetime64[ns]")
    frame["owner_id"] = frame["owner_id"].astype("Int64")
    return frame


def customer_names(session: Session, ids: Collection[int]) -> pd.Series:
    """Each customer's name, by id (for the rows behind a figure)."""
    if not ids:
        return pd.Series(dtype="object")
    rows = session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_([int(i) for i in ids]))
    ).all()
    return pd.Series({int(i): name for i, name in rows}, dtype="object")


def touchpoints_logged(session: Session, start: datetime, end: datetime) -> pd.Series:
    """How many touchpoints each person logged in [start, end), not deleted, by user id.
    Counted in the database: a month at bench scale is 40,000 rows to count otherwise."""
    stmt = (
        select(Interaction.user_id, func.count())
        .where(
            Interaction.occurred_at >= start,
            Interaction.occurred_at < end,
            Interaction.deleted_at.is_(None),
            Interaction.user_id.is_not(None),
        )
        .group_by(Interaction.user_id)
    )
    counted = {user_id: count for user_id, count in session.execute(stmt)}
    return pd.Series(counted, dtype="int64")


def owned_values(
    session: Session,
    owner_ids: Collection[int],
    *,
    high_risk_only: bool = False,
    page: int | None = None,
    size: int = 100,
) -> pd.DataFrame:
    """The stored value rows (no recompute) of the live customers these people own, riskiest
    first: customer_id, name, owner_id, value_tier, net_revenue, profit (currency units),
    churn_risk, risk_band, last_order_at. A customer not yet in the stored table has no row.
    `high_risk_only` keeps those at high churn risk; `page` (from 0) keeps `size` rows of
    them: a salesperson owns 8,500 customers at bench scale, and the Team page that showed
    them all took 5-9 s to appear."""
    stmt = (
        select(
            Customer.id, Customer.name, Customer.owner_id, CustomerValue.value_tier,
            CustomerValue.net_revenue, CustomerValue.profit, CustomerValue.churn_risk,
            CustomerValue.risk_band, CustomerValue.last_order_at,
        )
        .join(CustomerValue, CustomerValue.customer_id == Customer.id)
        .where(
            Customer.owner_id.in_([int(i) for i in owner_ids]),
            Customer.deleted_at.is_(None),
            Customer.merged_into_id.is_(None),
        )
        .order_by(CustomerValue.churn_risk.desc().nulls_last(), Customer.id)
    )  # fmt: skip
    if high_risk_only:
        stmt = stmt.where(CustomerValue.risk_band == RiskBand.HIGH.value)
    if page is not None:
        stmt = stmt.limit(size).offset(page * size)
    columns = ["customer_id", "name", "owner_id", "value_tier", "net_revenue", "profit",
               "churn_risk", "risk_band", "last_order_at"]  # fmt: skip
    frame = query_frame(session, stmt, columns)
    for money in ("net_revenue", "profit"):
        frame[money] = frame[money].astype("float64") / 100
    frame["churn_risk"] = frame["churn_risk"].astype("float64")
    return frame


def owned_totals(session: Session, owner_ids: Collection[int]) -> pd.DataFrame:
    """Per owner of these, over their live customers with stored value figures: owner_id,
    customers, net_revenue and profit (currency units) and at_risk (high churn risk). Summed
    in the database: a manager's portfolio of 100,000 customers held their rows (76 MB)."""
    high = func.sum(case((CustomerValue.risk_band == RiskBand.HIGH.value, 1), else_=0))
    stmt = (
        select(Customer.owner_id, func.count(), func.sum(CustomerValue.net_revenue),
               func.sum(CustomerValue.profit), high)
        .join(CustomerValue, CustomerValue.customer_id == Customer.id)
        .where(
            Customer.owner_id.in_([int(i) for i in owner_ids]),
            Customer.deleted_at.is_(None),
            Customer.merged_into_id.is_(None),
        )
        .group_by(Customer.owner_id)
    )  # fmt: skip
    columns = ["owner_id", "customers", "net_revenue", "profit", "at_risk"]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    for money in ("net_revenue", "profit"):  # cents summed exactly, then currency units
        frame[money] = frame[money].astype("float64") / 100
    return frame.astype({"owner_id": "int64", "customers": "int64", "at_risk": "int64"})


def regions(session: Session) -> list[str]:
    """The regions customers live in, by name (a filter's choices)."""
    stmt = (
        select(Customer.region)
        .where(Customer.region.is_not(None), Customer.deleted_at.is_(None))
        .distinct()
        .order_by(Customer.region)
    )
    return [str(r) for r in session.scalars(stmt).all()]
