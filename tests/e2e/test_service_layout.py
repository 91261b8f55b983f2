"""The Service pages read in Bahasa Indonesia in a real browser, at a laptop's width: no figure,
label or button of the service dashboard or a ticket page is cut off with an ellipsis (six
figures in a row cut "Respons pertama (median / p90)" and its value, a quarter of the side
column cut the "Pindahkan" and "Tugaskan" buttons, a metric cut a tier's name)."""

from __future__ import annotations

import re

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

# The texts Streamlit truncates with an ellipsis: wider than the box that holds them.
CUT_OFF = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const out = new Set();
  const boxes = "[data-testid='stMetric'] *, [data-testid='stButton'] *, "
    + "[data-testid='stPopover'] *, [data-testid='stWidgetLabel'] *";
  for (const el of main.querySelectorAll(boxes)) {
    const style = getComputedStyle(el);
    if (style.overflow === "visible" && style.textOverflow !== "ellipsis") continue;
    if (el.scrollWidth > el.clientWidth + 1) out.add(el.textContent.trim());
  }
  return [...out];
}"""


def test_the_service_pages_in_bahasa_indonesia_cut_no_figure_label_or_button_off(
    browser: object, fresh_server: str, demo_database: str
) -> None:
    from sqlalchemy import select

    from crm_core.models import Ticket
    from crm_core.models.enums import TicketStatus
    from db.engine import make_engine
    from db.session import session_scope

    with session_scope(make_engine(demo_database), write=False) as s:
        ticket_id = s.scalar(
            select(Ticket.id)
            .where(Ticket.status == TicketStatus.OPEN, Ticket.resolved_at.is_(None))
            .order_by(Ticket.id)
            .limit(1)
        )
    page = browser.new_page(viewport={"width": 1280, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "manager")
    page.get_by_role("link", name="Service dashboard", exact=True).wait_for(timeout=30_000)
    settle(page)
    page.get_by_role("combobox", name="Language").click()
    page.keyboard.type("Bahasa")
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_text(re.compile("Masuk sebagai")).wait_for(timeout=30_000)
    page.get_by_role("link", name="Dasbor layanan", exact=True).click()
    page.get_by_text("Pencapaian SLA").first.wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "Dasbor layanan")
    assert page.evaluate(CUT_OFF) == []
    page.goto(f"{fresh_server}/ticket?id={ticket_id}")
    page.get_by_text("Status, prioritas, dan agen").wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "Tiket")
    assert page.get_by_role("button", name="Pindahkan").count() == 1
    assert page.evaluate(CUT_OFF) == []
