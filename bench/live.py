"""The open dashboard over a long while (issue 13): a manager leaves the business dashboard
open in Chromium, it refreshes itself every few seconds, a colleague saves an order every
minute, and the app server's resident memory is sampled throughout.

    python -m bench.live --url sqlite:////tmp/copy-of-bench.db --minutes 60 --every 5

Writes to the database it is given (the refresh interval, one order a minute): give it a
copy. Prints the memory at start, its lowest and highest after the first ten minutes, and at
the end, with how many times the revenue figure changed on the open page.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bench.load import CHROMIUM, FLAGS
from bench.sessions import rss_mb, start_server, wait_healthy
from crm_core.admin import settings as admin_settings
from crm_core.admin.users import actor_for
from crm_core.customers import orders
from crm_core.models import Customer, Product, User, utcnow
from crm_core.models.enums import Role
from db.engine import make_engine
from db.session import session_scope


def _someone(s: Any, role: Role) -> Any:
    user = s.scalars(select(User).where(User.role == role, User.active)).first()
    assert user is not None, f"the database needs an active {role} (the demo users)"
    return actor_for(user)


def _prepare(url: str, every: int) -> None:
    engine = make_engine(url)
    with session_scope(engine) as s:
        admin = _someone(s, Role.ADMIN)
        version = admin_settings.read_team(s, admin).version
        admin_settings.update_team_settings(s, admin, version, {"dashboard_refresh_seconds": every})
    engine.dispose()


def _sell(url: str) -> None:
    """One order as a colleague saves it: today, one of the first product, to a customer."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        manager = _someone(s, Role.MANAGER)
        customer = s.scalar(select(Customer.id).where(Customer.deleted_at.is_(None)).limit(1))
        product = s.scalar(select(Product.id).where(Product.active).limit(1))
        line = {"product_id": product, "quantity": 1}
        order = {"customer_id": customer, "ordered_at": utcnow(), "channel": "online"}
        orders.create_order(s, manager, {**order, "lines": [line]})
    engine.dispose()


def _revenue(page: Any) -> str:
    tile = page.locator("[data-testid='stMetric']").filter(has_text="Revenue").first
    return str(tile.locator("[data-testid='stMetricValue']").inner_text(timeout=60_000))


def run(url: str, minutes: float, every: int, port: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    _prepare(url, every)
    server = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    samples: list[tuple[float, float]] = []
    changes = sold = 0
    try:
        wait_healthy(base, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base, timeout=300_000)
            page.get_by_role("button", name="Sign in").wait_for(timeout=300_000)
            page.get_by_role("textbox", name="Username").fill("manager")
            page.get_by_role("textbox", name="Password").fill("demo")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("Signed in as").wait_for(timeout=300_000)
            page.get_by_role("link", name="Business dashboard", exact=True).click()
            page.locator("[data-testid='stMetric']").first.wait_for(timeout=300_000)
            started, shown = time.monotonic(), _revenue(page)
            next_sale = started + 60
            while time.monotonic() - started < minutes * 60:
                page.wait_for_timeout(10_000)
                now = time.monotonic()
                samples.append((now - started, rss_mb(server.pid)))
                if now >= next_sale:
                    _sell(url)
                    sold, next_sale = sold + 1, next_sale + 60
                seen = _revenue(page)
                changes += seen != shown
                shown = seen
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    settled_ = [mb for at, mb in samples if at >= timedelta(minutes=10).total_seconds()]
    return {
        "minutes": minutes,
        "refresh every (s)": every,
        "orders saved": sold,
        "revenue changes seen without a click": changes,
        "server memory first sample (MB)": round(samples[0][1], 1) if samples else None,
        "after 10 min: lowest / highest (MB)": [round(min(settled_), 1), round(max(settled_), 1)]
        if settled_
        else None,
        "server memory last sample (MB)": round(samples[-1][1], 1) if samples else None,
        "every 5 min (MB)": [round(mb) for at, mb in samples][29::30],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a copy of a database: this writes to it")
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.minutes, args.every, args.port), indent=2))


if __name__ == "__main__":
    main()
