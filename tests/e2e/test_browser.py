"""Real-browser journeys: Chromium (Playwright) against `streamlit run app.py`.

Needs Debian's Chromium at /usr/bin/chromium (or RELASI_CHROMIUM). Without it these tests
skip with the reason; with RELASI_REQUIRE_BROWSER=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.load import IDLE_FOR_A_WHILE, QUIET_MS
from db import demo
from db.engine import make_engine
from db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RELASI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("RELASI_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; RELASI_REQUIRE_BROWSER=1 makes browser tests required")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'relasi.db'}"
    engine = make_engine(url)
    upgrade(engine)
    demo.seed(engine, demo.size_for(400), as_of=datetime(2026, 11, 1))
    engine.dispose()
    return url


def start_server(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_DEMO": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture
def fresh_server(demo_database: str) -> Iterator[str]:
    """A streamlit server that has served nobody yet."""
    server, base = start_server(demo_database)
    try:
        _wait_healthy(base, server)
        yield base
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """A throwaway server: asked to stop, then killed if it is still busy (after a load run
    it may be finishing sessions' runs for longer than is worth waiting)."""
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def settle(page: object) -> None:
    """Wait until Streamlit has finished the run the last action started."""
    page.evaluate("window.__relasiIdleSince = null")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        IDLE_FOR_A_WHILE, arg=[QUIET_MS], polling=100, timeout=45_000
    )


def assert_no_exception(page: object, where: str) -> None:
    shown = page.locator("[data-testid='stException']")  # type: ignore[attr-defined]
    assert shown.count() == 0, f"{where}: {shown.first.inner_text()[:800]}"


def sign_in(page: object, username: str, password: str = "demo") -> None:
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    settle(page)  # the cookie component's first report reruns the page: type after it
    page.get_by_role("textbox", name="Username").fill(username)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.get_by_text("Signed in as").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    settle(page)
    # The remember-me cookie lands a moment after the page: the browser runs the cookie
    # component of the run after sign-in. An address typed before then opens a new session
    # that finds no cookie and asks to sign in again (the Pipeline link of the Sales journey
    # did, on a busy machine); a person takes longer than that to type one.
    deadline = time.monotonic() + 30
    while not _remembered(page.context) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        page.wait_for_timeout(200)  # type: ignore[attr-defined]


def test_a_deep_link_to_a_freshly_started_server_leads_to_the_sign_in_page(
    browser: object, fresh_server: str
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{fresh_server}/users")  # the very first request this server gets
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    settle(page)
    body = page.inner_text("body")
    assert "Sign in to Relasi" in body
    assert "Signed in as" not in body and "Audit log" not in body
    assert "Page not found" not in body
    for path in ("/customers", "/customer?id=1", "/import", "/home", "/no-such-page"):
        page.goto(f"{fresh_server}{path}")
        page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
        assert "Signed in as" not in page.inner_text("body")
    page.goto(f"{fresh_server}/audit")
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    sign_in(page, "manager")
    assert page.locator("h1").first.inner_text() == "Audit log"  # the bookmark's page
    # The landing page at its own address (a manager's: the dashboard), and the root opening it
    # there: as Streamlit's default page it answered "Page not found" at /dashboard.
    for path in ("/dashboard", "/"):
        page.goto(f"{fresh_server}{path}")
        page.locator("h1").first.wait_for(timeout=30_000)
        settle(page)
        assert page.locator("h1").first.inner_text() == "Business dashboard"
        assert "Page not found" not in page.inner_text("body")
        assert page.url.endswith("/dashboard")
    if os.environ.get("RELASI_UPDATE_SCREENSHOT") == "1":  # the README's picture
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.get_by_role("link", name="Customers", exact=True).click()
        settle(page)
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
    page.close()


def test_back_from_a_customer_opened_in_the_list_finds_the_list_as_it_was(
    browser: object, fresh_server: str
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "manager")
    page.get_by_role("link", name="Customers", exact=True).click()
    settle(page)
    search = page.get_by_role("textbox", name="Search")
    search.fill("budi")
    search.press("Enter")
    settle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 150, box["y"] + 52)  # the first row's name: one click opens it
    settle(page)
    assert "Budi" in page.locator("h1").first.inner_text()
    page.get_by_role("link", name="← Back to Customers").click()
    settle(page)
    assert page.locator("h1").first.inner_text() == "Customers"
    assert page.get_by_role("textbox", name="Search").input_value() == "budi"
    page.close()


