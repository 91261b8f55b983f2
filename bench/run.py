"""Seeds a database at scale (or reuses it) and times what users wait for, against bench/goals.py.

    python -m bench.run                              # SQLite, 100,000 customers
    python -m bench.run --backend postgresql         # a `relasi_bench_100000` database
    python -m bench.run --customers 20000 --runs 5

The seeded database is kept (bench/.data/ or the PostgreSQL database) and reused next time.
Exits 1 when any goal is missed. Not part of the test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.goals import GOALS
from crm_core.customers import data_quality, offers, timeline
from crm_core.customers import listing as customer_list
from crm_core.customers import records as customers
from crm_core.customers.value import customer_values
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import ValueSettings, team_settings
from crm_core.marketing import cohorts, dashboard, segments
from crm_core.marketing.results import campaign_results
from crm_core.marketing.rules import parse_rule
from crm_core.models import CampaignMember, Customer, Interaction, User
from crm_core.models.enums import Priority, Role
from crm_core.service import figures, queues, sla
from db import demo
from db.engine import make_engine
from db.migrate import upgrade
from db.session import session_scope

HERE = Path(__file__).resolve().parent
AS_OF = datetime(2026, 11, 1)
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def database(backend: str, size: int) -> Engine:
    if backend == "sqlite":
        path = HERE / ".data" / f"bench-{size}.db"
        path.parent.mkdir(exist_ok=True)
        return make_engine(f"sqlite:///{path}")
    name = f"relasi_bench_{size}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_engine(str(make_url(PG_SERVER).set(database=name)))


def seeded(engine: Engine, size: int) -> float | None:
    """Seed if empty; the seconds it took, or None when the data was already there."""
    upgrade(engine)
    if not demo.is_empty(engine):
        return None
    started = time.perf_counter()
    demo.seed(engine, demo.size_for(size), as_of=AS_OF, progress=_progress)
    print()
    return time.perf_counter() - started


def _progress(step: str, done: float) -> None:
    print(f"\r  seeding [{done:>4.0%}] {step:<40}", end="", flush=True)


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(engine: Engine, runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    with session_scope(engine, write=False) as s:
        user = s.scalars(select(User).where(User.role == Role.SALES)).first()
        assert user is not None, "the benchmark needs the demo users"
        actor = Actor(user.id, user.username, user.name, user.role)
        busiest = s.scalar(
            select(Interaction.customer_id)
            .group_by(Interaction.customer_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        assert busiest is not None, "the benchmark needs the demo touchpoints"
        sample = s.get(Customer, busiest)
        assert sample is not None
        name_part = sample.name.split()[-1][1:5]
        phone_part = (sample.phone or "")[-6:]

        def run(label: str, work: Callable[[], Any], repeat: int = runs) -> Any:
            seconds, result = timed(repeat, work)
            results[label] = seconds
            print(f"  {label:<52} {seconds:8.3f} s")
            return result

        search = customer_list.search_customers
        flt = customer_list.CustomerFilter
        run("search customers by part of a name", lambda: search(s, actor, flt(query=name_part)))
        run("search customers by part of a phone", lambda: search(s, actor, flt(query=phone_part)))
        run("search customers by company", lambda: search(s, actor, flt(query="maju")))
        run("customers list, first page", lambda: search(s, actor))
        table = run(
            "customer value table (all customers)",
            lambda: customer_values(s, AS_OF, ValueSettings()),
            repeat=1,
        )
        values = table.frame
        results["value table in the cache (MB)"] = values.memory_usage(deep=True).sum() / 2**20
        run(
            "customers list filtered by tier, sorted by profit",
            lambda: search(
                s,
                actor,
                flt(value_tiers=("Most Valuable",)),
                values,
                sort_by="profit",
                descending=True,
            ),
        )
        rules = run("co-purchase rules (all buyers)", lambda: offers.purchase_rules(s, AS_OF), 1)

        def customer_360() -> None:
            customers.get_customer(s, actor, busiest)
            timeline.timeline_page(s, actor, busiest)
            values.loc[busiest]
            offers.offers_for(s, rules, busiest, AS_OF)

        run("customer 360: record, timeline page, offers", customer_360)
        manager = Actor(actor.id, actor.username, actor.name, Role.MANAGER)
        run("data quality: duplicate clusters", lambda: data_quality.duplicate_clusters(s, manager))
        run("data quality: field completeness", lambda: data_quality.field_completeness(s, manager))
        _marketing(s, manager, values, run)
        _service(s, manager, run)
    results["peak memory of the benchmark process (MB)"] = peak_rss_mb()
    return results


def _marketing(s: Session, manager: Actor, values: Any, run: Callable[..., Any]) -> None:
    """The Marketing figures: the segment dashboard, a rule over every customer, cohorts and
    churn, a campaign's results."""

    def dashboard_figures() -> None:
        frame = dashboard.segment_dashboard(s, manager, values, AS_OF)
        for by in ("value_tier", "rfm_segment", "region"):
            dashboard.breakdown(frame, by)
        dashboard.concentration(frame, "net_revenue")
        dashboard.concentration(frame, "tickets")

    run("segment dashboard: frame, splits, concentration", dashboard_figures)
    rule = parse_rule({"groups": [{"conditions": [
        {"field": "value_tier", "op": "in", "value": ["Most Growable"]},
        {"field": "region", "op": "in", "value": ["Jawa Barat"]},
        {"field": "days_since_last_order", "op": "at most", "value": 90},
    ]}]})  # fmt: skip
    run("saved segment count (a rule over every customer)",
        lambda: segments.members(s, manager, rule, values, AS_OF))  # fmt: skip
    run("cohorts, churn per month, lost customers",
        lambda: cohorts.customer_journey(s, manager, AS_OF, 90), 1)  # fmt: skip
    biggest = s.scalar(
        select(CampaignMember.campaign_id)
        .group_by(CampaignMember.campaign_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    if biggest is not None:
        run("campaign results (the largest campaign)",
            lambda: campaign_results(s, manager, biggest, AS_OF))  # fmt: skip


def _service(s: Any, manager: Actor, run: Callable[..., Any]) -> None:
    """The Service figures: the queues, the dashboard's figures, the what-if replay."""
    settings, policy = team_settings(s), sla.sla_policy(s)
    now = AS_OF
    run(
        "ticket queue: all open, with SLA states",
        lambda: queues.queue(s, manager, queues.Queue.OPEN, settings, policy, now),
    )
    run(
        "ticket queue: at risk and breached",
        lambda: queues.queue(s, manager, queues.Queue.AT_RISK, settings, policy, now),
    )
    start = now - timedelta(days=30)
    run(
        "service dashboard: 30 days of figures",
        lambda: figures.service_figures(s, manager, settings, start, now),
    )
    year = now - timedelta(days=365)
    _, frame = figures.service_figures(s, manager, settings, year, now)
    changed = sla.Target(120, policy[Priority.HIGH].resolution_minutes)
    run(
        "SLA what-if: a year of High tickets replayed",
        lambda: figures.what_if(s, frame, settings, policy, Priority.HIGH, changed),
    )
    run(
        "SLA what-if: a year of tickets, every priority",
        lambda: [figures.what_if(s, frame, settings, policy, p, policy[p]) for p in Priority],
        1,
    )


def report(results: dict[str, float], seconds_to_seed: float | None) -> bool:
    print("\n| measure | result | goal | |\n|---|---:|---:|---|")
    if seconds_to_seed is not None:
        print(f"| seeding the benchmark data | {seconds_to_seed:.1f} s | | |")
    ok = True
    for label, value in results.items():
        goal = GOALS.get(label)
        passed = goal is None or value <= goal
        ok &= passed
        unit = "" if "(MB)" in label else " s"
        goal_text = f"{goal:g}{unit}" if goal is not None else ""
        print(f"| {label} | {value:.3f}{unit} | {goal_text} | {'ok' if passed else 'MISSED'} |")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    engine = database(args.backend, args.customers)
    print(f"Benchmark on {args.backend}, {args.customers:,} customers")
    seconds_to_seed = seeded(engine, args.customers)
    results = measure(engine, args.runs)
    ok = report(results, seconds_to_seed)
    out = HERE / ".data" / f"results-{args.backend}-{args.customers}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"seed_seconds": seconds_to_seed, **results}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
