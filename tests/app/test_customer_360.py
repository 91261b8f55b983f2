"""Customer 360 through AppTest: the value panel, the timeline, and every form on the page
writing through the write path (touchpoints, follow-ups, accounts, create, delete, merge)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from crm_core.customers import tasks, value_store
from crm_core.kernel.permissions import Actor
from crm_core.models import (
    Account,
    Customer,
    Interaction,
    Order,
    OrderItem,
    Product,
    Task,
    utcnow,
)
from crm_core.models.enums import Channel, Direction, Role, SalesChannel
from db.session import session_scope
from support import a_customer as new_customer
from support import page_as

# Budi, with a phone number the edit tests change.
a_customer = partial(new_customer, phone="081234567890")


# A feed entry: its icon, its title in bold, and its detail on the next line (markdown-escaped).
ENTRY = re.compile(r":material/\w+: \*\*(.*?)\*\*(?:  \n(.*))?", re.DOTALL)


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def entries(at: AppTest) -> list[tuple[str, str]]:
    """The timeline's entries as (title, detail), newest first, as a reader sees them."""
    found = [ENTRY.fullmatch(m.value) for m in at.markdown]
    return [(unescaped(m[1]), unescaped(m[2] or "")) for m in found if m]


def feed(at: AppTest) -> list[str]:
    """The timeline's titles, newest first."""
    return [title for title, _detail in entries(at)]


def count(engine: Engine, model: type, **where: object) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0


