"""The Sales pages in AppTest: a sales user creates a lead, moves it to Won and converts it; a
manager reads the funnel by source and clicks through to a stage's leads; the forecast and the
sales settings render their figures; every page checks its user first."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select

from crm_core.kernel import localized
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, Lead, Task, utcnow
from crm_core.models.enums import Role
from crm_core.sales import leads
from crm_core.sales import read as sales_read
from db.session import session_scope
from support import page_as, red, shown_under


def a_lead(engine: Engine, actor: Actor, name: str = "Sari Dewi", **data: object) -> int:
    with session_scope(engine) as s:
        values = {
            "name": name,
            "company": "Toko Sari",
            "source": "referral",
            "value": "12500000",
            **data,
        }
        return leads.create_lead(s, actor, values).id


def stored(engine: Engine, lead_id: int) -> Lead:
    with session_scope(engine, write=False) as s:
        lead = s.get_one(Lead, lead_id)
        s.expunge(lead)
        return lead


def test_a_sales_user_creates_a_lead_on_the_pipeline_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("pipeline", staff[Role.SALES]).run()
    assert not at.exception
    at.text_input(key="new-lead-n0-name").input("Andi Wijaya")
    at.text_input(key="new-lead-n0-phone").input("12")
    at.button(key="FormSubmitter:new-lead-n0-Create lead").click().run()
    assert "Please correct the fields marked below." in [e.value for e in at.error]
    assert shown_under(at, "new-lead-n0-phone") == red(
        "is not a phone number (check the number of digits)"
    )
    assert at.text_input(key="new-lead-n0-name").value == "Andi Wijaya"  # kept as typed
    at.text_input(key="new-lead-n0-phone").input("0812 3456 7890")
    at.button(key="FormSubmitter:new-lead-n0-Create lead").click().run()
    assert at.text_input(key="new-lead-n1-name").value == ""  # created: an empty form again
    with session_scope(app_engine, write=False) as s:
        lead = s.scalars(select(Lead)).one()
        assert (lead.name, lead.phone, lead.owner_id, lead.stage) == (
            "Andi Wijaya",
            "+6281234567890",
            staff[Role.SALES].id,
            "new",
        )


def test_a_lead_s_bad_fields_are_said_under_their_boxes_and_nothing_is_saved(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    lead_id = a_lead(app_engine, staff[Role.SALES], email="sari@tokosari.id")
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    box = f"lead-{lead_id}-v1"
    at.text_input(key=f"{box}-name").input("")
    at.text_input(key=f"{box}-email").input("sari at toko")
    at.button(key=f"FormSubmitter:{box}-Save").click().run()
    assert "Please correct the fields marked below." in [e.value for e in at.error]
    assert shown_under(at, f"{box}-name") == red("is required")
    assert shown_under(at, f"{box}-email") == red(
        "is not a valid email address: an email address must have an @-sign."
    )
    assert shown_under(at, f"{box}-phone") != red("is required")  # only where it is wrong
    assert at.text_input(key=f"{box}-email").value == "sari at toko"  # kept as typed
    lead = stored(app_engine, lead_id)
    assert (lead.name, lead.email, lead.version) == ("Sari Dewi", "sari@tokosari.id", 1)


def test_a_follow_up_without_a_title_is_said_under_its_box_and_a_saved_one_empties_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    lead_id = a_lead(app_engine, staff[Role.SALES])
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    box = f"lead-{lead_id}-follow-up-n0"
    at.button(key=f"FormSubmitter:{box}-Add follow-up").click().run()
    assert shown_under(at, f"{box}-title") == red("is required")
    at.text_input(key=f"{box}-title").input("Send the price list")
    at.button(key=f"FormSubmitter:{box}-Add follow-up").click().run()
    assert "Follow-up added." in [s.value for s in at.success]
    assert at.text_input(key=f"lead-{lead_id}-follow-up-n1-title").value == ""
    with session_scope(app_engine, write=False) as s:
        assert s.scalars(select(Task.title).where(Task.lead_id == lead_id)).all() == [
            "Send the price list"
        ]


def test_the_board_moves_a_lead_without_leaving_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    lead_id = a_lead(app_engine, staff[Role.SALES])
    at = page_as("pipeline", staff[Role.SALES]).run()
    assert "Sari Dewi" in [m.value.strip("*") for m in at.markdown]
    at.selectbox(key=f"board-{lead_id}-1").set_value("qualified").run()
    assert not at.exception
    assert stored(app_engine, lead_id).stage == "qualified"


def test_the_lead_page_moves_to_won_and_converts_into_a_customer(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    lead_id = a_lead(app_engine, staff[Role.SALES], email="sari@tokosari.id")
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    assert at.title[0].value == "Sari Dewi"
    at.selectbox(key=f"lead-{lead_id}-to").set_value("won")
    at.button(key=f"lead-{lead_id}-move").click().run()
    assert stored(app_engine, lead_id).stage == "won"
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    at.button(key=f"lead-{lead_id}-convert").click().run()
    lead = stored(app_engine, lead_id)
    with session_scope(app_engine, write=False) as s:
        customer = s.get_one(Customer, lead.converted_customer_id)
        assert (customer.name, customer.email) == ("Sari Dewi", "sari@tokosari.id")
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    assert "Converted into a customer." in [s.value for s in at.success]


def test_a_contacted_lead_is_offered_qualified_first_not_back_to_new(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    lead_id = a_lead(app_engine, staff[Role.SALES])
    with session_scope(app_engine) as s:
        leads.move_stage(s, staff[Role.SALES], lead_id, 1, "contacted")
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    assert at.selectbox(key=f"lead-{lead_id}-to").value == "qualified"


def test_a_sales_user_cannot_open_someone_else_s_lead(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    lead_id = a_lead(app_engine, staff[Role.MANAGER])
    at = page_as("lead", staff[Role.SALES], id=str(lead_id)).run()
    assert at.error and "own" in at.error[0].value


def _history(engine: Engine, manager: Actor) -> None:
    """Three referral leads (two won) and two website leads (none won), created 10 days ago."""
    start = utcnow() - timedelta(days=10)
    for i, (source, stages) in enumerate(
        [
            ("referral", ["contacted", "won"]),
            ("referral", ["won"]),
            ("referral", ["contacted"]),
            ("website", ["contacted"]),
            ("website", []),
        ]
    ):
        with session_scope(engine) as s:
            lead = leads.create_lead(
                s, manager, {"name": f"L{i}", "source": source, "value": "1000000"}, now=start
            )
        for n, stage in enumerate(stages, start=1):
            with session_scope(engine) as s:
                leads.move_stage(s, manager, lead.id, n, stage, now=start + timedelta(days=n))


def test_a_manager_reads_the_funnel_by_source_and_clicks_through_to_a_stage(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    _history(app_engine, staff[Role.MANAGER])
    at = page_as("leads", staff[Role.MANAGER]).run()
    assert not at.exception
    at.selectbox(key="funnel-period").set_value("last 30 days")
    at.selectbox(key="funnel-breakdown").set_value("source").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leads created"] == "5" and metrics["Win rate"] == "100%"  # 2 won, none lost
    groups = at.dataframe[0].value
    assert groups["group"].tolist() == ["referral", "website"]
    assert groups["conversion"].tolist() == ["67%", "0%"]
    at.selectbox(key="funnel-stage").set_value("won").run()
    assert "2 leads reached won. Select one to open it." in [c.value for c in at.caption]


def test_the_forecast_page_shows_bands_and_calibration(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    _history(app_engine, staff[Role.MANAGER])
    at = page_as("forecast", staff[Role.MANAGER]).run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "P50 next month" in labels or at.info
    assert any("Calibration" in h.value for h in at.subheader)


def test_the_forecast_chart_labels_amounts_and_months_the_indonesian_way(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    """Two open leads of Rp 150 and Rp 90 million closing next month: an Indonesian reads
    the axis in juta (Rp 150 jt), not 150M (which reads as Rp 150 miliar), and the months
    by their Indonesian names."""
    _history(app_engine, staff[Role.MANAGER])
    close = (date.today().replace(day=1) + timedelta(days=40)).replace(day=15)
    for name, value in (("Toko Ani", "150000000"), ("Toko Budi", "90000000")):
        a_lead(app_engine, staff[Role.SALES], name=name, value=value, expected_close=close)
    at = page_as("forecast", staff[Role.MANAGER])
    at.session_state["relasi_language"] = "id"
    at.run()
    assert not at.exception, at.exception
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["separators"] == ",."
    assert layout["yaxis"]["ticktext"][:2] == ["Rp 0", "Rp 50\u00a0jt"]  # a no-break space
    assert localized.short_month(close, "id") in layout["xaxis"]["ticktext"]  # "Jan 2027"


def test_sales_settings_are_for_managers_and_save_a_lost_reason(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("sales-settings", staff[Role.SALES]).run()
    assert not at.text_area
    at = page_as("sales-settings", staff[Role.MANAGER]).run()
    at.text_area(key="sales-settings-reasons").input("price\nout of stock")
    at.button(key="sales-settings-save").click().run()
    assert not at.exception
    from crm_core.sales.settings import sales_settings

    with session_scope(app_engine, write=False) as s:
        assert sales_settings(s).lost_reasons == ["price", "out of stock"]


def test_the_funnel_speaks_bahasa_indonesia(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    at = page_as("leads", staff[Role.MANAGER])
    at.session_state["relasi_language"] = "id"
    at.run()
    assert at.title[0].value == "Corong prospek"


def test_a_visitor_fills_the_public_form_and_the_lead_appears(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("lead-form", None).run()
    assert not at.exception
    assert at.title[0].value == "Talk to Relasi"
    assert not at.sidebar.button  # nothing but the form
    at.text_input(key="web-form-name").input("Dewi Lestari")
    at.text_input(key="web-form-phone").input("0812")
    at.button(key="FormSubmitter:web-form-Send").click().run()
    assert shown_under(at, "web-form-phone") == red(
        "is not a phone number (check the number of digits)"
    )
    assert not at.success
    at.text_input(key="web-form-phone").input("0812 1111 2222")
    at.button(key="FormSubmitter:web-form-Send").click().run()
    assert "Thank you: we will be in touch soon." in [s.value for s in at.success]
    with session_scope(app_engine, write=False) as s:
        lead = s.scalars(select(Lead)).one()
        assert (lead.name, lead.source, lead.owner_id) == (
            "Dewi Lestari",
            "web form",
            staff[Role.ADMIN].id,
        )


def test_a_saved_view_brings_back_its_filters(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    a_lead(app_engine, staff[Role.SALES], "Sari Dewi")
    a_lead(app_engine, staff[Role.SALES], "Budi", source="website")
    at = page_as("pipeline", staff[Role.SALES]).run()
    at.multiselect(key="leads-sources").set_value(["website"]).run()
    assert "1 lead matches." in [c.value for c in at.caption]
    at.text_input(key="leads-view-name").input("Website leads")
    at.button(key="leads-view-save").click().run()
    assert "View saved." in [s.value for s in at.success]
    fresh = page_as("pipeline", staff[Role.SALES]).run()
    assert "2 leads match." in [c.value for c in fresh.caption]
    fresh.selectbox(key="leads-view").set_value("Website leads").run()
    assert fresh.multiselect(key="leads-sources").value == ["website"]
    assert "1 lead matches." in [c.value for c in fresh.caption]


def closed_in_march(engine: Engine, actor: Actor, name: str, region: str, to: str) -> int:
    """A lead of `region` created in February and won or lost on 10 March 2026."""
    with session_scope(engine) as s:
        data = {"name": name, "source": "referral", "value": "4000000", "region": region}
        lead_id = leads.create_lead(s, actor, data, now=datetime(2026, 2, 2, 3)).id
    with session_scope(engine) as s:
        if to == "won":
            leads.move_stage(s, actor, lead_id, 1, "won", now=datetime(2026, 3, 10, 3))
        else:
            leads.mark_lost(s, actor, lead_id, 1, "price", now=datetime(2026, 3, 10, 3))
    return lead_id


def test_the_dashboard_s_lead_conversion_opens_the_funnel_of_its_leads(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    """March in Bali for the sales user's leads: one won, one lost; the one won in Jawa Barat
    is not counted. The funnel opens on the leads closed then, its win rate the figure's."""
    sales = staff[Role.SALES]
    closed_in_march(app_engine, sales, "Ayu", "Bali", "won")
    closed_in_march(app_engine, sales, "Bagus", "Bali", "lost")
    closed_in_march(app_engine, sales, "Citra", "Jawa Barat", "won")
    link = sales_read.funnel_address(date(2026, 3, 1), date(2026, 3, 31), "Bali", sales.id)
    for reader in (staff[Role.MANAGER], sales):
        at = page_as("leads", reader, **link).run()
        assert not at.exception
        assert at.radio(key="funnel-counted").value == "closed"
        assert at.selectbox(key="funnel-region").value == "Bali"
        assert at.selectbox(key="funnel-owner").value == sales.id
        assert at.date_input(key="funnel-dates").value == (date(2026, 3, 1), date(2026, 3, 31))
        assert "counted" not in at.query_params  # the address is the page's own again
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Leads closed"] == "2" and metrics["Win rate"] == "50%"
        listed = next(d.value for d in at.dataframe if "name" in d.value.columns)
        assert sorted(listed["name"]) == ["Ayu", "Bagus"]
        at.selectbox(key="funnel-region").set_value(None).run()  # the filters are the user's
        assert {m.label: m.value for m in at.metric}["Leads closed"] == "3"


