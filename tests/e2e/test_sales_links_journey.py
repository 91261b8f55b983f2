"""The dashboard's links in a real browser, on the demo business: the manager opens the Lead
funnel at the lead conversion's address and reads the figure as its win rate; the sales user
opens the Pipeline at the pipeline value's address, switches to Bahasa Indonesia and reads
its open leads and value there."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from crm_core.kernel import localized
from crm_core.models import Lead, User
from crm_core.overview import dashboard
from crm_core.overview.dashboard import Code
from crm_core.sales import pipeline
from crm_core.sales import read as sales_read
from crm_core.sales.pipeline import LeadFilter
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
SPAN = (date(2025, 11, 1), date(2026, 10, 31))  # the demo's last year


def test_the_dashboard_s_links_open_the_funnel_and_the_pipeline_on_their_leads(
    browser: object, fresh_server: str, demo_database: str
) -> None:
    engine = make_engine(demo_database)
    with session_scope(engine, write=False) as s:
        sales, manager = (
            s.scalars(select(User).where(User.username == name)).one()
            for name in ("sales", "manager")
        )
        closed = (  # the sales user's region with the most leads closed in the span
            select(Lead.region)
            .where(Lead.owner_id == sales.id, Lead.region.is_not(None))
            .where(Lead.closed_at >= datetime(*SPAN[0].timetuple()[:3]))
            .group_by(Lead.region)
            .order_by(func.count().desc(), Lead.region)
        )
        region = s.scalars(closed).first()
        filters = dashboard.Filters(*SPAN, region, sales.id)
        frames = dashboard.load(s, manager, filters, datetime(2026, 11, 1))
        span = frames.window
        conversion = dashboard.figure_value(frames, Code.LEAD_CONVERSION, span.start, span.end)
        rows = dashboard.rows_behind(frames, Code.LEAD_CONVERSION, span.start, span.end)
        behind = 0 if rows is None else len(rows)
        open_n, open_value = pipeline.open_total(
            s, manager, LeadFilter(region=region, owner_id=sales.id, open_only=True)
        )
        sales_id = sales.id
    engine.dispose()
    assert conversion is not None and region

    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "manager")
    page.goto(
        f"{fresh_server}/leads?{urlencode(sales_read.funnel_address(*SPAN, region, sales_id))}"
    )
    page.get_by_text("Win rate", exact=True).wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "Lead funnel from the link")
    lines = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
    metric = {lines[i]: lines[i + 1] for i in range(len(lines) - 1)}
    assert metric["Win rate"] == localized.percent(conversion, "en", 0)
    assert metric["Leads closed"] == str(behind)  # the leads behind the figure
    page.close()

    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "sales")
    page.goto(f"{fresh_server}/pipeline?{urlencode(sales_read.pipeline_address(region, sales_id))}")
    page.get_by_text(" open value ").first.wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "Pipeline from the link")
    body = page.inner_text("body")
    assert (
        f"{open_n} open leads · open value {localized.money(open_value or 0, 'en', 'IDR')}"
        in body.replace("\u00a0", " ")
    )
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    page.get_by_role("option", name="Bahasa Indonesia").click()
    page.get_by_text(" nilai terbuka ").first.wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "Pipeline in Bahasa Indonesia")
    assert "prospek terbuka · nilai terbuka" in page.inner_text("body")
    page.close()
