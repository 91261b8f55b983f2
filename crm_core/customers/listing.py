"""The customers list: search, filters, role scope, sorting and paging, value columns, export.

SQL does the search (part of a name, email, phone or company), the attribute filters and the
actor's read scope. With `stored=True` (what the pages ask) the value columns, filters (tier,
RFM segment) and sorts (profit, revenue, last order, churn risk) are SQL too, on the stored
read model `customer_values` (crm_core.customers.value_store): one query per page. A value
frame passed instead (the figures as of a past day) is joined in pandas by customer id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import pandas as pd
import phonenumbers
from sqlalchemy import ColumnElement, Select, any_, case, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.customers import fields
from crm_core.customers.fields import CustomerField, Widget
from crm_core.customers.value import as_of_day, sold_orders
from crm_core.kernel.inputs import DEFAULT_PHONE_REGION
from crm_core.kernel.lookups import active_users
from crm_core.kernel.messages import N_
from crm_core.kernel.permissions import Actor, Scope, amounts_scope, read_filter
from crm_core.kernel.settings import team_settings
from crm_core.models import Account, Customer, CustomerValue, Order, User
from crm_core.models.enums import Entity, LifecycleStage

VALUE_LIST_COLUMNS = [
    "value_tier", "rfm_segment", "net_revenue", "profit", "last_order_at", "churn_risk",
]  # fmt: skip
# The value columns the list can be sorted by, with the label a page shows.
VALUE_SORTS = {  # labels are English msgids
    "net_revenue": N_("Net revenue"),
    "profit": N_("Profit"),
    "last_order_at": N_("Last order"),
    "churn_risk": N_("Churn risk"),
}
_PHONE_CHARS = frozenset("0123456789+-(). ")
_MAX_IDS_IN_QUERY = 500


def list_columns() -> list[str]:
    """The list's columns: id, the declared fields it shows, the value columns, version."""
    return ["id", *(f.key for f in fields.listed()), *VALUE_LIST_COLUMNS, "version"]


def column_labels() -> dict[str, str]:
    """The declared fields' columns and their labels (English msgids)."""
    return {f.key: f.label for f in fields.listed()}


def sorts(actor: Actor | None = None) -> dict[str, str]:
    """What the list can be sorted by (the declared sortable fields, then the value columns),
    with the label a page shows. Amounts sort only for who reads every amount: an order by
    profit over hidden profits would tell them."""
    hidden = () if actor is None or amounts_scope(actor) is Scope.ALL else _MONEY_LISTED
    value_sorts = {k: v for k, v in VALUE_SORTS.items() if k not in hidden}
    return {**{f.key: f.label for f in fields.sortable()}, **value_sorts}


