"""Who reads which amounts, page by page: every page that can show money is opened by every
role that may open it, on a small business with one customer (and lead) the salesperson owns,
one a manager owns and one product. In each cell (role x page x record x money field) an
amount the matrix hides appears nowhere (text, metrics, tables, charts, downloads' contents),
however it could be written (grouped, raw, compact), and one the page shows and the role may
read is there."""

from __future__ import annotations

import gc
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from crm_core.customers import accounts, orders, products
from crm_core.kernel.permissions import Actor
from crm_core.models import CustomerValue
from crm_core.models.enums import Role
from crm_core.pages import PAGES
from crm_core.sales import leads
from db.session import session_scope
from support import a_customer, page_as, values_refreshed

# Every money field the business below holds, whose it is, and its amount (hand-computed):
# each customer's one order (a line at the given price of a product whose unit cost was then
# Rp 3.100.000: the margin is the price less it), the lead each owner works, a predicted
# CLV (stored in the value read model, as the refresher would: two customers are too few to
# fit one), and the product's list price and unit cost as the catalogue has them now.
OTHER, OWN, BOTH, CATALOGUE = "other", "own", "both", "catalogue"  # the manager's, the
# salesperson's, totals over both, the product's
AMOUNTS: dict[tuple[str, str], int] = {
    ("net", OTHER): 9_731_000, ("net", OWN): 6_482_000, ("net", BOTH): 16_213_000,
    ("margin", OTHER): 6_631_000, ("margin", OWN): 3_382_000, ("margin", BOTH): 10_013_000,
    ("lead", OTHER): 7_359_000, ("lead", OWN): 2_917_000, ("lead", BOTH): 10_276_000,
    ("clv", OTHER): 4_826_000, ("clv", OWN): 1_574_000,
    ("price", CATALOGUE): 5_400_000, ("unit_cost", CATALOGUE): 3_250_000,
    ("product_margin", CATALOGUE): 2_150_000,
}  # fmt: skip
# The pages that can show an amount, and the records each opens (a salesperson opens its
# own record too, where it must see what it owns).
MONEY_PAGES = [
    "home", "dashboard", "team", "customers", "customer", "accounts", "account", "products",
    "data-quality", "pipeline", "leads", "forecast", "lead", "tickets", "service-dashboard",
    "segments", "segment-builder", "campaigns",
]  # fmt: skip
DISCOVER = os.environ.get("RELASI_MATRIX_DISCOVER") == "1"  # print what each page shows

# What each page shows each role that may read it (as found with RELASI_MATRIX_DISCOVER=1 and
# checked by hand): managers and admins alike, but Home, which is the reader's own work (the
# manager owns the other customer and lead, the admin nothing); a salesperson its own.
_NET, _MARGIN, _LEAD, _CLV = "net", "margin", "lead", "clv"
_PAGES_SHOW: dict[tuple[str, str | None], set[tuple[str, str]]] = {
    ("dashboard", None): {(f, w) for f in (_NET, _MARGIN) for w in (OTHER, OWN, BOTH)}
    | {(_LEAD, BOTH)},
    ("team", None): {(_NET, OWN), (_MARGIN, OWN)},  # per salesperson: the manager sells none
    ("customers", None): {(f, w) for f in (_NET, _MARGIN, _CLV) for w in (OTHER, OWN)},
    ("customer", OTHER): {(_NET, OTHER), (_MARGIN, OTHER), (_CLV, OTHER)},
    ("customer", OWN): {(_NET, OWN), (_MARGIN, OWN), (_CLV, OWN)},
    ("account", OTHER): {(_NET, OTHER), (_MARGIN, OTHER), (_CLV, OTHER)},
    ("products", None): {("price", CATALOGUE), ("unit_cost", CATALOGUE),
                         ("product_margin", CATALOGUE)},
    ("pipeline", None): {(_LEAD, OTHER), (_LEAD, OWN), (_LEAD, BOTH)},
    ("forecast", None): {(_LEAD, BOTH)},
    ("lead", OTHER): {(_LEAD, OTHER)},
    ("lead", OWN): {(_LEAD, OWN)},
    ("segments", None): {(f, w) for f in (_NET, _MARGIN) for w in (OTHER, OWN)},
}  # fmt: skip
_SALES_SEES: dict[tuple[str, str | None], set[tuple[str, str]]] = {
    ("forecast", None): {(_LEAD, OWN)}
}  # the total of its own leads: its one lead


