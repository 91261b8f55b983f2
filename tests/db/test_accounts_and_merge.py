"""Accounts and merges on a real database: the accounts list (search, filters, role scope), an
account's own 360 (contacts, orders, touchpoints, value rolled up from its contacts), a merge
that takes the value the user chose per field, and record changes said in words."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import Engine

from crm_core.customers import accounts, merging, timeline
from crm_core.customers import records as customers
from crm_core.customers.accounts import AccountFilter
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, Interaction, Order, OrderItem, Product
from crm_core.models.enums import Channel, Direction, Role, SalesChannel
from db.session import session_scope
from support import a_customer, make_user

DAY = datetime(2026, 3, 1, 9, 0)


def an_account(engine: Engine, actor: Actor, **data: object) -> int:
    with session_scope(engine) as s:
        return accounts.create_account(s, actor, {"name": "Kopi Jaya", **data}).id


def link(engine: Engine, actor: Actor, customer_id: int, account_id: int) -> None:
    with session_scope(engine) as s:
        version = s.get(Customer, customer_id).version  # type: ignore[union-attr]
        accounts.link_customer(s, actor, customer_id, version, account_id)


def test_the_accounts_list_searches_filters_and_counts_live_contacts(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    kopi = an_account(engine, manager, industry="Cafe", region="Jawa Barat", city="Bandung")
    teh = an_account(engine, sales, name="Teh Sari", industry="Retail", region="Bali",
                     website="tehsari.id")  # fmt: skip
    for name in ("Ayu", "Budi"):
        link(engine, manager, a_customer(engine, manager, name=name), kopi)
    with session_scope(engine, write=False) as s:
        every = accounts.list_accounts(s, manager, AccountFilter())
        assert (every.total, list(every.rows["name"])) == (2, ["Kopi Jaya", "Teh Sari"])
        assert list(every.rows["contacts"]) == [2, 0]
        found = lambda f: list(accounts.list_accounts(s, manager, f).rows["id"])  # noqa: E731
        assert found(AccountFilter(query="TEHSARI")) == [teh]  # part of the website, any case
        assert found(AccountFilter(query="bandung")) == [kopi]
        assert found(AccountFilter(industries=("Retail",))) == [teh]
        assert found(AccountFilter(regions=("Jawa Barat",))) == [kopi]
        assert found(AccountFilter(owner_ids=(sales.id,))) == [teh]
        options = accounts.account_filter_options(s)
        assert options["industries"] == ["Cafe", "Retail"]
        assert [name for _id, name in options["owners"]] == ["Manager", "Sales"]


def test_an_account_page_holds_its_contacts_orders_and_touchpoints_and_sums_their_value(
    engine: Engine, manager: Actor
) -> None:
    kopi = an_account(engine, manager)
    ayu = a_customer(engine, manager, name="Ayu")
    budi = a_customer(engine, manager, name="Budi")
    stranger = a_customer(engine, manager, name="Citra")  # not a contact of Kopi Jaya
    for contact in (ayu, budi):
        link(engine, manager, contact, kopi)
    with session_scope(engine) as s:
        product = Product(sku="K-1", name="Kopi", category="coffee", price=1, unit_cost=1)
        s.add(product)
        s.flush()
        for who, day in ((ayu, 1), (budi, 5), (stranger, 7)):
            order = Order(customer_id=who, channel=SalesChannel.STORE,
                          ordered_at=DAY.replace(day=day), discount=Decimal(5000))  # fmt: skip
            s.add(order)
            s.flush()
            s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=2,
                            unit_price=50000, unit_cost=30000))  # fmt: skip
        s.add(Interaction(customer_id=budi, channel=Channel.WHATSAPP, subject="Promo",
                          direction=Direction.OUTBOUND, occurred_at=DAY))  # fmt: skip
    with session_scope(engine, write=False) as s:
        found = accounts.account_overview(s, manager, kopi)
    assert list(found.contacts["name"]) == ["Ayu", "Budi"]
    assert found.orders_total == 2
    assert list(found.orders["customer"]) == ["Budi", "Ayu"]  # newest first
    assert list(found.orders["total"]) == [95000, 95000]  # 2 x 50,000 less 5,000
    assert list(found.touchpoints["channel"]) == ["whatsapp"]
    values = pd.DataFrame(
        {"net_revenue": [95000.0, 95000.0, 1e9], "profit": [30000.0, 25000.0, 1e9],
         "orders": [1, 1, 9], "predicted_clv": [float("nan")] * 3,
         "last_order_at": [DAY.replace(day=1), DAY.replace(day=5), DAY.replace(day=7)]},
        index=[ayu, budi, stranger],
    )  # fmt: skip
    rolled = accounts.rolled_up(values, [int(i) for i in found.contacts["id"]])
    assert (rolled["net_revenue"], rolled["profit"], rolled["orders"]) == (190000, 55000, 2)
    assert rolled["last_order_at"] == DAY.replace(day=5)
    assert rolled["predicted_clv"] is None  # no model figure: none, not zero
    assert (rolled["buyers"], rolled["contacts"]) == (2, 2)


def test_a_merge_takes_the_value_chosen_per_field_and_fills_the_rest(
    engine: Engine, manager: Actor
) -> None:
    keep = a_customer(engine, manager, email="budi@kopi.id", city="Bandung", phone="081234567890")
    other = {"email": "budi.s@gmail.com", "city": "Jakarta", "phone": "081398765432",
             "region": "DKI Jakarta", "external_id": "POS-77"}  # fmt: skip
    merge = a_customer(engine, manager, name="Budi S.", **other)
    with session_scope(engine, write=False) as s:
        rows = {r.field: r for r in merging.side_by_side(s, manager, keep, merge)}
    assert (rows["city"].keep, rows["city"].merge, rows["city"].differs) == (
        "Bandung", "Jakarta", True,
    )  # fmt: skip
    assert rows["city"].proposed == keep  # both filled: the kept one's, unless chosen
    assert rows["region"].proposed == merge  # only the other has it
    winners = {"email": merge, "city": keep, "phone": merge, "external_id": merge}
    with session_scope(engine) as s:
        merging.merge_customers(s, manager, keep, merge, {keep: 1, merge: 1}, winners)
    with session_scope(engine, write=False) as s:
        kept = s.get(Customer, keep)
        assert kept is not None
        assert (kept.email, kept.email_normalized) == ("budi.s@gmail.com", "budi.s@gmail.com")
        assert (kept.phone, kept.phone_normalized) == ("+6281398765432", "+6281398765432")
        assert (kept.city, kept.region, kept.name) == ("Bandung", "DKI Jakarta", "Budi Santoso")
        assert kept.external_id == "POS-77"  # moved over: the merged one no longer holds it
        merged = s.get(Customer, merge)
        assert merged is not None and merged.external_id is None


def test_a_choice_for_a_field_that_is_not_one_or_a_customer_not_merged_is_refused(
    engine: Engine, manager: Actor
) -> None:
    keep = a_customer(engine, manager)
    merge = a_customer(engine, manager, name="Budi S.")
    with session_scope(engine) as s, pytest.raises(ValidationError) as refused:
        merging.merge_customers(s, manager, keep, merge, {keep: 1, merge: 1},
                                {"city": 999, "password": merge})  # fmt: skip
    assert set(refused.value.field_errors) == {"city", "password"}


def test_a_change_of_owner_reads_as_names_and_a_stage_as_its_label(
    engine: Engine, manager: Actor
) -> None:
    ayu = make_user(engine, Role.SALES, "ayu")
    budi = make_user(engine, Role.SALES, "budi")
    customer_id = a_customer(engine, manager, owner_id=ayu.id)
    with session_scope(engine) as s:
        customers.update_customer(
            s, manager, customer_id, 1, {"owner_id": budi.id, "lifecycle_stage": "customer"}
        )
    with session_scope(engine, write=False) as s:
        feed = timeline.customer_timeline(s, manager, customer_id, kinds={"change"})
        said = render(feed["detail"][0])
        assert "owner: Ayu → Budi" in said
        assert "lifecycle stage: prospect → customer" in said
        in_indonesian = render(feed["detail"][0], "id")
        assert "tahap pelanggan: Calon pelanggan → Pelanggan" in in_indonesian
        # who may not read the audit log sees which fields changed, not the values
        hidden = render(
            timeline.customer_timeline(s, ayu, customer_id, kinds={"change"})["detail"][1]
        )
        assert "Ayu" not in hidden
