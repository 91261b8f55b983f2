"""The customers list on SQLite and PostgreSQL: search, filters, scope, sorting, paging, export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, insert, update

from crm_core.customers import listing as customer_list
from crm_core.customers import records as customers
from crm_core.customers.listing import CustomerFilter
from crm_core.kernel import permissions
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.permissions import Actor, Scope
from crm_core.models import Account, Customer, Order
from crm_core.models.enums import OrderStatus, Role, SalesChannel
from db.session import session_scope


@pytest.fixture
def book(engine: Engine, manager: Actor, sales: Actor) -> dict[str, int]:
    """Four customers, checked by hand below; one more that is deleted."""
    with session_scope(engine) as s:
        kopi = Account(name="PT Kopi Nusantara", industry="Café & coffee shop", city="Bandung")
        hotel = Account(name="Hotel Melati", industry="Hotel & hospitality", city="Surabaya")
        s.add_all([kopi, hotel])
        s.flush()
        rows = {
            "budi": {"name": "Budi Santoso", "email": "budi.santoso@gmail.com",
                     "phone": "0812-3456-7890", "city": "Bandung", "region": "Jawa Barat",
                     "lifecycle_stage": "customer", "account_id": kopi.id,
                     "owner_id": sales.id, "tags": ["VIP"]},
            "siti": {"name": "Siti Rahmawati", "email": "siti@yahoo.co.id",
                     "phone": "+62 813 9999 0000", "city": "Surabaya", "region": "Jawa Timur",
                     "lifecycle_stage": "prospect", "account_id": hotel.id,
                     "owner_id": manager.id},
            "andi": {"name": "Andi Wijaya", "email": "andi@example.com", "city": "Jakarta",
                     "region": "DKI Jakarta", "lifecycle_stage": "repeat customer",
                     "owner_id": manager.id, "tags": ["wholesale", "vip"]},
            "dewi": {"name": "Dewi Lestari", "email": "dewi_100%@example.com",
                     "city": "Bandung", "region": "Jawa Barat", "lifecycle_stage": "subscriber",
                     "owner_id": sales.id},
            "gone": {"name": "Budi Terhapus", "city": "Bandung", "owner_id": sales.id},
        }  # fmt: skip
        ids = {key: customers.create_customer(s, manager, data).id for key, data in rows.items()}
    with session_scope(engine) as s:
        customers.delete_customer(s, manager, ids.pop("gone"), 1)
    return ids


def value_table(book: dict[str, int]) -> pd.DataFrame:
    """A hand-made value table: the list joins it by customer id."""
    rows = {
        "budi": ("Most Valuable", "Champions", 9_000_000.0, 2_500_000.0, "2026-10-30", 0.10),
        "siti": ("Below-Zero", "At Risk", 300_000.0, -50_000.0, "2025-12-01", 0.80),
        "andi": ("Most Growable", "Loyal", 4_000_000.0, 700_000.0, "2026-09-15", 0.35),
        "dewi": ("Most Growable", "New Customers", 0.0, 0.0, None, np.nan),
    }
    frame = pd.DataFrame.from_dict(
        {book[k]: v for k, v in rows.items()},
        orient="index",
        columns=[
            "value_tier",
            "rfm_segment",
            "net_revenue",
            "profit",
            "last_order_at",
            "churn_risk",
        ],
    )
    frame["last_order_at"] = pd.to_datetime(frame["last_order_at"])
    frame.index.name = "customer_id"
    return frame


def names(engine: Engine, actor: Actor, values: pd.DataFrame | None = None, **kw: Any) -> list[str]:
    sort = {k: kw.pop(k) for k in ("sort_by", "descending", "limit", "offset") if k in kw}
    with session_scope(engine, write=False) as s:
        page = customer_list.search_customers(s, actor, CustomerFilter(**kw), values, **sort)
    return list(page.rows["name"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("santo", ["Budi Santoso"]),  # part of a name
        ("RAHMA", ["Siti Rahmawati"]),  # any case
        ("yahoo.co", ["Siti Rahmawati"]),  # part of an email
        ("kopi nus", ["Budi Santoso"]),  # part of the company
        ("0812 3456", ["Budi Santoso"]),  # stored as +6281234567890
        ("+62 813-9999", ["Siti Rahmawati"]),
        ("100%", ["Dewi Lestari"]),  # % and _ are matched as typed, not as wildcards
        ("_", ["Dewi Lestari"]),
        ("terhapus", []),  # deleted customers are not listed
    ],
)
def test_search_finds_customers_by_part_of_a_name_email_company_or_phone(
    engine: Engine, book: dict[str, int], manager: Actor, query: str, expected: list[str]
) -> None:
    assert names(engine, manager, query=query) == expected


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"lifecycle_stages": ("prospect", "subscriber")}, ["Dewi Lestari", "Siti Rahmawati"]),
        ({"regions": ("Jawa Barat",)}, ["Budi Santoso", "Dewi Lestari"]),
        ({"cities": ("Jakarta", "Surabaya")}, ["Andi Wijaya", "Siti Rahmawati"]),
        ({"industries": ("Hotel & hospitality",)}, ["Siti Rahmawati"]),
        ({"tag": "vip"}, ["Andi Wijaya", "Budi Santoso"]),  # tags match in any case
        ({"value_tiers": ("Most Growable",)}, ["Andi Wijaya", "Dewi Lestari"]),
        ({"rfm_segments": ("Champions", "At Risk")}, ["Budi Santoso", "Siti Rahmawati"]),
        ({"regions": ("Jawa Barat",), "value_tiers": ("Most Growable",)}, ["Dewi Lestari"]),
    ],
)
def test_each_filter_narrows_the_list(
    engine: Engine,
    book: dict[str, int],
    manager: Actor,
    criteria: dict[str, Any],
    expected: list[str],
) -> None:
    assert names(engine, manager, value_table(book), **criteria) == expected


def test_the_owner_filter_lists_the_customers_of_the_chosen_owners(
    engine: Engine, book: dict[str, int], manager: Actor, sales: Actor
) -> None:
    assert names(engine, manager, owner_ids=(sales.id,)) == ["Budi Santoso", "Dewi Lestari"]


def test_the_read_scope_is_applied_in_the_query(
    engine: Engine,
    book: dict[str, int],
    sales: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(names(engine, sales)) == 4  # sales reads every customer today
    own_only = dict(permissions._MATRIX["customer"])
    own_only[Role.SALES] = (Scope.OWN, *own_only[Role.SALES][1:])
    monkeypatch.setitem(permissions._MATRIX, "customer", own_only)
    assert names(engine, sales) == ["Budi Santoso", "Dewi Lestari"]
    assert names(engine, sales, query="siti") == []
    with session_scope(engine, write=False) as s:
        options = customer_list.filter_options(s, sales)
    assert list(options["owners"].values()) == ["Sales"]


def test_sorting_by_columns_and_by_value(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    values = value_table(book)
    everyone = ["Andi Wijaya", "Budi Santoso", "Dewi Lestari", "Siti Rahmawati"]
    assert names(engine, manager) == everyone
    assert names(engine, manager, sort_by="name", descending=True) == everyone[::-1]
    # Customers without a company come last, whichever the direction.
    assert names(engine, manager, sort_by="company")[:2] == ["Siti Rahmawati", "Budi Santoso"]
    assert names(engine, manager, sort_by="company", descending=True)[:2] == [
        "Budi Santoso",
        "Siti Rahmawati",
    ]
    assert names(engine, manager, sort_by="lifecycle_stage") == [
        "Dewi Lestari",  # subscriber, prospect, customer, repeat customer: the stages' order
        "Siti Rahmawati",
        "Budi Santoso",
        "Andi Wijaya",
    ]
    assert names(engine, manager, values, sort_by="profit", descending=True) == [
        "Budi Santoso",
        "Andi Wijaya",
        "Dewi Lestari",
        "Siti Rahmawati",
    ]
    assert names(engine, manager, values, query="nobody", sort_by="profit") == []
    # No risk known (never bought) sorts last both ways.
    assert names(engine, manager, values, sort_by="churn_risk")[-1] == "Dewi Lestari"
    assert names(engine, manager, values, sort_by="churn_risk", descending=True) == [
        "Siti Rahmawati",
        "Andi Wijaya",
        "Budi Santoso",
        "Dewi Lestari",
    ]


def test_pages_hold_their_share_and_the_total_counts_every_match(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    values = value_table(book)
    with session_scope(engine, write=False) as s:
        first = customer_list.search_customers(s, manager, CustomerFilter(), values, limit=3)
        second = customer_list.search_customers(
            s, manager, CustomerFilter(), values, limit=3, offset=3
        )
        by_value = customer_list.search_customers(
            s, manager, CustomerFilter(), values, sort_by="profit", limit=3, offset=3
        )
        narrowed = customer_list.search_customers(
            s, manager, CustomerFilter(query="a", value_tiers=("Most Growable",)), values, limit=1
        )
    assert (first.total, len(first.rows), second.total, len(second.rows)) == (4, 3, 4, 1)
    assert list(second.rows["name"]) == ["Siti Rahmawati"]
    assert (by_value.total, list(by_value.rows["name"])) == (4, ["Budi Santoso"])
    assert (narrowed.total, list(narrowed.rows["name"])) == (2, ["Andi Wijaya"])


def test_rows_carry_the_value_columns_and_the_version_for_bulk_edit(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    with session_scope(engine, write=False) as s:
        page = customer_list.search_customers(
            s, manager, CustomerFilter(query="budi"), value_table(book)
        )
    assert list(page.rows.columns) == customer_list.list_columns()
    row = page.rows.iloc[0]
    assert (row["company"], row["owner"], row["lifecycle_stage"]) == (
        "PT Kopi Nusantara",
        "Sales",
        "customer",
    )
    assert (row["value_tier"], row["profit"], row["version"]) == ("Most Valuable", 2_500_000.0, 1)


def test_value_filters_need_the_value_table(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    with pytest.raises(ValueError, match="value table"), session_scope(engine, write=False) as s:
        customer_list.search_customers(s, manager, CustomerFilter(value_tiers=("Below-Zero",)))


def test_filter_options_list_what_is_on_file(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    with session_scope(engine, write=False) as s:
        options = customer_list.filter_options(s, manager)
    assert options["regions"] == ["DKI Jakarta", "Jawa Barat", "Jawa Timur"]
    assert options["cities"] == ["Bandung", "Jakarta", "Surabaya"]
    assert options["industries"] == ["Café & coffee shop", "Hotel & hospitality"]
    assert sorted(options["owners"].values()) == ["Manager", "Sales"]
    assert options["lifecycle_stages"][0] == "subscriber"


def test_the_export_holds_every_match_and_neutralises_formulas(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    with session_scope(engine) as s:
        customers.create_customer(
            s, manager, {"name": "=cmd|' /C calc'!A0", "city": "+Bandung", "notes": "x"}
        )
    with session_scope(engine, write=False) as s:
        rows = customer_list.export_rows(s, manager, CustomerFilter(), value_table(book))
    assert len(rows) == 5 and "version" not in rows.columns
    text = safe_csv(rows)
    assert "'=cmd|' /C calc'!A0" in text and "'+Bandung" in text
    assert "\n=" not in text and ",=" not in text and ",+" not in text


def test_amounts_are_listed_only_to_who_may_read_them_and_the_tier_to_everyone(
    engine: Engine, book: dict[str, int], manager: Actor, sales: Actor, support: Actor
) -> None:
    """Support sees every tier and no amount; sales the amounts of its own customers only
    (Budi and Dewi); a manager all of them. The export follows the same rule."""
    values = value_table(book)
    shown: dict[str, dict[str, Any]] = {}
    for actor in (manager, sales, support):
        with session_scope(engine, write=False) as s:
            rows = customer_list.search_customers(s, actor, CustomerFilter(), values).rows
            exported = customer_list.export_rows(s, actor, CustomerFilter(), values)
        assert exported["profit"].isna().tolist() == rows["profit"].isna().tolist()
        shown[actor.username] = {
            name: (tier, None if pd.isna(profit) else profit)
            for name, tier, profit in zip(
                rows["name"], rows["value_tier"], rows["profit"], strict=True
            )
        }
    assert shown["manager"]["Siti Rahmawati"] == ("Below-Zero", -50_000.0)
    assert shown["sales"]["Budi Santoso"] == ("Most Valuable", 2_500_000.0)  # its own
    assert shown["sales"]["Siti Rahmawati"] == ("Below-Zero", None)  # the manager's
    assert shown["support"]["Budi Santoso"] == ("Most Valuable", None)
    assert all(profit is None for _, profit in shown["support"].values())


def test_only_who_reads_every_amount_may_sort_the_list_by_one(
    engine: Engine, book: dict[str, int], manager: Actor, sales: Actor, support: Actor
) -> None:
    # A sort by profit over customers whose profit is hidden would tell their order.
    assert "profit" in customer_list.sorts(manager)
    for actor in (sales, support):
        assert {"profit", "net_revenue"}.isdisjoint(customer_list.sorts(actor))
        assert "churn_risk" in customer_list.sorts(actor)
        with pytest.raises(ValueError), session_scope(engine, write=False) as s:
            customer_list.search_customers(s, actor, CustomerFilter(), value_table(book),
                                           sort_by="profit")  # fmt: skip


def test_the_period_filters_count_the_teams_local_days(
    engine: Engine, book: dict[str, int], manager: Actor
) -> None:
    """The team's zone is Asia/Jakarta (UTC+7): 31 October 18:00 UTC is 1 November 01:00."""
    with session_scope(engine) as s:
        s.execute(update(Customer).values(created_at=datetime(2026, 10, 1)))
        s.execute(update(Customer).where(Customer.id == book["siti"])
                  .values(created_at=datetime(2026, 10, 31, 18)))  # fmt: skip
        s.execute(insert(Order), [
            {"customer_id": book[who], "ordered_at": at, "channel": SalesChannel.ONLINE,
             "status": status}
            for who, at, status in [
                ("budi", datetime(2026, 10, 31, 18), OrderStatus.COMPLETED),  # 1 Nov, local
                ("andi", datetime(2026, 10, 31, 16), OrderStatus.COMPLETED),  # 31 Oct, local
                ("dewi", datetime(2026, 11, 10), OrderStatus.CANCELLED),  # not a sale
            ]
        ])  # fmt: skip
    november = ("2026-11-01", "2026-11-30")
    assert names(engine, manager, bought_between=november) == ["Budi Santoso"]
    assert names(engine, manager, created_between=november) == ["Siti Rahmawati"]
    assert names(engine, manager, bought_between=("2026-10-31", "2026-10-31")) == ["Andi Wijaya"]
    assert names(engine, manager, bought_between=november, regions=("Jawa Timur",)) == []


def test_a_link_names_the_filters_it_sets_and_a_bad_value_filters_nothing() -> None:
    address = customer_list.list_address(
        "Jawa Barat", 7, bought=(date(2026, 11, 1), date(2026, 11, 30))
    )
    assert address == {"region": "Jawa Barat", "owner": "7", "bought": "2026-11-01..2026-11-30"}
    assert customer_list.filter_from_address(address) == CustomerFilter(
        regions=("Jawa Barat",), owner_ids=(7,), bought_between=("2026-11-01", "2026-11-30")
    )
    assert customer_list.filter_from_address({"id": "3"}) is None  # names none of them
    hand_edited = {"owner": "seven", "bought": "2026-11-30..2026-11-01", "created": "yesterday"}
    assert customer_list.filter_from_address(hand_edited) == CustomerFilter()
