"""Email addresses, phone numbers and the few realistic duplicates data quality should find."""

from __future__ import annotations

import numpy as np
import phonenumbers

from db.demo.context import DAY, HOUR, NO_TIME, Ctx, pick
from db.demo.reference import EMAIL_DOMAINS_ID, EMAIL_DOMAINS_INTL, INDONESIA, PHONE_PLANS
from db.demo.staff import slug

_LOCAL_PATTERNS = ("{f}.{l}", "{f}{l}", "{f}_{l}", "{f}{l}{n}", "{f}.{l}{n}", "{f}{n}")


def emails(
    ctx: Ctx,
    first: list[str],
    last: list[str],
    local: np.ndarray,
    country: np.ndarray,
    company_domain: np.ndarray,
) -> np.ndarray:
    """Unique lower-case addresses: first.last@company for contacts, free mail for the rest."""
    rng, n = ctx.rng, len(first)
    id_domains, intl_domains = list(EMAIL_DOMAINS_ID), list(EMAIL_DOMAINS_INTL)
    id_pick, intl_pick = pick(rng, EMAIL_DOMAINS_ID, n), pick(rng, EMAIL_DOMAINS_INTL, n)
    pattern = rng.integers(0, len(_LOCAL_PATTERNS), n)
    number = rng.integers(1, 99, n)
    missing = rng.random(n) < 0.03
    out: list[str | None] = []
    taken: set[str] = set()
    for i in range(n):
        f, la = slug(first[i], ""), slug(last[i], "")
        if company_domain[i] is not None:
            address = f"{f}.{la}@{company_domain[i]}"
        elif missing[i]:
            out.append(None)
            continue
        else:
            home = local[i] or country[i] == INDONESIA
            domain = id_domains[id_pick[i]] if home else intl_domains[intl_pick[i]]
            user = _LOCAL_PATTERNS[pattern[i]].format(f=f, l=la, n=number[i])
            address = f"{user}@{domain}"
        while address in taken:
            user, domain = address.split("@")
            address = f"{user}{rng.integers(1, 10)}@{domain}"
        taken.add(address)
        out.append(address)
    return np.array(out, dtype=object)


def phones(ctx: Ctx, country: np.ndarray) -> np.ndarray:
    """Unique mobile numbers in E.164 by country; about 5% of customers left none."""
    rng, n = ctx.rng, len(country)
    prefix_pick = rng.integers(0, 1 << 30, n)
    digits = rng.random(n)
    missing = rng.random(n) < 0.05
    out: list[str | None] = []
    taken: set[str] = set()
    for i in range(n):
        if missing[i]:
            out.append(None)
            continue
        code, prefixes, width = PHONE_PLANS[country[i]]
        number = f"{code}{prefixes[prefix_pick[i] % len(prefixes)]}"
        tail = int(digits[i] * 10**width)
        # Only numbers that exist: the forms refuse a number in no operator's range.
        while f"{number}{tail:0{width}d}" in taken or not _exists(f"{number}{tail:0{width}d}"):
            tail = (tail + 7919) % 10**width
        taken.add(f"{number}{tail:0{width}d}")
        out.append(f"{number}{tail:0{width}d}")
    return np.array(out, dtype=object)


def _exists(e164: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(e164))


def typed_differently(e164: str, variant: int) -> str:
    """An Indonesian number as people type it: 0812-3456-7890, +62 812 3456 7890, (0812) ..."""
    national = e164.removeprefix("+62")
    head, mid, tail = national[:3], national[3:7], national[7:]
    return (
        f"0{head}-{mid}-{tail}",
        f"+62 {head} {mid} {tail}",
        f"(0{head}) {mid}{tail}",
    )[variant % 3]


def shouted(email: str) -> str:
    """The same address in another case: Budi.Santoso@Gmail.com."""
    user, domain = email.split("@")
    return f"{'.'.join(p.capitalize() for p in user.split('.'))}@{domain.capitalize()}"


def add_duplicates(ctx: Ctx, cols: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """Re-registrations of existing buyers: the same email in other case, or the same phone
    typed another way; they never bought under the duplicate record."""
    rng = ctx.rng
    buyers = np.flatnonzero(cols["first_order"] != NO_TIME)
    source = rng.choice(buyers, count, replace=False)
    dup = {k: v[source].copy() for k, v in cols.items()}
    cols["email_normalized"] = cols["email"].copy()
    cols["phone_normalized"] = cols["phone"].copy()
    dup["email_normalized"] = dup["email"].copy()
    dup["phone_normalized"] = dup["phone"].copy()
    for i in range(count):
        phone = dup["phone"][i]
        if i % 2 == 1 and phone is not None and phone.startswith("+62"):
            dup["phone"][i] = typed_differently(phone, i // 2)
            dup["email"][i] = dup["email_normalized"][i] = None
        elif dup["email"][i] is not None:
            dup["email"][i] = shouted(dup["email"][i])
            dup["phone"][i] = dup["phone_normalized"][i] = None
    later = dup["created_at"] + rng.integers(3, 300, count) * DAY
    dup["created_at"] = np.minimum(later, ctx.as_of - HOUR - rng.integers(0, 5000, count))
    dup["first_order"] = np.full(count, NO_TIME)
    dup["buying_since"] = np.full(count, NO_TIME)
    return {k: np.concatenate([cols[k], dup[k]]) for k in cols}
