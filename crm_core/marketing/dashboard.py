"""The segment dashboard's figures: customers, revenue and profit by value tier, RFM segment,
demographics, geography, firm size, industry and acquisition; tier migration between two
dates; revenue and ticket concentration. Loaders read SQL into frames; the figures are
functions of frames (tested by hand with small ones)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.customers.read import last_quarter_end as last_quarter_end  # the default date
from crm_core.kernel.frames import query_frame
from crm_core.kernel.messages import N_
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Account, Customer
from crm_core.models.enums import Entity

UNKNOWN = "unknown"  # a missing attribute's group (label dimension.unknown)
NEW = "new"  # in the migration matrix: not a customer yet at the first date

# What the dashboard can split customers by (English msgids as labels).
DIMENSIONS: dict[str, str] = {
    "value_tier": N_("Value tier"),
    "rfm_segment": N_("RFM segment"),
    "age_band": N_("Age band"),
    "gender": N_("Gender"),
    "region": N_("Region"),
    "city": N_("City"),
    "firm_size": N_("Firm size"),
    "industry": N_("Industry (of the company)"),
    "source": N_("Source"),
    "preferred_channel": N_("Preferred channel"),
}
AGE_BANDS = ("under 25", "25-34", "35-44", "45-54", "55-64", "65+")
_AGE_EDGES = [0, 25, 35, 45, 55, 65, 200]
FIRM_SIZES = ("B2C", "1-9", "10-49", "50-249", "250+")  # no company; EU SME size classes
_FIRM_EDGES = [0, 10, 50, 250, 10**9]
_ORDERED = {
    "value_tier": [t.value for t in ValueTier],
    "rfm_segment": [s.value for s in RfmSegment],
    "age_band": list(AGE_BANDS),
    "firm_size": list(FIRM_SIZES),
}
# Up means towards Most Valuable; no completed order ranks below every tier, so a first
# purchase is a move up and a customer whose orders all went (returned, cancelled) moved down.
TIER_RANK = {ValueTier.MOST_VALUABLE.value: 0, ValueTier.MOST_GROWABLE.value: 1,
             ValueTier.BELOW_ZERO.value: 2, ValueTier.NO_PURCHASES.value: 3}  # fmt: skip
_NAMES_CHUNK = 500


def customer_attributes(session: Session, actor: Actor) -> pd.DataFrame:
    """The attributes the dashboard splits by, one row per customer the actor may read."""

    # Stored strings as they are: converting 100,000 enum and date values one by one in
    # Python took most of the query's time; pandas parses the dates at once.
    def raw(column: Any) -> Any:
        return type_coerce(column, String)

    stmt = (
        select(
            Customer.id, raw(Customer.gender), raw(Customer.birth_date), Customer.region,
            Customer.city, raw(Customer.source), raw(Customer.preferred_channel),
            Account.industry, Account.employees, Customer.account_id,
        )
        .outerjoin(Account, Account.id == Customer.account_id)
        .where(
            Customer.deleted_at.is_(None),
            read_filter(actor, Entity.CUSTOMER, Customer.owner_id),
        )
    )  # fmt: skip
    columns = ["customer_id", "gender", "birth_date", "region", "city", "source",
               "preferred_channel", "industry", "employees", "account_id"]  # fmt: skip
    frame = query_frame(session, stmt, columns).set_index("customer_id")
    frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
    return frame


def _age_band(birth: pd.Series, as_of: datetime) -> pd.Series:
    born = pd.to_datetime(birth)
    years = (pd.Timestamp(as_of) - born).dt.days / 365.25
    bands = pd.cut(years, _AGE_EDGES, right=False, labels=list(AGE_BANDS))
    return bands.astype(object).where(born.notna(), UNKNOWN).fillna(UNKNOWN)


def _firm_size(attributes: pd.DataFrame) -> pd.Series:
    bands = pd.cut(attributes["employees"].astype("float64"), _FIRM_EDGES, right=False,
                   labels=list(FIRM_SIZES[1:]))  # fmt: skip
    sized = bands.astype(object).where(attributes["employees"].notna(), UNKNOWN).fillna(UNKNOWN)
    return sized.where(attributes["account_id"].notna(), "B2C")


def dashboard_frame(
    attributes: pd.DataFrame, values: pd.DataFrame, as_of: datetime
) -> pd.DataFrame:
    """One row per customer: every dimension's group and the value figures summed."""
    frame = pd.DataFrame(index=attributes.index)
    figures = values.reindex(attributes.index)
    frame["value_tier"] = figures["value_tier"]
    frame["rfm_segment"] = figures["rfm_segment"]
    frame["age_band"] = _age_band(attributes["birth_date"], as_of)
    frame["firm_size"] = _firm_size(attributes)
    for column in ("gender", "region", "city", "industry", "source", "preferred_channel"):
        frame[column] = attributes[column]
    frame = frame.astype(object).where(frame.notna(), UNKNOWN)
    frame["net_revenue"] = figures["net_revenue"].astype("float64").fillna(0.0)
    frame["profit"] = figures["profit"].astype("float64").fillna(0.0)
    frame["tickets"] = figures["tickets"].astype("float64").fillna(0.0)
    return frame


