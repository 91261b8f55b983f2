"""Likely duplicate customers, defined once for the form, the import and the data-quality page.

Two customers are likely the same person when they share a normalised email, a normalised
phone, or a normalised name at the same company (companies compared by normalised name), each
however it was typed: "Siti@Example.COM" is "siti@example.com", "0812-3456-7890" is
"+6281234567890", "siti  rahmá" at "PT. Maju" is "siti rahma" at "pt maju". Deleted customers
are nobody's duplicate. Which customers are looked at is the caller's: every live one for the
form and the import, those in the user's scope for the data-quality page.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from threading import Lock

import pandas as pd
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from crm_core.kernel.errors import CRMError
from crm_core.kernel.frames import change_mark
from crm_core.kernel.inputs import normalize_email, normalize_phone
from crm_core.kernel.messages import N_, Message, msg
from crm_core.models import Account, Customer

MAX_MATCHES = 20
_CHUNK = 500  # values per IN (...) list, well under every engine's parameter limit


class DuplicateKind(StrEnum):
    """What two likely duplicates share, in the order reasons name them."""

    EMAIL = "email"
    PHONE = "phone"
    NAME_AND_COMPANY = "name and company"


_STORED = {DuplicateKind.EMAIL: Customer.email_normalized,
           DuplicateKind.PHONE: Customer.phone_normalized}  # fmt: skip


def normalize_name(text: str | None) -> str:
    """Lowercase, accents stripped, punctuation removed, whitespace collapsed: 'siti rahma'."""
    if not isinstance(text, str):  # None, or a missing value from a DataFrame
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (ch for ch in decomposed if ch.isalnum() or ch.isspace())  # accents are not alnum
    return " ".join("".join(kept).casefold().split())


def name_and_company(name: str | None, company: str | None) -> str | None:
    """The name-and-company key ("siti rahma, pt maju"), or None without both."""
    person, firm = normalize_name(name), normalize_name(company)
    return f"{person}, {firm}" if person and firm else None


def keys_of(
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    company: str | None = None,
) -> dict[DuplicateKind, str]:
    """A customer's keys, as typed or as stored; an unparseable phone gives none (validation
    names it when the customer is saved)."""
    keys: dict[DuplicateKind, str] = {}
    if email and email.strip():
        keys[DuplicateKind.EMAIL] = normalize_email(email)
    if phone and phone.strip():
        with suppress(ValueError):
            keys[DuplicateKind.PHONE] = normalize_phone(phone)
    pair = name_and_company(name, company)
    if pair:
        keys[DuplicateKind.NAME_AND_COMPANY] = pair
    return keys


@dataclass(frozen=True)
class Stored:
    """A live customer that holds a key."""

    id: int
    name: str
    version: int
    owner_id: int | None


def stored(
    session: Session, kind: DuplicateKind, values: Collection[str]
) -> dict[str, list[Stored]]:
    """Live customers by key, in bulk (an import asks for thousands at once), oldest first."""
    found: dict[str, list[Stored]] = defaultdict(list)
    if kind is DuplicateKind.NAME_AND_COMPANY:
        for key, customer in _by_name_and_company(session, set(values)):
            found[key].append(customer)
        return found
    column = _STORED[kind]
    ordered = sorted(values)
    for low in range(0, len(ordered), _CHUNK):
        stmt = (
            select(column, Customer.id, Customer.name, Customer.version, Customer.owner_id)
            .where(column.in_(ordered[low : low + _CHUNK]), Customer.deleted_at.is_(None))
            .order_by(Customer.id)
        )
        for value, customer_id, name, version, owner_id in session.execute(stmt):
            found[str(value)].append(Stored(customer_id, name, version, owner_id))
    return found


# Every account's normalised name, by the database and the accounts' change mark: normalising
# thousands of names in Python was a tenth of each Customer 360 run (its merge panel asks).
_ACCOUNT_NAMES: OrderedDict[tuple[object, ...], dict[int, str]] = OrderedDict()
_ACCOUNT_NAMES_KEPT = 4  # databases at once (the tests'; an app serves one)
_ACCOUNT_NAMES_LOCK = Lock()


def _normalized_accounts(session: Session) -> dict[int, str]:
    """Account id -> normalised name. A rename or a new account moves the change mark; an
    account deleted since may linger here, and owns no live customer to find."""
    key = (str(session.get_bind().engine.url), *change_mark(session, Account))
    with _ACCOUNT_NAMES_LOCK:
        if key in _ACCOUNT_NAMES:
            _ACCOUNT_NAMES.move_to_end(key)
            return _ACCOUNT_NAMES[key]
    names = {
        int(account_id): normalize_name(name)
        for account_id, name in session.execute(select(Account.id, Account.name))
    }
    with _ACCOUNT_NAMES_LOCK:
        _ACCOUNT_NAMES[key] = names
        while len(_ACCOUNT_NAMES) > _ACCOUNT_NAMES_KEPT:
            _ACCOUNT_NAMES.popitem(last=False)
    return names


def _by_name_and_company(session: Session, wanted: set[str]) -> Iterable[tuple[str, Stored]]:
    """(key, customer) for live customers whose name and company give one of `wanted`.

    Names are normalised in Python (accents and punctuation), so the accounts are read whole
    (one short query) and only the contacts of those with a wanted company name after that.
    """
    firms = {key.rsplit(", ", 1)[1] for key in wanted}
    if not firms:
        return
    companies = {
        account_id: name
        for account_id, name in _normalized_accounts(session).items()
        if name in firms
    }
    ids = sorted(companies)
    for low in range(0, len(ids), _CHUNK):
        stmt = (
            select(Customer.id, Customer.name, Customer.version, Customer.owner_id,
                   Customer.account_id)
            .where(Customer.account_id.in_(ids[low : low + _CHUNK]), Customer.deleted_at.is_(None))
            .order_by(Customer.id)
        )  # fmt: skip
        for customer_id, name, version, owner_id, account_id in session.execute(stmt):
            key = name_and_company(name, companies.get(account_id or 0))
            if key in wanted:
                yield key, Stored(customer_id, name, version, owner_id)


# --- one customer: the form's warning, the write path's check ---------------------------


@dataclass(frozen=True)
class DuplicateMatch:
    customer_id: int
    name: str
    reason: Message  # same email (siti@example.com), same phone (+6281234567890) or both


class LikelyDuplicate(CRMError):
    """The customer looks like one we have; nothing was written. `matches` says who and why,
    and creating it anyway needs the user's confirmation (create_customer(allow_duplicate))."""

    def __init__(self, matches: Sequence[DuplicateMatch]) -> None:
        self.matches = list(matches)
        who = [
            msg("duplicate.match", id=m.customer_id, name=m.name, reason=m.reason)
            for m in self.matches
        ]
        super().__init__(N_("duplicate.likely"), who=who)


