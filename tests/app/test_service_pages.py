"""The Service pages through AppTest: the agent's queue, a new ticket routed from the form, the
ticket page's reply, status move and phone rating, the public survey, the dashboard and the
service levels a manager changes."""

from __future__ import annotations

from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from crm_core.models import Article, Ticket
from crm_core.models.enums import Priority, Role, TicketStatus
from crm_core.service import articles, csat, sla, tickets
from db.session import session_scope
from support import a_customer, page_as, red, shown_under


def a_ticket(engine: Engine, actor: Actor, customer_id: int, **data: object) -> int:
    with session_scope(engine) as s:
        values = {"customer_id": customer_id, "subject": "Paket belum sampai", **data}
        return tickets.create_ticket(s, actor, values).ticket.id


def ticket(engine: Engine, ticket_id: int) -> Ticket:
    with session_scope(engine, write=False) as s:
        return s.get_one(Ticket, ticket_id)


def survey(ticket_id: int, token: str) -> AppTest:
    """The public survey page as its link opens it: nobody signed in."""
    at = AppTest.from_string(
        "from app_pages.service.survey import render\nrender()\n", default_timeout=30
    )
    at.query_params["ticket"], at.query_params["token"] = str(ticket_id), token
    return at


def test_my_tickets_lists_the_most_urgent_first(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    customer = a_customer(app_engine, agent)
    a_ticket(app_engine, agent, customer, subject="Low one", priority="low")
    a_ticket(app_engine, agent, customer, subject="Urgent one", priority="urgent")
    at = page_as("tickets", agent).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["subject"]) == ["Urgent one", "Low one"]
    assert list(table["assignee"]) == ["Support", "Support"]
    assert "2 tickets in this queue." in [c.value for c in at.caption]


def test_a_ticket_created_from_the_form_is_routed_to_the_agent(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer = a_customer(app_engine, staff[Role.SALES])
    at = page_as("tickets", staff[Role.SALES], customer=str(customer)).run()
    at.text_input(key="tickets-new-n0-subject").input("Invoice twice")
    at.selectbox(key="tickets-new-n0-category").select("billing")
    at.selectbox(key="tickets-new-n0-channel").select("whatsapp")
    at.button(key="FormSubmitter:tickets-new-n0-Create ticket").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="tickets-new-n1-subject").value == ""  # not a second ticket
    with session_scope(app_engine, write=False) as s:
        made = s.scalars(select(Ticket)).one()
    assert made.subject == "Invoice twice" and made.assignee_id == staff[Role.SUPPORT].id
    assert str(made.channel) == "whatsapp"


