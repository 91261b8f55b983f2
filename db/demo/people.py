"""Accounts (companies) and customers (contacts): who they are, where, and when they arrived."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_core.models import Account, Customer
from crm_core.models.enums import Channel, Gender, Language, LeadSource
from db.demo.contacts import add_duplicates, emails, phones
from db.demo.context import DAY, HOUR, MINUTE, NO_TIME, NULL, Ctx, pick
from db.demo.reference import (
    COMPANY_SUFFIX,
    CUSTOMER_TAGS,
    INDONESIA,
    INDUSTRIES,
    NAME_WORDS,
    PLACES,
    WEB_SUFFIX,
)
from db.demo.sizes import B2B_SHARE
from db.demo.staff import NamePools, Staff, slug
from db.demo.writer import Coded, Dates, Money, Rows, versioned

CHANNELS = list(Channel)
SOURCES = list(LeadSource)
GENDERS = [Gender.FEMALE, Gender.MALE, Gender.UNDISCLOSED]
LANGUAGES = [Language.BAHASA_INDONESIA, Language.ENGLISH]
BUYER_SHARE = 0.85  # of the original (not duplicate) customers, how many ever buy
EXISTING_SHARE = 0.45  # of the buyers: customers from before the 24 months
MAX_REVENUE = 950_000_000_000
_PLACE_WEIGHTS = {i: p.weight for i, p in enumerate(PLACES)}
_INDONESIAN_PLACES = {i: p.weight for i, p in enumerate(PLACES) if p.country == INDONESIA}
_CHANNEL_B2B = {"email": 35, "phone": 25, "meeting": 15, "web": 5, "chat": 5, "whatsapp": 15}
_CHANNEL_B2C = {"phone": 8, "email": 20, "web": 15, "chat": 8, "whatsapp": 27, "store": 10,
                "social": 12}  # fmt: skip
_SOURCE_B2B = {"website": 15, "referral": 25, "social": 5, "event": 15, "cold call": 15,
               "marketplace": 10, "partner": 15}  # fmt: skip
_SOURCE_B2C = {"website": 30, "referral": 12, "social": 22, "event": 6, "cold call": 3,
               "marketplace": 24, "partner": 3}  # fmt: skip


@dataclass
class Accounts:
    rows: Rows
    place: np.ndarray  # index into PLACES
    industry: np.ndarray  # index into INDUSTRIES
    owner: np.ndarray
    employees: np.ndarray
    name: np.ndarray
    domain: np.ndarray


@dataclass
class Customers:
    """Customer columns by name (numpy arrays, ids 1..n in order of created_at)."""

    n: int
    cols: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]


def build_accounts(ctx: Ctx, pools: NamePools, staff: Staff) -> Accounts:
    n, rng = ctx.size.accounts, ctx.rng
    local = rng.random(n) < 0.88
    place = np.where(local, pick(rng, _INDONESIAN_PLACES, n), pick(rng, _PLACE_WEIGHTS, n))
    industry = pick(rng, {i: ind.weight for i, ind in enumerate(INDUSTRIES)}, n)
    names, domains = _account_names(ctx, pools, place, industry)
    big = np.isin(industry, [3, 7])  # corporate offices and hospitals are bigger
    employees = np.clip(rng.lognormal(np.where(big, 5.0, 3.4), 1.1), 3, 8_000).astype(np.int64)
    # Rp 100..600 million per employee, within Numeric(14, 2) (below Rp 1 trillion).
    revenue = np.minimum(employees * rng.integers(100, 600, n) * 1_000_000, MAX_REVENUE)
    country = [PLACES[p].country for p in place]
    addresses = _addresses(ctx, pools, ["id" if c == INDONESIA else "en" for c in country])
    owner = rng.choice(staff.sales_ids, n)
    rows = Rows(
        Account,
        n,
        {
            "id": np.arange(1, n + 1),
            "name": names,
            "industry": Coded(industry, [ind.name for ind in INDUSTRIES]),
            "employees": employees,
            "annual_revenue": Money(revenue),
            "address": addresses,
            "city": Coded(place, [p.city for p in PLACES]),
            "region": Coded(place, [p.region for p in PLACES]),
            "country": Coded(place, [p.country for p in PLACES]),
            "website": [f"https://www.{d}" for d in domains],
            "owner_id": owner,
        },
    )
    return Accounts(rows, place, industry, owner, employees, names, domains)


def _account_names(
    ctx: Ctx, pools: NamePools, place: np.ndarray, industry: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    names: list[str] = []
    domains: list[str] = []
    taken: set[str] = set()
    for p, i in zip(place.tolist(), industry.tolist(), strict=True):
        where = PLACES[p]
        w, v = ctx.rnd.sample(NAME_WORDS, 2)
        if where.country == INDONESIA:
            pattern = ctx.rnd.choice(INDUSTRIES[i].name_patterns)
            name = pattern.format(w=w, v=v, city=where.city)
        else:
            name = f"{ctx.rnd.choice(pools.companies_en)} {w} {COMPANY_SUFFIX[where.country]}"
        while name in taken:
            name = f"{name} {where.city}" if where.city not in name else f"{name} {len(taken)}"
        taken.add(name)
        names.append(name)
        core = slug(name.removeprefix("PT ").removeprefix("CV ").removesuffix(" Tbk"), "")
        domains.append(f"{core}.{WEB_SUFFIX[where.country]}")
    return np.array(names, dtype=object), np.array(domains, dtype=object)


def _addresses(ctx: Ctx, pools: NamePools, locales: list[str]) -> np.ndarray:
    numbers = ctx.rng.integers(1, 250, len(locales)).tolist()
    out = []
    for locale, number in zip(locales, numbers, strict=True):
        street = ctx.rnd.choice(pools.streets[locale])
        out.append(f"{street} No. {number}" if locale == "id" else f"{number} {street}")
    return np.array(out, dtype=object)


def build_customers(ctx: Ctx, pools: NamePools, staff: Staff, accounts: Accounts) -> Customers:
    """Originals (about 30% contacts of accounts) plus ~1% duplicates, ids in order of arrival."""
    rng, size = ctx.rng, ctx.size
    n_dup = max(3, size.customers // 100)
    n = size.customers - n_dup
    n_b2b = max(size.accounts, round(n * B2B_SHARE))
    account = np.full(n, -1)
    bigger_more = np.sqrt(accounts.employees) / np.sqrt(accounts.employees).sum()
    extra = rng.choice(size.accounts, n_b2b - size.accounts, p=bigger_more)
    account[:n_b2b] = np.concatenate([np.arange(size.accounts), extra])  # each has a contact
    b2b = account >= 0
    place = np.where(b2b, accounts.place[np.maximum(account, 0)], pick(rng, _PLACE_WEIGHTS, n))
    cols = _identity(ctx, pools, place, b2b, account, accounts)
    cols.update(_habits(ctx, staff, b2b, account, accounts))
    cols.update(_arrival(ctx, n))
    cols = add_duplicates(ctx, cols, n_dup)
    order = np.argsort(cols["created_at"], kind="stable")
    return Customers(size.customers, {k: v[order] for k, v in cols.items()})


def _identity(
    ctx: Ctx,
    pools: NamePools,
    place: np.ndarray,
    b2b: np.ndarray,
    account: np.ndarray,
    accounts: Accounts,
) -> dict[str, np.ndarray]:
    rng, n = ctx.rng, len(place)
    country = np.array([PLACES[p].country for p in place], dtype=object)
    local = (country == INDONESIA) & (rng.random(n) < 0.95)
    gender = rng.choice(3, n, p=[0.48, 0.48, 0.04])
    first, last = _names(ctx, pools, local, gender)
    domain = np.where(b2b, accounts.domain[np.maximum(account, 0)], NULL)
    age = np.clip(rng.normal(np.where(b2b, 38, 34), np.where(b2b, 8, 11)), 18, 72)
    born = ctx.as_of // DAY - (age * 365.25).astype(np.int64)
    born[rng.random(n) < 0.12] = NO_TIME
    address = np.where(
        b2b, NULL, _addresses(ctx, pools, ["id" if c == INDONESIA else "en" for c in country])
    )
    return {
        "name": np.array([f"{f} {la}" for f, la in zip(first, last, strict=True)], dtype=object),
        "email": emails(ctx, first, last, local, country, domain),
        "phone": phones(ctx, country),
        "gender": gender,
        "birth_date": born,
        "address": address,
        "place": place,
        "language": np.where(local & (rng.random(n) < 0.9), 0, 1),
        "account": account,
        "b2b": b2b,
    }


def _names(
    ctx: Ctx, pools: NamePools, local: np.ndarray, gender: np.ndarray
) -> tuple[list[str], list[str]]:
    rng, n = ctx.rng, len(local)
    first_pick, last_pick = rng.integers(0, 1 << 30, n), rng.integers(0, 1 << 30, n)
    is_male = (gender == 1) | ((gender == 2) & (rng.random(n) < 0.5))
    first, last = [], []
    for i in range(n):
        key = ("id" if local[i] else "en", "male" if is_male[i] else "female")
        firsts, lasts = pools.first[key], pools.last[key]
        first.append(firsts[first_pick[i] % len(firsts)])
        last.append(lasts[last_pick[i] % len(lasts)])
    return first, last


def _habits(
    ctx: Ctx,
    staff: Staff,
    b2b: np.ndarray,
    account: np.ndarray,
    accounts: Accounts,
) -> dict[str, np.ndarray]:
    """How each customer likes to be reached, where they came from, who owns them."""
    rng, n = ctx.rng, len(b2b)
    channel_b2b = pick(rng, _CHANNEL_B2B, n)
    channel_b2c = pick(rng, _CHANNEL_B2C, n)
    channel = np.where(
        b2b,
        [CHANNELS.index(Channel(list(_CHANNEL_B2B)[c])) for c in channel_b2b],
        [CHANNELS.index(Channel(list(_CHANNEL_B2C)[c])) for c in channel_b2c],
    )
    source_b2b = np.array([SOURCES.index(LeadSource(s)) for s in _SOURCE_B2B])
    source_b2c = np.array([SOURCES.index(LeadSource(s)) for s in _SOURCE_B2C])
    source = np.where(
        b2b, source_b2b[pick(rng, _SOURCE_B2B, n)], source_b2c[pick(rng, _SOURCE_B2C, n)]
    )
    industry = accounts.industry[np.maximum(account, 0)]
    account_owner = accounts.owner[np.maximum(account, 0)]
    own = b2b & (rng.random(n) < 0.85)
    tag = rng.choice(len(CUSTOMER_TAGS), n, p=[0.78, 0.04, 0.06, 0.06, 0.06])
    trade_tag = np.where(np.isin(industry, [0, 1, 2]), 3, 2)  # horeca, else wholesale
    tag = np.where(b2b, np.where(rng.random(n) < 0.6, trade_tag, 0), tag)
    return {
        "channel": channel,
        "source": source,
        "profile": np.where(b2b, industry + 1, 0),  # 0 = consumer, else 1 + industry index
        "owner": np.where(own, account_owner, rng.choice(staff.sales_ids, n)),
        "consent_email": rng.random(n) < 0.65,
        "consent_sms": rng.random(n) < 0.35,
        "consent_phone": rng.random(n) < np.where(b2b, 0.6, 0.25),
        "tag": tag,
    }


def _arrival(ctx: Ctx, n: int) -> dict[str, np.ndarray]:
    """New buyers arrive with their first order (some signed up a little earlier); an existing
    base signed up before the 24 months and buys on (orders.py draws when); the rest of the
    customers only signed up."""
    rng = ctx.rng
    buyer = rng.random(n) < BUYER_SHARE
    existing = buyer & (rng.random(n) < EXISTING_SHARE)
    moments = ctx.seasonal_times(n, ctx.start, ctx.as_of - HOUR, growth=0.5)
    at_checkout = rng.random(n) < 0.4
    lag = np.where(
        at_checkout,
        rng.integers(1, 30, n) * MINUTE,
        MINUTE + (rng.exponential(25, n) * DAY).astype(np.int64),
    )
    long_ago = ctx.start - rng.integers(30 * DAY, 540 * DAY, n)
    new_buyer = buyer & ~existing
    return {
        "created_at": np.where(existing, long_ago, np.where(buyer, moments - lag, moments)),
        "first_order": np.where(new_buyer, moments, NO_TIME),
        "buying_since": np.where(existing, long_ago + rng.integers(1, 30, n) * MINUTE, NO_TIME),
    }


def finish_accounts(ctx: Ctx, accounts: Accounts, customers: Customers) -> None:
    """An account is created a little before its first contact."""
    first = np.full(ctx.size.accounts, ctx.as_of - HOUR)
    contact = customers["account"] >= 0
    np.minimum.at(first, customers["account"][contact], customers["created_at"][contact])
    made = first - ctx.rng.integers(HOUR, 60 * DAY, first.size)
    accounts.rows.columns.update(versioned(made, first))


def customer_rows(customers: Customers, stage: np.ndarray, stages: list[object],
                  updated: np.ndarray) -> Rows:  # fmt: skip
    c, account = customers.cols, customers["account"]
    return Rows(
        Customer,
        customers.n,
        {
            "id": np.arange(1, customers.n + 1),
            "account_id": np.where(account >= 0, account + 1, NULL),
            "name": c["name"],
            "email": c["email"],
            "phone": c["phone"],
            "email_normalized": c["email_normalized"],
            "phone_normalized": c["phone_normalized"],
            "gender": Coded(c["gender"], GENDERS),
            "birth_date": Dates(c["birth_date"]),
            "address": c["address"],
            "city": Coded(c["place"], [p.city for p in PLACES]),
            "region": Coded(c["place"], [p.region for p in PLACES]),
            "country": Coded(c["place"], [p.country for p in PLACES]),
            "preferred_channel": Coded(c["channel"], CHANNELS),
            "preferred_language": Coded(c["language"], LANGUAGES),
            "lifecycle_stage": Coded(stage, stages),
            "source": Coded(c["source"], SOURCES),
            "owner_id": c["owner"],
            "consent_email": c["consent_email"],
            "consent_sms": c["consent_sms"],
            "consent_phone": c["consent_phone"],
            "tags": Coded(c["tag"], CUSTOMER_TAGS),
            **versioned(c["created_at"], updated),
        },
    )
