"""The business dashboard refreshes itself in a real browser: a manager leaves it open, an
order saved by another session appears within the team's refresh interval, with no click."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_core.admin import settings as admin_settings
from crm_core.admin.users import actor_for
from crm_core.customers import orders, products
from crm_core.models import User, utcnow
from crm_core.models.enums import Role
from db.engine import make_engine
from db.migrate import upgrade
from db.session import session_scope
from support import PASSWORD, a_customer, make_user
from tests.e2e.test_browser import (  # the same browser and server helpers
    _wait_healthy,
    assert_no_exception,
    browser,
    settle,
    sign_in,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.browser
__all__ = ["browser"]
EVERY = 3  # seconds: the team's refresh interval for this test


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """A small database: a manager, a customer, a product; the dashboard refreshes every 3 s."""
    url = f"sqlite:///{tmp_path / 'relasi.db'}"
    engine = make_engine(url)
    upgrade(engine)
    admin, manager = make_user(engine, Role.ADMIN), make_user(engine, Role.MANAGER)
    customer = a_customer(engine, manager, name="Sari Live")
    with session_scope(engine) as s:
        admin_settings.update_team_settings(s, admin, 0, {"dashboard_refresh_seconds": EVERY})
        item = products.create_product(
            s, manager, {"sku": "LIVE-1", "name": "Kopi", "category": "drinks",
                         "price": 1_500_000, "unit_cost": 500_000},
        )  # fmt: skip
        ids = {"customer": customer, "product": item.id, "manager": manager.id}
    yield url, ids
    engine.dispose()


def revenue(page: object) -> str:
    tile = page.locator("[data-testid='stMetric']").filter(has_text="Revenue").first  # type: ignore[attr-defined]
    return str(tile.locator("[data-testid='stMetricValue']").inner_text())


def test_an_order_saved_elsewhere_reaches_the_open_dashboard_without_a_click(
    browser: object, shop: tuple[str, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ids = shop
    monkeypatch.setenv("RELASI_VALUE_REFRESH", "off")
    server, base = start_server(url)
    try:
        _wait_healthy(base, server)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        page.goto(base)
        sign_in(page, "manager", PASSWORD)
        assert page.locator("h1").first.inner_text() == "Business dashboard"  # where it lands
        assert_no_exception(page, "Business dashboard")
        before = revenue(page)
        engine = make_engine(url)
        with session_scope(engine) as s:  # a colleague's session, not the browser's
            colleague = actor_for(s.get_one(User, ids["manager"]))
            orders.create_order(s, colleague, {
                "customer_id": ids["customer"], "ordered_at": utcnow(), "channel": "online",
                "lines": [{"product_id": ids["product"], "quantity": 2}],
            })  # fmt: skip
        engine.dispose()
        saved = time.monotonic()
        page.wait_for_function(  # type: ignore[attr-defined]
            """before => [...document.querySelectorAll("[data-testid='stMetric']")]
                 .some(m => m.innerText.includes('Revenue')
                       && !m.innerText.includes(before))""",
            arg=before, timeout=(EVERY * 4) * 1000,
        )  # fmt: skip
        waited = time.monotonic() - saved
        assert revenue(page) == "Rp 3M", revenue(page)
        assert waited < EVERY * 4
        page.get_by_text("Changed at").wait_for(timeout=5_000)
        settle(page)
        assert_no_exception(page, "Business dashboard after the refresh")
        page.close()
    finally:
        stop_server(server)
