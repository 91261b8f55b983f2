"""The Products and Accounts pages and the Customer 360's actions through AppTest: a product
added, edited and retired from the page; accounts found and opened; an account's own 360;
call, WhatsApp and email one click away; next best offers with price and margin; a merge
that takes the value chosen per field."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm_core.customers import accounts
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, Order, OrderItem, Product, utcnow
from crm_core.models.enums import Role, SalesChannel
from db.session import session_scope
from support import a_customer, page_as, values_refreshed


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def links(at: AppTest) -> dict[str, str]:
    return {b.proto.label: b.proto.url for b in at.get("link_button")}


def test_a_manager_adds_a_product_edits_its_price_and_retires_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("products", staff[Role.MANAGER]).run()
    assert "No products yet." in [i.value for i in at.info]
    prefix = "new-product-v0-n0"
    typed = {"sku": "KOPI-250", "name": "Kopi Toraja", "category": "coffee", "price": "Rp 85.000",
             "unit_cost": "52000"}  # fmt: skip
    for field, value in typed.items():
        at.text_input(key=f"{prefix}-{field}").input(value)
    at.button(key=f"FormSubmitter:{prefix}-Add product").click().run()
    assert "Product added." in [s.value for s in at.success]
    shown = at.dataframe[0].value
    assert (shown["sku"][0], shown["price"][0], shown["margin"][0]) == (
        "KOPI-250", "Rp 85,000", "Rp 33,000",
    )  # fmt: skip
    with session_scope(app_engine, write=False) as s:
        product_id = s.scalar(select(Product.id))
    # a selected row (or a link to the product) opens its form and Retire
    at.query_params["id"] = str(product_id)
    at.run()
    edit = f"product-{product_id}-v1-n0"
    at.text_input(key=f"{edit}-price").input("90000")
    at.button(key=f"FormSubmitter:{edit}-Save product").click().run()
    assert "Saved." in [s.value for s in at.success]
    at.button(key=f"product-{product_id}-retire-v2").click().run()
    with session_scope(app_engine, write=False) as s:
        product = s.get(Product, product_id)
        assert product is not None and (product.price, product.active) == (90000, False)


def test_a_bad_price_is_refused_beside_its_field_and_the_typing_stays(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("products", staff[Role.MANAGER]).run()
    prefix = "new-product-v0-n0"
    for field, value in {"sku": "TEH 1", "name": "Teh", "category": "tea", "price": "murah",
                         "unit_cost": "1000"}.items():  # fmt: skip
        at.text_input(key=f"{prefix}-{field}").input(value)
    at.button(key=f"FormSubmitter:{prefix}-Add product").click().run()
    assert "Please correct the fields marked below." in [e.value for e in at.error]
    assert at.text_input(key=f"{prefix}-name").value == "Teh"
    assert any("must not contain spaces" in c.value for c in at.caption)


def test_a_salesperson_sees_the_catalogue_without_its_forms(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("products", staff[Role.SALES]).run()
    assert not at.exception
    assert not [t for t in at.text_input if str(t.key).startswith("new-product")]


def test_the_accounts_list_finds_an_account_by_part_of_its_name(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    with session_scope(app_engine) as s:
        for name in ("Kopi Jaya", "Teh Sari"):
            accounts.create_account(s, staff[Role.SALES], {"name": name, "city": "Bandung"})
    at = page_as("accounts", staff[Role.SALES]).run()
    assert list(at.dataframe[0].value["name"]) == ["Kopi Jaya", "Teh Sari"]
    at.text_input(key="accounts_q").input("sari").run()
    assert list(at.dataframe[0].value["name"]) == ["Teh Sari"]
    assert "1 account matches. Select a row to open the account." in [c.value for c in at.caption]


def test_an_account_page_shows_its_contacts_and_their_summed_revenue(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales = staff[Role.SALES]
    with session_scope(app_engine) as s:
        account_id = accounts.create_account(s, sales, {"name": "Kopi Jaya", "industry": "Cafe"}).id
    for name, phone in (("Ayu", "081234567890"), ("Budi", None)):  # a contact without one too
        customer_id = a_customer(app_engine, sales, name=name, phone=phone)
        with session_scope(app_engine) as s:
            accounts.link_customer(s, sales, customer_id, 1, account_id)
            product = Product(sku=f"K-{name}", name="Kopi", category="c", price=1, unit_cost=1)
            at = utcnow().replace(microsecond=0) - timedelta(days=2)
            order = Order(customer_id=customer_id, channel=SalesChannel.STORE, ordered_at=at)
            order.discount = Decimal(0)
            s.add_all([product, order])
            s.flush()
            s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=1,
                            unit_price=100000, unit_cost=60000))  # fmt: skip
    values_refreshed(app_engine)
    at = page_as("account", sales, id=str(account_id)).run()
    assert not at.exception
    assert unescaped(at.title[0].value) == "Kopi Jaya"
    assert {m.label: m.value for m in at.metric}["Orders"] == "2"
    assert list(at.dataframe[0].value["customer"]) == ["Budi", "Ayu"]  # recent orders, newest first


def test_the_360_calls_and_whatsapps_the_number_as_people_write_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES], phone="081234567890",
                             email="budi@example.com")  # fmt: skip
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    assert links(at) == {
        "Call 0812-3456-7890": "tel:+6281234567890",
        "WhatsApp": "https://wa.me/6281234567890",
        "Email budi@example.com": "mailto:budi@example.com",
    }
    prefix = f"interaction-{customer_id}-n0"
    at.selectbox(key=f"{prefix}-channel").select("whatsapp")
    at.text_input(key=f"{prefix}-subject").input("Sent the price list")
    at.button(key=f"FormSubmitter:{prefix}-Log it").click().run()
    assert "Logged: it is on the timeline." in [s.value for s in at.success]
    assert any(m.value.startswith(":material/chat: **Sent the price list**") for m in at.markdown)


def test_a_manager_merges_taking_the_duplicates_city_by_choice(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales = staff[Role.SALES]
    keep = a_customer(app_engine, sales, city="Bandung", phone="081234567890")
    merge = a_customer(app_engine, sales, name="Budi S.", city="Jakarta", phone="081234567890")
    at = page_as("customer", staff[Role.MANAGER], id=str(keep)).run()
    at.selectbox(key=f"customer-{keep}-manage-pick").select(merge).run()
    choice = at.radio(key=f"customer-{keep}-manage-{merge}-v1-city")
    assert choice.options == ["Bandung", "Jakarta"] and choice.value == keep
    choice.set_value(merge).run()
    at.button(key=f"customer-{keep}-manage-merge-{merge}-v1-into-v1").click().run()
    assert f"Merged #{merge} into this customer." in [s.value for s in at.success]
    with session_scope(app_engine, write=False) as s:
        kept = s.get(Customer, keep)
        assert kept is not None and (kept.city, kept.name) == ("Jakarta", "Budi Santoso")


def test_a_manager_imports_a_catalogue_on_the_import_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    catalogue = (
        b"Kode Barang,Nama Barang,Kategori,Harga Jual,HPP\n"
        b"KOPI-250,Kopi Toraja,coffee,85000,52000\n"
    )
    at = page_as("import", staff[Role.MANAGER]).run()
    at.radio(key="import_kind").set_value("products").run()
    at.file_uploader(key="import_file").set_value(("katalog.csv", catalogue, "text/csv"))
    at.run()
    proposed = {s.label: s.value for s in at.selectbox if s.key.startswith("import_map:")}
    assert proposed == {"Kode Barang": "sku", "Nama Barang": "name", "Kategori": "category",
                        "Harga Jual": "price", "HPP": "unit_cost"}  # fmt: skip
    at.button(key="import_preview_button").click().run()
    at.button(key="import_commit").click().run()
    assert [s.value for s in at.success] == [
        "Imported 1 new and 0 updated products from katalog.csv. You can revert it below."
    ]
    with session_scope(app_engine, write=False) as s:
        assert s.scalar(select(Product.price).where(Product.sku == "KOPI-250")) == 85000
