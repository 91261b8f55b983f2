"""The demo manager opens every page in Chromium, by the menu, without an error, and text a
user typed stays text on each: a customer whose name, address, notes, tags, follow-up,
touchpoint, ticket, lead, account and ordered product hold markdown (a remote image, a link,
a colour), with a colleague, a segment and a campaign whose names hold it too, makes no
browser fetch anything, link anywhere or colour anything, wherever a manager looks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e.test_browser import (  # noqa: F401 - the module's fixtures, used by name below
    ARTIFACTS,
    _wait_healthy,
    assert_no_exception,
    browser,
    demo_database,
    settle,
    sign_in,
    start_server,
    stop_server,
)

from crm_core.admin.users import actor_for, create_user
from crm_core.customers import accounts, interactions, orders, products, tasks
from crm_core.customers import records as customers
from crm_core.marketing import campaigns, segments
from crm_core.models import User, utcnow
from crm_core.models.enums import Role
from crm_core.pages import pages_for
from crm_core.sales import leads
from crm_core.service import tickets
from db.engine import make_engine
from db.session import session_scope

EVIL = "evil.example"
MARKUP = f"![x](http://{EVIL}/p.png) [click](http://{EVIL}/go) :red[RED] **bold**"


@pytest.fixture
def hostile_server(
    demo_database: str,  # noqa: F811
    tmp_path: Path,
) -> Iterator[tuple[str, dict[str, int]]]:
    target = tmp_path / "hostile.db"
    shutil.copy(demo_database.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    with session_scope(engine) as s:
        manager = s.query(User).filter(User.username == "manager").one()
        actor = actor_for(manager)
        admin = actor_for(s.query(User).filter(User.username == "admin").one())
        colleague = actor_for(create_user(
            s, admin, {"username": "eva", "name": f"Eva {MARKUP}", "email": "eva@example.com",
                       "role": "sales", "password": "a long enough password"},
        ))  # fmt: skip
        firm = accounts.create_account(s, actor, {"name": f"PT {MARKUP}", "city": MARKUP[:100]})
        customer = customers.create_customer(
            s, actor, {"name": f"Budi {MARKUP}", "address": MARKUP, "city": "Bandung",
                       "notes": MARKUP, "tags": "vip, :red[tag]", "owner_id": manager.id,
                       "account_id": firm.id},
            allow_duplicate=True,
        )  # fmt: skip
        product = products.create_product(
            s, actor, {"sku": "EVIL-1", "name": f"Kopi {MARKUP}", "category": f"Kopi {MARKUP}"[:80],
                       "price": 85_000, "unit_cost": 52_000},
        )  # fmt: skip
        orders.create_order(
            s, actor, {"customer_id": customer.id, "ordered_at": utcnow().isoformat(),
                       "channel": "online", "lines": [{"product_id": product.id, "quantity": 2}]},
        )  # fmt: skip
        leads.create_lead(s, colleague, {"name": "Prospek Eva", "source": "web form"})
        rule = {"groups": [{"conditions": [{"field": "city", "op": "in", "value": ["Bandung"]}]}]}
        segment = segments.create_segment(
            s, actor, {"name": f"Segmen {MARKUP}", "description": MARKUP, "rule": rule}
        )
        today = utcnow().date()
        campaigns.plan_campaign(
            s, actor, {"name": f"Promo {MARKUP}", "channel": "email", "segment_id": segment.id,
                       "starts_on": today.isoformat(),
                       "ends_on": (today + timedelta(days=14)).isoformat()},
        )  # fmt: skip
        tasks.schedule_follow_up(
            s, actor, {"customer_id": customer.id, "title": f"Call {MARKUP}"[:200],
                       "due_at": utcnow() + timedelta(days=1)},
        )  # fmt: skip
        interactions.log_interaction(
            s, actor, customer.id,
            {"channel": "phone", "direction": "outbound", "subject": MARKUP[:200], "notes": MARKUP},
        )  # fmt: skip
        ticket = {"customer_id": customer.id, "subject": MARKUP[:200], "body": MARKUP,
                  "category": "billing", "priority": "high"}  # fmt: skip
        tickets.create_ticket(s, actor, ticket)
        lead = leads.create_lead(s, actor, {"name": MARKUP[:200], "source": "web form"})
        lead.customer_id = customer.id  # an open lead about the customer, on its 360
        customer_id, account_id, product_id = customer.id, firm.id, product.id
    engine.dispose()
    server, base = start_server(url)
    try:
        _wait_healthy(base, server)
        yield base, {"customer": customer_id, "account": account_id, "product": product_id}
    finally:
        stop_server(server)


def test_the_demo_manager_opens_every_page_and_typed_markup_stays_text_on_each(
    browser: object,  # noqa: F811 - the fixture imported above
    hostile_server: tuple[str, dict[str, int]],
) -> None:
    base, ids = hostile_server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    fetched: list[str] = []

    def refused(route: Any) -> None:
        fetched.append(route.request.url)
        route.abort()

    context.route(f"**/*{EVIL}*/**", refused)
    page = context.new_page()
    page.goto(base)
    sign_in(page, "manager")
    texts: list[str] = []
    for specs in pages_for(Role.MANAGER).values():
        for spec in specs:
            if spec.in_menu:  # the others (a 360, a lead, a ticket) are reached by links
                page.get_by_role("link", name=spec.title, exact=True).click()
                texts.append(_looks_right(page, spec.key))
    records = [f"/products?id={ids['product']}", f"/account?id={ids['account']}",
               f"/customer?id={ids['customer']}"]  # fmt: skip
    for path in records:  # restored from the cookie
        page.goto(f"{base}{path}")
        texts.append(_looks_right(page, path))
        assert "Signed in as" in texts[-1]
        if path.startswith("/products"):  # a product's name is shown in tables and its form
            boxes = page.locator("input[aria-label='Product name']")
            # the cookie's rerun can redraw the page after it looked idle (CI once saw no input)
            page.get_by_text("Product EVIL-1").wait_for(timeout=30_000)  # type: ignore[attr-defined]
            boxes.last.wait_for(state="attached", timeout=30_000)
            typed_names = boxes.evaluate_all("inputs => inputs.map(i => i.value)")
            assert f"Kopi {MARKUP}" in typed_names, typed_names
    assert ":red[RED]" in texts[-1]  # the customer's notes, shown as typed
    # each field's markup reached some page, and was shown there as typed
    typed = MARKUP.split(" [click]")[0]
    unseen = [n for n in ("Budi", "PT", "Eva", "Segmen", "Promo")
              if not any(f"{n} {typed}" in text for text in texts)]  # fmt: skip
    assert unseen == []
    assert fetched == []
    context.close()


def _looks_right(page: object, where: str) -> str:
    """The page ran without an error, has its title, and shows the markup only as text: no
    image fetched, no link, no colour; its text. A failing page leaves its screenshot in
    test-artifacts."""
    settle(page)
    try:
        assert_no_exception(page, where)
        assert page.locator("h1").first.inner_text(), f"{where} shows no title"  # type: ignore[attr-defined]
        assert page.locator(f"img[src*='{EVIL}']").count() == 0, where  # type: ignore[attr-defined]
        links = page.locator(f"a[href*='{EVIL}']")  # type: ignore[attr-defined]
        shown = [links.nth(i).evaluate("a => a.parentElement.outerHTML")[:300]
                 for i in range(min(3, links.count()))]  # fmt: skip
        assert shown == [], where
        red = page.locator("span[class*='red'], span[style*='color']").filter(has_text="RED")  # type: ignore[attr-defined]
        assert red.count() == 0, where
        # as a reader sees it: plain() puts an invisible word joiner after "http"
        return str(page.inner_text("body")).replace("\u2060", "")  # type: ignore[attr-defined]
    except AssertionError:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(  # type: ignore[attr-defined]
            path=str(ARTIFACTS / f"manager-{where.strip('/')[:40]}.png"), full_page=True
        )
        raise
