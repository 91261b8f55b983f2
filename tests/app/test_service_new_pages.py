"""The Service pages' newer parts through AppTest (the support form in Bahasa Indonesia): a tier's
own targets on Service levels, saved views on the queue, the public support form and the
customer's reply link (what they typed shown as text, never markdown)."""

from __future__ import annotations

from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm_core.kernel.permissions import Actor
from crm_core.models import CustomerValue, Ticket, TicketEvent, utcnow
from crm_core.models.enums import Priority, Role, TicketEventKind, TicketStatus
from crm_core.service import public, sla, tickets
from db.session import session_scope
from support import a_customer, page_as, red

MARKUP = "Tolong ![x](http://evil.example/p.png) :red[cepat]"


def public_page(module: str, language: str = "en", **query: str) -> AppTest:
    """A public page as its link opens it: nobody signed in."""
    at = AppTest.from_string(
        f"from app_pages.service.{module} import render\nrender()\n", default_timeout=30
    )
    at.session_state["relasi_language"] = language
    for key, value in query.items():
        at.query_params[key] = value
    return at


def test_a_manager_gives_a_tier_its_own_target(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    # (In Bahasa Indonesia too, but AppTest formats a selectbox's choices in English when
    # it sets one: the Indonesian pages are read by test_bahasa_indonesia.)
    at = page_as("service-levels", staff[Role.MANAGER]).run()
    at.selectbox(key="service-levels-tier").select("Most Valuable").run()
    at.checkbox(key="service-levels-most-valuable-high-own").check()
    at.number_input(key="service-levels-most-valuable-high-fr").set_value(0.5)
    at.button(key="FormSubmitter:service-levels-most-valuable-Save").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine, write=False) as s:
        policy = sla.sla_policy(s)
    assert policy.target(Priority.HIGH, "Most Valuable") == sla.Target(30, 240)
    assert policy[Priority.HIGH] == sla.Target(60, 240)  # the default stays


def test_an_agent_saves_a_view_of_the_queue_and_opens_it_again(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    customer = a_customer(app_engine, agent)
    with session_scope(app_engine) as s:
        for subject, priority in (("Low one", "low"), ("Urgent one", "urgent")):
            data = {"customer_id": customer, "subject": subject, "priority": priority}
            tickets.create_ticket(s, agent, data)
    at = page_as("tickets", agent, queue="open", priority="urgent").run()
    at.text_input(key="tickets-views-n0-name").input("   ")
    at.button(key="FormSubmitter:tickets-views-n0-save-Save").click().run()
    assert red("is required") in [c.value for c in at.caption]
    assert at.text_input(key="tickets-views-n0-name").value == "   "  # refused, kept as typed
    at.text_input(key="tickets-views-n0-name").input("Urgent only")
    at.button(key="FormSubmitter:tickets-views-n0-save-Save").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="tickets-views-n1-name").value == ""  # saved: an empty box again
    at.multiselect(key="tickets-f-priority").unselect("urgent").run()
    assert len(at.dataframe[0].value) == 2
    picker = at.selectbox(key="tickets-views-pick")
    assert picker.options == ["Urgent only"]
    picker.select_index(0).run()
    at.button(key="tickets-views-open").click().run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["subject"]) == ["Urgent one"]
    at.button(key="tickets-views-delete").click().run()
    assert not [w for w in at.selectbox if w.key == "tickets-views-pick"]  # none left


