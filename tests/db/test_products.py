"""Products on a real database: the catalogue's write path, its list, and its CSV import
(preview, commit, revert, the command line), so that an empty database can take orders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from crm_core.customers import product_import, products
from crm_core.customers.order_import import preview_orders
from crm_core.customers.products import ProductFilter
from crm_core.exchange import importing, reverting
from crm_core.exchange.importing import RevertRefused, RowStatus
from crm_core.exchange.registry import importer
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Order, OrderItem, Product
from crm_core.models.enums import Entity, SalesChannel
from db.session import session_scope
from support import a_customer

KOPI = {"sku": "KOPI-250", "name": "Kopi Toraja 250 g", "category": "coffee",
        "price": "85000", "unit_cost": "52000"}  # fmt: skip
CATALOGUE = """Kode Barang;Nama Barang;Kategori;Harga Jual;HPP
KOPI-250;Kopi Toraja 250 g;coffee;Rp 85.000;Rp 52.000
TEH-100;Teh Melati 100 g;tea;25.000;14.500
TEH-100;Teh Melati again;tea;26.000;14.500
GULA-1;Gula Aren 1 kg;;30.000;18.000

"""
MAPPING = {"Kode Barang": "sku", "Nama Barang": "name", "Kategori": "category",
           "Harga Jual": "price", "HPP": "unit_cost"}  # fmt: skip


def count(engine: Engine, model: Any) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_manager_adds_edits_and_retires_a_product_and_each_step_is_audited(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine) as s:
        product = products.create_product(s, manager, KOPI)
        product_id = product.id
        assert (product.price, product.unit_cost, product.active) == (85000, 52000, True)
    with session_scope(engine) as s:
        changed = products.update_product(s, manager, product_id, 1, {"price": "90000"})
        assert changed == {"price": (Decimal("85000.00"), Decimal("90000"))}
        products.set_retired(s, manager, product_id, 2, True)
    with session_scope(engine, write=False) as s:
        page = products.list_products(s, manager, ProductFilter())
        assert page.total == 0  # retired: off the list of products on sale
        retired = products.list_products(s, manager, ProductFilter(retired=True))
        assert list(retired.rows["sku"]) == ["KOPI-250"]
        assert retired.rows["margin"].iloc[0] == 38000  # 90,000 less 52,000
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == Entity.PRODUCT)
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
        assert [str(a) for a in actions] == ["create", "update", "update"]


def test_a_stale_edit_is_a_conflict_and_a_taken_sku_is_refused_beside_the_field(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine) as s:
        product_id = products.create_product(s, manager, KOPI).id
        products.create_product(s, manager, {**KOPI, "sku": "KOPI-500"})
    with session_scope(engine) as s, pytest.raises(ValidationError) as refused:
        products.update_product(s, manager, product_id, 1, {"sku": "kopi-500"})
    assert render(refused.value.field_errors["sku"]).startswith("SKU already used by product #")
    with session_scope(engine) as s:
        products.update_product(s, manager, product_id, 1, {"name": "Kopi Toraja"})
    with session_scope(engine) as s, pytest.raises(ConflictError):
        products.update_product(s, manager, product_id, 1, {"name": "Kopi Gayo"})
    with session_scope(engine) as s, pytest.raises(ValidationError) as bad:
        products.create_product(s, manager, {**KOPI, "sku": "KOPI 1", "price": "-1"})
    assert set(bad.value.field_errors) == {"sku", "price"}


def test_a_salesperson_reads_the_catalogue_but_does_not_change_it(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    with session_scope(engine) as s:
        product_id = products.create_product(s, manager, KOPI).id
    with session_scope(engine, write=False) as s:
        found = products.list_products(s, sales, ProductFilter(query="toraja"))
        assert list(found.rows["id"]) == [product_id]
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        products.create_product(s, sales, {**KOPI, "sku": "X-1"})
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        products.set_retired(s, sales, product_id, 1, True)


def test_search_finds_part_of_a_sku_or_a_name_and_filters_by_category(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine) as s:
        products.create_product(s, manager, KOPI)
        products.create_product(s, manager, {**KOPI, "sku": "TEH-100", "name": "Teh Melati",
                                             "category": "tea"})  # fmt: skip
    with session_scope(engine, write=False) as s:
        skus = lambda f: list(products.list_products(s, manager, f).rows["sku"])  # noqa: E731
        assert skus(ProductFilter(query="teh")) == ["TEH-100"]
        assert skus(ProductFilter(query="kopi-2")) == ["KOPI-250"]
        assert skus(ProductFilter(categories=("coffee",))) == ["KOPI-250"]
        assert products.categories(s) == ["coffee", "tea"]


def test_the_product_import_previews_every_line_and_commits_the_good_ones(
    engine: Engine, manager: Actor
) -> None:
    frame = importing.read_csv(CATALOGUE.encode())
    assert importing.suggest_mapping(frame.columns, product_import.PRODUCT_FIELDS) == MAPPING
    with session_scope(engine) as s:
        preview = importer("products").preview(s, manager, frame, MAPPING)
        fate = {r.row: r.status for r in preview.rows}
        # line 4 repeats line 3's SKU; line 5 has no category; line 6 is blank
        assert fate == {2: RowStatus.OK, 3: RowStatus.OK, 4: RowStatus.DUPLICATE,
                        5: RowStatus.BAD, 6: RowStatus.EMPTY}  # fmt: skip
        assert preview.counts["create"] == 2
        batch = importer("products").commit(s, manager, preview, "catalogue.csv")
        batch_id = batch.id
    with session_scope(engine, write=False) as s:
        teh = s.scalar(select(Product).where(Product.sku == "TEH-100"))
        assert teh is not None
        assert (teh.name, teh.price, teh.unit_cost) == ("Teh Melati 100 g", 25000, 14500)
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    assert count(engine, Product) == 0


def test_create_or_update_changes_only_the_columns_the_file_has_and_a_revert_puts_them_back(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine) as s:
        products.create_product(s, manager, KOPI)
    frame = importing.read_csv(b'SKU,Price\nKOPI-250,"95,000"\nNEW-1,10000\n')
    with session_scope(engine) as s:
        preview = product_import.preview_products(
            s, manager, frame, {"SKU": "sku", "Price": "price"}, "update_only"
        )
        assert [r.status for r in preview.rows] == [RowStatus.OK, RowStatus.UNMATCHED]
        batch_id = product_import.commit_products(s, manager, preview, "prices.csv").id
    with session_scope(engine, write=False) as s:
        kopi = s.scalar(select(Product).where(Product.sku == "KOPI-250"))
        assert kopi is not None and (kopi.price, kopi.name) == (95000, "Kopi Toraja 250 g")
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(Product.price).where(Product.sku == "KOPI-250")) == 85000


def test_an_empty_database_takes_the_catalogue_then_the_orders_that_sell_it(
    engine: Engine, manager: Actor
) -> None:
    customer_id = a_customer(engine, manager, email="budi@example.com")
    with session_scope(engine) as s:
        preview = product_import.preview_products(
            s, manager, importing.read_csv(CATALOGUE.encode()), MAPPING
        )
        product_import.commit_products(s, manager, preview, "catalogue.csv")
    orders = importing.read_csv(
        b"email,date,sku,qty,channel\nbudi@example.com,2026-02-01 10:00,TEH-100,2,toko\n"
    )
    mapping = {"email": "customer_email", "date": "ordered_at", "sku": "sku", "qty": "quantity",
               "channel": "channel"}  # fmt: skip
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, orders, mapping)
        assert [r.status for r in preview.rows] == [RowStatus.OK]
        importer("orders").commit(s, manager, preview, "orders.csv")
    with session_scope(engine, write=False) as s:
        sold = s.execute(select(Order.customer_id, Order.channel, OrderItem.unit_price)
                         .join(OrderItem, OrderItem.order_id == Order.id)).one()  # fmt: skip
        assert tuple(sold) == (customer_id, SalesChannel.STORE, 25000)  # the product's price


def test_a_revert_is_refused_once_an_order_sells_an_imported_product(
    engine: Engine, manager: Actor
) -> None:
    customer_id = a_customer(engine, manager)
    with session_scope(engine) as s:
        frame = importing.read_csv(CATALOGUE.encode())
        preview = product_import.preview_products(s, manager, frame, MAPPING)
        batch_id = product_import.commit_products(s, manager, preview, "catalogue.csv").id
        teh = s.scalar(select(Product).where(Product.sku == "TEH-100"))
        assert teh is not None
        order = Order(customer_id=customer_id, channel=SalesChannel.STORE,
                      ordered_at=teh.updated_at)  # fmt: skip
        s.add(order)
        s.flush()
        s.add(OrderItem(order_id=order.id, product_id=teh.id, quantity=1, unit_price=25000,
                        unit_cost=14500))  # fmt: skip
    with session_scope(engine) as s, pytest.raises(RevertRefused) as refused:
        reverting.revert_import(s, manager, batch_id)
    assert "is on an order" in str(refused.value)
    assert count(engine, Product) == 2


def test_manage_py_imports_products_from_a_file(
    engine: Engine, manager: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import manage

    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "katalog.csv"
    path.write_text(CATALOGUE)
    assert manage.main(["import", "products", str(path), "--as", manager.username]) == 0
    assert count(engine, Product) == 2
