"""Accounts (companies): the write path (create, edit, link a customer), the accounts list and
an account's own 360 (contacts, recent orders and touchpoints, value rolled up from contacts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_core.customers import records as customers
from crm_core.customers.inputs import AccountIn
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.frames import query_frame
from crm_core.kernel.inputs import validate
from crm_core.kernel.lookups import is_active_user
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, read_filter, require, sees_amounts
from crm_core.models import Account, Customer, Interaction, Order, OrderItem, User
from crm_core.models.enums import Entity

EDITABLE_FIELDS = tuple(AccountIn.model_fields)


def get_account(session: Session, actor: Actor, account_id: int) -> Account:
    account = writepath.load(session, Account, account_id)
    require(actor, Entity.ACCOUNT, Action.READ, account)
    return account


def form_values(account: Account) -> dict[str, Any]:
    """The editable fields as a form shows them."""
    return {field: getattr(account, field) for field in EDITABLE_FIELDS}


def create_account(session: Session, actor: Actor, data: Mapping[str, Any]) -> Account:
    """A new account, owned by the actor unless `data` names another owner."""
    values = _validated(session, {"owner_id": actor.id, **data})
    require(actor, Entity.ACCOUNT, Action.CREATE)
    return writepath.insert(session, actor, Entity.ACCOUNT, Account(), values)


def update_account(
    session: Session, actor: Actor, account_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the fields in `data` over the version the user read; returns what changed."""
    account = writepath.load(session, Account, account_id)
    values = _validated(session, {**form_values(account), **data})
    require(actor, Entity.ACCOUNT, Action.UPDATE, account)
    return writepath.update(session, actor, Entity.ACCOUNT, account, expected_version, values)


def link_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    customer_version: int,
    account_id: int | None,
) -> dict[str, tuple[Any, Any]]:
    """Make the customer a contact of the account (None: a consumer of their own, B2C)."""
    if account_id is not None:
        get_account(session, actor, account_id)
    data = {"account_id": account_id}
    return customers.update_customer(session, actor, customer_id, customer_version, data)


def create_account_for_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    customer_version: int,
    data: Mapping[str, Any],
) -> Account:
    """A new account with the customer linked to it, both or neither (one transaction)."""
    account = create_account(session, actor, data)
    link_customer(session, actor, customer_id, customer_version, account.id)
    return account


def find_accounts(session: Session, text: str, limit: int = 20) -> pd.DataFrame:
    """Accounts whose name contains `text` (any case): id, name, city; by name."""
    stmt = (
        select(Account.id, Account.name, Account.city)
        .where(Account.deleted_at.is_(None))
        .order_by(Account.name, Account.id)
        .limit(limit)
    )
    if text.strip():
        stmt = stmt.where(func.lower(Account.name).contains(text.strip().lower(), autoescape=True))
    return pd.DataFrame(session.execute(stmt).all(), columns=["id", "name", "city"])