def shown(key: str, record: str | None, role: Role) -> set[tuple[str, str]]:
    """The amounts this page shows this role (the matrix permitting)."""
    if key == "home":  # the reader's own work
        mine = {Role.MANAGER: {(_LEAD, OTHER)}, Role.SALES: {(_LEAD, OWN)}}
        return mine.get(role, set())
    if role is Role.SALES and (key, record) in _SALES_SEES:
        return _SALES_SEES[key, record]
    return _PAGES_SHOW.get((key, record), set())


RECORDS = {"customer": (OTHER, OWN), "lead": (OTHER, OWN), "account": (OTHER,)}
CELLS, CELLS_HIDDEN = 313, 233  # role x page (x record) x money field, and of them the hidden


def may_read(role: Role, field: str, whose: str) -> bool:
    """The matrix (permissions._AMOUNTS and hidden_product_amounts): managers and admins read
    every amount; a salesperson those of what it owns and a product's list price; support
    none."""
    if role in (Role.ADMIN, Role.MANAGER):
        return True
    if role is Role.SALES:
        return whose == OWN or (field, whose) == ("price", CATALOGUE)
    return False


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


def downloads(at: AppTest) -> list[str]:
    """The contents of every download the page offers: a deferred one built as a click
    would build it, the others read from where Streamlit keeps them for the browser."""
    managers = [o for o in gc.get_objects() if isinstance(o, MediaFileManager)]
    contents: list[str] = []
    for button in at.get("download_button"):
        proto = button.proto
        if proto.deferred_file_id:
            entry = next(
                m._deferred_callables[proto.deferred_file_id]
                for m in managers
                if proto.deferred_file_id in m._deferred_callables
            )
            built = entry["callable"]()
        else:
            file_id = proto.url.rsplit("/", 1)[-1].split(".")[0]
            stored: list[dict[str, Any]] = [
                getattr(m._storage, "_files_by_id", {}) for m in managers
            ]
            built = next(files[file_id].content for files in stored if file_id in files)
        contents.append(built.decode() if isinstance(built, bytes) else str(built))
    return contents


def everything_shown(at: AppTest) -> str:
    """Every string of every element (charts' data included), every table's cells and the
    contents of every download."""
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
    parts += downloads(at)
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
    for whose, owner in ((OTHER, manager), (OWN, sales)):
        customer = a_customer(
            app_engine, owner, name=f"Pelanggan {whose}", email=f"{whose}@example.com",
            account_id=firm if whose == OTHER else None,
        )  # fmt: skip
        with session_scope(app_engine) as s:
            orders.create_order(
                s, owner,
                {"customer_id": customer, "ordered_at": (now - timedelta(days=3)).isoformat(),
                 "channel": "online",
                 "lines": [{"product_id": machine, "quantity": 1,
                            "unit_price": AMOUNTS["net", whose]}]},
            )  # fmt: skip
            lead = leads.create_lead(
                s, owner,
                {"name": f"Prospek {whose}", "source": "website",
                 "value": AMOUNTS["lead", whose]},
            )  # fmt: skip
        ids[whose], ids[f"{whose}_lead"] = customer, lead.id
    with session_scope(app_engine) as s:  # the catalogue moves on; the orders keep theirs
        prices = {
            "price": AMOUNTS["price", CATALOGUE],
            "unit_cost": AMOUNTS["unit_cost", CATALOGUE],
        }
        products.update_product(s, manager, machine, 1, prices)
    values_refreshed(app_engine)
    with session_scope(app_engine) as s:
        for whose in (OTHER, OWN):
            s.execute(
                update(CustomerValue)
                .where(CustomerValue.customer_id == ids[whose])
                .values(predicted_clv=float(AMOUNTS["clv", whose]))
            )
    return ids