def test_a_logged_call_tops_the_timeline_at_once(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    prefix = f"interaction-{customer_id}-n0"
    at.selectbox(key=f"{prefix}-channel").select("phone")
    at.text_input(key=f"{prefix}-subject").input("Asked about bulk pricing")
    at.number_input(key=f"{prefix}-minutes").set_value(12)
    at.button(key=f"FormSubmitter:{prefix}-Log it").click().run()
    assert "Logged: it is on the timeline." in [s.value for s in at.success]
    assert feed(at)[0] == "Asked about bulk pricing"
    assert entries(at)[0][1] == "outbound · 12 min · by Sales"
    assert at.text_input(key=f"interaction-{customer_id}-n1-subject").value == ""  # a fresh form


def test_an_edited_phone_appears_on_the_timeline_with_old_and_new_to_audit_readers(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    prefix = f"customer-{customer_id}-v1"
    at.text_input(key=f"{prefix}-phone").input("0813 9999 0000")
    at.button(key=f"FormSubmitter:{prefix}-Save").click().run()
    assert feed(at)[0] == "Record updated by Sales"
    # Old and new values are the audit log's: a salesperson, who may not read it, sees
    # which field changed; a manager, who may, sees the values too.
    assert entries(at)[0][1] == "phone"
    as_manager = page_as("customer", staff[Role.MANAGER], id=str(customer_id)).run()
    assert feed(as_manager)[0] == "Record updated by Sales"
    assert entries(as_manager)[0][1] == "phone: +6281234567890 → +6281399990000"


def test_a_touchpoint_in_the_future_is_refused_beside_its_field_and_the_typing_stays(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    prefix = f"interaction-{customer_id}-n0"
    at.text_input(key=f"{prefix}-subject").input("Visit next week")
    at.date_input(key=f"{prefix}-day").set_value(utcnow().date() + timedelta(days=7))
    at.button(key=f"FormSubmitter:{prefix}-Log it").click().run()
    assert "Please correct the fields marked below." in [e.value for e in at.error]
    assert any("must not be in the future" in c.value for c in at.caption)
    assert at.text_input(key=f"{prefix}-subject").value == "Visit next week"
    assert count(app_engine, Interaction) == 0


def test_the_timeline_shows_fifty_at_a_time_and_older_ones_on_request(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    start = utcnow() - timedelta(days=100)
    with session_scope(app_engine) as s:
        s.add_all(
            Interaction(customer_id=customer_id, channel=Channel.CHAT, subject=f"Chat {n}",
                        direction=Direction.INBOUND, occurred_at=start + timedelta(hours=n))
            for n in range(60)
        )  # fmt: skip
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    assert len(feed(at)) == 50
    assert feed(at)[:2] == ["Record created by Sales", "Chat 59"]
    at.button(key=f"timeline-{customer_id}-older").click().run()
    assert feed(at) == [f"Chat {n}" for n in range(10, -1, -1)]
    assert at.button(key=f"timeline-{customer_id}-older").disabled
    at.multiselect(key=f"timeline-{customer_id}-kinds").select("change").run()
    assert feed(at) == ["Record created by Sales"]  # a new filter starts at the newest


def test_the_value_panel_shows_the_customers_figures_with_their_reasons(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    with session_scope(app_engine) as s:
        product = Product(sku="KOPI-1", name="Kopi", category="coffee", price=1, unit_cost=1)
        s.add(product)
        s.flush()
        for days_ago in (40, 10):
            at = utcnow() - timedelta(days=days_ago)
            order = Order(customer_id=customer_id, channel=SalesChannel.STORE, ordered_at=at)
            order.discount = Decimal(10000)
            s.add(order)
            s.flush()
            s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=2,
                            unit_price=100000, unit_cost=60000))  # fmt: skip
    # The figures are the stored ones: the next refresh (the app's background thread) has run.
    value_store.refresh(partial(session_scope, app_engine))
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    shown = {m.label: m.value for m in at.metric}
    # 2 orders x (2 x 100,000 - 10,000 discount); margin: sales less goods, 2 x (200,000 - 120,000);
    # the discounts are a cost to serve; profit: 160,000 - 20,000
    assert (shown["Orders"], shown["Revenue"], shown["Gross margin"]) == (
        "2", "Rp 380K", "Rp 160K",
    )  # fmt: skip
    assert (shown["Cost to serve"], shown["Profit"]) == ("Rp 20K", "Rp 140K")
    assert shown["Average order"] == "Rp 190K"
    captions = [c.value for c in at.caption]
    # English writes Rupiah with commas (Bahasa Indonesia with dots: test_bahasa_indonesia.py)
    assert "Rp 380,000: sales less Rp 20,000 discounts" in captions
    assert "Rp 140,000: gross margin less cost to serve" in captions
    assert "10 days ago" in captions
    # historical CLV net of discounts: 380,000 revenue - 240,000 goods
    assert "Rp 140,000: margin earned to date, net of discounts" in captions
    # one customer is too few for the models: the churn reason still reads as words, and the
    # formula is one click away
    assert "Buys about every 30 days; the last order was 10 days ago, so not overdue." in captions
    assert "How it is worked out" in [e.label for e in at.expander]
    assert any("P(alive) unknown, not counted" in c for c in captions)
    # the owner reads each order's total (2 x 100,000 - 10,000)
    assert sum("Rp 190,000" in m.value for m in at.markdown) == 4  # orders, and the timeline
    # Support reads the same answers without the amounts; a manager reads them all.
    at = page_as("customer", staff[Role.SUPPORT], id=str(customer_id)).run()
    hidden = {m.label: m.value for m in at.metric}
    assert (hidden["Orders"], hidden["Revenue"], hidden["Profit"]) == ("2", "–", "–")
    assert (hidden["Predicted CLV"], hidden["Historical CLV"]) == ("–", "–")
    said = [c.value for c in at.caption]
    assert "Amounts are shown to the customer's owner, managers and admins." in said
    assert [c for c in said if "380" in c or "140" in c] == []  # nor a reason quoting one
    assert "Orders (2)" in [h.value for h in at.subheader]  # the orders, without their totals
    assert [m.value for m in at.markdown if "190" in m.value] == []
    at = page_as("customer", staff[Role.MANAGER], id=str(customer_id)).run()
    assert {m.label: m.value for m in at.metric}["Revenue"] == "Rp 380K"


def test_a_follow_up_is_scheduled_listed_and_marked_done_from_the_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    prefix = f"follow-up-{customer_id}-n0"
    at.text_input(key=f"{prefix}-title").input("Send the price list")
    at.button(key=f"FormSubmitter:{prefix}-Schedule").click().run()
    assert "Follow-up scheduled." in [s.value for s in at.success]
    with session_scope(app_engine, write=False) as s:
        task = s.scalars(select(Task)).one()
    assert (task.title, task.owner_id) == ("Send the price list", staff[Role.SALES].id)
    at.button(key=f"follow-up-{task.id}-v1-done").click().run()
    assert "Marked done." in [s.value for s in at.success]
    with session_scope(app_engine, write=False) as s:
        assert s.get(Task, task.id).done_at is not None  # type: ignore[union-attr]


def test_an_account_is_created_from_the_customer_and_shown_in_the_header(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    prefix = f"customer-{customer_id}-new-account-v0"
    at.text_input(key=f"{prefix}-name").input("Kopi Jaya")
    at.text_input(key=f"{prefix}-employees").input("12")
    at.text_input(key=f"{prefix}-industry").input("Cafe")
    at.button(key=f"FormSubmitter:{prefix}-Create and link account").click().run()
    assert "Account saved." in [s.value for s in at.success]
    assert any("Kopi Jaya" in m.value and "12 employees" in m.value for m in at.markdown)
    with session_scope(app_engine, write=False) as s:
        customer = s.get(Customer, customer_id)
        assert customer.account_id == s.scalar(select(Account.id))  # type: ignore[union-attr]
    # the profile form now opens at the customer's new version, not the stale one
    assert at.text_input(key=f"customer-{customer_id}-v2-name").value == "Budi Santoso"


def test_a_likely_duplicate_is_created_only_after_create_anyway(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    existing = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES]).run()
    at.text_input(key="new-customer-name").input("Budi S.")
    at.text_input(key="new-customer-phone").input("+62 812-3456-7890")
    at.button(key="FormSubmitter:new-customer-Create customer").click().run()
    assert at.warning[0].value == (
        f"This looks like a customer we already have: #{existing} Budi Santoso "
        "(same phone (+6281234567890))."
    )
    assert not at.error and count(app_engine, Customer) == 1
    assert at.text_input(key="new-customer-name").value == "Budi S."  # what was typed stays
    at.button(key="new-customer-anyway").click().run()
    assert count(app_engine, Customer) == 2
    created = int(at.query_params["id"][0])
    assert created != existing
    assert unescaped(at.title[0].value) == "Budi S."
    assert "Customer created." in [s.value for s in at.success]


def test_an_edit_after_the_warning_is_checked_again_and_may_find_another_duplicate(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    a_customer(app_engine, staff[Role.SALES])
    siti = a_customer(app_engine, staff[Role.SALES], name="Siti", phone=None, email="s@x.id")
    at = page_as("customer", staff[Role.SALES]).run()
    at.text_input(key="new-customer-name").input("Budi S.")
    at.text_input(key="new-customer-phone").input("081234567890")
    at.button(key="FormSubmitter:new-customer-Create customer").click().run()
    at.text_input(key="new-customer-email").input("S@X.id")
    at.button(key="FormSubmitter:new-customer-Create customer").click().run()
    assert count(app_engine, Customer) == 2
    assert at.warning[0].value == (
        "This looks like a customer we already have: #1 Budi Santoso (same phone "
        f"(+6281234567890)); #{siti} Siti (same email (s@x.id))."
    )


def test_create_anyway_covers_only_the_duplicates_shown_not_one_saved_since(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES]).run()
    at.text_input(key="new-customer-name").input("Budi S.")
    at.text_input(key="new-customer-phone").input("081234567890")
    at.button(key="FormSubmitter:new-customer-Create customer").click().run()
    # Meanwhile a colleague saves another customer with that phone.
    other = a_customer(app_engine, staff[Role.MANAGER], name="Bu Budi", phone="0812 3456 7890")
    at.button(key="new-customer-anyway").click().run()
    assert count(app_engine, Customer) == 2
    assert f"#{other} Bu Budi (same phone (+6281234567890))" in at.warning[0].value
    at.button(key="new-customer-anyway").click().run()
    assert count(app_engine, Customer) == 3
    assert "Customer created." in [s.value for s in at.success]


def test_a_manager_deletes_a_customer_and_restores_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.MANAGER], id=str(customer_id)).run()
    at.checkbox(key=f"customer-{customer_id}-manage-sure").check().run()
    at.button(key=f"customer-{customer_id}-manage-v1-delete").click().run()
    assert "Deleted." in [s.value for s in at.success]
    assert at.warning[0].value.startswith("Deleted ")
    with session_scope(app_engine, write=False) as s:
        assert s.get(Customer, customer_id).deleted_at is not None  # type: ignore[union-attr]
    at.button(key=f"customer-{customer_id}-manage-v2-restore").click().run()
    assert "Restored." in [s.value for s in at.success]
    with session_scope(app_engine, write=False) as s:
        assert s.get(Customer, customer_id).deleted_at is None  # type: ignore[union-attr]


def test_a_sales_user_may_neither_delete_nor_merge(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer_id = a_customer(app_engine, staff[Role.SALES])
    at = page_as("customer", staff[Role.SALES], id=str(customer_id)).run()
    assert not [b for b in at.button if "delete" in str(b.key) or "merge" in str(b.key)]
    assert "Deleting and merging customers is for managers and admins." in [
        c.value for c in at.caption
    ]


def test_a_manager_merges_a_duplicate_into_the_customer_from_the_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    keep = a_customer(app_engine, staff[Role.SALES], city="Bandung")
    merge = a_customer(app_engine, staff[Role.SALES], name="Budi S.", email="budi@example.com")
    with session_scope(app_engine) as s:
        s.add(Interaction(customer_id=merge, channel=Channel.PHONE, subject="Old call",
                          direction=Direction.INBOUND, occurred_at=utcnow()))  # fmt: skip
    at = page_as("customer", staff[Role.MANAGER], id=str(keep)).run()
    assert any(f"#{merge} Budi S. (same phone" in unescaped(c.value) for c in at.caption)
    at.number_input(key=f"customer-{keep}-manage-other").set_value(merge).run()
    at.button(key=f"customer-{keep}-manage-merge-{merge}-v1-into-v1").click().run()
    assert f"Merged #{merge} into this customer." in [s.value for s in at.success]
    assert "Old call" in feed(at)
    with session_scope(app_engine, write=False) as s:
        kept, merged = s.get(Customer, keep), s.get(Customer, merge)
        assert (kept.email, merged.merged_into_id) == ("budi@example.com", keep)  # type: ignore[union-attr]


def test_a_due_follow_up_is_marked_done_from_the_home_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales = staff[Role.SALES]
    customer_id = a_customer(app_engine, sales)
    with session_scope(app_engine) as s:
        due = utcnow() + timedelta(hours=3)
        data = {"customer_id": customer_id, "title": "Call back", "due_at": due}
        task_id = tasks.schedule_follow_up(s, sales, data).id
    at = page_as("home", sales).run()
    assert at.metric[1].value == "1"
    at.session_state["home-follow-ups-table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="home-follow-ups-done").click().run()
    assert "Marked 1 follow-up done." in [s.value for s in at.success]
    with session_scope(app_engine, write=False) as s:
        assert s.get(Task, task_id).done_at is not None  # type: ignore[union-attr]