def breakdown(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per group of `by`: customers, net revenue, profit, and each one's share of the total;
    the dimension's own order where it has one (tiers, RFM, bands), else most customers first.
    Blank (NaN) amounts, the customers whose amounts the reader does not see, count as
    customers and add nothing to the sums."""
    grouped = frame.groupby(by, dropna=False).agg(
        customers=("net_revenue", "size"), net_revenue=("net_revenue", "sum"),
        profit=("profit", "sum"),
    )  # fmt: skip
    return finish_breakdown(grouped, by)


def finish_breakdown(grouped: pd.DataFrame, by: str) -> pd.DataFrame:
    """Groups (index) with customers, net_revenue, profit: in the dimension's order, with the
    shares and the revenue per customer."""
    if by in _ORDERED:
        order = [g for g in [*_ORDERED[by], UNKNOWN] if g in grouped.index]
        grouped = grouped.loc[order + [g for g in grouped.index if g not in order]]
    else:
        grouped = grouped.sort_values(["customers", "net_revenue"], ascending=False)
    total_customers, total_revenue = grouped["customers"].sum(), grouped["net_revenue"].sum()
    grouped["customer_share"] = grouped["customers"] / total_customers if total_customers else 0.0
    grouped["revenue_share"] = grouped["net_revenue"] / total_revenue if total_revenue else np.nan
    grouped["revenue_per_customer"] = grouped["net_revenue"] / grouped["customers"]
    return grouped.rename_axis("group").reset_index()


def tier_migration(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Customers by tier at the first date (rows; `new` when not a customer then) and at the
    second (columns; "No purchases yet" its own row and column), for every customer present
    at the second date."""
    start = before["value_tier"].reindex(after.index).fillna(NEW)
    rows = [NEW, *TIER_RANK]
    matrix = pd.crosstab(start, after["value_tier"]).reindex(index=rows, columns=list(TIER_RANK))
    return matrix.fillna(0).astype("int64").rename_axis(index="from", columns="to")


def tier_moves(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every customer of both dates whose tier changed: from, to, and whether that is up or
    down (TIER_RANK: a first purchase is up)."""
    start = before["value_tier"].reindex(after.index)
    moved = start.notna() & (start != after["value_tier"])
    out = pd.DataFrame({"from": start[moved], "to": after["value_tier"][moved]})
    out["direction"] = np.where(out["to"].map(TIER_RANK) < out["from"].map(TIER_RANK), "up", "down")
    return out.rename_axis("customer_id").reset_index()


def moved_customers(
    session: Session, actor: Actor, moves: pd.DataFrame, limit: int | None = None
) -> pd.DataFrame:
    """The moves (`tier_moves`) with each customer's name, those the actor may read: ups
    first, then downs, each by customer id; the first `limit` only when given (their names
    looked up by id), else all (every readable name in one read)."""
    columns = ["customer_id", "name", "from", "to", "direction"]
    ordered = moves.assign(_down=moves["direction"] == "down").sort_values(
        ["_down", "customer_id"], kind="stable"
    )
    readable = (
        Customer.deleted_at.is_(None),
        read_filter(actor, Entity.CUSTOMER, Customer.owner_id),
    )
    if limit is None:
        stmt = select(Customer.id, Customer.name).where(*readable)
        names = query_frame(session, stmt, ["customer_id", "name"])
    else:
        ids = [int(i) for i in ordered["customer_id"]]
        frames, found = [], 0
        # chunk by chunk until `limit` readable ones are named: a reader may see few of them
        for start in range(0, len(ids), _NAMES_CHUNK):
            chunk = ids[start : start + _NAMES_CHUNK]
            stmt = select(Customer.id, Customer.name).where(Customer.id.in_(chunk), *readable)
            frames.append(query_frame(session, stmt, ["customer_id", "name"]))
            found += len(frames[-1])
            if found >= limit:
                break
        names = pd.concat(frames) if frames else pd.DataFrame(columns=["customer_id", "name"])
    named = ordered.merge(names.astype({"customer_id": "int64"}), on="customer_id")
    named = named[columns].reset_index(drop=True)
    return named if limit is None else named.head(limit)


def concentration(frame: pd.DataFrame, column: str, top_share: float = 0.2) -> dict[str, Any]:
    """What share of the total `column` the top `top_share` of customers by it hold (revenue,
    tickets), and the curve by tenths of customers (the Lorenz curve read from the top)."""
    figures = frame[column].astype("float64").dropna()  # blank: an amount the reader lacks
    amounts = np.sort(figures.clip(lower=0).to_numpy(dtype="float64"))[::-1]
    total, n = amounts.sum(), amounts.size
    if n == 0 or total <= 0:
        return {"share": None, "top": 0, "curve": pd.DataFrame(columns=["customers", "held"])}
    top = max(1, int(np.ceil(top_share * n)))
    cumulative = np.cumsum(amounts) / total
    tenths = np.arange(1, 11) / 10
    held = [float(cumulative[max(1, int(np.ceil(s * n))) - 1]) for s in tenths]
    curve = pd.DataFrame({"customers": tenths, "held": held})
    return {"share": float(cumulative[top - 1]), "top": top, "curve": curve}


def segment_dashboard(
    session: Session, actor: Actor, values: pd.DataFrame, as_of: datetime
) -> pd.DataFrame:
    """The dashboard's frame (`dashboard_frame`) over the customers the actor may read."""
    return dashboard_frame(customer_attributes(session, actor), values, as_of)


def ready_made_counts(frame: pd.DataFrame, members: dict[str, list[int]]) -> pd.DataFrame:
    """Per ready-made segment: customers, their net revenue and profit."""
    rows = []
    for key, ids in members.items():
        inside = frame.loc[frame.index.intersection(pd.Index(ids))]
        rows.append({"key": key, "customers": len(inside),
                     "net_revenue": float(inside["net_revenue"].sum()),
                     "profit": float(inside["profit"].sum())})  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "customers", "net_revenue", "profit"])
