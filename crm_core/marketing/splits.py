"""The segment dashboard over the stored value read model, in SQL: each split (tier, RFM,
age band, region, firm size...) is one GROUP BY over the customers the actor may read joined
to `customer_values`, and the per-customer figures the tiers, migration, concentration and
ready-made segments need are one narrow query. Amounts follow the amounts rule in the query:
a customer whose amounts the actor does not read is counted, its revenue and profit not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.kernel.frames import driver_rows, query_frame
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.marketing.amounts import masked
from crm_core.marketing.dashboard import AGE_BANDS, UNKNOWN, finish_breakdown
from crm_core.marketing.rules import years_before
from crm_core.models import Account, Customer
from crm_core.models.enums import Entity
from crm_core.models.value import CustomerValue as CV  # noqa: N817 - read in every query

_AGE_FROM = (25, 35, 45, 55, 65)  # the first age of each band after "under 25"


def _age_band(as_of: datetime) -> Any:
    """The band of the age at `as_of` in whole years (age n: born on or before as_of - n)."""
    born = Customer.birth_date
    whens: list[Any] = [(born.is_(None), literal(UNKNOWN))]
    for start, band in zip(_AGE_FROM, AGE_BANDS, strict=False):
        whens.append((born > years_before(as_of, start).date(), literal(band)))
    return case(*whens, else_=literal(AGE_BANDS[-1]))


def _firm_size() -> Any:
    employees = Account.employees
    return case(
        (Customer.account_id.is_(None), literal("B2C")),
        (employees.is_(None), literal(UNKNOWN)),
        (employees < 10, literal("1-9")),
        (employees < 50, literal("10-49")),
        (employees < 250, literal("50-249")),
        else_=literal("250+"),
    )


def _group(by: str, as_of: datetime) -> Any:
    if by in ("value_tier", "rfm_segment"):
        return getattr(CV, by)
    if by == "age_band":
        return _age_band(as_of)
    if by == "firm_size":
        return _firm_size()
    if by == "industry":
        return Account.industry
    if by in ("gender", "source", "preferred_channel"):
        return type_coerce(getattr(Customer, by), String)  # stored values, not enum objects
    return getattr(Customer, by)  # region, city


def _readable(stmt: Any, actor: Actor) -> Any:
    return (
        stmt.select_from(Customer)
        .outerjoin(CV, CV.customer_id == Customer.id)
        .where(
            Customer.deleted_at.is_(None), read_filter(actor, Entity.CUSTOMER, Customer.owner_id)
        )
    )


def split(session: Session, actor: Actor, by: str, as_of: datetime) -> pd.DataFrame:
    """`dashboard.breakdown` of one dimension, aggregated in the database."""
    group = _group(by, as_of).label("grp")
    revenue = masked(actor, Customer.owner_id, CV.net_revenue)
    profit = masked(actor, Customer.owner_id, CV.profit)
    stmt = _readable(
        select(group, func.count(), func.sum(revenue), func.sum(profit)), actor
    ).group_by(group)
    if by in ("industry", "firm_size"):
        stmt = stmt.outerjoin(Account, Account.id == Customer.account_id)
    frame = query_frame(session, stmt, ["group", "customers", "net_revenue", "profit"])
    frame["group"] = frame["group"].astype(object).where(frame["group"].notna(), UNKNOWN)
    frame["customers"] = frame["customers"].astype("int64")
    for column in ("net_revenue", "profit"):  # hundredths -> currency units
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64") / 100
    grouped = frame.groupby("group").agg(
        customers=("customers", "sum"), net_revenue=("net_revenue", "sum"),
        profit=("profit", "sum"),
    )  # fmt: skip
    return finish_breakdown(grouped, by)


def per_customer(session: Session, actor: Actor) -> pd.DataFrame:
    """The readable customers (index customer_id) with owner_id, value_tier, net_revenue and
    profit (blank where the actor does not read the amounts) and tickets, from the stored
    read model (no row yet: tier unknown, nothing summed)."""
    stmt = _readable(
        select(
            Customer.id, Customer.owner_id, CV.value_tier,
            masked(actor, Customer.owner_id, CV.net_revenue),
            masked(actor, Customer.owner_id, CV.profit), CV.tickets,
        ),
        actor,
    )  # fmt: skip
    # Straight from the driver: integers and text, no result object per row (a third less)
    rows = driver_rows(session, stmt)
    if not rows:
        columns = ["owner_id", "value_tier", "net_revenue", "profit", "tickets"]
        return pd.DataFrame(columns=columns, index=pd.Index([], name="customer_id", dtype="int64"))
    ids, owners, tiers, revenue, profit, tickets = (np.array(c, dtype=object)
                                                    for c in zip(*rows, strict=True))  # fmt: skip

    def number(values: np.ndarray, blank: float = np.nan) -> np.ndarray:
        return pd.to_numeric(pd.Series(values), errors="coerce").fillna(blank).to_numpy("float64")

    frame = pd.DataFrame(
        {"owner_id": number(owners), "value_tier": np.where(pd.isna(tiers), UNKNOWN, tiers),
         "net_revenue": number(revenue) / 100, "profit": number(profit) / 100,
         "tickets": number(tickets, 0.0)},
        index=pd.Index(ids.astype("int64"), name="customer_id"),
    )  # fmt: skip
    return frame.sort_index()
