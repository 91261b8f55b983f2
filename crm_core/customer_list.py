"""The customers list: search by part of a name, email, phone or company; paged."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from crm_core.models import Account, Customer, User
from crm_core.permissions import Actor, read_filter
from crm_core.schemas import normalize_phone

LIST_COLUMNS = ["id", "name", "company", "email", "phone", "city", "lifecycle_stage", "owner"]


@dataclass(frozen=True)
class CustomerPage:
    rows: pd.DataFrame
    total: int


def _base(actor: Actor, query: str) -> Select:
    stmt = (
        select(
            Customer.id,
            Customer.name,
            Account.name.label("company"),
            Customer.email,
            Customer.phone,
            Customer.city,
            Customer.lifecycle_stage,
            User.name.label("owner"),
        )
        .outerjoin(Account, Account.id == Customer.account_id)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(Customer.deleted_at.is_(None), read_filter(actor, "customer", Customer.owner_id))
    )
    text = query.strip()
    if not text:
        return stmt
    pattern = f"%{text.lower()}%"
    matches = [
        func.lower(Customer.name).like(pattern),
        Customer.email_normalized.like(pattern),
        func.lower(Account.name).like(pattern),
    ]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4:
        matches.append(Customer.phone_normalized.like(f"%{_phone_digits(text, digits)}%"))
    return stmt.where(or_(*matches))


def _phone_digits(text: str, digits: str) -> str:
    # "0812 3456" and "+62 812 3456" should both find +628123456...: compare without the 0/+62.
    try:
        return normalize_phone(text).lstrip("+")[2:]
    except ValueError:
        return digits.lstrip("0")


def search_customers(
    session: Session, actor: Actor, query: str = "", *, limit: int = 50, offset: int = 0
) -> CustomerPage:
    base = _base(actor, query)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(Customer.name, Customer.id).limit(limit).offset(offset))
    frame = pd.DataFrame(rows.all(), columns=LIST_COLUMNS)
    frame["lifecycle_stage"] = frame["lifecycle_stage"].map(str)
    return CustomerPage(rows=frame, total=total)
