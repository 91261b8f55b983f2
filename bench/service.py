"""The Service figures at the issue's scale (100,000 tickets with their events).

    python -m bench.service                          # SQLite, bench/.data/service-100000.db
    python -m bench.service --backend postgresql     # a `relasi_service_100000` database

Seeds its own database once: the benchmark's 100,000 customers with 100,000 tickets (one per
customer on average, where bench.run's seed makes 0.3) and their events, as the demo seeder
makes them, then times the queues, the dashboard's figures, the ticket page and the what-if.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.goals import GOALS
from bench.run import AS_OF, HERE, peak_rss_mb
from bench.run import database as run_database
from crm_core.customers import value_store
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from crm_core.models import Ticket, TicketEvent, User
from crm_core.models.enums import Priority, Role, TicketStatus
from crm_core.service import csat, detail, figures, queues, routing, sla
from db import demo
from db.migrate import upgrade
from db.session import session_scope

CUSTOMERS = 100_000
TICKETS = 100_000


def database(backend: str) -> Engine:
    return run_database(backend, TICKETS, "service")


def seeded(engine: Engine) -> float | None:
    """Migrate; seed and refresh the value read model if empty; the seconds seeding took."""
    upgrade(engine)
    if not demo.is_empty(engine):
        return None
    started = time.perf_counter()
    size = dataclasses.replace(demo.size_for(CUSTOMERS), tickets=TICKETS)
    demo.seed(engine, size, as_of=AS_OF, progress=_progress)
    print()
    # the ticket page reads each customer's stored tier, CLV and churn risk
    value_store.refresh(partial(session_scope, engine), full=True, as_of=AS_OF)
    return time.perf_counter() - started


def _progress(step: str, done: float) -> None:
    print(f"\r  seeding [{done:>4.0%}] {step:<40}", end="", flush=True)


Timing = tuple[float, float]  # median wall seconds, median CPU seconds


def timed(runs: int, work: Callable[[], Any]) -> tuple[Timing, Any]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return (statistics.median(walls), statistics.median(cpus)), result


def _actor(session: Session, user: User | None) -> Actor:
    assert user is not None, "the benchmark needs the demo users"
    return Actor(user.id, user.username, user.name, user.role)


def busiest_agent(session: Session) -> Actor:
    """The support agent with the most open tickets: the longest "My tickets"."""
    open_ = [s for s in TicketStatus if s.is_open]
    agent_id = session.scalar(
        select(Ticket.assignee_id)
        .join(User, User.id == Ticket.assignee_id)
        .where(Ticket.status.in_(open_), User.role == Role.SUPPORT)
        .group_by(Ticket.assignee_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    return _actor(session, session.get(User, agent_id))


def longest_ticket(session: Session) -> int:
    """The ticket with the most events: the heaviest ticket page."""
    found = session.scalar(
        select(TicketEvent.ticket_id)
        .group_by(TicketEvent.ticket_id)
        .order_by(func.count().desc(), TicketEvent.ticket_id)
        .limit(1)
    )
    assert found is not None, "the benchmark needs the demo tickets"
    return int(found)


def figures_run(engine: Engine, runs: int) -> dict[str, Timing]:
    """crm_core's Service figures, at the data's moment, as the pages call them."""
    out: dict[str, Timing] = {}

    def run(label: str, work: Callable[[], Any], repeat: int = runs) -> Any:
        took, result = timed(repeat, work)
        out[label] = took
        print(f"  {label:<60} {took[0]:8.3f} s  (CPU {took[1]:.3f} s)", flush=True)
        return result

    with session_scope(engine, write=False) as s:
        manager = _actor(s, s.scalars(select(User).where(User.role == Role.MANAGER)).first())
        agent = busiest_agent(s)
        tiers = value_store.stored_values(s).frame["value_tier"]
        settings, policy, now = team_settings(s), sla.sla_policy(s), AS_OF

        def queue(actor: Actor, which: queues.Queue) -> Any:
            return queues.queue(s, actor, which, settings, policy, now, tiers=tiers)

        run("queue: all open (manager)", lambda: queue(manager, queues.Queue.OPEN))
        run("queue: my tickets (busiest agent)", lambda: queue(agent, queues.Queue.MINE))
        run("queue: at risk and breached", lambda: queue(manager, queues.Queue.AT_RISK))
        run("queue: unassigned", lambda: queue(manager, queues.Queue.UNASSIGNED))
        start, before = now - timedelta(days=30), now - timedelta(days=60)

        def dashboard() -> None:  # what the dashboard page computes, charts aside
            _, frame = figures.service_figures(s, manager, settings, start, now, tiers)
            figures.service_figures(s, manager, settings, before, start, tiers)
            csat.csat_figures(s, manager, start, now)
            figures.breakdown(frame, "agent")
            figures.hourly_heatmap(frame, settings)
            target = policy[Priority.NORMAL].first_response_minutes
            figures.staffing(s, frame, settings, start, now, 10.0, target, 0.8)
            figures.what_if(s, frame, settings, policy, Priority.HIGH, policy[Priority.HIGH])
            open_now = queues.queue(s, manager, queues.Queue.OPEN, settings, policy, now,
                                    limit=100_000)  # fmt: skip
            queues.likely_to_breach(open_now, 10.0, 4, len(routing.agents(s)))

        run("service dashboard: 30 days, every figure", dashboard)
        ticket_id = longest_ticket(s)
        run("ticket page: detail of the longest ticket",
            lambda: detail.ticket_detail(s, manager, ticket_id, now))  # fmt: skip
        year = now - timedelta(days=365)
        took, (_, frame) = timed(
            1, lambda: figures.service_figures(s, manager, settings, year, now)
        )
        out["a year's ticket frame (service_figures)"] = took
        print(f"  a year's ticket frame: {len(frame):,} tickets, {took[0]:.3f} s")
        changed = sla.Target(120, policy[Priority.HIGH].resolution_minutes)

        def replay(priority: Priority, target: sla.Target) -> Any:
            return figures.what_if(s, frame, settings, policy, priority, target)

        run("what-if: a year of High tickets replayed", lambda: replay(Priority.HIGH, changed))
        run("what-if: a year of tickets, every priority",
            lambda: [replay(p, policy[p]) for p in Priority])  # fmt: skip
    return out


PAGE_MODULES = ("tickets", "dashboard", "ticket", "_cache")


def page_run(
    engine: Engine, module: str, actor: Actor, runs: int, query: dict[str, str] | None = None
) -> tuple[Timing, Timing]:
    """app_pages.service.<module> through AppTest as `actor`: the first view, then the median
    of warm reruns. The pages' clock is set to the data's moment (the seed's as-of), so the
    queues and the dashboard's 30 days are those the seed made, not a month later."""
    import importlib

    from streamlit.testing.v1 import AppTest

    from ui.i18n import TEAM_KEY

    for name in PAGE_MODULES:
        module_ = importlib.import_module(f"app_pages.service.{name}")
        module_.utcnow = lambda: AS_OF  # type: ignore[attr-defined]  # a module, set by name
    os.environ["CRM_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    os.environ.setdefault("CRM_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)
    os.environ["RELASI_VALUE_REFRESH"] = "off"
    script = f"from app_pages.service.{module} import render\nrender()\n"
    at = AppTest.from_string(script, default_timeout=300)
    at.session_state["relasi_actor"] = actor
    with session_scope(engine, write=False) as session:  # as app.py's gate does each run
        at.session_state[TEAM_KEY] = team_settings(session)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    cold, _ = timed(1, at.run)
    assert not at.exception, at.exception
    warm, _ = timed(runs, at.run)
    assert not at.exception, at.exception
    return cold, warm


def pages_run(engine: Engine, runs: int) -> dict[str, Timing]:
    out: dict[str, Timing] = {}
    with session_scope(engine, write=False) as s:
        manager = _actor(s, s.scalars(select(User).where(User.role == Role.MANAGER)).first())
        agent = busiest_agent(s)
        ticket_id = longest_ticket(s)
    for name, module, actor, query in (
        ("Ticket queue page, my tickets (agent)", "tickets", agent, {"queue": "mine"}),
        ("Ticket queue page, all open (manager)", "tickets", manager, {"queue": "open"}),
        ("Ticket queue page, at risk (manager)", "tickets", manager, {"queue": "at risk"}),
        ("Service dashboard page (manager, 30 days)", "dashboard", manager, None),
        ("Ticket page, the longest ticket (agent)", "ticket", agent, {"id": str(ticket_id)}),
    ):
        cold, warm = page_run(engine, module, actor, runs, query)
        out[f"{name}: first view"] = cold
        out[f"{name}: warm rerun"] = warm
        print(f"  {name:<48} first {cold[0]:6.3f} s (CPU {cold[1]:.3f})  "
              f"warm {warm[0]:6.3f} s (CPU {warm[1]:.3f})", flush=True)  # fmt: skip
    return out


def report(results: dict[str, Timing]) -> bool:
    print("\n| measure | wall | CPU | goal | |\n|---|---:|---:|---:|---|")
    ok = True
    for label, (wall, cpu) in results.items():
        goal = GOALS.get(f"service: {label}")
        passed = goal is None or wall <= goal
        ok &= passed
        shown = f"{goal:g} s" if goal is not None else ""
        verdict = "" if goal is None else "ok" if passed else "MISSED"
        print(f"| {label} | {wall:.3f} s | {cpu:.3f} s | {shown} | {verdict} |")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--no-page", action="store_true", help="crm_core figures only")
    args = parser.parse_args(argv)
    engine = database(args.backend)
    print(f"Service benchmark on {args.backend}, {datetime.now():%Y-%m-%d %H:%M}")
    seconds = seeded(engine)
    if seconds is not None:
        print(f"  seeded in {seconds:.0f} s")
    if args.seed_only:
        return 0
    print(f"  load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} at the start")
    results = figures_run(engine, args.runs)
    if not args.no_page:
        results |= pages_run(engine, args.runs)
    load = os.getloadavg()
    ok = report(results)
    print(f"load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min); "
          f"peak memory {peak_rss_mb():.0f} MB")  # fmt: skip
    out = HERE / ".data" / f"service-{args.backend}-{TICKETS}.json"
    out.write_text(json.dumps({"load": load, **results}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