def _remembered(context: object) -> list[object]:
    cookies = context.cookies()  # type: ignore[attr-defined]
    return [c for c in cookies if c["name"] == "relasi_auth"]


def test_a_remembered_sign_in_opens_a_new_tab_and_signing_out_ends_it(
    browser: object, fresh_server: str
) -> None:
    context = browser.new_context(viewport={"width": 1300, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(fresh_server)
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    settle(page)
    # Nothing on the sign-in page answers the server by itself: such an answer reran the page
    # under the typing, and the sign-in came back as an empty form.
    assert page.locator("iframe").count() == 0
    sign_in(page, "sales")  # which waits for the remember-me cookie
    assert _remembered(context), "the browser was never given the remember-me cookie"
    second = context.new_page()  # a new session of the same browser
    second.goto(f"{fresh_server}/customers")
    second.get_by_text("Signed in as").wait_for(timeout=30_000)
    settle(second)
    assert second.locator("h1").first.inner_text() == "Customers"
    second.get_by_role("button", name="Sign out").click()
    second.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    deadline = time.monotonic() + 30
    while _remembered(context) and time.monotonic() < deadline:
        second.wait_for_timeout(200)
    assert _remembered(context) == []
    third = context.new_page()
    third.goto(f"{fresh_server}/customers")
    third.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    settle(third)
    assert "Signed in as" not in third.inner_text("body")
    context.close()


def test_a_menu_click_right_after_sign_in_keeps_the_remembered_sign_in(
    browser: object, fresh_server: str
) -> None:
    """Issue 9 item 8: the click comes before the browser stored the cookie (sign_in() waits
    for it; this journey does not). The click's run must offer the cookie again, so a new tab
    opened afterwards is still signed in. 1 try in 4 lost it before the fix: four tries."""
    for attempt in range(4):
        context = browser.new_context(viewport={"width": 1300, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(fresh_server)
        page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
        settle(page)
        page.get_by_role("textbox", name="Username").fill("manager")
        page.get_by_role("textbox", name="Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Signed in as").wait_for(timeout=30_000)
        page.get_by_role("link", name="Customers", exact=True).click()  # at once, no settle
        settle(page)
        # Late is fine (a person opens a tab seconds later); lost is the bug: the cookie never
        # comes, so this wait cannot hide it.
        deadline = time.monotonic() + 15
        while not _remembered(context) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        second = context.new_page()
        second.goto(f"{fresh_server}/audit")
        second.get_by_text("Signed in as").or_(
            second.get_by_role("button", name="Sign in")
        ).first.wait_for(timeout=30_000)
        settle(second)
        assert "Signed in as" in second.inner_text("body"), f"try {attempt + 1} of 4 was lost"
        assert second.locator("h1").first.inner_text() == "Audit log"
        context.close()


def test_a_forged_unsigned_cookie_leads_to_the_sign_in_form_not_a_traceback(
    browser: object, fresh_server: str
) -> None:
    def part(claims: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    forged = (
        f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'username': 'admin', 'exp_date': 4e9})}."
    )
    context = browser.new_context()  # type: ignore[attr-defined]
    context.add_cookies([{"name": "relasi_auth", "value": forged, "url": fresh_server}])
    page = context.new_page()
    page.goto(f"{fresh_server}/users")
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    settle(page)
    assert_no_exception(page, "a forged cookie")
    body = page.inner_text("body")
    assert "Signed in as" not in body and "Traceback" not in body
    context.close()


def test_a_bounded_load_run_of_four_sessions_clicking_and_saving_sees_no_error(
    fresh_server: str, demo_database: str
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from sqlalchemy import func, select

    from bench.load import SAVE_EVERY, run_load
    from crm_core.models import Interaction
    from db.session import session_scope

    # Every demo role may log a touchpoint, so SAVE_EVERY steps each means a save each.
    report = run_load(fresh_server, sessions=4, seconds=10, min_steps=SAVE_EVERY)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-run.json").write_text(json.dumps(report.summary(), indent=2))
    print(  # the figures, in the output (pytest -s, or the report of a failure)
        f"load run: {report.sessions} sessions, {len(report.page_times)} pages, "
        f"{len(report.errors)} errors, p50 {report.p50:.2f} s, p95 {report.p95:.2f} s"
    )
    assert report.errors == []
    assert len(report.page_times) >= 8  # every session got round some pages
    assert report.saves >= 4  # and each saved a form
    engine = make_engine(demo_database)
    with session_scope(engine, write=False) as s:
        logged = s.scalar(select(func.count()).where(Interaction.subject.like("Load run: %")))
    engine.dispose()
    assert logged == report.saves  # each confirmed save is stored, once


def test_the_support_agents_journey_from_my_tickets_to_the_customers_rating(
    browser: object, fresh_server: str, demo_database: str
) -> None:
    """My tickets most urgent first; a canned answer sent; resolved; the survey link opened
    by the customer without signing in; the rating lands on the ticket."""
    from sqlalchemy import select

    from crm_core.admin.users import actor_for
    from crm_core.models import Ticket, User
    from crm_core.models.enums import TicketStatus
    from crm_core.service import tickets
    from db.session import session_scope

    engine = make_engine(demo_database)
    with session_scope(engine) as s:  # a customer writes in; the manager gives it to Agus
        manager = actor_for(s.scalars(select(User).where(User.username == "manager")).one())
        agent_id = s.scalar(select(User.id).where(User.username == "support"))
        data = {
            "customer_id": 1,
            "subject": "Paket belum sampai",
            "category": "delivery",
            "priority": "urgent",
        }
        made = tickets.create_ticket(s, manager, data).ticket
        tickets.assign(s, manager, made.id, made.version, agent_id)
        ticket_id = made.id
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(fresh_server)
    sign_in(page, "support")
    page.get_by_role("link", name="Ticket queue", exact=True).click()
    settle(page)
    assert_no_exception(page, "Ticket queue")
    page.get_by_text("in this queue.").wait_for(timeout=60_000)  # after the value figures
    page.goto(f"{fresh_server}/ticket?id={ticket_id}")
    settle(page)
    assert_no_exception(page, "Ticket")
    if page.get_by_role("button", name="Insert").count():
        page.get_by_role("button", name="Insert").click()
        settle(page)
    box = page.get_by_label("Message")
    if not box.input_value():
        box.fill("Terima kasih, sudah kami proses.")
    page.get_by_role("button", name="Send", exact=True).click()
    settle(page)
    page.get_by_text("Reply sent.").wait_for(timeout=30_000)
    assert_no_exception(page, "reply")
    for attempt in range(3):  # a choice typed while a rerun redraws the box can be lost
        page.get_by_role("combobox", name="Move to").click()
        page.keyboard.type("resolved")
        page.keyboard.press("Enter")
        settle(page)
        page.get_by_role("button", name="Move", exact=True).click()
        page.get_by_text("Status changed.").wait_for(timeout=30_000)
        settle(page)
        try:
            page.get_by_role("button", name="Create a survey link").wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.get_by_role("button", name="Create a survey link").click()
    settle(page)
    link = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
    assert "/survey?ticket=" in link
    customer = browser.new_context().new_page()  # type: ignore[attr-defined]
    customer.goto(link)
    settle(customer)
    assert "How did we do?" in customer.inner_text("body")
    assert "Signed in as" not in customer.inner_text("body")
    customer.get_by_text("5", exact=True).click()
    settle(customer)
    customer.get_by_role("button", name="Send").click()
    customer.get_by_text("Thank you").wait_for(timeout=30_000)
    with session_scope(engine, write=False) as s:
        rated = s.get_one(Ticket, ticket_id)
        assert (rated.status, rated.csat) == (TicketStatus.RESOLVED, 5)
        assert rated.first_response_at is not None
    engine.dispose()
    page.close()