def test_a_customer_sends_a_request_and_answers_through_their_link(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    form = public_page("request_form", "id").run()
    assert not form.exception, form.exception
    assert form.text_input(key="support-form-email").label == "Email"
    form.text_input(key="support-form-name").input("Rina Wati")
    form.text_input(key="support-form-email").input("rina@example.com")
    form.text_input(key="support-form-subject").input("Paket rusak")
    form.text_area(key="support-form-body").input(MARKUP)
    form.button(key="FormSubmitter:support-form-Kirim").click().run()
    assert not form.exception, form.exception
    assert form.success[0].value == "Terima kasih: permintaan Anda sudah sampai ke tim kami."
    link = form.code[0].value
    ticket_id, token = link.split("ticket=")[1].split("&token=")
    with session_scope(app_engine) as s:
        made = s.get_one(Ticket, int(ticket_id))
        assert made.body == MARKUP and made.assignee_id == staff[Role.SUPPORT].id
        assert made.language == "id"  # written in Bahasa Indonesia: routed for it
        agent = staff[Role.SUPPORT]
        tickets.add_comment(s, agent, made.id, made.version, "Catatan internal", reply=False)
        tickets.add_comment(s, agent, made.id, made.version, "Mohon kirim foto", reply=True)
        tickets.change_status(s, agent, made.id, made.version, "pending")
    page = public_page("reply", ticket=ticket_id, token=token).run()
    assert not page.exception, page.exception
    shown = [x.value for x in page.text]
    assert shown == [MARKUP, "Mohon kirim foto"]  # as text; the internal note is not there
    assert not any("evil" in m.value for m in page.markdown)
    page.text_area(key="reply-body").input("Foto sudah saya kirim")
    page.button(key="FormSubmitter:reply-Send").click().run()
    assert not page.exception, page.exception
    assert page.success[0].value == "Sent: our team sees your message."
    with session_scope(app_engine, write=False) as s:
        assert s.get_one(Ticket, int(ticket_id)).status is TicketStatus.OPEN
        kinds = s.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == int(ticket_id))
        ).all()
    assert TicketEventKind.CUSTOMER in kinds
    wrong = public_page("reply", ticket=ticket_id, token="nope").run()
    assert "no longer valid" in wrong.info[0].value and not wrong.text_area


def test_the_agent_edits_the_ticket_and_makes_the_customers_reply_link_without_amounts(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    customer = a_customer(app_engine, agent)
    with session_scope(app_engine) as s:
        made = tickets.create_ticket(s, agent, {"customer_id": customer, "subject": "Refund"})
        ticket_id = made.ticket.id
    at = page_as("ticket", agent, id=str(ticket_id)).run()
    at.button(key="ticket-customer-link-make").click().run()
    assert not at.exception, at.exception
    link = next(c.value for c in at.code if "/reply?" in c.value)
    token = link.split("&token=")[1]
    with session_scope(app_engine, write=False) as s:
        assert public.conversation(s, ticket_id, token) is not None
    at.text_input(key=f"ticket-edit-{ticket_id}-subject").input("Refund ganda")
    at.selectbox(key=f"ticket-edit-{ticket_id}-category").select("billing")
    at.button(key="FormSubmitter:ticket-edit-Save changes").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine, write=False) as s:
        edited = s.get_one(Ticket, ticket_id)
    assert (edited.subject, edited.category.value) == ("Refund ganda", "billing")
    # The customer's CLV is an amount: the manager reads it, the support agent does not.
    with_clv(app_engine, customer)
    as_agent = page_as("ticket", agent, id=str(ticket_id)).run()
    labels = {m.label for m in as_agent.metric}
    assert "Historical CLV" not in labels
    badges = [m.value for m in as_agent.markdown if "-badge[" in m.value]  # the tier's badge
    assert len(badges) == 1 and "Tier" in badges[0] and "Most Growable" in badges[0]
    manager = page_as("ticket", staff[Role.MANAGER], id=str(ticket_id)).run()
    assert "Historical CLV" in {m.label for m in manager.metric}


def with_clv(engine: Engine, customer_id: int) -> None:
    """The customer's stored value row as the refresher would leave it."""
    money = dict.fromkeys(
        ("gross_revenue", "discounts", "cogs", "net_revenue", "gross_margin", "cost_to_serve",
         "profit"), 0,
    )  # fmt: skip
    with session_scope(engine) as s:
        now = utcnow()
        s.add(
            CustomerValue(
                customer_id=customer_id, as_of=now, computed_at=now, refresh_id=1, orders=1,
                tickets=1, interactions=0, value_tier="Most Growable", tier_reason="{}",
                historical_clv=500_000, **money,
            )
        )  # fmt: skip


def test_a_form_ticket_warns_the_agent_until_they_confirm_who_writes(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    a_customer(app_engine, agent, name="Rina Wati", email="rina@example.com")
    request = {"name": "Rina", "email": "rina@example.com", "subject": "Ganti alamat",
               "body": "Tolong kirim ke alamat baru", "category": "delivery"}  # fmt: skip
    with session_scope(app_engine) as s:
        sent = public.submit_request(s, request, sent_last_hour=0)
    assert sent is not None
    at = page_as("ticket", agent, id=str(sent.ticket_id)).run()
    assert at.warning[0].value.startswith("Sent through the public support form")
    at.button(key="ticket-sender-confirm").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "The sender is confirmed."
    assert not any(w.value.startswith("Sent through the public") for w in at.warning)
    with session_scope(app_engine, write=False) as s:
        assert s.get_one(Ticket, sent.ticket_id).sender_unverified is False