def test_the_dashboard_s_pipeline_value_opens_the_pipeline_of_its_leads(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales = staff[Role.SALES]
    a_lead(app_engine, sales, "Dian", region="Bali", value="2000000")
    a_lead(app_engine, sales, "Eko", region="Bali", value="3000000")
    a_lead(app_engine, sales, "Fajar", region="Jawa Barat", value="9000000")
    closed_in_march(app_engine, sales, "Gita", "Bali", "won")
    link = sales_read.pipeline_address("Bali", sales.id)
    at = page_as("pipeline", staff[Role.MANAGER], **link).run()
    assert not at.exception
    assert at.selectbox(key="pipeline-region").value == "Bali"
    assert at.selectbox(key="pipeline-pipeline").value is None  # every pipeline
    assert at.toggle(key="leads-open-only").value is True
    assert "2 open leads · open value Rp 5,000,000" in [c.value for c in at.caption]
    listed = next(d.value for d in at.dataframe if "name" in d.value.columns)
    assert sorted(listed["name"]) == ["Dian", "Eko"]


def test_the_funnel_and_pipeline_filters_read_in_bahasa_indonesia(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales = staff[Role.SALES]
    closed_in_march(app_engine, sales, "Ayu", "Bali", "won")
    link = sales_read.funnel_address(date(2026, 3, 1), date(2026, 3, 31), "Bali", sales.id)
    at = page_as("leads", sales, **link)
    at.session_state["relasi_language"] = "id"
    at.run()
    assert not at.exception
    assert at.selectbox(key="funnel-region").label == "Wilayah"
    assert (
        at.radio(key="funnel-counted").options[1]
        == "Prospek yang ditutup dalam periode (berhasil atau kalah)"
    )
    at = page_as("pipeline", sales, **sales_read.pipeline_address(None, None))
    at.session_state["relasi_language"] = "id"
    at.run()
    assert not at.exception
    assert at.toggle(key="leads-open-only").label == "Hanya prospek terbuka"


def test_a_lead_a_colleague_creates_is_in_the_funnel_at_the_next_rerun(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales, manager = staff[Role.SALES], staff[Role.MANAGER]
    a_lead(app_engine, sales, "Sari Dewi", region="Bali")
    at = page_as("leads", manager)
    at.session_state["funnel-period"] = "last 30 days"
    at.run()
    assert {m.label: m.value for m in at.metric}["Leads created"] == "1"
    at.selectbox(key="funnel-breakdown").set_value("source").run()  # kept, then a new grouping
    at.run()  # a rerun with nothing changed is served from the kept figures
    a_lead(app_engine, sales, "Budi", source="website", region="Papua")  # another session
    at.run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Leads created"] == "2"
    assert at.dataframe[0].value["group"].tolist() == ["referral", "website"]
    assert "Papua" in at.selectbox(key="funnel-region").options  # the region list too
    at.selectbox(key="funnel-stage").set_value("new").run()
    listed = next(d.value for d in at.dataframe if "name" in d.value.columns)
    assert sorted(listed["name"]) == ["Budi", "Sari Dewi"]


def test_a_lead_a_colleague_creates_is_on_the_board_and_list_at_the_next_rerun(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    sales, manager = staff[Role.SALES], staff[Role.MANAGER]
    a_lead(app_engine, sales, "Sari Dewi", pipeline="new business")
    at = page_as("pipeline", manager)
    at.session_state["pipeline-pipeline"] = "new business"
    at.run()
    assert "1 open lead · open value Rp 12,500,000" in [c.value for c in at.caption]
    at.run()  # a rerun with nothing changed is served from the kept reads
    a_lead(app_engine, sales, "Budi Hartono", value="2000000", pipeline="new business")
    at.run()
    assert not at.exception, at.exception
    assert "2 open leads · open value Rp 14,500,000" in [c.value for c in at.caption]
    cards = [m.value.strip("*") for m in at.markdown]
    assert "Sari Dewi" in cards and "Budi Hartono" in cards  # the board
    # kept as of the minute's start, a card younger than that is 0 days in its stage, not -0
    assert "Rp 2M · 0 days in stage" in [c.value for c in at.caption]
    assert "2 leads match." in [c.value for c in at.caption]  # the list
    listed = next(d.value for d in at.dataframe if "name" in d.value.columns)
    assert sorted(listed["name"]) == ["Budi Hartono", "Sari Dewi"]
