"""Segment rules: conditions (attribute, operator, value) in AND / OR groups, validated, and
evaluated as one SQL query with bound parameters plus the value table.

A rule is `{"match": "all"|"any", "groups": [{"match": ..., "conditions": [{"field",
"op", "value"}]}]}`. Conditions on stored attributes (region, industry, tags, consent...)
compile to one `CASE WHEN ... THEN 1 ELSE 0 END` column each in a single SELECT over the
customers the actor may read, every value bound as a parameter (never pasted into SQL).
Conditions on the value figures (tier, RFM, CLV, churn risk, last purchase), which the
Customers area computes for all customers at once, test the value table by customer id.
Then the groups combine the two. The older flat form `{"region": ["DKI Jakarta"], ...}`
reads as one group where every field must match one of its values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import N_, Message, msg
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.marketing.amounts import AMOUNT_FIELDS, mask_frame, masked
from crm_core.models import Account, Customer
from crm_core.models.enums import Channel, Entity, Gender, LeadSource, LifecycleStage
from crm_core.models.value import CustomerValue


class Kind(StrEnum):
    CHOICE = "choice"
    NUMBER = "number"
    FLAG = "flag"
    TAGS = "tags"


class Op(StrEnum):
    IN = "in"
    NOT_IN = "not in"
    AT_LEAST = "at least"
    AT_MOST = "at most"
    IS_SET = "is set"
    IS_EMPTY = "is empty"
    YES = "yes"
    NO = "no"
    HAS_ANY = "has any of"
    HAS_NONE = "has none of"


OPS: dict[Kind, tuple[Op, ...]] = {
    Kind.CHOICE: (Op.IN, Op.NOT_IN, Op.IS_SET, Op.IS_EMPTY),
    Kind.NUMBER: (Op.AT_LEAST, Op.AT_MOST, Op.IS_SET, Op.IS_EMPTY),
    Kind.FLAG: (Op.YES, Op.NO),
    Kind.TAGS: (Op.HAS_ANY, Op.HAS_NONE),
}
_NO_VALUE = {Op.IS_SET, Op.IS_EMPTY, Op.YES, Op.NO}


@dataclass(frozen=True)
class RuleField:
    key: str
    label: str  # an English msgid
    kind: Kind
    in_sql: bool  # a stored attribute (SQL); else a value-table figure
    vocabulary: type[StrEnum] | None = None  # fixed choices; None: the stored values
    scale: float = 1.0  # value table figure x scale = what the user types (churn risk in %)


FIELDS: dict[str, RuleField] = {f.key: f for f in (
    RuleField("value_tier", N_("Value tier"), Kind.CHOICE, False, ValueTier),
    RuleField("rfm_segment", N_("RFM segment"), Kind.CHOICE, False, RfmSegment),
    RuleField("r_score", N_("Recency score (1–5)"), Kind.NUMBER, False),
    RuleField("f_score", N_("Frequency score (1–5)"), Kind.NUMBER, False),
    RuleField("m_score", N_("Monetary score (1–5)"), Kind.NUMBER, False),
    RuleField("historical_clv", N_("Historical CLV"), Kind.NUMBER, False),
    RuleField("predicted_clv", N_("Predicted CLV"), Kind.NUMBER, False),
    RuleField("churn_risk", N_("Churn risk (%)"), Kind.NUMBER, False, scale=100.0),
    RuleField("net_revenue", N_("Net revenue"), Kind.NUMBER, False),
    RuleField("profit", N_("Profit"), Kind.NUMBER, False),
    RuleField("orders", N_("Orders"), Kind.NUMBER, False),
    RuleField("days_since_last_order", N_("Days since the last purchase"), Kind.NUMBER, False),
    RuleField("years_since_first_order", N_("Years since the first purchase"), Kind.NUMBER,
              False),
    RuleField("region", N_("Region"), Kind.CHOICE, True),
    RuleField("city", N_("City"), Kind.CHOICE, True),
    RuleField("country", N_("Country"), Kind.CHOICE, True),
    RuleField("industry", N_("Industry (of the company)"), Kind.CHOICE, True),
    RuleField("employees", N_("Employees (of the company)"), Kind.NUMBER, True),
    RuleField("lifecycle_stage", N_("Lifecycle stage"), Kind.CHOICE, True, LifecycleStage),
    RuleField("gender", N_("Gender"), Kind.CHOICE, True, Gender),
    RuleField("age", N_("Age"), Kind.NUMBER, True),
    RuleField("source", N_("Source"), Kind.CHOICE, True, LeadSource),
    RuleField("preferred_channel", N_("Preferred channel"), Kind.CHOICE, True, Channel),
    RuleField("tags", N_("Tags"), Kind.TAGS, True),
    RuleField("consent_email", N_("Consents to email"), Kind.FLAG, True),
    RuleField("consent_sms", N_("Consents to WhatsApp / SMS"), Kind.FLAG, True),
    RuleField("consent_phone", N_("Consents to calls"), Kind.FLAG, True),
)}  # fmt: skip


class ConditionIn(_Input):
    field: str
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _fits(self) -> ConditionIn:
        spec = FIELDS.get(self.field)
        if spec is None:
            raise ValueError(msg("rule.unknown_field", field=self.field))
        if self.op not in OPS[spec.kind]:
            raise ValueError(msg("rule.bad_operator", field=Message(spec.label), op=self.op.value))
        if self.op in _NO_VALUE:
            self.value = None
        elif spec.kind is Kind.NUMBER:
            try:
                self.value = float(self.value)
            except (TypeError, ValueError):
                raise ValueError(msg("rule.needs_number", field=Message(spec.label))) from None
        else:
            values = [self.value] if isinstance(self.value, str) else list(self.value or [])
            values = [str(v).strip() for v in values if str(v).strip()]
            if not values:
                raise ValueError(msg("rule.needs_values", field=Message(spec.label)))
            if spec.vocabulary is not None:
                known = {v.value for v in spec.vocabulary}
                if any(v not in known for v in values):
                    raise ValueError(msg("rule.unknown_value", field=Message(spec.label)))
            self.value = values
        return self


class GroupIn(_Input):
    match: Literal["all", "any"] = "all"
    conditions: list[ConditionIn] = Field(min_length=1)


class RuleIn(_Input):
    match: Literal["all", "any"] = "all"
    groups: list[GroupIn] = Field(min_length=1)


def parse_rule(stored: Mapping[str, Any]) -> RuleIn:
    """A stored rule, the older flat form `{field: [values]}` included."""
    if "groups" in stored:
        return RuleIn.model_validate(dict(stored))
    conditions = [{"field": f, "op": Op.IN, "value": list(v)} for f, v in stored.items()]
    return RuleIn.model_validate({"groups": [{"conditions": conditions}]})


def fields_used(rule: RuleIn) -> set[str]:
    return {c.field for g in rule.groups for c in g.conditions}


# --- SQL conditions on stored attributes ---


def _tags_hold(values: list[str], dialect: str) -> ColumnElement[bool]:
    each = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    elements = each(Customer.tags).table_valued("value")
    wanted = [v.lower() for v in values]
    return exists(select(1).select_from(elements).where(func.lower(elements.c.value).in_(wanted)))


def years_before(moment: datetime, years: float) -> datetime:
    whole = int(years)
    try:
        shifted = moment.replace(year=moment.year - whole)
    except ValueError:  # 29 February
        shifted = moment.replace(year=moment.year - whole, day=28)
    return shifted - timedelta(days=round((years - whole) * 365.25))


def _sql_condition(c: ConditionIn, dialect: str, as_of: datetime) -> ColumnElement[bool]:
    column: InstrumentedAttribute[Any]
    if c.field == "tags":
        has = _tags_hold(list(c.value), dialect)
        return has if c.op is Op.HAS_ANY else ~has
    if c.field.startswith("consent_"):
        flag: InstrumentedAttribute[bool] = getattr(Customer, c.field)
        return flag.is_(True) if c.op is Op.YES else flag.is_not(True)
    if c.field == "age":  # age at least n: born on or before as_of - n years
        column = Customer.birth_date
        if c.op is Op.AT_LEAST:
            return column <= years_before(as_of, c.value).date()
        if c.op is Op.AT_MOST:  # age at most n: born after as_of - (n + 1) years
            return column > years_before(as_of, c.value + 1).date()
    elif c.field in ("industry", "employees"):
        column = getattr(Account, c.field)
    else:
        column = getattr(Customer, c.field)
    if c.op is Op.IS_SET:
        return column.is_not(None)
    if c.op is Op.IS_EMPTY:
        return column.is_(None)
    if c.op in (Op.AT_LEAST, Op.AT_MOST):
        bound = float(c.value)
        compared: ColumnElement[bool] = column >= bound if c.op is Op.AT_LEAST else column <= bound
        return compared
    spec = FIELDS[c.field]
    values: list[Any] = list(c.value)
    if spec.vocabulary is not None:
        values = [spec.vocabulary(v) for v in values]
    if c.op is Op.IN:
        return column.in_(values)
    return or_(column.is_(None), column.not_in(values))


# --- stored value figures (today: the customer_values read model, in the same query) ---

_MONEY = {"net_revenue", "profit", "historical_clv"}  # stored in hundredths
_EPS = 1e-9  # typed 1.5 matches a stored 1.4999999999 (the frame path's tolerance)


def _stored_condition(c: ConditionIn, actor: Actor, as_of: datetime) -> ColumnElement[bool]:
    test: ColumnElement[bool] = _stored_test(c, actor, as_of)
    return test


def _stored_test(c: ConditionIn, actor: Actor, as_of: datetime) -> Any:
    if c.field in ("days_since_last_order", "years_since_first_order"):
        column: Any = getattr(CustomerValue, "last_order_at" if c.field.startswith("days")
                              else "first_order_at")  # fmt: skip
        if c.op in (Op.AT_LEAST, Op.AT_MOST):
            days = float(c.value) * (1 if c.field.startswith("days") else 365.25)
            bound = as_of - timedelta(days=days)  # longer ago than n days: earlier than bound
            return column <= bound if c.op is Op.AT_LEAST else column >= bound
    else:
        column = getattr(CustomerValue, c.field)
        if c.field in AMOUNT_FIELDS:
            column = masked(actor, Customer.owner_id, column)
    if c.op is Op.IS_SET:
        return column.is_not(None)
    if c.op is Op.IS_EMPTY:
        return column.is_(None)
    if c.op in (Op.IN, Op.NOT_IN):
        inside = column.in_(list(c.value))
        return inside if c.op is Op.IN else or_(column.is_(None), ~inside)
    scale = FIELDS[c.field].scale / (100.0 if c.field in _MONEY else 1.0)
    if c.op is Op.AT_LEAST:
        return column >= (float(c.value) - _EPS) / scale
    return column <= (float(c.value) + _EPS) / scale


# --- value-table conditions (a past date: the value table computed for that day) ---


def value_figures(values: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """The value table with the figures rules read that it keeps as dates."""
    figures = values.copy()
    stamp = pd.Timestamp(as_of)
    last, first = pd.to_datetime(values["last_order_at"]), pd.to_datetime(values["first_order_at"])
    figures["days_since_last_order"] = (stamp - last).dt.total_seconds() / 86400
    figures["years_since_first_order"] = (stamp - first).dt.total_seconds() / (86400 * 365.25)
    return figures


def _value_condition(c: ConditionIn, figures: pd.DataFrame) -> np.ndarray:
    spec = FIELDS[c.field]
    column = figures[c.field]
    if c.op is Op.IS_SET:
        return column.notna().to_numpy()
    if c.op is Op.IS_EMPTY:
        return column.isna().to_numpy()
    if c.op in (Op.IN, Op.NOT_IN):
        inside = column.isin(list(c.value)).to_numpy()
        return inside if c.op is Op.IN else ~inside
    number = column.astype("float64") * spec.scale
    compare: Callable[[pd.Series], pd.Series] = (
        (lambda s: s >= c.value - 1e-9) if c.op is Op.AT_LEAST else (lambda s: s <= c.value + 1e-9)
    )
    return np.asarray(compare(number).fillna(False), dtype=bool)


def _combine(match: str, parts: list[np.ndarray], size: int) -> np.ndarray:
    if not parts:
        return np.ones(size, dtype=bool)
    stacked = np.vstack(parts)
    return np.asarray(stacked.all(axis=0) if match == "all" else stacked.any(axis=0), dtype=bool)


def matching_ids(
    session: Session,
    actor: Actor,
    rule: RuleIn,
    values: pd.DataFrame | None,
    as_of: datetime,
    *,
    past: bool = False,
) -> list[int]:
    """Ids (ascending) of the customers the actor may read who match `rule` at `as_of`.

    `values` None: the value figures are the stored read model's (today), tested in the same
    SQL query as the attributes. Else `values` is a value table (index customer_id; at a
    `past` date the one computed for that date), tested in pandas. At a `past` date only the
    customers who existed then count, and their stored attributes are those of then as the
    audit trail rebuilds them (`crm_core.marketing.history`). Amounts (revenue, profit, CLV)
    match only customers whose amounts the actor reads.
    """
    dialect = session.get_bind().dialect.name
    if values is None and not past:
        return _ids_in_sql(session, actor, rule, as_of, dialect)
    leaves = [c for g in rule.groups for c in g.conditions]
    in_sql = {  # a past date: every condition on the rebuilt frame
        i: c
        for i, c in enumerate(leaves)
        if not past and (values is None or FIELDS[c.field].in_sql)
    }
    columns = [
        case((_sql_condition(c, dialect, as_of) if FIELDS[c.field].in_sql
              else _stored_condition(c, actor, as_of), 1), else_=0).label(f"c{i}")
        for i, c in in_sql.items()
    ]  # fmt: skip
    stmt = select(Customer.id, Customer.owner_id, *columns).where(
        read_filter(actor, Entity.CUSTOMER, Customer.owner_id)
    )
    if past:
        stmt = stmt.where(
            Customer.created_at < as_of,
            or_(Customer.deleted_at.is_(None), Customer.deleted_at >= as_of),
        )
    else:
        stmt = stmt.where(Customer.deleted_at.is_(None))
    if any(c.field in ("industry", "employees") for c in in_sql.values()):
        stmt = stmt.outerjoin(Account, and_(Account.id == Customer.account_id))
    if any(not FIELDS[c.field].in_sql for c in in_sql.values()):
        stmt = stmt.outerjoin(CustomerValue, CustomerValue.customer_id == Customer.id)
    rows = session.execute(stmt.order_by(Customer.id)).all()
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    results: dict[int, np.ndarray] = {
        i: np.array([bool(row[k + 2]) for row in rows], dtype=bool) for k, i in enumerate(in_sql)
    }
    if len(results) < len(leaves):
        owners = pd.Series([row[1] for row in rows], dtype="float64")
        results.update(_frame_conditions(
            session, actor, leaves, values, as_of, ids, owners, past=past, done=set(results)
        ))  # fmt: skip
    position, groups = 0, []
    for group in rule.groups:
        count = len(group.conditions)
        parts = [results[i] for i in range(position, position + count)]
        groups.append(_combine(group.match, parts, ids.size))
        position += count
    chosen = _combine(rule.match, groups, ids.size)
    return [int(i) for i in ids[chosen]]


def _rule_select(
    actor: Actor,
    rule: RuleIn,
    as_of: datetime,
    dialect: str,
    columns: list[Any],
    *,
    joins_values: bool = False,
) -> Any:
    """SELECT `columns` of today's members: every condition and the AND / OR groups in the
    WHERE (a NULL, unknown, counts as not matching)."""

    def leaf(c: ConditionIn) -> ColumnElement[bool]:
        test = _sql_condition(c, dialect, as_of) if FIELDS[c.field].in_sql else (
            _stored_condition(c, actor, as_of))  # fmt: skip
        return case((test, 1), else_=0) == 1  # unknown (NULL) counts as not matching

    def combine(match: str, parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
        return and_(*parts) if match == "all" else or_(*parts)

    groups = [combine(g.match, [leaf(c) for c in g.conditions]) for g in rule.groups]
    stmt = select(*columns).where(
        Customer.deleted_at.is_(None),
        read_filter(actor, Entity.CUSTOMER, Customer.owner_id),
        combine(rule.match, groups),
    )
    used = fields_used(rule)
    if used & {"industry", "employees"}:
        stmt = stmt.outerjoin(Account, Account.id == Customer.account_id)
    if any(not FIELDS[f].in_sql for f in used) or joins_values:
        stmt = stmt.outerjoin(CustomerValue, CustomerValue.customer_id == Customer.id)
    return stmt


def _ids_in_sql(
    session: Session, actor: Actor, rule: RuleIn, as_of: datetime, dialect: str
) -> list[int]:
    """Today's members in one query: only the matching ids leave the database."""
    stmt = _rule_select(actor, rule, as_of, dialect, [Customer.id])
    return [int(i) for i in session.connection().execute(stmt.order_by(Customer.id)).scalars()]


