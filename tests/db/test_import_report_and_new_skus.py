"""The import report holds each row's own cells beside its fate (in the preview, and for the
rows not imported in a past import's report), and an orders import creates the SKUs the
catalogue lacks as products when the user asks: listed in the preview, made in the orders'
transaction, removed by the revert."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, func, select

from crm_core.customers import records as customers
from crm_core.customers.customer_import import commit_customers, preview_customers
from crm_core.customers.order_import import commit_orders, preview_orders
from crm_core.exchange import importing, reverting
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Order, OrderItem, Product
from db.session import session_scope

CUSTOMERS_CSV = """Nama,E-mail,status
Ani Wijaya,ani@example.com,vip
Bad Email,ani-at-example,biasa
"""
ORDERS_CSV = """Tanggal,Email,Kode Produk,Nama Produk,Jumlah,Harga,Saluran
2025-03-01,budi@example.com,KOPI-250,,1,,toko
2025-03-01,budi@example.com,GULA-1,Gula Aren 1 kg,2,"Rp 30.000",toko
2025-03-02,budi@example.com,GULA-1,,1,,online
2025-03-02,budi@example.com,MADU-1,,1,,online
"""
ORDER_MAPPING = {"Tanggal": "ordered_at", "Email": "customer_email", "Kode Produk": "sku",
                 "Nama Produk": "product_name", "Jumlah": "quantity", "Harga": "unit_price",
                 "Saluran": "channel"}  # fmt: skip


def test_the_report_shows_each_rows_own_cells_beside_its_reason(
    engine: Engine, admin: Actor
) -> None:
    frame = importing.read_csv(CUSTOMERS_CSV.encode())
    mapping = {"Nama": "name", "E-mail": "email"}
    with session_scope(engine) as s:
        preview = preview_customers(s, admin, frame, mapping, "create_only", "email")
        report = importing.render_report(preview.report(), render)
        # the file's columns after the report's; its "status" does not hide the report's
        assert list(report.columns)[-3:] == ["Nama", "E-mail", "file:status"]
        bad = report[report["status"] == "bad"].iloc[0]
        assert (bad["row"], bad["Nama"], bad["E-mail"], bad["file:status"]) == (
            3, "Bad Email", "ani-at-example", "biasa",
        )  # fmt: skip
        assert bad["errors"].startswith("E-mail: is not a valid email address")
        batch_id = commit_customers(s, admin, preview, "pelanggan.csv").id
    with session_scope(engine, write=False) as s:
        past = importing.batch_report(s, admin, batch_id)
    # a past import keeps the cells of the rows it did not import (the ones to fix)
    assert list(past["Nama"]) == ["", "Bad Email"]
    assert list(past["file:status"]) == ["", "biasa"]


def test_unknown_skus_are_listed_and_created_as_products_on_request_and_reverted(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine) as s:
        customers.create_customer(s, manager, {"name": "Budi", "email": "budi@example.com"})
        s.add(Product(sku="KOPI-250", name="Kopi", category="kopi", price=Decimal("45000"),
                      unit_cost=Decimal("30000")))  # fmt: skip
    frame = importing.read_csv(ORDERS_CSV.encode())
    with session_scope(engine, write=False) as s:
        refused = preview_orders(s, manager, frame, ORDER_MAPPING)
        assert [render(n) for n in refused.notices] == [
            "2 SKUs are not in the catalogue: GULA-1, MADU-1. Tick “Create the unknown SKUs "
            "as products” to add them with this import, or import them on Products first."
        ]
        assert refused.counts["bad"] == 3
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, frame, ORDER_MAPPING, create_products=True)
        report = importing.render_report(preview.report(), render)
        fate = dict(zip(report["row"], report["status"], strict=True))
        # MADU-1 has no price on its only line: no product to make, the line says why
        assert fate == {2: "ok", 3: "ok", 4: "ok", 5: "bad"}
        assert report["errors"].iloc[3] == "Harga: MADU-1 is a new product: give its price"
        assert render(preview.notices[0]).startswith("2 new products are created with this")
        batch_id = commit_orders(s, manager, preview, "penjualan.csv").id
    with session_scope(engine, write=False) as s:
        gula = s.scalar(select(Product).where(Product.sku == "GULA-1"))
        assert gula is not None
        assert (gula.name, gula.category, gula.price, gula.unit_cost) == (
            "Gula Aren 1 kg", "imported", Decimal("30000"), Decimal("0"),
        )  # fmt: skip
        prices = s.scalars(
            select(OrderItem.unit_price).where(OrderItem.product_id == gula.id)
        ).all()
        assert sorted(prices) == [Decimal("30000"), Decimal("30000")]  # the 2nd line: its price
        audited = select(func.count()).where(AuditEntry.entity == "product")
        assert s.scalar(audited) == 1  # created through the write path
        assert s.scalar(select(func.count()).select_from(Order)) == 3
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    with session_scope(engine, write=False) as s:
        assert s.scalars(select(Product.sku)).all() == ["KOPI-250"]
        assert s.scalar(select(func.count()).select_from(Order)) == 0
