"""Data quality of customer records: field completeness, likely duplicates, untouched records.

Every figure counts live customers only (not deleted, not merged away) within the actor's read
scope. Duplicates are groups of customers sharing a key by the one definition of a likely
duplicate (crm_core.customers.duplicates: email, phone, or name at the same company); groups
that overlap through different keys are merged into one cluster. A record is untouched when
neither it nor any of its interactions, orders or tickets has changed for longer than a
threshold before `as_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, String, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from crm_core.customers import duplicates, fields
from crm_core.kernel.messages import Message, msg, to_json
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Account, Customer, Interaction, Order, Ticket, User
from crm_core.models.base import UtcDateTime
from crm_core.models.enums import Entity
from crm_core.service import read as service_read


def checked_fields() -> dict[str, tuple[str, InstrumentedAttribute[Any]]]:
    """The declared fields whose completeness counts: their column key -> (label, column)."""
    return {f.key: (f.label, getattr(Customer, f.name)) for f in fields.quality_checked()}


def key_fields() -> tuple[str, ...]:
    """The fields the summary's "key fields filled" share is about."""
    return tuple(f.key for f in fields.key_fields())


COMPLETENESS_COLUMNS = ["field", "label", "filled", "total", "share"]
CLUSTER_COLUMNS = [
    "cluster_id",
    "reason",
    "customer_id",
    "name",
    "email",
    "phone",
    "company",
    "updated_at",
]
UNTOUCHED_COLUMNS = [
    "customer_id",
    "name",
    "company",
    "email",
    "phone",
    "owner",
    "last_touch",
    "last_touch_kind",
    "days_untouched",
]
AsOf = datetime | date | pd.Timestamp
_DETAIL_CHUNK = 500  # ids per IN (...) list, well under every engine's parameter limit


def _live(actor: Actor) -> list[ColumnElement[bool]]:
    """Customers that count: not deleted, not merged away, within the actor's read scope."""
    return [
        Customer.deleted_at.is_(None),
        Customer.merged_into_id.is_(None),
        read_filter(actor, Entity.CUSTOMER, Customer.owner_id),
    ]


def _as_naive_utc(as_of: AsOf) -> datetime:
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


# --- completeness -----------------------------------------------------------------------


def _filled(column: InstrumentedAttribute[Any]) -> ColumnElement[int]:
    """COUNT of filled values: a blank text counts as empty, a consent as filled when given."""
    sql_type = column.property.columns[0].type
    if sql_type.python_type is bool:
        return func.count(func.nullif(column, False))
    if type(sql_type) is String:  # plain text, not an enum stored as text
        return func.count(func.nullif(func.trim(column), ""))
    return func.count(column)


def field_completeness(session: Session, actor: Actor) -> pd.DataFrame:
    """Per checked field: how many live customers have it filled, of how many, and the share.
    A consent counts as filled when the customer gave it."""
    checked = checked_fields()
    stmt = select(
        func.count().label("total"),
        *(_filled(column).label(key) for key, (_label, column) in checked.items()),
    ).where(*_live(actor))
    counts = session.execute(stmt).one()._asdict()
    total = int(counts["total"])
    rows = [
        (key, label, int(counts[key]), total, counts[key] / total if total else float("nan"))
        for key, (label, _column) in checked.items()
    ]
    return pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)


def key_field_share(completeness: pd.DataFrame) -> float | None:
    """Share of the key fields' cells (key fields x customers) that are filled; None if empty."""
    keys = completeness[completeness["field"].isin(key_fields())]
    cells = int(keys["total"].sum())
    return float(keys["filled"].sum()) / cells if cells else None


# --- duplicates -------------------------------------------------------------------------


def key_groups(session: Session, actor: Actor) -> pd.DataFrame:
    """Every key live customers in scope share (kind, key, customer_id), by the one definition
    of a likely duplicate (crm_core.customers.duplicates)."""
    return duplicates.shared_keys(session, _live(actor))


def _roots(groups: Iterable[Sequence[int]]) -> dict[int, int]:
    """Union-find: each id's representative, ids of overlapping groups sharing one."""
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    for members in groups:
        first = find(members[0])
        for other in members[1:]:
            root = find(other)
            if root != first:
                parent[root] = first
    return {node: find(node) for node in parent}