def company_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Account id -> name, for the ids given (None left out)."""
    wanted = sorted({i for i in ids if i is not None})
    names: dict[int, str] = {}
    for low in range(0, len(wanted), _CHUNK):
        chunk = wanted[low : low + _CHUNK]
        stmt = select(Account.id, Account.name).where(Account.id.in_(chunk))
        names.update({account_id: name for account_id, name in session.execute(stmt)})
    return names


def company_name(session: Session, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    return session.scalar(select(Account.name).where(Account.id == account_id))


def likely_duplicates(
    session: Session,
    email: str | None,
    phone: str | None,
    exclude_id: int | None = None,
    *,
    name: str | None = None,
    account_id: int | None = None,
) -> list[DuplicateMatch]:
    """Live customers sharing a key with the one described, oldest first (at most 20)."""
    keys = keys_of(email=email, phone=phone, name=name, company=company_name(session, account_id))
    shared: dict[int, tuple[str, list[Message]]] = {}
    for kind, key in keys.items():
        for hit in stored(session, kind, [key]).get(key, []):
            if hit.id != exclude_id:
                what = msg("duplicate.key", what=Message(f"key.{kind}"), key=key)
                shared.setdefault(hit.id, (hit.name, []))[1].append(what)
    return [
        DuplicateMatch(customer_id, hit_name, msg("duplicate.same", parts=what))
        for customer_id, (hit_name, what) in sorted(shared.items())[:MAX_MATCHES]
    ]


def duplicates_of(session: Session, customer: Customer) -> list[DuplicateMatch]:
    """Likely duplicates of a stored customer (itself left out)."""
    return likely_duplicates(
        session,
        customer.email,
        customer.phone,
        exclude_id=customer.id,
        name=customer.name,
        account_id=customer.account_id,
    )


# --- every customer at once: the data-quality page's clusters ---------------------------


def shared_keys(session: Session, where: Sequence[ColumnElement[bool]]) -> pd.DataFrame:
    """(kind, key, customer_id) for every key two or more customers matching `where` share."""
    return pd.concat(
        [
            _shared_column(session, where, _STORED[DuplicateKind.EMAIL], DuplicateKind.EMAIL),
            _shared_column(session, where, _STORED[DuplicateKind.PHONE], DuplicateKind.PHONE),
            _shared_name_and_company(session, where),
        ],
        ignore_index=True,
    )


def _shared_column(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    column: InstrumentedAttribute[str | None],
    kind: DuplicateKind,
) -> pd.DataFrame:
    shared = (
        select(column.label("key"))
        .where(*where, column.is_not(None), column != "")
        .group_by(column)
        .having(func.count() > 1)
        .subquery()
    )
    stmt = (
        select(shared.c.key, Customer.id)
        .join(Customer, column == shared.c.key)
        .where(*where)
        .order_by(shared.c.key, Customer.id)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["key", "customer_id"])
    return frame.assign(kind=kind.value)[["kind", "key", "customer_id"]]


def _shared_name_and_company(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> pd.DataFrame:
    stmt = (
        select(Customer.id, Customer.name, Account.name.label("company"))
        .join(Account, Account.id == Customer.account_id)
        .where(*where)
    )
    people = pd.DataFrame(session.execute(stmt).all(), columns=["customer_id", "name", "company"])
    keys = [name_and_company(n, c) for n, c in zip(people["name"], people["company"], strict=True)]
    keyed = people.assign(key=pd.Series(keys, index=people.index, dtype=object)).dropna(
        subset="key"
    )
    shared = keyed[keyed.duplicated("key", keep=False)].sort_values(["key", "customer_id"])
    return shared.assign(kind=DuplicateKind.NAME_AND_COMPANY.value)[["kind", "key", "customer_id"]]
