"""The Sales journey in a real browser: a visitor sends the public lead form without signing
in; a manager finds the new lead in the pipeline list, opens it, moves it on, and reads the
funnel by source."""

from __future__ import annotations

import pytest

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
