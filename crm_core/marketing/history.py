"""Customers' stored attributes as they stood at a past moment, rebuilt from the audit trail:
today's value, put back to the `old` of the first change recorded after the moment. Every
change made in Relasi (forms, imports, assignments, merges' field changes) is audited, so
region, city, tags, consents and the rest are those of then; a change made outside Relasi
(straight in the database, or the demo data's history) is not known and reads as today's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.marketing.rules import ConditionIn, Op, years_before
from crm_core.models import Account, AuditEntry, Customer
from crm_core.models.enums import Entity

# Rule attributes kept on the customer (audited as customer fields), and on its company.
CUSTOMER_FIELDS = ("region", "city", "country", "lifecycle_stage", "gender", "birth_date",
                   "source", "preferred_channel", "tags", "consent_email", "consent_sms",
                   "consent_phone", "account_id")  # fmt: skip
ACCOUNT_FIELDS = ("industry", "employees")


def _current(session: Session, ids: np.ndarray) -> pd.DataFrame:
    columns = [type_coerce(getattr(Customer, f), String)
               if f in ("lifecycle_stage", "gender", "source", "preferred_channel", "birth_date")
               else getattr(Customer, f) for f in CUSTOMER_FIELDS]  # fmt: skip
    rows: list[Any] = []
    listed = [int(i) for i in ids]
    for start in range(0, len(listed), 5000):
        chunk = listed[start : start + 5000]
        rows += session.execute(select(Customer.id, *columns).where(Customer.id.in_(chunk))).all()
    frame = pd.DataFrame(rows, columns=["customer_id", *CUSTOMER_FIELDS]).set_index("customer_id")
    return frame.reindex(pd.Index(listed, name="customer_id")).astype(object)


def _undo(frame: pd.DataFrame, entity: str, fields: tuple[str, ...], session: Session,
          as_of: datetime) -> None:  # fmt: skip
    """Put each field of each row back to its value at `as_of` (in place)."""
    stmt = (
        select(AuditEntry.entity_id, AuditEntry.changes)
        .where(AuditEntry.entity == entity, AuditEntry.at >= as_of,
               AuditEntry.entity_id.is_not(None))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )  # fmt: skip
    wanted = set(fields)
    for entity_id, changes in session.execute(stmt):
        if entity_id not in frame.index:
            continue
        for field, change in (changes or {}).items():  # newest first: the earliest wins
            if field in wanted and isinstance(change, dict) and "old" in change:
                frame.at[entity_id, field] = change["old"]


def attributes_as_of(session: Session, ids: np.ndarray, as_of: datetime) -> pd.DataFrame:
    """One row per customer id (in the order given): the rule attributes at `as_of`."""
    frame = _current(session, ids)
    _undo(frame, Entity.CUSTOMER.value, CUSTOMER_FIELDS, session, as_of)
    account_ids = sorted({int(a) for a in frame["account_id"].dropna()})
    accounts = pd.DataFrame(
        session.execute(
            select(Account.id, Account.industry, Account.employees).where(
                Account.id.in_(account_ids)
            )
        ).all(),
        columns=["account_id", *ACCOUNT_FIELDS],
    ).set_index("account_id").astype(object)  # fmt: skip
    _undo(accounts, Entity.ACCOUNT.value, ACCOUNT_FIELDS, session, as_of)
    joined = accounts.reindex(pd.Index(frame["account_id"].astype("float64"))).to_numpy()
    for k, field in enumerate(ACCOUNT_FIELDS):
        frame[field] = joined[:, k] if len(frame) else []
    frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
    return frame


def _age_cut(as_of: datetime, years: float) -> pd.Timestamp:
    return pd.Timestamp(years_before(as_of, years).date())


def attribute_condition(
    condition: ConditionIn, attributes: pd.DataFrame, as_of: datetime
) -> np.ndarray:
    """A rule condition on a stored attribute, tested on the rebuilt frame (as SQL would)."""
    c, field = condition, condition.field
    if field == "tags":
        wanted = {v.lower() for v in c.value}
        has = np.array([bool(wanted & {str(t).lower() for t in (tags or [])})
                        for tags in attributes["tags"]], dtype=bool)  # fmt: skip
        return has if c.op is Op.HAS_ANY else ~has
    if field.startswith("consent_"):
        yes = np.array([v is True for v in attributes[field]], dtype=bool)
        return yes if c.op is Op.YES else ~yes
    column = attributes["birth_date" if field == "age" else field]
    present = column.notna().to_numpy()
    if c.op is Op.IS_SET:
        return present
    if c.op is Op.IS_EMPTY:
        return ~present
    if field == "age":
        born = column
        if c.op is Op.AT_LEAST:
            return np.asarray((born <= _age_cut(as_of, c.value)).fillna(False), dtype=bool)
        return np.asarray((born > _age_cut(as_of, c.value + 1)).fillna(False), dtype=bool)
    if c.op in (Op.AT_LEAST, Op.AT_MOST):
        number = pd.to_numeric(column, errors="coerce")
        kept = number >= float(c.value) if c.op is Op.AT_LEAST else number <= float(c.value)
        return np.asarray(kept.fillna(False), dtype=bool)
    inside = column.astype(str).isin([str(v) for v in c.value]).to_numpy() & present
    return inside if c.op is Op.IN else ~inside