_SHARED = {  # what a cluster shares, said with the key it shares
    "email": lambda key: msg("duplicate.cluster_email", key=key),
    "phone": lambda key: msg("duplicate.cluster_phone", key=key),
    "name and company": lambda key: msg("duplicate.cluster_name_company", key=key),
}


def cluster_members(groups: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping key groups into clusters: (cluster_id, reason, customer_id).

    Clusters are numbered from 1, biggest first (ties: lowest customer id first); the reason
    lists every key its members share, e.g. "same email budi@x.co; same phone +62812..."
    (a message code, as JSON text).
    """
    if groups.empty:
        return pd.DataFrame(columns=["cluster_id", "reason", "customer_id"])
    by_key = groups.groupby(["kind", "key"], sort=False)["customer_id"]
    roots = _roots([int(i) for i in ids] for _key, ids in by_key)
    reasons: dict[int, list[Message]] = {}
    for (kind, key), ids in by_key:
        reasons.setdefault(roots[int(ids.iloc[0])], []).append(_SHARED[str(kind)](key))
    members = pd.DataFrame({"customer_id": list(roots), "root": list(roots.values())})
    sizes = members.groupby("root")["customer_id"].agg(["size", "min"])
    order = sizes.sort_values(["size", "min"], ascending=[False, True]).index
    numbers = pd.Series(range(1, len(order) + 1), index=order)
    members["cluster_id"] = members["root"].map(numbers)
    # JSON text of a message code: said in the reader's language when shown.
    said = {root: to_json(msg("format.list", items=items)) for root, items in reasons.items()}
    members["reason"] = members["root"].map(said)
    members = members.sort_values(["cluster_id", "customer_id"], ignore_index=True)
    return members[["cluster_id", "reason", "customer_id"]]


_DETAILS = (Customer.id, Customer.name, Customer.email, Customer.phone, Account.name)


def _with_details(session: Session, members: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The first `limit` clusters' members with what a person needs to recognise them."""
    if limit is not None:
        members = members[members["cluster_id"] <= limit]
    ids = [int(i) for i in members["customer_id"]]
    rows: list[Any] = []
    for start in range(0, len(ids), _DETAIL_CHUNK):
        stmt = (
            select(*_DETAILS, Customer.updated_at)
            .outerjoin(Account, Account.id == Customer.account_id)
            .where(Customer.id.in_(ids[start : start + _DETAIL_CHUNK]))
        )
        rows.extend(session.execute(stmt).all())
    details = pd.DataFrame(rows, columns=CLUSTER_COLUMNS[2:])
    clusters = members.merge(details, on="customer_id", how="left")
    clusters["updated_at"] = pd.to_datetime(clusters["updated_at"])
    return clusters[CLUSTER_COLUMNS]


def duplicate_clusters(session: Session, actor: Actor, limit: int | None = 200) -> pd.DataFrame:
    """Clusters of likely duplicate customers, one row per member, at most `limit` clusters."""
    return _with_details(session, cluster_members(key_groups(session, actor)), limit)


# --- untouched records ------------------------------------------------------------------

TOUCH_KINDS = {  # last-touch column -> what it was, in the order ties are named
    "last_interaction": "interaction",
    "last_order": "order",
    "last_ticket": "ticket",
    "updated_at": "record edited",  # shown as the label touch.<kind>
}


_Activity = tuple[type[Interaction | Order | Ticket], InstrumentedAttribute[datetime]]
_ACTIVITY: dict[str, _Activity] = {  # last-touch column -> the activity and its time
    "last_interaction": (Interaction, Interaction.occurred_at),
    "last_order": (Order, Order.ordered_at),
    "last_ticket": service_read.TICKET_TOUCH,
}


def _untouched_where(actor: Actor, as_of: AsOf, older_than_days: int) -> list[ColumnElement[bool]]:
    """Live customers edited before the cutoff with no live activity since (anti-joins)."""
    cutoff = _as_naive_utc(as_of) - timedelta(days=older_than_days)
    since = [
        ~exists().where(model.customer_id == Customer.id, model.deleted_at.is_(None), at >= cutoff)
        for model, at in _ACTIVITY.values()
    ]
    return [*_live(actor), Customer.updated_at < cutoff, *since]


def _last_touches(session: Session) -> tuple[list[ColumnElement[datetime]], ColumnElement[Any]]:
    """Per customer (correlated): latest live activity of each kind, and the latest of all."""
    touches: list[ColumnElement[datetime]] = [
        select(func.max(at))
        .where(model.customer_id == Customer.id, model.deleted_at.is_(None))
        .scalar_subquery()
        .label(label)
        for label, (model, at) in _ACTIVITY.items()
    ]
    # GREATEST on PostgreSQL; SQLite's scalar max() of several arguments does the same.
    greatest = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    times = [func.coalesce(t, Customer.updated_at) for t in touches]
    return touches, greatest(Customer.updated_at, *times, type_=UtcDateTime())


def untouched_customers(
    session: Session, actor: Actor, as_of: AsOf, older_than_days: int = 365, limit: int = 500
) -> pd.DataFrame:
    """Customers with no edit, interaction, order or ticket in `older_than_days`, oldest first."""
    touches, last_touch = _last_touches(session)
    stmt = (
        select(*_DETAILS, User.name.label("owner"), *touches, Customer.updated_at)
        .outerjoin(Account, Account.id == Customer.account_id)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(*_untouched_where(actor, as_of, older_than_days))
        .order_by(last_touch, Customer.id)
        .limit(limit)
    )
    columns = ["customer_id", "name", "email", "phone", "company", "owner", *TOUCH_KINDS]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    return last_touch_of(frame, as_of)


def last_touch_of(frame: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """Add last_touch (the latest of TOUCH_KINDS' columns), what it was, and days since."""
    times = pd.DataFrame(
        {c: pd.to_datetime(frame[c]).astype("datetime64[us]") for c in TOUCH_KINDS},
        index=frame.index,
    )
    # updated_at is never empty, so every row has a latest time; ties go to the activity.
    kinds = times.idxmax(axis=1).map(TOUCH_KINDS) if len(frame) else pd.Series([], dtype=object)
    latest = times.max(axis=1).astype("datetime64[us]")
    result = frame.assign(last_touch=latest, last_touch_kind=kinds.to_numpy())
    result["days_untouched"] = (pd.Timestamp(_as_naive_utc(as_of)) - result["last_touch"]).dt.days
    return result[UNTOUCHED_COLUMNS].reset_index(drop=True)


def count_untouched(session: Session, actor: Actor, as_of: AsOf, older_than_days: int) -> int:
    where = _untouched_where(actor, as_of, older_than_days)
    return int(session.scalar(select(func.count()).select_from(Customer).where(*where)) or 0)


# --- summary ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QualitySummary:
    customers: int  # live customers in the actor's scope
    key_fields_share: float | None  # filled share of the key fields' cells; None if no customers
    duplicate_clusters: int
    customers_in_clusters: int
    untouched: int  # customers untouched for longer than the threshold


def summarize(completeness: pd.DataFrame, members: pd.DataFrame, untouched: int) -> QualitySummary:
    """The header's figures from field_completeness, cluster_members and count_untouched."""
    return QualitySummary(
        customers=int(completeness["total"].iloc[0]),
        key_fields_share=key_field_share(completeness),
        duplicate_clusters=int(members["cluster_id"].nunique()),
        customers_in_clusters=len(members),
        untouched=untouched,
    )


def quality_summary(
    session: Session, actor: Actor, as_of: AsOf, older_than_days: int = 365
) -> QualitySummary:
    """The page header's figures, each computed over every live customer in scope."""
    return quality_report(session, actor, as_of, older_than_days, cluster_limit=0).summary


@dataclass(frozen=True)
class QualityReport:
    summary: QualitySummary
    completeness: pd.DataFrame  # field_completeness
    clusters: pd.DataFrame  # duplicate_clusters, the first cluster_limit clusters


def quality_report(
    session: Session,
    actor: Actor,
    as_of: AsOf,
    older_than_days: int = 365,
    cluster_limit: int = 200,
) -> QualityReport:
    """Summary, completeness and duplicate clusters in one pass (the clustering done once)."""
    completeness = field_completeness(session, actor)
    members = cluster_members(key_groups(session, actor))
    untouched = count_untouched(session, actor, as_of, older_than_days)
    return QualityReport(
        summary=summarize(completeness, members, untouched),
        completeness=completeness,
        clusters=_with_details(session, members, cluster_limit),
    )