def _amounts_hidden(session: Session, actor: Actor, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with the amounts blanked where the actor may not read them (the tier, the
    segment and the churn risk stay: they say what to do, not what a customer is worth)."""
    granted = amounts_scope(actor)
    if granted is Scope.ALL or rows.empty:
        return rows
    hidden = pd.Series(True, index=rows.index)
    if granted is Scope.OWN:
        owned = session.scalars(select(Customer.id).where(Customer.owner_id == actor.id)).all()
        hidden = ~rows["id"].isin(set(owned))
    shown = rows.copy()
    for name in _MONEY_LISTED:
        shown[name] = shown[name].astype("float64").where(~hidden)
    return shown


@dataclass(frozen=True)
class CustomerFilter:
    """What the user asked for; empty fields do not filter. Values are the stored strings."""

    query: str = ""
    value_tiers: tuple[str, ...] = ()
    rfm_segments: tuple[str, ...] = ()
    lifecycle_stages: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    owner_ids: tuple[int, ...] = ()
    tag: str = ""
    # (first day, last day) as ISO dates in the team's time zone, both days included: when
    # the customer was created, when they placed a completed order (a dashboard figure's rows)
    created_between: tuple[str, ...] = ()
    bought_between: tuple[str, ...] = ()

    @property
    def uses_values(self) -> bool:
        return bool(self.value_tiers or self.rfm_segments)


@dataclass(frozen=True)
class CustomerPage:
    """One page of the list (list_columns()) and how many customers match in all."""

    rows: pd.DataFrame
    total: int


def search_customers(
    session: Session,
    actor: Actor,
    flt: CustomerFilter | None = None,
    values: pd.DataFrame | None = None,
    *,
    sort_by: str = "name",
    descending: bool = False,
    limit: int | None = 50,
    offset: int = 0,
    stored: bool = False,
) -> CustomerPage:
    """The customers the actor may read that match `flt`, sorted, one page of them.

    `stored=True`: the value columns, filters and sorts from the stored `customer_values`
    table, in SQL (a customer not refreshed yet has empty value columns, sorted last).
    Else `values` is a value table (index customer_id; `customer_values().frame`); without
    either the value columns are empty, and value filters or sorts raise ValueError.
    """
    flt = flt or CustomerFilter()
    if sort_by not in sorts(actor):
        raise ValueError(f"cannot sort the customers list by {sort_by!r}")
    if stored:
        where = _conditions(session, actor, flt)
        page = _stored_page(session, where, flt, sort_by, descending, limit, offset)
        return CustomerPage(rows=_amounts_hidden(session, actor, page.rows), total=page.total)
    if values is None and (flt.uses_values or sort_by in VALUE_SORTS):
        raise ValueError("value filters and value sorts need the value table")
    where = _conditions(session, actor, flt)
    if flt.uses_values or sort_by in VALUE_SORTS:
        assert values is not None
        ids = _ids_by_value(session, where, flt, values, sort_by, descending)
        chosen = ids[offset : None if limit is None else offset + limit]
        # A page names its ids; a long list (an export) reads them all instead of 100k params.
        narrow: list[ColumnElement[bool]] = (
            [Customer.id.in_(chosen)] if len(chosen) <= _MAX_IDS_IN_QUERY else where
        )
        found = _rows(session, _list_query(narrow)).set_index("id")
        # In list order; an id deleted since the first query (a race) is simply left out.
        rows = found.loc[pd.Index(chosen).intersection(found.index, sort=False)].reset_index()
        total = len(ids)
    else:
        query = _list_query(where).order_by(*_order(sort_by, descending)).offset(offset)
        rows = _rows(session, query if limit is None else query.limit(limit))
        total = session.scalar(select(func.count()).select_from(Customer).where(*where)) or 0
    listed = _amounts_hidden(session, actor, _with_values(rows, values))
    return CustomerPage(rows=listed, total=total)


def export_rows(
    session: Session,
    actor: Actor,
    flt: CustomerFilter | None = None,
    values: pd.DataFrame | None = None,
    *,
    sort_by: str = "name",
    descending: bool = False,
    stored: bool = False,
) -> pd.DataFrame:
    """The whole filtered list (every page), for a CSV download: pass it through safe_csv."""
    page = search_customers(
        session,
        actor,
        flt,
        values,
        sort_by=sort_by,
        descending=descending,
        limit=None,
        stored=stored,
    )
    return page.rows.drop(columns=["version"])


def matching_versions(
    session: Session, actor: Actor, flt: CustomerFilter | None = None
) -> list[tuple[int, int]]:
    """(id, version) of every customer the filtered list holds, all pages, by id: what a bulk
    edit of the whole result changes (the versions read now, so that a save meanwhile stops
    it). Value filters on the stored value table, as the pages' list does."""
    flt = flt or CustomerFilter()
    terms = _conditions(session, actor, flt)
    stmt = select(Customer.id, Customer.version)
    if flt.uses_values:
        stored = CustomerValue
        stmt = stmt.join(stored, stored.customer_id == Customer.id)
        if flt.value_tiers:
            terms.append(stored.value_tier.in_(flt.value_tiers))
        if flt.rfm_segments:
            terms.append(stored.rfm_segment.in_(flt.rfm_segments))
    found = session.execute(stmt.where(*terms).order_by(Customer.id))
    return [(int(i), int(v)) for i, v in found]


def filter_options(session: Session, actor: Actor) -> dict[str, Any]:
    """Choices for the filter widgets, from the customers the actor may read.

    regions, cities (those on file, deleted customers' too: an index answers that at once),
    industries: sorted lists; owners: {user id: name} of the customers' owners; active_users:
    {user id: name} of everyone who can be made an owner; lifecycle_stages, value_tiers,
    rfm_segments: every value, in their natural order.
    """
    scope = read_filter(actor, Entity.CUSTOMER, Customer.owner_id)
    places = session.execute(select(Customer.region, Customer.city).where(scope).distinct())
    regions, cities = set(), set()
    for region, city in places:
        regions.add(region)
        cities.add(city)
    industries = session.scalars(
        select(Account.industry).where(Account.deleted_at.is_(None)).distinct()
    )
    owns = exists().where(Customer.owner_id == User.id, Customer.deleted_at.is_(None), scope)
    owners = session.execute(select(User.id, User.name).where(owns).order_by(User.name))
    return {
        "regions": sorted(r for r in regions if r),
        "cities": sorted(c for c in cities if c),
        "industries": sorted(i for i in industries if i),
        "owners": {user_id: name for user_id, name in owners},
        "active_users": dict(active_users(session)),
        "lifecycle_stages": [s.value for s in LifecycleStage],
        "value_tiers": [t.value for t in ValueTier],
        "rfm_segments": [s.value for s in RfmSegment],
    }


def _conditions(session: Session, actor: Actor, flt: CustomerFilter) -> list[ColumnElement[bool]]:
    """WHERE terms on `customers` alone (no join), so the count needs no join either."""
    dialect = session.get_bind().dialect.name
    where = [Customer.deleted_at.is_(None), read_filter(actor, Entity.CUSTOMER, Customer.owner_id)]
    text = flt.query.strip()
    if text and dialect == "sqlite":
        # SQLite would walk the name index to fill a name-ordered page and test every row on
        # the way (200 ms at 100,000 customers for a rare name); matching first takes 50 ms.
        inner = aliased(Customer)
        where.append(Customer.id.in_(select(inner.id).where(_search(inner, text, dialect))))
    elif text:
        where.append(_search(Customer, text, dialect))
    if flt.lifecycle_stages:
        where.append(
            Customer.lifecycle_stage.in_([LifecycleStage(s) for s in flt.lifecycle_stages])
        )
    if flt.regions:
        where.append(Customer.region.in_(flt.regions))
    if flt.cities:
        where.append(Customer.city.in_(flt.cities))
    if flt.industries:
        in_industry = select(Account.id).where(Account.industry.in_(flt.industries))
        where.append(Customer.account_id.in_(in_industry))
    if flt.owner_ids:
        where.append(Customer.owner_id.in_(flt.owner_ids))
    if flt.tag.strip():
        where.append(_has_tag(flt.tag.strip().lower(), dialect))
    return where + _periods(session, flt)


def _periods(session: Session, flt: CustomerFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not (flt.created_between or flt.bought_between):
        return where
    zone = team_settings(session).time_zone
    if created := span_bounds(flt.created_between, zone):
        where.append(Customer.created_at >= created[0])
        where.append(Customer.created_at < created[1])
    if bought := span_bounds(flt.bought_between, zone):
        sold = select(Order.customer_id).where(
            sold_orders(bought[1]), Order.ordered_at >= bought[0]
        )
        where.append(Customer.id.in_(sold))
    return where


def span_bounds(span: tuple[str, ...], zone: str) -> tuple[datetime, datetime] | None:
    """(first day, last day) as ISO dates -> naive UTC [start, end) of those local days; None
    when the span is empty or not two dates in order (a hand-edited address)."""
    try:
        first, last = (date.fromisoformat(day) for day in span)
    except ValueError:
        return None
    if first > last:
        return None
    return as_of_day(first - timedelta(days=1), zone), as_of_day(last, zone)


def _search(entity: Any, text: str, dialect: str) -> ColumnElement[bool]:
    """Part of the name, email or company (any case), or of the phone however it is typed."""
    pattern = _contains(text.lower())
    company_ids = select(Account.id).where(func.lower(Account.name).like(pattern, escape="\\"))
    if dialect == "postgresql" and len(text) >= 3:
        # `= ANY(ARRAY(...))` lets PostgreSQL OR this with the trigram indexes (a bitmap OR);
        # under three characters trigrams cannot help and IN (...) is the faster plan.
        company = entity.account_id == any_(func.array(company_ids.scalar_subquery()))
    else:
        company = entity.account_id.in_(company_ids)
    arms = [
        func.lower(entity.name).like(pattern, escape="\\"),
        func.lower(entity.email_normalized).like(pattern, escape="\\"),
        company,
    ]
    phone = _phone_part(text)
    if phone:
        arms.append(func.lower(entity.phone_normalized).like(f"%{phone}%"))
    return or_(*arms)


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phone_part(text: str) -> str | None:
    """The national digits of a typed phone fragment: "0812 3456" and "+62 812-3456" both
    give "8123456", found inside the stored +62812345678. None unless it looks like a phone."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 4 or not set(text) <= _PHONE_CHARS:
        return None
    try:
        return str(phonenumbers.parse(text, DEFAULT_PHONE_REGION).national_number)
    except phonenumbers.NumberParseException:
        return digits.lstrip("0") or None


def _has_tag(tag: str, dialect: str) -> ColumnElement[bool]:
    """The customer's JSON list of tags holds `tag` (any case)."""
    each = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    elements = each(Customer.tags).table_valued("value")
    return exists(select(1).select_from(elements).where(func.lower(elements.c.value) == tag))


def _list_query(where: list[ColumnElement[bool]]) -> Select[Any]:
    shown = fields.listed()
    columns = [Customer.id, *(_shown(f) for f in shown), Customer.version]
    return _joined(select(*columns).where(*where), shown)


_TARGETS = {Widget.ACCOUNT: Account, Widget.USER: User}


@cache
def _target(name: str, widget: Widget) -> Any:
    """The account or user a reference field points at; one alias per field, so that two
    fields pointing at users are two joins."""
    return aliased(_TARGETS[widget], name=f"{name}_target")


def _shown(field: CustomerField) -> ColumnElement[Any]:
    """The field's column as the list shows it: a reference by its target's name."""
    column: ColumnElement[Any] | QueryableAttribute[Any]
    if field.widget in _TARGETS:
        column = _target(field.name, field.widget).name
    else:
        column = getattr(Customer, field.name)
    return column.label(field.key)


def _joined(stmt: Select[Any], shown: list[CustomerField]) -> Select[Any]:
    """Join the accounts and users that reference fields point at, for their names."""
    for field in shown:
        if field.widget in _TARGETS:
            target = _target(field.name, field.widget)
            stmt = stmt.outerjoin(target, target.id == getattr(Customer, field.name))
    return stmt


def _order(sort_by: str, descending: bool) -> list[Any]:
    """ORDER BY terms: the column (missing values last either way), then id for stable pages."""
    field = fields.by_key(sort_by)
    if field is None:
        return [Customer.id]
    column: Any = getattr(Customer, field.name)
    nullable = bool(column.property.columns[0].nullable)
    if field.widget in _TARGETS:
        column, nullable = _target(field.name, field.widget).name, True
    elif field.widget is Widget.CHOICE and field.choices is not None:
        # In the enum's own order (a relationship's stages as they follow), not alphabetical.
        column = case({v: position for position, v in enumerate(field.choices)}, value=column)
    term = column.desc() if descending else column.asc()
    return [term.nulls_last() if nullable else term, Customer.id]


def _ids_by_value(
    session: Session,
    where: list[ColumnElement[bool]],
    flt: CustomerFilter,
    values: pd.DataFrame,
    sort_by: str,
    descending: bool,
) -> list[int]:
    """Every matching id in list order, after the value filters and the value sort."""
    stmt = select(Customer.id).select_from(Customer).where(*where)
    field = fields.by_key(sort_by)
    if field is not None:
        stmt = _joined(stmt, [field])
    if sort_by not in VALUE_SORTS:
        stmt = stmt.order_by(*_order(sort_by, descending))
    # Core execution: 100,000 ids through the ORM's result machinery take twice as long.
    ids = pd.Index(list(session.connection().execute(stmt).scalars()), dtype="int64")
    needed = ["value_tier", "rfm_segment", *([sort_by] if sort_by in VALUE_SORTS else [])]
    kept = values[needed].reindex(ids)
    if flt.value_tiers:
        kept = kept[kept["value_tier"].isin(flt.value_tiers).to_numpy()]
    if flt.rfm_segments:
        kept = kept[kept["rfm_segment"].isin(flt.rfm_segments).to_numpy()]
    if sort_by not in VALUE_SORTS:
        return kept.index.tolist()
    order = pd.DataFrame({"key": kept[sort_by].to_numpy(), "id": kept.index.to_numpy()})
    order = order.sort_values(
        ["key", "id"], ascending=[not descending, True], na_position="last", kind="stable"
    )
    return order["id"].tolist()


def _rows(session: Session, query: Select[Any]) -> pd.DataFrame:
    # Plain tuples: a DataFrame built from Row objects is ten times slower at 100,000 rows.
    rows = [tuple(row) for row in session.connection().execute(query).all()]
    shown = fields.listed()
    frame = pd.DataFrame(rows, columns=["id", *(f.key for f in shown), "version"])
    frame["id"] = frame["id"].astype("int64")
    for field in shown:
        if field.widget is Widget.CHOICE:
            frame[field.key] = frame[field.key].map(lambda v: v if v is None else str(v))
    return frame


def _with_values(rows: pd.DataFrame, values: pd.DataFrame | None) -> pd.DataFrame:
    if values is None:
        extra = pd.DataFrame(index=rows.index, columns=VALUE_LIST_COLUMNS)
    else:
        extra = values[VALUE_LIST_COLUMNS].reindex(rows["id"].to_numpy())
        extra.index = rows.index
    return pd.concat([rows, extra], axis=1)[list_columns()]


_MONEY_LISTED = ("net_revenue", "profit")  # stored in hundredths


def _stored_page(
    session: Session,
    where: list[ColumnElement[bool]],
    flt: CustomerFilter,
    sort_by: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> CustomerPage:
    """One page of the list with its value columns, filtered and sorted in SQL on the stored
    value table (outer join: a customer not refreshed yet is listed with empty figures)."""
    stored = CustomerValue
    terms = list(where)
    if flt.value_tiers:
        terms.append(stored.value_tier.in_(flt.value_tiers))
    if flt.rfm_segments:
        terms.append(stored.rfm_segment.in_(flt.rfm_segments))
    joined = Customer.__table__.outerjoin(stored.__table__, stored.customer_id == Customer.id)
    shown = fields.listed()
    columns = [
        Customer.id,
        *(_shown(f) for f in shown),
        Customer.version,
        *(getattr(stored, name).label(name) for name in VALUE_LIST_COLUMNS),
    ]
    field = fields.by_key(sort_by)
    joins = [*shown, *([field] if field is not None and field not in shown else [])]
    stmt = _joined(select(*columns).select_from(joined).where(*terms), joins)
    if sort_by in VALUE_SORTS:
        column = getattr(stored, sort_by)
        term = column.desc() if descending else column.asc()
        stmt = stmt.order_by(term.nulls_last(), Customer.id)
    else:
        stmt = stmt.order_by(*_order(sort_by, descending))
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [tuple(row) for row in session.connection().execute(stmt).all()]
    names = ["id", *(f.key for f in shown), "version", *VALUE_LIST_COLUMNS]
    frame = pd.DataFrame(rows, columns=names)
    frame["id"] = frame["id"].astype("int64")
    for f in shown:
        if f.widget is Widget.CHOICE:
            frame[f.key] = frame[f.key].map(lambda v: v if v is None else str(v))
    for name in _MONEY_LISTED:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64") / 100
    frame["churn_risk"] = pd.to_numeric(frame["churn_risk"], errors="coerce").astype("float64")
    frame["last_order_at"] = pd.to_datetime(frame["last_order_at"]).astype("datetime64[ns]")
    for name in ("value_tier", "rfm_segment"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    counted = select(func.count()).select_from(joined if flt.uses_values else Customer.__table__)
    total = session.scalar(counted.where(*terms)) or 0
    return CustomerPage(rows=frame[list_columns()], total=total)


# The Customers list's address for a link from another page (a dashboard figure's rows):
# ?region=…&owner=…&created=2026-11-01..2026-11-30&bought=…; the page sets these filters.
_SPAN = ".."


def list_address(
    region: str | None = None,
    owner_id: int | None = None,
    created: tuple[date, date] | None = None,
    bought: tuple[date, date] | None = None,
) -> dict[str, str]:
    """The address parameters that open the Customers list with these filters."""
    params = {"region": region, "owner": None if owner_id is None else str(owner_id)}
    for name, span in (("created", created), ("bought", bought)):
        params[name] = None if span is None else f"{span[0]:%Y-%m-%d}{_SPAN}{span[1]:%Y-%m-%d}"
    return {k: v for k, v in params.items() if v is not None}


def filter_from_address(params: Mapping[str, str]) -> CustomerFilter | None:
    """The filter a link's parameters ask for (list_address), or None when it names none.
    A value that is not one (an owner that is not a number, a span that is not two dates in
    order) is left out rather than refused: the list then shows more, never an error."""
    if not any(name in params for name in ("region", "owner", "created", "bought")):
        return None
    owner = params.get("owner", "")
    spans = {}
    for name in ("created", "bought"):
        span = tuple(params.get(name, "").split(_SPAN))
        spans[name] = span if span_bounds(span, "UTC") is not None else ()
    return CustomerFilter(
        regions=(params["region"],) if params.get("region") else (),
        owner_ids=(int(owner),) if owner.isdigit() else (),
        created_between=spans["created"],
        bought_between=spans["bought"],
    )
