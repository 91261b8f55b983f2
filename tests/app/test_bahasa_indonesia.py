"""A user who reads Bahasa Indonesia: every page, message and amount in it, no English left;
errors in Indonesian beside the form; the language switch before and after sign-in."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm_core.customers import value_store
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Order, OrderItem, Product, Setting, User, utcnow
from crm_core.models.enums import Role, SalesChannel
from crm_core.pages import PAGES
from db.session import session_scope
from support import APP, PASSWORD, a_customer, page_as, red, shown_cells, signed_in

# Words of the English interface that Bahasa Indonesia says otherwise: one of them on a page
# read in Indonesian is a text that escaped translation. (Loanwords both languages use, such as
# Email, Admin, CSV, SKU or Chat, are not listed; nor are the staff's names in these tests:
# Admin, Manager, Sales, Support.)
ENGLISH = {
    "Customer", "Customers", "Save", "Search", "Filters", "Download", "Sign", "Revenue",
    "Profit", "Timeline", "Delete", "Merge", "Overdue", "Preview", "Users", "Role", "Password",
    "Phone", "City", "Owner", "Value", "Account", "Edit", "Create", "Select", "Done", "Cancel",
    "Restore", "Import", "Orders", "Order", "Lead", "Ticket", "Tickets", "Follow-up",
    "Follow-ups", "Name", "Region", "Country", "Address", "Gender", "Channel", "Direction",
    "Subject", "Notes", "Date", "Time", "Minutes", "Schedule", "Log", "Open", "Newer", "Older",
    "Show", "Every", "Field", "Share", "Untouched", "Duplicate", "Cluster", "Quality", "Past",
    "Revert", "Columns", "Rows", "Bad", "Skipped", "Reset", "New", "Active", "Language",
    "Team", "Overview", "Service", "Marketing", "Campaigns", "Segments", "Dashboard",
    "Business", "Audit", "Entries", "Record", "Changes", "Stage", "Prospect", "Consents",
    "the", "and", "of", "to", "for", "with", "your", "you", "is", "are", "not", "only", "from",
    "by", "this", "yet", "or", "no", "Not", "built", "later", "issue", "adds", "days", "ago",
}  # fmt: skip
TEXT_KEYS = {"label", "body", "placeholder", "options", "help", "caption", "text"}
ROOT = Path(__file__).resolve().parents[2]
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")  # fmt: skip


def shown_texts(at: AppTest) -> list[str]:
    """Every text the page shows: titles, captions, labels, options, messages, table and chart
    headings (not the cells of a table: those are the user's data)."""
    texts: list[str] = []

    def collect(value: Any, key: str = "") -> None:
        if hasattr(value, "ListFields"):  # a protobuf message: its set fields by name
            for field, item in value.ListFields():
                collect(item, field.name)
        elif isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list | tuple) or type(value).__name__.startswith("Repeated"):
            for item in value:
                collect(item, key)
        elif isinstance(value, str) and value:
            if key == "columns":  # a table's column configuration, as JSON
                collect(json.loads(value))
            elif key == "spec":  # a Plotly figure, as JSON
                layout = json.loads(value).get("layout", {})
                texts.extend(_axis_title(layout, axis) for axis in ("xaxis", "yaxis"))
            elif key in TEXT_KEYS:
                texts.append(value)

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            collect(proto)
        children = getattr(node, "children", {})
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    return [text for text in texts if text]


def _axis_title(layout: dict[str, Any], axis: str) -> str:
    title = (layout.get(axis) or {}).get("title") or {}
    return title.get("text", "") if isinstance(title, dict) else str(title)


def english_left(at: AppTest) -> list[str]:
    return sorted(
        {
            f"{word!r} in {text!r}"
            for text in shown_texts(at)
            for word in re.findall(r"[A-Za-z][A-Za-z-]*", text)
            if word in ENGLISH
        }
    )


def in_indonesian(key: str, actor: Actor, **query: str) -> AppTest:
    at = page_as(key, actor, **query)
    at.session_state["relasi_language"] = "id"
    return at.run()