def _frame_conditions(
    session: Session,
    actor: Actor,
    leaves: list[ConditionIn],
    values: pd.DataFrame | None,
    as_of: datetime,
    ids: np.ndarray,
    owners: pd.Series,
    *,
    past: bool,
    done: set[int],
) -> dict[int, np.ndarray]:
    """The conditions not tested in SQL, on frames: the value table given, and at a `past`
    `as_of` the attributes as the audit trail says they were then."""
    from crm_core.marketing import history

    if values is None:
        raise ValueError("a past date needs the value table computed for it")
    index = pd.Index(ids, name="customer_id")
    figures = mask_frame(actor, value_figures(values, as_of).reindex(index), owners)
    attributes = history.attributes_as_of(session, ids, as_of) if past else None
    out: dict[int, np.ndarray] = {}
    for i, c in enumerate(leaves):
        if i in done:
            continue
        if attributes is not None and FIELDS[c.field].in_sql:
            out[i] = history.attribute_condition(c, attributes, as_of)
        else:
            out[i] = _value_condition(c, figures)
    return out


def checked_rule(data: Mapping[str, Any]) -> RuleIn:
    """The rule a builder put together, or ValidationError naming what is wrong."""
    return validate(RuleIn, data)


def choices(session: Session, field: str) -> list[str]:
    """What a choice field can be set to: its vocabulary, else the values stored (sorted)."""
    spec = FIELDS[field]
    if spec.vocabulary is not None:
        return [v.value for v in spec.vocabulary]
    if spec.kind is not Kind.CHOICE:
        return []
    column = getattr(Account if field == "industry" else Customer, field)
    stmt = select(column).where(column.is_not(None)).distinct().order_by(column)
    return [str(v) for v in session.scalars(stmt)]