def views(key: str, role: Role) -> list[str | None]:
    """The records a role opens on this page (None: the page has none)."""
    if key not in RECORDS:
        return [None]
    return list(RECORDS[key]) if role is Role.SALES else [RECORDS[key][0]]


def plan(key: str) -> list[tuple[Role, str | None, str, str, bool]]:
    """Every cell of this page: (role, record, field, whose, shown?) for each role that may
    open it and each money field, shown? what the role must find: False where the matrix
    hides the amount, True where the page shows it (shown()) and the matrix lets the role read
    it. Amounts a page does not show at all and the role may read are no cell."""
    spec = next(p for p in PAGES if p.key == key)
    cells = []
    for role in sorted(spec.roles, key=list(Role).index):
        for record in views(key, role):
            for field, whose in AMOUNTS:
                if not may_read(role, field, whose):
                    cells.append((role, record, field, whose, False))
                elif (field, whose) in shown(key, record, role):
                    cells.append((role, record, field, whose, True))
    return cells


@pytest.mark.parametrize("key", MONEY_PAGES)
def test_every_page_shows_each_role_the_amounts_it_may_read_and_no_other(
    key: str, business: dict[str, int], staff: dict[Role, Actor]
) -> None:
    ids = {OTHER: business[OTHER], OWN: business[OWN]}
    if key == "lead":
        ids = {OTHER: business["other_lead"], OWN: business["own_lead"]}
    elif key == "account":
        ids = {OTHER: business["account"]}
    cells = plan(key)
    seen: dict[tuple[Role, str | None], str] = {}
    spec = next(p for p in PAGES if p.key == key)
    opened = [(r, v) for r in spec.roles for v in views(key, r)] if DISCOVER else cells
    for role, record in dict.fromkeys((c[0], c[1]) for c in opened):
        query = {} if record is None else {"id": str(ids[record])}
        at = page_as(key, staff[role], **query)
        at.session_state["relasi_session_version"] = 1  # a deferred download checks it
        at.run(timeout=60)
        assert not at.exception, (key, role, [e.stack_trace for e in at.exception])
        seen[role, record] = everything_shown(at)
    if DISCOVER:
        for (role, record), text in seen.items():
            found = sorted(f"{f}/{w}" for (f, w), a in AMOUNTS.items() if written(a).search(text))
            print(f"DISCOVER {key} {record} {role.value}: {found}")
        return
    wrong = [
        f"{role.value} {'sees' if seen_it else 'misses'} {field} ({whose}) on {key} {record or ''}"
        for role, record, field, whose, must in cells
        if (seen_it := written(AMOUNTS[field, whose]).search(seen[role, record]) is not None)
        != must
    ]
    assert wrong == []


def test_the_matrix_has_a_cell_for_every_role_page_and_money_field_it_decides() -> None:
    cells = [cell for key in MONEY_PAGES for cell in plan(key)]
    hidden = sum(1 for *_, must in cells if not must)
    print(f"amounts matrix: {len(cells)} cells, {hidden} hidden, {len(cells) - hidden} shown")
    assert (len(cells), hidden) == (CELLS, CELLS_HIDDEN)


def test_the_patterns_find_an_amount_however_it_is_written_and_nothing_else() -> None:
    pattern = written(9_731_000)
    for shown in ("Rp 9.731.000", "Rp9,731,000", "9731000.0", "Rp 9,7 jt", "Rp9.73M", "9.7 juta"):
        assert pattern.search(shown), shown
    for other in ("19731000", "Rp 9.8 jt", "0.97", "29,7 jt", "Rp 1.9731.000"):
        assert pattern.search(other) is None, other
