"""The Import page as a manager uses it: upload, mapping proposed, preview, import, revert."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, ImportBatch, Product
from crm_core.models.enums import Role
from db.session import session_scope
from support import page_as

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "customers.csv"


def live_customers(engine: Engine) -> list[str]:
    with session_scope(engine, write=False) as s:
        return list(s.scalars(select(Customer.name).where(Customer.deleted_at.is_(None))).all())


def upload_sample(at: AppTest) -> AppTest:
    at.file_uploader(key="import_file").set_value(
        ("pelanggan.csv", SAMPLE.read_bytes(), "text/csv")
    )
    return at.run()


def test_a_manager_previews_imports_and_reverts_the_sample_file(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = upload_sample(page_as("import", staff[Role.MANAGER]).run())
    assert not at.exception
    proposed = {s.label: s.value for s in at.selectbox if s.key.startswith("import_map:")}
    assert proposed["Nama"] == "name" and proposed["No HP"] == "phone"
    assert proposed["Email"] == "email" and proposed["Tanggal Lahir"] == "birth_date"

    at.button(key="import_preview_button").click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["To create"], metrics["Bad rows"], metrics["Likely duplicates"]) == (
        "8",
        "2",
        "0",
    )
    bad = at.dataframe[1].value  # [0] is the file's first rows
    assert list(bad["row"]) == [4, 6]
    assert "should have a period" in bad.iloc[0]["errors"]
    assert bad.iloc[1]["errors"].startswith("No HP: is not a phone number")
    assert live_customers(app_engine) == []  # a preview writes nothing

    at.button(key="import_commit").click().run()
    assert [s.value for s in at.success] == [
        "Imported 8 new and 0 updated customers from pelanggan.csv. You can revert it below."
    ]
    assert len(live_customers(app_engine)) == 8

    with session_scope(app_engine, write=False) as s:
        batch_id = s.scalar(select(func.max(ImportBatch.id)))
    at.button(key=f"import_revert:{batch_id}").click().run()
    assert any("Revert import" in w.value for w in at.warning)  # asks first
    assert len(live_customers(app_engine)) == 8
    at.button(key="import_revert_yes").click().run()
    assert [s.value for s in at.success] == [f"Import #{batch_id} reverted."]
    assert live_customers(app_engine) == []


def test_sales_cannot_open_the_import_page(staff: dict[Role, Actor]) -> None:
    at = page_as("import", staff[Role.SALES]).run()
    assert [e.value for e in at.error] == [
        "You do not have access to Import. Sign in with a role that does."
    ]
    assert len(at.file_uploader) == 0


def test_an_order_file_previews_orders_and_their_bad_lines(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    with session_scope(app_engine) as s:
        s.add(Product(sku="KOPI-250", name="Kopi", category="kopi", price=45000, unit_cost=30000))
        s.add(Customer(name="Budi", email="budi@example.com", email_normalized="budi@example.com"))
    text = (
        "No Faktur,Tanggal,Email,Kode Produk,Jumlah,Saluran\n"
        "INV-1,01/03/2025 10:00,budi@example.com,KOPI-250,2,toko\n"
        "INV-1,01/03/2025 10:00,budi@example.com,GULA-1,1,toko\n"
        "INV-2,02/03/2025 10:00,budi@example.com,KOPI-250,1,online\n"
    )
    at = page_as("import", staff[Role.MANAGER]).run()
    at.radio(key="import_kind").set_value("orders").run()
    at.file_uploader(key="import_file").set_value(("jual.csv", text.encode(), "text/csv")).run()
    at.button(key="import_preview_button").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Orders to create"], metrics["Lines"], metrics["Bad rows"]) == ("1", "1", "2")
    bad = at.dataframe[1].value  # each bad line beside its own cells, under the file's headers
    assert list(bad["Kode Produk"]) == ["KOPI-250", "GULA-1"]
    assert list(bad["No Faktur"]) == ["INV-1", "INV-1"]
    assert any("1 SKU is not in the catalogue" in w.value for w in at.warning)
    assert at.checkbox(key="import_option:orders:create_products").value is False  # offered
    at.button(key="import_commit").click().run()
    assert [s.value for s in at.success] == [
        "Imported 1 order (1 line) from jual.csv. You can revert it below."
    ]


def test_the_sample_saved_as_excel_unicode_text_previews_like_the_csv(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    # Excel's "Unicode Text": UTF-16 LE with a byte-order mark, tab separated.
    unicode_text = SAMPLE.read_text().replace(",", "\t").encode("utf-16")
    assert unicode_text[:2] == b"\xff\xfe"
    at = page_as("import", staff[Role.MANAGER]).run()
    at.file_uploader(key="import_file").set_value(("pelanggan.txt", unicode_text, "text/plain"))
    at.run().button(key="import_preview_button").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["To create"], metrics["Bad rows"]) == ("8", "2")


def test_a_workbook_uploaded_instead_of_a_csv_is_refused_with_what_to_do(
    staff: dict[Role, Actor],
) -> None:
    at = page_as("import", staff[Role.MANAGER]).run()
    workbook = b"PK\x03\x04\x14\x00\x06\x00" + bytes(64)  # how every .xlsx starts
    at.file_uploader(key="import_file").set_value(("pelanggan.csv", workbook, "text/csv")).run()
    assert [e.value for e in at.error] == [
        "Could not read pelanggan\\.csv as CSV: This is a spreadsheet workbook, not a CSV file. "
        "Save it from the spreadsheet as “CSV UTF-8” (or Excel's “Unicode Text”) and upload that."
    ]
    assert not any(s.key.startswith("import_map:") for s in at.selectbox)
