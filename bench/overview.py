"""Times the Overview (issue 13) on the benchmark's database: the business dashboard's first
view and its live refresh, the team page's figures and a salesperson's home.

    python -m bench.overview                         # SQLite, 100,000 customers
    python -m bench.overview --customers 20000 --backend postgresql

Seeds the same database as bench.run (or reuses it) and checks the goals in bench/goals.py.
A live refresh with nothing new reads the change mark and finds the figures in the page's
cache (the first line); after a new order it reads the mark and the orders from a little
below the newest one it holds, and recomputes the figures (the second).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bench.goals import GOALS
from bench.pages import page_times
from bench.run import AS_OF, database, peak_rss_mb, seeded, timed
from crm_core.customers import orders
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, Product, User
from crm_core.models.enums import Role
from crm_core.overview import dashboard, home, team
from db.session import session_scope

LAST_DAY = (AS_OF - timedelta(days=1)).date()
PERIOD = dashboard.Filters(LAST_DAY - timedelta(days=29), LAST_DAY)


def _actor(s: Any, role: Role) -> Actor:
    user = s.scalars(select(User).where(User.role == role, User.active)).first()
    assert user is not None, "the benchmark needs the demo users"
    return Actor(user.id, user.username, user.name, user.role)


def measure(engine: Any, runs: int) -> dict[str, float]:
    results: dict[str, float] = {}

    def run(label: str, work: Any, repeat: int = runs) -> Any:
        seconds, result = timed(repeat, work)
        results[label] = seconds
        print(f"  {label:<56} {seconds:8.3f} s")
        return result

    with session_scope(engine, write=False) as s:
        manager, sales = _actor(s, Role.MANAGER), _actor(s, Role.SALES)
        run("business dashboard: first view (30 days, all figures)",
            lambda: dashboard.dashboard(s, manager, PERIOD, AS_OF))  # fmt: skip
        run("business dashboard: live refresh, nothing new (mark)", lambda: dashboard.mark(s))
        year = dashboard.Filters(LAST_DAY - timedelta(days=364), LAST_DAY)
        run("business dashboard: a year, all figures",
            lambda: dashboard.dashboard(s, manager, year, AS_OF), 1)  # fmt: skip
        month = team.month_span(date(LAST_DAY.year, LAST_DAY.month, 1), "Asia/Jakarta")
        run("team: sales and support figures for a month",
            lambda: (team.sales_performance(s, manager, month),
                     team.support_performance(s, manager, month, AS_OF)))  # fmt: skip
        run("team: portfolio (stored value table)", lambda: team.portfolio(s, manager))
        run("a salesperson's home", lambda: home.my_home(s, sales, AS_OF, LAST_DAY))
    with session_scope(engine, write=False) as s:  # what the open dashboard holds
        since = dashboard.mark(s)
        held = dashboard.load(s, manager, PERIOD, AS_OF)
    with session_scope(engine) as s:  # one new order, as a colleague saves it
        manager = _actor(s, Role.MANAGER)
        customer = s.scalar(select(Customer.id).limit(1))
        product = s.scalar(select(Product.id).where(Product.active).limit(1))
        line = {"product_id": product, "quantity": 1}
        order = {"customer_id": customer, "ordered_at": AS_OF, "channel": "online"}
        orders.create_order(s, manager, {**order, "lines": [line]})
    with session_scope(engine, write=False) as s:
        after = "business dashboard: live refresh after a new order"
        run(after, lambda: dashboard.figures(
            dashboard.refresh(s, manager, PERIOD, AS_OF, held, since)))  # fmt: skip
    results["peak memory of the overview benchmark (MB)"] = peak_rss_mb()
    return results


def page_runs(engine: Any, runs: int) -> dict[str, float]:
    """The dashboard page through AppTest: its first view in this process, and a warm rerun
    (nothing new: the mark, then the cached figures, then the tiles drawn)."""
    with session_scope(engine, write=False) as s:
        manager = _actor(s, Role.MANAGER)
    return page_times(engine, "overview.dashboard", manager, runs, "dashboard page", 120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    engine = database(args.backend, args.customers)
    print(f"Overview benchmark on {args.backend}, {args.customers:,} customers")
    seeded(engine, args.customers)
    results = measure(engine, args.runs) | page_runs(engine, args.runs)
    missed = [k for k, v in results.items() if k in GOALS and v > GOALS[k]]
    for label in missed:
        print(f"  MISSED {label}: {results[label]:.3f} > {GOALS[label]}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