def a_buyer(engine: Engine, owner: Actor) -> int:
    """Budi, with two orders of 2 x Rp 100.000 less Rp 10.000 discount, 40 and 10 days ago."""
    customer_id = a_customer(engine, owner, phone="0812 3456 7890", city="Bandung")
    with session_scope(engine) as s:
        product = Product(sku="KOPI-1", name="Kopi", category="coffee", price=1, unit_cost=1)
        s.add(product)
        s.flush()
        for days_ago in (40, 10):
            order = Order(
                customer_id=customer_id,
                channel=SalesChannel.STORE,
                ordered_at=utcnow() - timedelta(days=days_ago),
                discount=Decimal(10000),
            )
            s.add(order)
            s.flush()
            s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=2,
                            unit_price=100000, unit_cost=60000))  # fmt: skip
    value_store.refresh(partial(session_scope, engine))  # the background refresh, done
    return customer_id


@pytest.mark.parametrize("key", sorted(p.key for p in PAGES))
def test_every_page_read_in_bahasa_indonesia_has_no_english_left(
    key: str, app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    spec = next(p for p in PAGES if p.key == key)
    role = next(r for r in (Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT) if r in spec.roles)
    query = {"id": str(a_buyer(app_engine, staff[Role.SALES]))} if key == "customer" else {}
    if key in ("customers", "data-quality"):
        a_buyer(app_engine, staff[Role.SALES])
    at = in_indonesian(key, staff[role], **query)
    assert not at.exception, at.exception
    assert at.title and at.title[0].value
    assert english_left(at) == []


def test_the_customer_360_writes_rupiah_dates_and_reasons_in_indonesian(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_buyer(app_engine, staff[Role.SALES])
    at = in_indonesian("customer", staff[Role.SALES], id=str(customer_id))
    assert not at.exception, at.exception
    shown = {m.label: m.value.replace("\u00a0", " ") for m in at.metric}
    # 2 orders x (2 x 100.000 - 10.000 discount) = 380.000, compact as "380 rb" (ribu)
    assert (shown["Pesanan"], shown["Pendapatan"], shown["Laba"]) == ("2", "Rp 380 rb", "Rp 140 rb")
    assert shown["Pembelian terakhir"].split()[1] in MONTHS_ID  # e.g. "21 November 2026"
    captions = [c.value for c in at.caption]
    assert "Rp 380.000: penjualan dikurangi diskon Rp 20.000" in captions
    assert "Rp 140.000: margin kotor dikurangi biaya layanan" in captions
    assert "10 hari lalu" in captions
    assert any("pelanggan \\#" in c and "terakhir diubah" in c for c in captions)
    feed = [m.value for m in at.markdown if m.value.startswith(":material/")]
    assert feed[0].startswith(":material/edit_note: **Data dibuat oleh Sales**")
    assert "Ke pelanggan" not in feed[0]  # the creation has no touchpoint direction
    assert english_left(at) == []


def test_the_customers_list_shows_stages_and_tiers_in_indonesian(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    a_buyer(app_engine, staff[Role.SALES])
    at = in_indonesian("customers", staff[Role.MANAGER])
    rows = at.dataframe[0].value
    assert list(rows["lifecycle_stage"]) == ["Calon pelanggan"]
    assert rows["value_tier"][0] in {"Paling Berharga", "Berpotensi Tumbuh", "Di Bawah Nol"}
    assert any(c.value.startswith("1 pelanggan cocok") for c in at.caption)


def test_the_customers_list_writes_amounts_in_the_readers_language(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    """The browser's own locale does not decide: an Indonesian reader sees Rp 380.000 in a
    browser set to English, and the column still sorts as numbers."""
    a_buyer(app_engine, staff[Role.SALES])
    at = in_indonesian("customers", staff[Role.MANAGER])
    shown = shown_cells(at.dataframe[0])
    assert (shown["net_revenue"][0], shown["profit"][0]) == ("Rp 380.000", "Rp 140.000")
    assert at.dataframe[0].value["net_revenue"][0] == 380000
    english = page_as("customers", staff[Role.MANAGER]).run()
    assert shown_cells(english.dataframe[0])["net_revenue"][0] == "Rp 380,000"


def test_a_bad_email_is_explained_in_indonesian_beside_the_field(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = in_indonesian("users", staff[Role.ADMIN])
    at.text_input(key="new-user-n0-username").input("rina")
    at.text_input(key="new-user-n0-name").input("Rina Wijaya")
    at.text_input(key="new-user-n0-email").input("rina-at-example")
    at.text_input(key="new-user-n0-password").input("welcome-2026")
    at.button(key="FormSubmitter:new-user-n0-Buat pengguna").click().run()
    assert [e.value for e in at.error] == ["Mohon perbaiki kolom yang ditandai di bawah."]
    assert red("bukan alamat email yang benar") in [c.value for c in at.caption]
    assert at.text_input(key="new-user-n0-email").value == "rina-at-example"  # kept as typed


def test_a_bad_phone_on_the_customer_form_is_explained_in_indonesian(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = in_indonesian("customer", staff[Role.SALES], id=str(customer_id))
    prefix = f"customer-{customer_id}-v1"
    at.text_input(key=f"{prefix}-phone").input("12")
    at.button(key=f"FormSubmitter:{prefix}-Simpan").click().run()
    assert "Mohon perbaiki kolom yang ditandai di bawah." in [e.value for e in at.error]
    said = [c.value for c in at.caption]
    assert red("bukan nomor telepon (periksa jumlah digitnya)") in said


def test_an_import_preview_names_bad_rows_in_indonesian(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = in_indonesian("import", staff[Role.MANAGER])
    sample = ROOT / "docs" / "samples" / "customers.csv"
    at.file_uploader(key="import_file").set_value(
        ("pelanggan.csv", sample.read_bytes(), "text/csv")
    )
    at.run()
    at.button(key="import_preview_button").click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Akan dibuat"], metrics["Baris salah"]) == ("8", "2")
    bad = at.dataframe[1].value
    assert bad.iloc[1]["errors"] == "No HP: bukan nomor telepon (periksa jumlah digitnya)"
    assert list(bad["status"]) == ["Salah", "Salah"]
    assert english_left(at) == []


def test_the_sign_in_page_switches_language_for_this_session_only(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.selectbox(key="relasi_language_switch_login").select("id").run()
    assert [t.label for t in at.text_input] == ["Nama pengguna", "Kata sandi"]
    assert at.caption[0].value == "Hubungan pelanggan untuk tim kecil dan menengah."
    at.text_input[0].input("sales")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "Senang bertemu lagi, Sales"
    with session_scope(app_engine, write=False) as s:
        assert s.scalar(select(User.ui_language).where(User.username == "sales")) is None


def test_a_signed_in_user_switches_in_the_sidebar_and_the_choice_is_saved_and_audited(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = signed_in("sales")
    assert at.title[0].value.startswith("Good to see you")
    at.sidebar.selectbox(key="relasi_language_switch").select("id").run()
    assert at.title[0].value == "Senang bertemu lagi, Sales"
    assert at.sidebar.button[0].label == "Keluar"
    with session_scope(app_engine, write=False) as s:
        user = s.scalars(select(User).where(User.username == "sales")).one()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "user")
                          .order_by(AuditEntry.id.desc())).first()  # fmt: skip
    assert str(user.ui_language) == "id"
    assert entry is not None and entry.changes["ui_language"] == {"old": None, "new": "id"}
    again = signed_in("sales")  # a new browser session reads the saved choice
    assert again.title[0].value == "Senang bertemu lagi, Sales"


def test_the_team_default_language_greets_everyone_who_has_not_chosen(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    with session_scope(app_engine) as s:
        s.add(Setting(key="team", value={"default_language": "id"}))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert [t.label for t in at.text_input] == ["Nama pengguna", "Kata sandi"]
    assert signed_in("support").title[0].value == "Senang bertemu lagi, Support"
