"""Who reads a customer's amounts, page by page: every page that can show money is opened by
every role that may open it, on a small business with one customer the salesperson owns and
one a manager owns, and no amount the role may not read appears anywhere on it (text,
metrics, tables, charts), in any way it could be written (grouped, raw, compact)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from crm_core.customers import accounts, orders, products
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.pages import PAGES
from crm_core.sales import leads
from db.session import session_scope
from support import a_customer, page_as, values_refreshed

# The amounts of each customer's one order and the lead each owner works (hand-computed):
# a line at the given price less the product's unit cost (Rp 3.100.000) is the margin.
OTHERS = {"net": 9_731_000, "margin": 6_631_000, "lead": 7_359_000}  # the manager's customer
OWN = {"net": 6_482_000, "margin": 3_382_000, "lead": 2_917_000}  # the salesperson's
BOTH = {"net": 16_213_000, "margin": 10_013_000}  # totals over both customers
# The pages that can show an amount; the record pages open the manager's records.
MONEY_PAGES = [
    "home", "dashboard", "team", "customers", "customer", "accounts", "account", "products",
    "data-quality", "pipeline", "leads", "forecast", "lead", "tickets", "service-dashboard",
    "segments", "segment-builder", "campaigns",
]  # fmt: skip


def written(amount: int) -> re.Pattern[str]:
    """An amount as any page could write it: 9731000(.0), 9,731,000, 9.731.000, 9.7M, 9,73 jt."""
    whole = str(amount)
    grouped = f"{amount:,}"
    millions, rest = divmod(amount, 1_000_000)
    compact = rf"(?<![\d.,]){millions}[.,]{str(rest).zfill(6)[0]}\d*\s*(?:M|jt|juta)"
    ways = [
        rf"(?<!\d){whole}(?!\d)",
        re.escape(grouped),
        re.escape(grouped.replace(",", ".")),
        compact,
    ]
    return re.compile("|".join(ways))


def forbidden(role: Role) -> list[int]:
    """What this role may not read: support no amount; a salesperson nothing of a customer it
    does not own (nor totals that include one); managers and admins may read everything."""
    if role is Role.SUPPORT:
        return [*OTHERS.values(), *OWN.values(), *BOTH.values()]
    if role is Role.SALES:
        return [*OTHERS.values(), *BOTH.values()]
    return []


def everything_shown(at: AppTest) -> str:
    """Every string of every element (charts' data included) and every table's cells."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        children = getattr(node, "children", {})
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    parts += [frame.value.to_string() for frame in at.dataframe]
    return "\n".join(parts)


@pytest.fixture
def business(app_engine: Engine, staff: dict[Role, Actor]) -> dict[str, int]:
    manager, sales = staff[Role.MANAGER], staff[Role.SALES]
    now = datetime.now(UTC).replace(tzinfo=None)
    with session_scope(app_engine) as s:
        machine = products.create_product(
            s, manager,
            {"sku": "MESIN-1", "name": "Mesin kopi", "category": "Mesin", "price": 5_000_000,
             "unit_cost": 3_100_000},
        ).id  # fmt: skip
        firm = accounts.create_account(s, manager, {"name": "PT Kopi Nusantara"}).id
    ids = {"account": firm}
    for who, owner, amounts in (("other", manager, OTHERS), ("own", sales, OWN)):
        customer = a_customer(
            app_engine, owner, name=f"Pelanggan {who}", email=f"{who}@example.com",
            account_id=firm if who == "other" else None,
        )  # fmt: skip
        with session_scope(app_engine) as s:
            orders.create_order(
                s, owner,
                {"customer_id": customer, "ordered_at": (now - timedelta(days=3)).isoformat(),
                 "channel": "online",
                 "lines": [{"product_id": machine, "quantity": 1,
                            "unit_price": amounts["net"]}]},
            )  # fmt: skip
            lead = leads.create_lead(
                s, owner,
                {"name": f"Prospek {who}", "source": "website", "value": amounts["lead"]},
            )  # fmt: skip
        ids[who], ids[f"{who}_lead"] = customer, lead.id
    values_refreshed(app_engine)
    return ids


@pytest.mark.parametrize("key", MONEY_PAGES)
def test_no_page_shows_an_amount_to_a_role_that_may_not_read_it(
    key: str, business: dict[str, int], staff: dict[Role, Actor]
) -> None:
    spec = next(p for p in PAGES if p.key == key)
    records = {"customer": "other", "lead": "other_lead", "account": "account"}
    query = {"id": str(business[records[key]])} if key in records else {}
    checked = 0
    for role in [
        r for r in spec.roles if forbidden(r)
    ]:  # who reads every amount: nothing to look for
        at = page_as(key, staff[role], **query).run(timeout=60)
        assert not at.exception, (key, role, [e.stack_trace for e in at.exception])
        shown = everything_shown(at)
        for amount in forbidden(role):
            found = written(amount).search(shown)
            assert found is None, f"{key} shows {found.group(0)!r} to {role.value}"
            checked += 1
    assert checked or not any(forbidden(role) for role in spec.roles)


def test_the_patterns_find_an_amount_however_it_is_written_and_nothing_else() -> None:
    pattern = written(9_731_000)
    for shown in ("Rp 9.731.000", "Rp9,731,000", "9731000.0", "Rp 9,7 jt", "Rp9.73M", "9.7 juta"):
        assert pattern.search(shown), shown
    for other in ("19731000", "Rp 9.8 jt", "0.97", "29,7 jt", "Rp 1.9731.000"):
        assert pattern.search(other) is None, other
