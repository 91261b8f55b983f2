"""Five people open Customers at once on a fresh app server: how long each waits, and how much
memory the server holds (issue 8). Runs on the database `bench.run` seeded and refreshed.

    python -m bench.sessions                         # SQLite, 100,000 customers
    python -m bench.sessions --backend postgresql --sessions 5

A fresh `streamlit run app.py` on the bench database (the background value refresh off: the
benchmark refreshed the table, and a page never computes it), one Chromium (Playwright) with
one context per session; every session signs in as a manager, then all click Customers
together. The server's resident memory (its process and children, from /proc) is sampled
every 0.1 s: idle, its peak while the sessions worked, and when they all had their page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.async_api import TimeoutError as PageTimeout

from bench.load import CHROMIUM, FLAGS, QUIET_MS, LoadReport, settled, visit
from bench.run import HERE, database
from crm_core.models.enums import Role
from crm_core.pages import pages_for

ROOT = HERE.parent


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    for one in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(c) for c in listed]
    return out + [g for c in out for g in _children(c)]


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.window, self.done = pid, 0.0, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            now = rss_mb(self.pid)
            self.peak, self.window = max(self.peak, now), max(self.window, now)
            time.sleep(0.1)

    def window_peak(self) -> float:
        """The peak since the last call: one page's, when called after each page."""
        peak, self.window = self.window, rss_mb(self.pid)
        return peak


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_DEMO": "1", "RELASI_VALUE_REFRESH": "off"}
    env.setdefault("CRM_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true", "--server.address", "127.0.0.1"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
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


async def _settled(page: Any) -> None:
    await settled(page, timeout=300_000)


async def _sign_in_slowly(page: Any, report: LoadReport, tries: int = 3) -> None:
    """As bench.load signs in, with the patience a machine shared with other jobs needs."""
    for attempt in range(tries):
        await page.get_by_role("button", name="Sign in").wait_for(timeout=300_000)
        await _settled(page)
        await page.get_by_role("textbox", name="Username").fill("manager")
        await page.get_by_role("textbox", name="Password").fill("demo")
        await page.get_by_role("button", name="Sign in").click()
        try:
            await page.get_by_text("Signed in as").wait_for(timeout=180_000)
            return
        except PageTimeout:
            if attempt == tries - 1:
                raise
            report.sign_in_retries += 1


async def _one(
    browser: Any, base: str, turn: asyncio.Lock, ready: asyncio.Barrier, report: LoadReport
) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    try:
        async with turn:  # one sign-in at a time: what is timed is Customers, not bcrypt
            await page.goto(base, timeout=300_000)
            await _sign_in_slowly(page, report)
            await _settled(page)
        await ready.wait()  # everyone signed in: now all open Customers together
        started = time.monotonic()
        await page.get_by_role("link", name="Customers", exact=True).click()
        # the list's table drawn, and the run finished
        await page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=300_000)
        await _settled(page)
        report.page_times.append(time.monotonic() - started - QUIET_MS / 1000)
        if await page.locator("[data-testid='stException']").count():
            report.errors.append("the Customers page showed an error")
    finally:
        await context.close()


async def _sessions(base: str, sessions: int) -> LoadReport:
    from playwright.async_api import async_playwright

    report = LoadReport(sessions, 0.0)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        turn, ready = asyncio.Lock(), asyncio.Barrier(sessions)
        await asyncio.gather(*(_one(browser, base, turn, ready, report) for _ in range(sessions)))
        await browser.close()
    return report


async def _every_page(base: str, sampler: Sampler, pages: dict[str, list[float]]) -> LoadReport:
    """One manager opens every page of the menu in turn (the issue's memory measure); `pages`
    gets each page's peak and the memory held after it, in MB, and its wait in seconds."""
    from playwright.async_api import async_playwright

    report = LoadReport(1, 0.0)
    titles = [s.title for specs in pages_for(Role.MANAGER).values() for s in specs if s.in_menu]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await (await browser.new_context(viewport={"width": 1300, "height": 900})).new_page()
        await page.goto(base, timeout=300_000)
        await _sign_in_slowly(page, report)
        await _settled(page)
        pages["(sign-in and landing)"] = [
            round(sampler.window_peak(), 1),
            round(rss_mb(sampler.pid), 1),
        ]
        for title in titles:
            if not await visit(page, title, report, timeout=300_000):
                report.errors.append(f"{title} showed an error")
            seconds = round(report.page_times[-1], 2)  # the page's own wait, in the browser
            pages[title] = [round(sampler.window_peak(), 1), round(rss_mb(sampler.pid), 1), seconds]
        await browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--every-page", action="store_true", help="one manager opens every page instead"
    )
    args = parser.parse_args(argv)
    engine = database(args.backend, args.customers)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    server = start_server(url, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_healthy(base, server)
        idle = rss_mb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        pages: dict[str, list[float]] = {}
        walk = (
            _every_page(base, sampler, pages) if args.every_page else _sessions(base, args.sessions)
        )
        report = asyncio.run(walk)
        after = rss_mb(server.pid)
        sampler.done.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "backend": args.backend,
        "sessions": 1 if args.every_page else args.sessions,
        "page times (s)" if args.every_page else "Customers page times (s)": [
            round(t, 2) for t in sorted(report.page_times)
        ],
        "server memory idle (MB)": round(idle, 1),
        "server memory peak (MB)": round(sampler.peak, 1),
        "server memory after (MB)": round(after, 1),
        **({"each page: peak, after (MB), wait (s)": pages} if args.every_page else {}),
        "errors": report.errors,
        "sign-in retries": report.sign_in_retries,
    }
    print(json.dumps(result, indent=2))
    kind = "every-page" if args.every_page else "sessions"
    out = HERE / ".data" / f"{kind}-{args.backend}-{args.customers}.json"
    out.write_text(json.dumps(result, indent=2))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
