"""The Sales journey in a real browser: a visitor sends the public lead form without signing
in and a manager finds the new lead in the pipeline list; a manager reads last quarter's
funnel by source, clicks a stage of the chart, opens one of its leads and reads a forecast
band; a sales user creates a lead, moves it through the stages to Won, converts it and finds
the lead's history on the new customer's 360."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.models import Lead
from db.engine import make_engine
from db.session import session_scope
from tests.e2e.test_browser import (  # the same server, browser and demo data fixtures
    assert_no_exception,
    browser,
    demo_database,
    fresh_server,
    settle,
    sign_in,
)

pytestmark = pytest.mark.browser
__all__ = ["browser", "demo_database", "fresh_server"]


def test_a_visitor_s_form_becomes_a_lead_the_manager_works_and_reads_in_the_funnel(
    browser: object, fresh_server: str
) -> None:
    visitor = browser.new_page()  # type: ignore[attr-defined]
    # The first request a fresh server gets may show the default page (the sign-in form)
    # whatever its address: the server is woken first, as a restarted server is by anyone.
    visitor.goto(fresh_server)
    visitor.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    visitor.goto(f"{fresh_server}/lead-form")
    visitor.get_by_role("button", name="Send").wait_for(timeout=30_000)
    settle(visitor)
    body = visitor.inner_text("body")
    assert "Talk to" in body and "Sign in" not in body and "Signed in as" not in body
    visitor.get_by_role("textbox", name="Your name").fill("Wulan Journey")
    visitor.get_by_role("textbox", name="Phone").fill("0812 7777 8888")
    visitor.get_by_role("button", name="Send").click()
    visitor.get_by_text("Thank you: we will be in touch soon.").wait_for(timeout=30_000)
    visitor.close()

    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "manager")
    page.get_by_role("link", name="Pipeline", exact=True).click()
    settle(page)
    assert_no_exception(page, "Pipeline")
    page.get_by_role("tab", name="List").click()
    page.get_by_role("textbox", name="Search").fill("Wulan Journey")
    page.keyboard.press("Enter")
    page.get_by_text("1 lead matches.").wait_for(timeout=60_000)  # the search's run, waited for
    settle(page)
    page.get_by_role("link", name="Lead funnel", exact=True).click()
    settle(page)
    assert_no_exception(page, "Lead funnel")
    assert page.locator("h1").first.inner_text() == "Lead funnel"
    page.close()


def choose(page: object, box: str, choice: str) -> None:
    """Pick `choice` in the select box labelled `box`, and wait for the run it starts."""
    page.get_by_role("combobox", name=box).click()  # type: ignore[attr-defined]
    page.keyboard.type(choice)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    settle(page)


def test_a_manager_reads_last_quarter_by_source_opens_a_stage_s_leads_and_a_forecast_band(
    browser: object, fresh_server: str
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "manager")
    page.get_by_role("link", name="Lead funnel", exact=True).click()
    page.get_by_text("Win rate", exact=True).wait_for(timeout=60_000)
    settle(page)
    choose(page, "Period", "Last quarter")
    choose(page, "Breakdown", "By source")
    page.get_by_text("Which group converts best").wait_for(timeout=60_000)
    assert_no_exception(page, "Lead funnel by source")
    # A click on a stage of the chart (the first source's qualified bar) picks its leads.
    for attempt in range(3):  # a click while the chart is still drawn can miss
        bar = page.locator(".js-plotly-plot .funnellayer .trace").first.locator(".point").nth(2)
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()  # Plotly takes clicks on its drag layer, over the bars
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        settle(page)
        if page.get_by_text("leads reached qualified. Select one to open it.").count():
            break
        assert attempt < 2, "the click on the qualified bar picked no stage"
    assert page.get_by_role("combobox", name="Leads that reached").input_value() == "qualified"
    # by source: the groups, the conversion by stage, then the stage's leads
    grid = page.locator("[data-testid='stDataFrame']").nth(2)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 52)  # the first row's selection box
    settle(page)
    page.get_by_role("button", name="Open lead").click()
    page.get_by_text("Stage history").wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "the lead opened from the funnel")
    assert page.locator("h1").first.inner_text() not in ("Lead funnel", "Lead")

    page.get_by_role("link", name="Forecast", exact=True).click()
    page.get_by_text("P50 next month").wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "Forecast")
    lines = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
    bands = {lines[i]: lines[i + 1] for i in range(len(lines) - 1)}
    assert all(bands[f"{p} next month"].startswith("Rp") for p in ("P10", "P50", "P90"))
    page.close()


def test_a_sales_user_takes_a_new_lead_to_won_and_finds_its_history_on_the_customer_s_360(
    browser: object, fresh_server: str, demo_database: str
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "sales")
    page.get_by_role("link", name="Pipeline", exact=True).click()
    settle(page)
    page.get_by_role("tab", name="New lead").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Rama Journey")
    page.get_by_role("textbox", name="Company").fill("Toko Rama Journey")
    page.get_by_role("textbox", name="Email").fill("rama.journey@example.id")
    page.get_by_role("button", name="Create lead").click()
    page.get_by_text("Lead created.").wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "new lead")
    engine = make_engine(demo_database)
    with session_scope(engine, write=False) as s:
        lead_id = s.scalars(select(Lead.id).where(Lead.name == "Rama Journey")).one()
    engine.dispose()
    page.goto(f"{fresh_server}/lead?id={lead_id}")
    page.get_by_text("Stage history").wait_for(timeout=60_000)
    settle(page)
    for stage in ("contacted", "qualified", "proposal", "negotiation", "won"):
        for attempt in range(3):  # a choice typed while a rerun redraws the box can be lost
            choose(page, "Move to stage", stage)
            if page.get_by_role("combobox", name="Move to stage").input_value() == stage:
                break
            assert attempt < 2, f"{stage} could not be picked"
        page.get_by_role("button", name="Move", exact=True).click()
        page.get_by_text(f"Moved to {stage}.").wait_for(timeout=60_000)
        settle(page)
        assert_no_exception(page, f"move to {stage}")
    page.get_by_role("button", name="Convert into a customer").click()
    page.get_by_text("Timeline", exact=True).wait_for(timeout=60_000)  # the customer's 360
    settle(page)
    assert_no_exception(page, "the new customer's 360")
    assert "Rama Journey" in page.locator("h1").first.inner_text()
    body = page.inner_text("body")
    assert "Lead Rama Journey: opened as new" in body
    assert "Lead Rama Journey: negotiation → won" in body
    page.close()