def test_a_ticket_without_a_subject_is_refused_under_its_box_and_keeps_what_was_written(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    customer = a_customer(app_engine, staff[Role.SUPPORT])
    at = page_as("tickets", staff[Role.SUPPORT], customer=str(customer)).run()
    at.text_area(key="tickets-new-n0-body").input("Paket saya belum sampai sejak Senin")
    at.button(key="FormSubmitter:tickets-new-n0-Create ticket").click().run()
    assert shown_under(at, "tickets-new-n0-subject") == red("is required")
    assert at.text_area(key="tickets-new-n0-body").value == "Paket saya belum sampai sejak Senin"
    with session_scope(app_engine, write=False) as s:
        assert s.scalars(select(Ticket)).all() == []


def test_an_agent_answers_resolves_and_records_the_rating_on_the_ticket_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    ticket_id = a_ticket(app_engine, agent, a_customer(app_engine, agent))
    at = page_as("ticket", agent, id=str(ticket_id)).run()
    assert not at.exception, at.exception
    assert at.title[0].value.endswith("Paket belum sampai")
    assert any("Routed for: open load: 0" in i.value for i in at.info)
    at.text_area(key="ticket-reply-body").input("Paket Anda tiba besok")
    at.button(key="FormSubmitter:ticket-reply-Send").click().run()
    assert not at.exception, at.exception
    assert ticket(app_engine, ticket_id).first_response_at is not None
    assert ticket(app_engine, ticket_id).status is TicketStatus.OPEN
    at.selectbox(key="ticket-move-status").select("resolved")
    at.button(key="ticket-move-status-go").click().run()
    assert ticket(app_engine, ticket_id).status is TicketStatus.RESOLVED
    at.radio(key="ticket-rate-score").set_value(4)
    at.text_input(key="ticket-rate-comment").input("Ramah")
    at.button(key="FormSubmitter:ticket-rate-Record rating").click().run()
    assert not at.exception, at.exception
    assert ticket(app_engine, ticket_id).csat == 4


def test_the_survey_link_takes_the_customers_rating_and_then_closes(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    ticket_id = a_ticket(app_engine, agent, a_customer(app_engine, agent))
    with session_scope(app_engine) as s:
        tickets.change_status(s, agent, ticket_id, 1, "resolved")
        token = csat.survey_token(s, agent, ticket_id, 2)
    at = survey(ticket_id, token).run()
    assert not at.exception, at.exception
    at.radio(key="survey-score").set_value(5)
    at.button(key="FormSubmitter:survey-Send").click().run()
    assert at.success[0].value == "Thank you! Your rating has reached the team."
    assert ticket(app_engine, ticket_id).csat == 5
    again = survey(ticket_id, token).run()
    assert "no longer valid" in again.info[0].value
    assert not again.radio  # nothing but the notice


def test_the_service_dashboard_shows_the_periods_figures(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    ticket_id = a_ticket(app_engine, agent, a_customer(app_engine, agent))
    with session_scope(app_engine) as s:
        tickets.add_comment(s, agent, ticket_id, 1, "On it", reply=True)
    at = page_as("service-dashboard", staff[Role.MANAGER]).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Created"] == "1" and metrics["Backlog (open)"] == "1"
    assert any("tickets. First response breaches" in m.value for m in at.markdown)
    a_ticket(app_engine, agent, a_customer(app_engine, agent))  # the figures are cached...
    at.run()
    metrics = {m.label: m.value for m in at.metric}  # ...by the tickets' mark: it is in
    assert metrics["Created"] == "2" and metrics["Backlog (open)"] == "2"


def test_a_manager_changes_the_service_levels_and_new_tickets_follow_them(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("service-levels", staff[Role.MANAGER]).run()
    at.number_input(key="service-levels-high-fr").set_value(2.0)
    at.button(key="FormSubmitter:service-levels-Save").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine, write=False) as s:
        assert sla.sla_policy(s)[Priority.HIGH] == sla.Target(120, 240)
    customer = a_customer(app_engine, staff[Role.MANAGER])
    ticket_id = a_ticket(app_engine, staff[Role.MANAGER], customer, priority="high")
    made = ticket(app_engine, ticket_id)
    with session_scope(app_engine, write=False) as s:
        expected = sla.first_response_due(team_settings(s), sla.Target(120, 240), made.created_at)
    assert made.first_response_due == expected


def test_a_view_of_the_queue_lives_in_the_address_so_a_bookmark_keeps_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    customer = a_customer(app_engine, agent)
    a_ticket(app_engine, agent, customer, subject="Low one", priority="low")
    a_ticket(app_engine, agent, customer, subject="Urgent one", priority="urgent")
    at = page_as("tickets", agent, queue="open", priority="urgent").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["subject"]) == ["Urgent one"]
    assert at.query_params["queue"] in ("open", ["open"])
    assert at.query_params["priority"] in ("urgent", ["urgent"])
    at.multiselect(key="tickets-f-priority").select("low").run()
    assert set(at.dataframe[0].value["subject"]) == {"Urgent one", "Low one"}
    assert at.query_params["priority"] == ["urgent", "low"]


def test_the_public_faq_shows_the_public_articles_and_nothing_else(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    from crm_core.service import articles

    with session_scope(app_engine) as s:
        articles.create_article(
            s,
            staff[Role.MANAGER],
            {
                "kind": "article",
                "title": "How do I track my parcel?",
                "body": "Open Orders...",
                "category": "delivery",
                "public": True,
            },
        )
        articles.create_article(
            s,
            staff[Role.MANAGER],
            {
                "kind": "article",
                "title": "Internal: courier codes",
                "body": "...",
            },
        )
    at = AppTest.from_string("from app_pages.service.faq import render\nrender()\n").run()
    assert not at.exception, at.exception
    assert [e.label for e in at.expander] == ["How do I track my parcel?"]
    assert at.subheader[0].value == "Delivery"


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [c.value for c in at.caption if ":red[" in c.value]


def test_a_form_sent_wrong_says_what_is_wrong_at_once_and_keeps_what_was_typed(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent = staff[Role.SUPPORT]
    ticket_id = a_ticket(app_engine, agent, a_customer(app_engine, agent))
    at = page_as("ticket", agent, id=str(ticket_id)).run()
    at.button(key="FormSubmitter:ticket-reply-Send").click().run()  # an empty reply
    assert not at.exception, at.exception
    assert _errors(at), "an empty reply said nothing"
    at.text_area(key="ticket-reply-body").input("x" * 20_001)
    at.button(key="FormSubmitter:ticket-reply-Send").click().run()
    assert _errors(at), "a reply over the limit said nothing"
    assert at.text_area(key="ticket-reply-body").value == "x" * 20_001  # kept as typed
    at.text_area(key="ticket-reply-body").input("Paket Anda tiba besok")
    at.button(key="FormSubmitter:ticket-reply-Send").click().run()
    assert at.success and at.text_area(key="ticket-reply-body").value == ""  # not sent twice
    with session_scope(app_engine) as s:
        tickets.change_status(s, agent, ticket_id, 2, "resolved")
        token = csat.survey_token(s, agent, ticket_id, 3)
    page = survey(ticket_id, token).run()
    page.text_area(key="survey-comment").input("Cepat sekali")
    page.button(key="FormSubmitter:survey-Send").click().run()  # no rating chosen
    assert _errors(page), "a survey without a rating said nothing"
    assert page.text_area(key="survey-comment").value == "Cepat sekali"
    assert ticket(app_engine, ticket_id).csat is None


def test_an_edit_opened_before_someone_elses_save_is_a_conflict_not_an_overwrite(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent, manager = staff[Role.SUPPORT], staff[Role.MANAGER]
    ticket_id = a_ticket(app_engine, agent, a_customer(app_engine, agent))
    second_tab = page_as("ticket", agent, id=str(ticket_id)).run()  # the form, at version 1
    with session_scope(app_engine) as s:  # meanwhile, in another tab, the manager edits it
        edit = {"subject": "Paket hilang", "channel": "email", "category": "delivery"}
        tickets.edit_ticket(s, manager, ticket_id, 1, edit)
    second_tab.text_input(key=f"ticket-edit-{ticket_id}-subject").input("Paket terlambat")
    second_tab.button(key="FormSubmitter:ticket-edit-Save changes").click().run()
    assert not second_tab.exception, second_tab.exception
    assert ticket(app_engine, ticket_id).subject == "Paket hilang"  # not overwritten
    assert any(manager.name in e.value for e in second_tab.error), "no conflict was said"
    typed = second_tab.text_input(key=f"ticket-edit-{ticket_id}-subject").value
    assert typed == "Paket terlambat"  # kept as typed


def test_a_manager_edits_an_article_for_any_category_and_a_stale_edit_is_a_conflict(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    manager = staff[Role.MANAGER]
    with session_scope(app_engine) as s:  # for every category and language: both None
        made = articles.create_article(
            s, manager, {"kind": "canned", "title": "Salam", "body": "Halo Kak"}
        )
        article_id = made.id
    at = page_as("service-articles", manager).run()
    at.selectbox(key="articles-pick").select(article_id).run()
    assert not at.exception, at.exception  # the form of an article for any category opens
    with session_scope(app_engine) as s:  # meanwhile, in another tab
        data = {"kind": "canned", "title": "Salam pembuka", "body": "Halo Kak"}
        articles.update_article(s, manager, article_id, 1, data)
    at.text_input(key=f"articles-{article_id}-title").input("Sapaan")
    at.button(key=f"FormSubmitter:articles-{article_id}-Save").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine, write=False) as s:
        assert s.get_one(Article, article_id).title == "Salam pembuka"  # not overwritten
    assert at.error, "a stale edit said nothing"
    assert at.text_input(key=f"articles-{article_id}-title").value == "Sapaan"


def test_all_tickets_of_a_region_list_the_resolved_ones_with_their_outcome(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent, manager = staff[Role.SUPPORT], staff[Role.MANAGER]
    bali = a_customer(app_engine, agent, name="Wayan", region="Bali")
    java = a_customer(app_engine, agent, name="Asep", region="Jawa Barat")
    rated = a_ticket(app_engine, agent, bali, subject="Bali, rated")
    a_ticket(app_engine, agent, java, subject="Java, open")
    with session_scope(app_engine) as s:
        tickets.change_status(s, agent, rated, 1, "resolved")
        csat.record_rating(s, agent, rated, 2, {"csat": 5})
    # The dashboard's CSAT link: every ticket of the customers of Bali in the last 30 days.
    at = page_as("tickets", manager, queue="all", region="Bali").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["subject"]) == ["Bali, rated"] and list(table["csat"]) == [5]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Tickets created"], metrics["Resolved"], metrics["CSAT average"]) == (
        "1", "1", "5.00",
    )  # fmt: skip
    assert at.selectbox(key="tickets-f-region").value == "Bali"
    assert at.query_params["region"] in ("Bali", ["Bali"])
    at.selectbox(key="tickets-f-region").select(None).run()
    assert set(at.dataframe[0].value["subject"]) == {"Bali, rated", "Java, open"}
    assert "region" not in at.query_params


def test_a_ticket_a_colleague_creates_is_in_the_queue_at_the_next_rerun(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    agent, manager = staff[Role.SUPPORT], staff[Role.MANAGER]
    customer = a_customer(app_engine, agent)
    a_ticket(app_engine, agent, customer, subject="First one")
    at = page_as("tickets", manager, queue="open").run()
    assert list(at.dataframe[0].value["subject"]) == ["First one"]
    at.run()  # a rerun with nothing changed is served from the kept queue
    a_ticket(app_engine, agent, customer, subject="Second one", priority="urgent")
    at.run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["subject"]) == ["Second one", "First one"]
