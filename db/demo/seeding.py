"""Runs the generators in dependency order and writes each table once, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crm_core.admin.users import hash_password
from crm_core.models import Base
from db.demo import activity, commerce, marketing, orders, people, sales, service, staff
from db.demo.context import Ctx
from db.demo.sizes import DemoSize
from db.demo.writer import Rows, counts, reset_sequences, write
from db.session import session_scope

Progress = Callable[[str, float], None]
# Steps in order, with their rough share of the work (big tables weigh most).
STEPS: tuple[tuple[str, float], ...] = (
    ("Staff and catalogue", 0.02),
    ("Accounts and customers", 0.08),
    ("Orders and order lines", 0.38),
    ("Segments and campaigns", 0.03),
    ("Leads and their stage changes", 0.06),
    ("Interactions", 0.33),
    ("Tickets and their events", 0.08),
    ("Tasks", 0.02),
)


def seed(
    engine: Engine,
    size: DemoSize,
    *,
    seed: int = 42,
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database with a coherent demo business; rows written per table.

    The same `seed` and `as_of` (naive UTC; default today 00:00 UTC) give identical data.
    Raises ValueError when the database already has customers or users."""
    ctx = Ctx.create(size, seed, as_of)
    report = progress or (lambda _step, _fraction: None)
    with session_scope(engine) as session:
        customers, users = counts(session)
        if customers or users:
            raise ValueError(
                f"demo data goes only into an empty database; this one has {customers} "
                f"customers and {users} users"
            )
        written = _Run(ctx, session, report).all()
        reset_sequences(session, [t for t in Base.metadata.sorted_tables if "id" in t.c])
    # Fresh statistics: without them PostgreSQL planned the first customer-list page at
    # 100,000 customers in 4.0 s instead of 0.04 s (measured), until autovacuum caught up.
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    report("Done", 1.0)
    return written


class _Run:
    """One seeding: each step builds its tables, writes them and keeps what later steps need."""

    def __init__(self, ctx: Ctx, session: Session, report: Progress) -> None:
        self.ctx, self.session, self.report = ctx, session, report
        self.written: dict[str, int] = {}
        self.done = 0.0

    def all(self) -> dict[str, int]:
        for (name, share), step in zip(STEPS, self._steps(), strict=True):
            self.report(name, self.done)
            step()
            self.done += share
        return self.written

    def _steps(self) -> list[Callable[[], None]]:
        return [self.staff, self.customers, self.orders, self.marketing, self.leads,
                self.interactions, self.tickets, self.tasks]  # fmt: skip

    def put(self, *tables: Rows) -> None:
        for rows in tables:
            self.written[rows.table.name] = write(self.session, rows)

    def staff(self) -> None:
        self.pools = staff.name_pools(self.ctx)
        # bcrypt is slow on purpose: hash the shared demo password once.
        self.staff_ = staff.build_staff(self.ctx, self.pools, hash_password(staff.DEMO_PASSWORD))
        self.catalog = commerce.build_catalog(self.ctx)
        self.put(self.staff_.rows, self.catalog.rows)

    def customers(self) -> None:
        ctx = self.ctx
        self.accounts = people.build_accounts(ctx, self.pools, self.staff_)
        self.people = people.build_customers(ctx, self.pools, self.staff_, self.accounts)
        c = self.people
        self.orders_ = orders.build_orders(ctx, c["first_order"], c["buying_since"], c["b2b"])
        subscribed = c["consent_email"] & (ctx.rng.random(c.n) < 0.6)
        self.history = orders.history(ctx, self.orders_, c.n, subscribed)
        people.finish_accounts(ctx, self.accounts, c)
        updated = np.maximum(c["created_at"], self.history.last)
        self.put(
            self.accounts.rows,
            people.customer_rows(c, self.history.stage, list(orders.STAGES), updated),
        )

    def orders(self) -> None:
        ctx, c, o = self.ctx, self.people, self.orders_
        favourite = commerce.favourites(ctx, c["profile"])[o.customer]
        lines = commerce.build_lines(
            ctx, self.catalog, favourite, c["profile"][o.customer], c["b2b"][o.customer]
        )
        discount = orders.discounts(ctx, o, lines, c["b2b"])
        cost = commerce.line_costs(lines, self.catalog, o.n)
        self.put(
            orders.order_rows(ctx, o, discount, lines.subtotal, cost),
            commerce.line_rows(lines, self.catalog),
        )

    def marketing(self) -> None:
        self.marketing_ = marketing.build_marketing(
            self.ctx, self.staff_, self.people, self.history.stage
        )
        m = self.marketing_
        self.put(m.segments, m.campaigns, m.members)

    def leads(self) -> None:
        self.leads_ = sales.build_leads(
            self.ctx, self.pools, self.staff_, self.people, self.accounts, self.marketing_
        )
        self.put(self.leads_.rows, self.leads_.changes)
        sales.refresh_read_model(self.session)

    def interactions(self) -> None:
        self.put(
            activity.build_interactions(
                self.ctx, self.staff_, self.people, self.history, self.orders_
            )
        )

    def tickets(self) -> None:
        self.put(*service.build_tickets(self.ctx, self.staff_, self.people, self.orders_))
        self.put(service.build_articles(self.ctx))

    def tasks(self) -> None:
        self.put(activity.build_tasks(self.ctx, self.staff_, self.people, self.leads_))