def _validated(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    values = validate(AccountIn, data).model_dump()
    if values["owner_id"] is not None and not is_active_user(session, values["owner_id"]):
        raise ValidationError({"owner_id": msg("validation.active_user")})
    return values


# ---- the accounts list and an account's own 360 ---------------------------------------------

ACCOUNT_PAGE_SIZE = 50
LIST_COLUMNS = ["id", "name", "industry", "city", "region", "owner", "contacts", "version"]
# The value figures an account sums over its contacts (money, and the count of orders).
ROLLED_UP = ("net_revenue", "gross_margin", "cost_to_serve", "profit", "orders",
             "historical_clv", "predicted_clv")  # fmt: skip
RECENT = 20  # orders and touchpoints shown on an account's page, newest first


@dataclass(frozen=True)
class AccountFilter:
    query: str = ""  # part of the name, the website or the city, any case
    industries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    owner_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class AccountPage:
    rows: pd.DataFrame  # LIST_COLUMNS
    total: int


def list_accounts(
    session: Session, actor: Actor, wanted: AccountFilter, page: int = 0,
    size: int = ACCOUNT_PAGE_SIZE,
) -> AccountPage:  # fmt: skip
    """One page of the accounts the actor may read, by name, with their live contacts counted."""
    require(actor, Entity.ACCOUNT, Action.READ)
    a = Account
    where = [a.deleted_at.is_(None), read_filter(actor, Entity.ACCOUNT, a.owner_id)]
    if text := wanted.query.strip().lower():
        where.append(
            or_(*(func.lower(column).contains(text, autoescape=True)
                  for column in (a.name, a.website, a.city)))
        )  # fmt: skip
    if wanted.industries:
        where.append(a.industry.in_(wanted.industries))
    if wanted.regions:
        where.append(a.region.in_(wanted.regions))
    if wanted.owner_ids:
        where.append(a.owner_id.in_(wanted.owner_ids))
    total = session.scalar(select(func.count()).select_from(a).where(*where)) or 0
    contacts = (
        select(func.count(Customer.id))
        .where(Customer.account_id == a.id, Customer.deleted_at.is_(None))
        .scalar_subquery()
    )
    stmt = (
        select(a.id, a.name, a.industry, a.city, a.region, User.name, contacts, a.version)
        .outerjoin(User, User.id == a.owner_id)
        .where(*where)
        .order_by(func.lower(a.name), a.id)
        .limit(size)
        .offset(page * size)
    )
    return AccountPage(query_frame(session, stmt, LIST_COLUMNS), int(total))


def account_filter_options(session: Session) -> dict[str, list[Any]]:
    """The industries, regions and owners live accounts have: the list's filter choices."""
    live = Account.deleted_at.is_(None)
    options: dict[str, list[Any]] = {}
    for name, column in (("industries", Account.industry), ("regions", Account.region)):
        found = session.scalars(select(column).where(live, column.is_not(None)).distinct())
        options[name] = sorted(str(v) for v in found)
    owners = select(User.id, User.name).join(Account, Account.owner_id == User.id).where(live)
    options["owners"] = sorted(session.execute(owners.distinct()).all(), key=lambda r: r[1])
    return options


@dataclass(frozen=True)
class AccountOverview:
    """What an account's page shows: the company, its owner, contacts, recent orders and
    touchpoints (each with the contact it is about)."""

    account: Account
    owner: str | None
    contacts: pd.DataFrame  # id, name, email, phone, lifecycle_stage, owner
    orders: pd.DataFrame  # id, ordered_at, customer_id, customer, channel, status, total
    touchpoints: pd.DataFrame  # id, occurred_at, customer_id, customer, channel, subject, by
    orders_total: int  # all the contacts' orders, not only the recent ones shown
    amounts: bool = True  # the actor reads every contact's amounts (else none are summed)


def account_overview(session: Session, actor: Actor, account_id: int) -> AccountOverview:
    account = get_account(session, actor, account_id)
    owner = session.get(User, account.owner_id) if account.owner_id else None
    stmt = (
        select(Customer.id, Customer.name, Customer.email, Customer.phone,
               Customer.lifecycle_stage, User.name, Customer.owner_id)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(Customer.account_id == account_id, Customer.deleted_at.is_(None))
        .order_by(func.lower(Customer.name), Customer.id)
    )  # fmt: skip
    contacts = query_frame(session, stmt, ["id", "name", "email", "phone", "lifecycle_stage",
                                          "owner", "owner_id"])  # fmt: skip
    owners = [None if pd.isna(o) else int(o) for o in contacts["owner_id"]]
    contacts = contacts.drop(columns=["owner_id"])
    contacts["lifecycle_stage"] = contacts["lifecycle_stage"].map(str)
    ids = [int(i) for i in contacts["id"]]
    orders, orders_total = recent_orders(session, ids, actor=actor)
    touchpoints = _touchpoints(session, actor, ids)
    name = owner.name if owner else None
    amounts = amounts_readable(actor, owners)
    return AccountOverview(account, name, contacts, orders, touchpoints, orders_total, amounts)


def recent_orders(
    session: Session, ids: list[int], limit: int = RECENT, *, actor: Actor
) -> tuple[pd.DataFrame, int]:
    """The newest orders of these customers (id, ordered_at, customer_id, customer, channel,
    status, total: lines less discount), and how many they have in all. A total is blank
    (NaN) where the actor may not read that customer's amounts (the matrix's amounts rule)."""
    lines = select(func.sum(OrderItem.quantity * OrderItem.unit_price)).where(
        OrderItem.order_id == Order.id
    )
    total = (func.coalesce(lines.scalar_subquery(), 0) - Order.discount).label("total")
    where = (Order.customer_id.in_(ids), Order.deleted_at.is_(None))
    stmt = (
        select(Order.id, Order.ordered_at, Order.customer_id, Customer.name, Order.channel,
               Order.status, total, Customer.owner_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(*where)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    )  # fmt: skip
    columns = ["id", "ordered_at", "customer_id", "customer", "channel", "status", "total"]
    frame = query_frame(session, stmt, [*columns, "owner_id"])
    for column in ("channel", "status"):
        frame[column] = frame[column].map(str)
    readable = [sees_amounts(actor, None if pd.isna(o) else int(o)) for o in frame["owner_id"]]
    frame["total"] = frame["total"].astype("float64").where(pd.Series(readable, index=frame.index))
    frame = frame[columns]
    count = session.scalar(select(func.count(Order.id)).where(*where)) or 0
    return frame, int(count)


def _touchpoints(session: Session, actor: Actor, ids: list[int]) -> pd.DataFrame:
    i = Interaction
    stmt = (
        select(i.id, i.occurred_at, i.customer_id, Customer.name, i.channel, i.subject, User.name)
        .join(Customer, Customer.id == i.customer_id)
        .outerjoin(User, User.id == i.user_id)
        .where(
            i.customer_id.in_(ids),
            i.deleted_at.is_(None),
            read_filter(actor, Entity.INTERACTION, i.user_id),
        )
        .order_by(i.occurred_at.desc(), i.id.desc())
        .limit(RECENT)
    )
    columns = ["id", "occurred_at", "customer_id", "customer", "channel", "subject", "by"]
    frame = query_frame(session, stmt, columns)
    frame["channel"] = frame["channel"].map(str)
    return frame


def amounts_readable(actor: Actor, contact_owners: list[int | None]) -> bool:
    """Whether the actor reads an account's summed amounts: only when they may read the
    amounts of every one of its contacts (a sum over hidden amounts would tell them)."""
    return all(sees_amounts(actor, owner) for owner in contact_owners)


def rolled_up(
    values: pd.DataFrame, contact_ids: list[int], *, amounts: bool = True
) -> dict[str, Any]:
    """An account's value figures: its contacts' figures summed (ROLLED_UP), its last order
    (the latest of theirs) and how many of its contacts have bought. `amounts=False` (see
    amounts_readable): the money figures are None, the counts and the last order stay."""
    mine = values.loc[values.index.intersection(contact_ids)]
    figures: dict[str, Any] = {
        column: float(mine[column].fillna(0).sum()) if column in mine else 0.0
        for column in ROLLED_UP
    }
    figures["orders"] = int(figures["orders"])
    if "predicted_clv" in mine and mine["predicted_clv"].isna().all():
        figures["predicted_clv"] = None  # the model could not run: no figure, not zero
    last = mine["last_order_at"].dropna() if "last_order_at" in mine else pd.Series([])
    figures["last_order_at"] = last.max() if not last.empty else None
    figures["buyers"] = int((mine["orders"].fillna(0) > 0).sum()) if "orders" in mine else 0
    figures["contacts"] = len(contact_ids)
    if not amounts:
        figures.update({column: None for column in ROLLED_UP if column != "orders"})
    return figures
