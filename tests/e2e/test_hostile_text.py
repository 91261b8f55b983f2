"""Text a user typed stays text on every page: a customer whose name, address, notes, tags,
follow-up, touchpoint and ticket hold markdown (a remote image, a link, a colour) makes no
browser fetch anything, link anywhere or colour anything, wherever a manager looks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from e2e.test_browser import (  # noqa: F401 - the module's fixtures, used by name below
    _wait_healthy,
    assert_no_exception,
    browser,
    demo_database,
    settle,
    sign_in,
    start_server,
)

from crm_core.admin.users import actor_for
from crm_core.customers import interactions, tasks
from crm_core.customers import records as customers
from crm_core.models import User, utcnow
from crm_core.models.enums import Role
from crm_core.pages import pages_for
from crm_core.service import tickets
from db.engine import make_engine
from db.session import session_scope

EVIL = "evil.example"
MARKUP = f"![x](http://{EVIL}/p.png) [click](http://{EVIL}/go) :red[RED] **bold**"


@pytest.fixture
def hostile_server(demo_database: str, tmp_path: Path) -> Iterator[tuple[str, int]]:  # noqa: F811
    target = tmp_path / "hostile.db"
    shutil.copy(demo_database.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    with session_scope(engine) as s:
        manager = s.query(User).filter(User.username == "manager").one()
        actor = actor_for(manager)
        customer = customers.create_customer(
            s, actor, {"name": f"Budi {MARKUP}", "address": MARKUP, "city": "Bandung",
                       "notes": MARKUP, "tags": "vip, :red[tag]", "owner_id": manager.id},
            allow_duplicate=True,
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
        customer_id = customer.id
    engine.dispose()
    server, base = start_server(url)
    try:
        _wait_healthy(base, server)
        yield base, customer_id
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_markup_typed_into_every_field_stays_text_on_every_page(
    browser: object,  # noqa: F811 - the fixture imported above
    hostile_server: tuple[str, int],
) -> None:
    base, customer_id = hostile_server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    fetched: list[str] = []
    context.route(
        f"**/*{EVIL}*/**", lambda route: (fetched.append(route.request.url), route.abort())
    )
    page = context.new_page()
    page.goto(base)
    sign_in(page, "manager")
    visits = [f"/customer?id={customer_id}", "/customers", "/home", "/data-quality", "/audit"]
    seen = ("customers", "home", "data-quality", "audit")
    visits += [f"/{s.key}" for specs in pages_for(Role.MANAGER).values() for s in specs
               if s.in_menu and s.key not in seen]  # fmt: skip
    for path in visits:
        page.goto(f"{base}{path}")
        settle(page)
        assert_no_exception(page, path)
        assert fetched == [], path
        assert page.locator(f"img[src*='{EVIL}']").count() == 0, path
        links = page.locator(f"a[href*='{EVIL}']")
        where = [
            links.nth(i).evaluate("a => a.parentElement.outerHTML")[:300]
            for i in range(min(3, links.count()))
        ]
        assert links.count() == 0, (path, where)
        red = page.locator("span[class*='red'], span[style*='color']").filter(has_text="RED")
        assert red.count() == 0, path
    page.goto(f"{base}/customer?id={customer_id}")
    settle(page)
    assert ":red[RED]" in page.inner_text("body")  # shown as typed
    assert fetched == []
    context.close()
