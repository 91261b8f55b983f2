"""CSV import on SQLite and PostgreSQL: every row's fate is listed, only valid rows are written,
each record is audited, an import reverts whole, and a failure part way leaves nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from crm_core.admin.settings import update_team_settings
from crm_core.customers import orders
from crm_core.customers import records as customers
from crm_core.customers.customer_import import (
    CUSTOMER_FIELDS,
    commit_customers,
    export_customers,
    preview_customers,
)
from crm_core.customers.order_import import (
    ORDER_FIELDS,
    commit_orders,
    export_orders,
    preview_orders,
)
from crm_core.exchange import importing, reverting
from crm_core.exchange.importing import ImportPreview, RevertRefused, RowStatus, StalePreview
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.errors import CRMError, PermissionDenied
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Customer, ImportBatch, Order, OrderItem, Product
from crm_core.models.enums import AuditAction
from db.session import session_scope

CUSTOMERS_CSV = """Nama,E-mail,No HP,Kota
Ani Wijaya,ani@example.com,0813-1111-2222,Bandung
Bad Email,ani-at-example,0813 1111 3333,Jakarta
Bad Phone,bp@example.com,12,Jakarta
,noname@example.com,0813 1111 4444,Bogor
Ani Lagi,another@example.com,+62 813 1111 2222,Bandung
Budi Kembar,BUDI@Example.com,0899 0000 1111,Solo
Rina Putri,rina@example.com,0813 1111 6666,Depok
"""
MAPPING = {"Nama": "name", "E-mail": "email", "No HP": "phone", "Kota": "city"}


def frame_of(text: str) -> Any:
    return importing.read_csv(text.encode())


def add_budi(engine: Engine, actor: Actor, **extra: Any) -> int:
    with session_scope(engine) as s:
        data = {"name": "Budi Santoso", "email": "budi@example.com", "phone": "081234567890"}
        return customers.create_customer(s, actor, {**data, **extra}).id


def count(engine: Engine, model: Any, *where: Any) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def by_row(preview: ImportPreview) -> dict[int, tuple[str, str, str]]:
    report = importing.render_report(preview.report(), render)  # in English
    return {r.row: (r.status, r.errors, r.reasons) for r in report.itertuples()}


def test_the_headers_in_indonesian_and_english_map_to_fields() -> None:
    columns = ["Nama Lengkap", "Email Address", "No. HP", "Telepon Rumah", "Kota", "Catatan"]
    assert importing.suggest_mapping(columns, CUSTOMER_FIELDS) == {
        "Nama Lengkap": "name",
        "Email Address": "email",
        "No. HP": "phone",
        "Kota": "city",
        "Catatan": "notes",
    }
    assert importing.suggest_mapping(["E-mail", "Telepon", "Nama"], CUSTOMER_FIELDS) == {
        "E-mail": "email",
        "Telepon": "phone",
        "Nama": "name",
    }
    orders_map = importing.suggest_mapping(
        ["No Faktur", "Tanggal", "Email", "Kode Produk", "Jumlah", "Harga"], ORDER_FIELDS
    )
    assert orders_map == {
        "No Faktur": "external_ref",
        "Tanggal": "ordered_at",
        "Email": "customer_email",
        "Kode Produk": "sku",
        "Jumlah": "quantity",
        "Harga": "unit_price",
    }


def test_the_preview_lists_every_bad_row_and_duplicate_with_its_reason_and_writes_nothing(
    engine: Engine, admin: Actor
) -> None:
    budi = add_budi(engine, admin)
    with session_scope(engine, write=False) as s:
        preview = preview_customers(
            s, admin, frame_of(CUSTOMERS_CSV), MAPPING, "create_only", "email"
        )
    rows = by_row(preview)
    assert rows[2] == ("ok", "", "")
    assert rows[3][0] == "bad" and rows[3][1].startswith("E-mail: is not a valid email address")
    assert rows[4] == ("bad", "No HP: is not a phone number (check the number of digits)", "")
    assert rows[5] == ("bad", "Nama: is required", "")
    assert rows[6] == ("duplicate", "", "same phone as row 2 of this file")
    assert rows[7] == ("duplicate", "", f"same email as customer #{budi} Budi Santoso")
    assert rows[8] == ("ok", "", "")
    counts = preview.counts
    assert (counts["create"], counts["bad"], counts["duplicate"]) == (2, 3, 2)
    assert counts["rows"] == counts["create"] + counts["update"] + counts["skipped"] + counts["bad"]
    assert count(engine, Customer) == 1


def test_commit_writes_exactly_the_good_rows_and_audits_each(engine: Engine, admin: Actor) -> None:
    add_budi(engine, admin)
    with session_scope(engine) as s:
        preview = preview_customers(
            s, admin, frame_of(CUSTOMERS_CSV), MAPPING, "create_only", "email"
        )
        batch = commit_customers(s, admin, preview, "pelanggan.csv")
        batch_id, report = batch.id, batch.report
    with session_scope(engine, write=False) as s:
        names = s.scalars(select(Customer.name).where(Customer.id > 1).order_by(Customer.id)).all()
        ani = s.scalar(select(Customer).where(Customer.email_normalized == "ani@example.com"))
    assert names == ["Ani Wijaya", "Rina Putri"]
    assert ani is not None and (ani.phone, ani.city) == ("+6281311112222", "Bandung")
    created = count(engine, AuditEntry, AuditEntry.entity == "customer",
                    AuditEntry.action == AuditAction.CREATE)  # fmt: skip
    assert created == 1 + 2  # Budi, then the two good rows
    assert count(engine, AuditEntry, AuditEntry.entity == "import") == 1
    rows = report["rows"]
    assert len(rows) == 7  # every line of the file is in the report, nothing dropped
    assert [r["record_id"] for r in rows if r["action"] == "create"] == [ani.id, ani.id + 1]
    assert report["counts"]["rows"] == 2 + 0 + 2 + 3  # created + updated + skipped + bad
    assert [c for c, _v in report["created"]] == [ani.id, ani.id + 1]
    with session_scope(engine, write=False) as s:
        listed = importing.list_imports(s, admin).iloc[0]
    assert (listed["id"], listed["filename"], listed["create"], listed["bad"]) == (
        batch_id,
        "pelanggan.csv",
        2,
        3,
    )


def test_update_only_by_phone_updates_the_customer_however_the_number_is_typed(
    engine: Engine, manager: Actor
) -> None:
    budi = add_budi(engine, manager, city="Bandung")
    with session_scope(engine) as s:
        other = customers.create_customer(s, manager, {"name": "Sari", "phone": "0813 9999 0000"})
        other_id = other.id
    text = "No HP,Kota\n0812-3456-7890,Cimahi\n0811 0000 0000,Garut\n,Bogor\n"
    with session_scope(engine) as s:
        preview = preview_customers(
            s, manager, frame_of(text), {"No HP": "phone", "Kota": "city"}, "update_only", "phone"
        )
        rows = by_row(preview)
        assert rows[2] == ("ok", "", "")
        assert rows[3] == ("no match", "", "no customer with phone +6281100000000")
        assert rows[4] == ("bad", "No HP: is needed to find the customer to update", "")
        assert preview.rows[0].target_id == budi
        commit_customers(s, manager, preview, "kota.csv")
    with session_scope(engine, write=False) as s:
        stored = s.get(Customer, budi)
        assert stored is not None and (stored.name, stored.city, stored.version) == (
            "Budi Santoso",
            "Cimahi",
            2,
        )
        assert s.get(Customer, other_id).city is None  # type: ignore[union-attr]


def test_revert_soft_deletes_created_customers_and_restores_updated_fields(
    engine: Engine, manager: Actor
) -> None:
    budi = add_budi(engine, manager, city="Bandung")
    text = "Email,Nama,Kota\nbudi@example.com,Budi Santoso,Cimahi\nnew@example.com,Dewi,Solo\n"
    mapping = {"Email": "email", "Nama": "name", "Kota": "city"}
    with session_scope(engine) as s:
        preview = preview_customers(
            s, manager, frame_of(text), mapping, "create_or_update", "email"
        )
        assert [r.action.value for r in preview.rows] == ["update", "create"]
        batch_id = commit_customers(s, manager, preview, "x.csv").id
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    with session_scope(engine, write=False) as s:
        restored = s.get(Customer, budi)
        dewi = s.scalar(select(Customer).where(Customer.name == "Dewi"))
        batch = s.get(ImportBatch, batch_id)
        assert restored is not None and restored.city == "Bandung"
        assert dewi is not None and dewi.deleted_at is not None
        assert batch is not None and batch.reverted_at is not None
    with pytest.raises(CRMError, match="already reverted"), session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)


def test_a_revert_after_someone_edited_an_imported_customer_reverts_nothing(
    engine: Engine, manager: Actor, admin: Actor
) -> None:
    budi = add_budi(engine, manager, city="Bandung")
    text = "Email,Nama,Kota\nbudi@example.com,Budi Santoso,Cimahi\nnew@example.com,Dewi,Solo\n"
    mapping = {"Email": "email", "Nama": "name", "Kota": "city"}
    with session_scope(engine) as s:
        preview = preview_customers(
            s, manager, frame_of(text), mapping, "create_or_update", "email"
        )
        batch_id = commit_customers(s, manager, preview, "x.csv").id
    with session_scope(engine) as s:
        customers.update_customer(s, admin, budi, 2, {"city": "Garut"})
    with pytest.raises(RevertRefused, match=f"#{budi} was changed by"), session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    assert count(engine, Customer, Customer.deleted_at.is_(None)) == 2  # Dewi still there
    assert count(engine, ImportBatch, ImportBatch.reverted_at.is_(None)) == 1


def test_only_a_manager_or_admin_may_revert_an_import(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    with session_scope(engine) as s:
        preview = preview_customers(s, manager, frame_of("Nama\nDewi\n"), {"Nama": "name"},
                                    "create_only", "email")  # fmt: skip
        batch_id = commit_customers(s, manager, preview, "x.csv").id
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        reverting.revert_import(s, sales, batch_id)


def test_a_salesperson_may_preview_a_file_but_not_import_it(engine: Engine, sales: Actor) -> None:
    # Importing is a right of the matrix's import row (admins and managers), not of whoever
    # may create customers one by one.
    with session_scope(engine) as s:
        preview = preview_customers(s, sales, frame_of("Nama\nDewi\n"), {"Nama": "name"},
                                    "create_only", "email")  # fmt: skip
    assert preview.valid == 1
    with pytest.raises(PermissionDenied, match=r"Your role \(sales\) cannot import files"):
        with session_scope(engine) as s:
            commit_customers(s, sales, preview, "x.csv")
    assert count(engine, Customer) == 0
    assert count(engine, ImportBatch) == 0
    with pytest.raises(PermissionDenied, match="cannot see imports"), session_scope(engine) as s:
        importing.list_imports(s, sales)


def test_a_failure_part_way_through_a_commit_leaves_nothing(
    engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = customers.create_customer
    calls = {"n": 0}

    def fails_on_the_second(*args: Any, **kwargs: Any) -> Customer:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    with session_scope(engine) as s:
        preview = preview_customers(
            s, admin, frame_of(CUSTOMERS_CSV), MAPPING, "create_only", "email"
        )
    monkeypatch.setattr(customers, "create_customer", fails_on_the_second)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        commit_customers(s, admin, preview, "x.csv")
    assert calls["n"] == 2
    assert count(engine, Customer) == 0
    assert count(engine, ImportBatch) == 0
    assert count(engine, AuditEntry, AuditEntry.entity.in_(["customer", "import"])) == 0


def test_a_commit_refuses_when_the_data_changed_since_the_preview(
    engine: Engine, admin: Actor
) -> None:
    with session_scope(engine) as s:
        preview = preview_customers(
            s, admin, frame_of(CUSTOMERS_CSV), MAPPING, "create_only", "email"
        )
    with session_scope(engine) as s:
        customers.create_customer(s, admin, {"name": "Rina", "email": "rina@example.com"})
    with pytest.raises(StalePreview, match="1 rows"), session_scope(engine) as s:
        commit_customers(s, admin, preview, "x.csv")
    assert count(engine, Customer) == 1


def add_products(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        products = [
            Product(sku="KOPI-250", name="Kopi 250 g", category="kopi", price=Decimal("45000"),
                    unit_cost=Decimal("30000")),
            Product(sku="TEH-100", name="Teh 100 g", category="teh", price=Decimal("20000"),
                    unit_cost=Decimal("12000")),
        ]  # fmt: skip
        s.add_all(products)
        s.flush()
        return {p.sku: p.id for p in products}


def tea_order(customer_id: int, skus: dict[str, int], at: str, ref: str | None = None) -> dict:
    return {
        "customer_id": customer_id,
        "ordered_at": at,
        "channel": "online",
        "external_ref": ref,
        "lines": [{"product_id": skus["TEH-100"], "quantity": 1}],
    }


ORDERS_CSV = """No Faktur,Tanggal,Email,Kode Produk,Jumlah,Harga,Saluran,Diskon
INV-1,01/03/2025 10:00,budi@example.com,KOPI-250,2,,toko,5.000
INV-1,01/03/2025 10:00,budi@example.com,TEH-100,1,"Rp 18.000",toko,
INV-2,02/03/2025 11:00,budi@example.com,KOPI-250,1,,online,
INV-2,02/03/2025 11:00,budi@example.com,GULA-1,1,,online,
INV-3,03/03/2025,budi@example.com,TEH-100,1,,online,
,04/03/2025 09:30,budi@example.com,TEH-100,3,,marketplace,
,04/03/2025 12:00,nobody@example.com,TEH-100,1,,online,
"""
ORDER_MAPPING = {
    "No Faktur": "external_ref",
    "Tanggal": "ordered_at",
    "Email": "customer_email",
    "Kode Produk": "sku",
    "Jumlah": "quantity",
    "Harga": "unit_price",
    "Saluran": "channel",
    "Diskon": "discount",
}


def test_orders_import_groups_lines_by_ref_and_rejects_an_unknown_sku(
    engine: Engine, manager: Actor
) -> None:
    budi = add_budi(engine, manager)
    skus = add_products(engine)
    with session_scope(engine) as s:
        orders.create_order(s, manager, tea_order(budi, skus, "2025-01-01T00:00", "INV-3"))
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, frame_of(ORDERS_CSV), ORDER_MAPPING)
        rows = by_row(preview)
        assert rows[2] == rows[3] == ("ok", "", "")
        assert rows[4] == ("bad", "", "another line of this order is bad (row 5)")
        assert rows[5] == ("bad", "Kode Produk: no product with SKU “GULA-1”", "")
        assert rows[6] == ("duplicate", "", "order INV-3 already exists (order #1)")
        assert rows[7] == ("ok", "", "")
        assert rows[8] == ("bad", "Email: no customer with email nobody@example.com", "")
        assert preview.counts["groups"] == 2
        batch = commit_orders(s, manager, preview, "penjualan.csv")
        batch_id = batch.id
    with session_scope(engine, write=False) as s:
        inv1 = s.scalar(select(Order).where(Order.external_ref == "INV-1"))
        assert inv1 is not None and inv1.import_batch_id == batch_id
        assert inv1.discount == Decimal("5000") and inv1.channel.value == "store"
        assert inv1.ordered_at.isoformat() == "2025-03-01T03:00:00"  # 10:00 in Jakarta, in UTC
        item = OrderItem
        lines = s.execute(
            select(item.product_id, item.quantity, item.unit_price)
            .where(item.order_id == inv1.id)
            .order_by(item.id)
        ).all()
        assert [tuple(line) for line in lines] == [
            (skus["KOPI-250"], 2, Decimal("45000")),  # the product's price when the file has none
            (skus["TEH-100"], 1, Decimal("18000")),
        ]
    assert count(engine, Order, Order.import_batch_id == batch_id) == 2
    assert count(engine, AuditEntry, AuditEntry.entity == "order") == 3
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    assert count(engine, Order) == 1  # only the order stored before the import
    assert count(engine, OrderItem) == 1


def test_an_order_time_without_offset_is_read_in_the_team_time_zone(
    engine: Engine, manager: Actor, admin: Actor
) -> None:
    add_budi(engine, manager)
    add_products(engine)
    with session_scope(engine) as s:
        update_team_settings(s, admin, 0, {"time_zone": "Asia/Jayapura"})
    text = "No Faktur,Tanggal,Email,Kode Produk,Jumlah,Saluran\n"
    text += "INV-9,01/03/2025 10:00,budi@example.com,KOPI-250,1,toko\n"
    with session_scope(engine) as s:
        mapping = {k: v for k, v in ORDER_MAPPING.items() if k not in ("Harga", "Diskon")}
        preview = preview_orders(s, manager, frame_of(text), mapping)
        commit_orders(s, manager, preview, "penjualan.csv")
    with session_scope(engine, write=False) as s:
        ordered_at = s.scalar(select(Order.ordered_at).where(Order.external_ref == "INV-9"))
    assert ordered_at is not None
    assert ordered_at.isoformat() == "2025-03-01T01:00:00"  # 10:00 in Jayapura (UTC+9)


def test_an_order_without_ref_at_the_same_time_as_a_stored_one_is_a_likely_duplicate(
    engine: Engine, manager: Actor
) -> None:
    budi = add_budi(engine, manager)
    skus = add_products(engine)
    with session_scope(engine) as s:
        orders.create_order(s, manager, tea_order(budi, skus, "2025-03-04T02:30"))
    text = "Tanggal,Email,Kode Produk,Jumlah,Saluran\n"
    text += "04/03/2025 09:30,budi@example.com,TEH-100,3,online\n"
    mapping = {"Tanggal": "ordered_at", "Email": "customer_email", "Kode Produk": "sku",
               "Jumlah": "quantity", "Saluran": "channel"}  # fmt: skip
    with session_scope(engine, write=False) as s:
        preview = preview_orders(s, manager, frame_of(text), mapping)
    assert by_row(preview)[2] == (
        "duplicate",
        "",
        f"customer #{budi} already has order #1 at that time",
    )


def test_ten_thousand_rows_are_each_planned(engine: Engine, admin: Actor) -> None:
    # How fast is the benchmark's to say (a timed test fails on a busy machine, not a slow one).
    lines = ["Nama,Email,No HP,Kota"] + [
        f"Pelanggan {i},p{i}@example.com,0812{i:08d},Kota {i % 50}" for i in range(10_000)
    ]
    frame = frame_of("\n".join(lines) + "\n")
    with session_scope(engine, write=False) as s:
        preview = preview_customers(s, admin, frame, TEN_K_MAPPING, "create_or_update", "email")
    assert preview.counts["create"] == 10_000
    assert RowStatus.OK in {r.status for r in preview.rows}


TEN_K_MAPPING = {"Nama": "name", "Email": "email", "No HP": "phone", "Kota": "city"}


def test_an_export_is_safe_in_a_spreadsheet_and_imports_back_unchanged(
    engine: Engine, manager: Actor
) -> None:
    add_budi(engine, manager, city="Bandung", notes='=HYPERLINK("http://evil.example")')
    with session_scope(engine, write=False) as s:
        text = safe_csv(export_customers(s, manager))
    assert "'=HYPERLINK" in text and "'+6281234567890" in text  # not run as formulas
    frame = frame_of(text)
    mapping = importing.suggest_mapping(frame.columns, CUSTOMER_FIELDS)
    assert "relasi_id" not in mapping and mapping["phone"] == "phone"
    with session_scope(engine, write=False) as s:
        preview = preview_customers(s, manager, frame, mapping, "update_only", "phone")
    assert [(r.status, [render(x) for x in r.reasons]) for r in preview.rows] == [
        (RowStatus.UNCHANGED, ["customer #1 already as in the file"])
    ]


def test_exported_orders_keep_their_lines_together_and_import_back_as_duplicates(
    engine: Engine, manager: Actor
) -> None:
    budi = add_budi(engine, manager)
    skus = add_products(engine)
    two_lines = tea_order(budi, skus, "2025-03-04T02:30")
    two_lines["lines"].append({"product_id": skus["KOPI-250"], "quantity": 2})
    with session_scope(engine) as s:
        order_id = orders.create_order(s, manager, two_lines).id
    with session_scope(engine, write=False) as s:
        frame = frame_of(safe_csv(export_orders(s, manager)))
        assert list(frame["external_ref"]) == [f"relasi-{order_id}"] * 2
        mapping = importing.suggest_mapping(frame.columns, ORDER_FIELDS)
        preview = preview_orders(s, manager, frame, mapping)
    reason = f"customer #{budi} already has order #{order_id} at that time"
    said = [(r.status, [render(x) for x in r.reasons]) for r in preview.rows]
    assert said == [(RowStatus.DUPLICATE, [reason])] * 2


SAME_DAY_CSV = """Tanggal,Email,Kode Produk,Jumlah,Saluran
01/03/2025,budi@example.com,TEH-100,1,online
01/03/2025,budi@example.com,TEH-100,1,online
02/03/2025,budi@example.com,KOPI-250,2,online
"""
SAME_DAY_MAPPING = {"Tanggal": "ordered_at", "Email": "customer_email",
                    "Kode Produk": "sku", "Jumlah": "quantity", "Saluran": "channel"}  # fmt: skip


def test_a_date_without_time_is_that_day_in_the_team_time_zone_and_counts_as_that_day(
    engine: Engine, manager: Actor
) -> None:
    from datetime import date

    from crm_core.customers.value import customer_values_as_of
    from crm_core.kernel.settings import ValueSettings

    budi = add_budi(engine, manager)
    add_products(engine)
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING)
        commit_orders(s, manager, preview, "harian.csv")
    with session_scope(engine, write=False) as s:
        stamps = s.scalars(select(Order.ordered_at).order_by(Order.id)).all()
        # 1 March 00:00 in Jakarta (UTC+7) is 28 February 17:00 UTC
        assert [t.isoformat() for t in stamps][:1] == ["2025-02-28T17:00:00"]
        table = customer_values_as_of(s, date(2025, 3, 2), ValueSettings())
    # the last order is on 2 March in Jakarta: today, not "1 day ago" as UTC would count
    assert table.frame.loc[budi, "days_since_last_order"] == 0
    assert render(table.frame.loc[budi, "segment_detail"]).startswith("Bought today")


def test_identical_lines_on_the_same_day_without_a_ref_are_two_purchases(
    engine: Engine, manager: Actor
) -> None:
    add_budi(engine, manager)
    add_products(engine)
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING)
        assert [r.status for r in preview.rows] == [RowStatus.OK] * 3
        assert preview.counts["groups"] == 3 and preview.notices == []
        commit_orders(s, manager, preview, "harian.csv")
    assert count(engine, Order) == 3 and count(engine, OrderItem) == 3


def test_a_reimport_of_the_same_file_is_shown_and_the_user_decides(
    engine: Engine, manager: Actor
) -> None:
    add_budi(engine, manager)
    add_products(engine)
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING)
        first = commit_orders(s, manager, preview, "harian.csv").id
    with session_scope(engine, write=False) as s:
        again = preview_orders(s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING)
    said = [render(n) for n in again.notices]
    assert said[0].startswith("This very file was imported before: harian.csv, ")
    assert f"(import #{first}). Importing it again adds its orders twice" in said[0]
    assert said[1].startswith(
        "3 lines match stored orders of the same customer at the same time: they are skipped"
    )
    assert [r.status for r in again.rows] == [RowStatus.DUPLICATE] * 3
    # the user says these are new purchases: they are imported, and the preview says so
    with session_scope(engine) as s:
        kept = preview_orders(
            s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING, keep_stored_matches=True
        )
        assert [r.status for r in kept.rows] == [RowStatus.OK] * 3
        assert render(kept.notices[-1]).startswith("3 lines match stored orders")
        assert render(kept.notices[-1]).endswith("are imported anyway, as you chose.")
        commit_orders(s, manager, kept, "harian.csv")
    assert count(engine, Order) == 6


def test_a_reverted_import_no_longer_counts_as_imported_before(
    engine: Engine, manager: Actor
) -> None:
    add_budi(engine, manager)
    add_products(engine)
    with session_scope(engine) as s:
        preview = preview_orders(s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING)
        batch = commit_orders(s, manager, preview, "harian.csv").id
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch)
    with session_scope(engine, write=False) as s:
        again = preview_orders(s, manager, frame_of(SAME_DAY_CSV), SAME_DAY_MAPPING)
    assert again.notices == [] and [r.status for r in again.rows] == [RowStatus.OK] * 3
