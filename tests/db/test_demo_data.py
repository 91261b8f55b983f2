"""Demo data: the same seed gives the same business, a coherent one, only in an empty database."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import bcrypt
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, select, text

from crm_core.admin.users import actor_for
from crm_core.customers import records as customer_service
from crm_core.kernel.inputs import normalize_phone
from crm_core.models import Base, Customer, Order, Ticket, User
from crm_core.models.enums import OrderStatus, Role
from db.demo import SIZES, DemoSize, is_empty, seed, size_for
from db.demo.context import Ctx
from db.demo.people import build_accounts
from db.demo.staff import build_staff, name_pools
from db.engine import make_engine
from db.session import read_scope, session_scope

AS_OF = datetime(2026, 3, 1)
SMALL = size_for(300)
COMPARED_TABLES = ("users", "customers", "orders", "order_items", "leads", "tickets", "tasks")


@pytest.fixture
def seeded(engine: Engine) -> dict[str, int]:
    return seed(engine, SMALL, as_of=AS_OF)


def frame(engine: Engine, sql: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(text(sql)).mappings().all())


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Full contents of some tables, ordered by id; bcrypt salts (random by design) left out."""
    out = {}
    with engine.connect() as conn:
        for name in COMPARED_TABLES:
            table = Base.metadata.tables[name]
            columns = [c for c in table.c if c.name != "password_hash"]
            out[name] = [tuple(r) for r in conn.execute(select(*columns).order_by(table.c.id))]
    return out


def wipe(engine: Engine) -> None:
    with session_scope(engine) as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))


def test_the_same_seed_and_as_of_give_identical_data_and_another_seed_does_not(
    engine: Engine,
) -> None:
    seed(engine, SMALL, seed=42, as_of=AS_OF)
    first = dump(engine)
    wipe(engine)
    seed(engine, SMALL, seed=42, as_of=AS_OF)
    assert dump(engine) == first
    wipe(engine)
    seed(engine, SMALL, seed=7, as_of=AS_OF)
    other = dump(engine)
    assert other["customers"] != first["customers"]
    assert other["orders"] != first["orders"]


def test_seed_returns_the_rows_it_wrote_per_table(engine: Engine, seeded: dict[str, int]) -> None:
    with engine.connect() as conn:
        for name, written in seeded.items():
            assert (
                conn.scalar(select(func.count()).select_from(Base.metadata.tables[name])) == written
            )
    assert seeded["customers"] == SMALL.customers
    assert seeded["leads"] == SMALL.leads
    assert seeded["interactions"] == SMALL.interactions
    assert seeded["orders"] > SMALL.customers
    assert seeded["order_items"] > seeded["orders"]


def test_every_order_line_references_an_existing_order_and_product(
    engine: Engine, seeded: dict[str, int]
) -> None:
    orphans = frame(
        engine,
        "SELECT i.id FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
        "LEFT JOIN products p ON p.id = i.product_id WHERE o.id IS NULL OR p.id IS NULL",
    )
    assert orphans.empty
    lines = frame(
        engine,
        "SELECT i.unit_price, i.unit_cost, p.price, p.unit_cost AS cost, i.quantity "
        "FROM order_items i JOIN products p ON p.id = i.product_id",
    )
    assert (lines["unit_price"] == lines["price"]).all()
    assert (lines["unit_cost"] == lines["cost"]).all()
    assert (lines["quantity"] > 0).all()


def test_lifecycle_stages_follow_from_each_customers_orders(
    engine: Engine, seeded: dict[str, int]
) -> None:
    people = frame(engine, "SELECT id, lifecycle_stage FROM customers")
    bought = frame(
        engine,
        "SELECT customer_id AS id, COUNT(*) AS purchases, MAX(ordered_at) AS last "
        f"FROM orders WHERE status <> '{OrderStatus.CANCELLED.value}' GROUP BY customer_id",
    )
    both = people.merge(bought, on="id", how="left")
    both["purchases"] = both["purchases"].fillna(0)
    recent = pd.to_datetime(both["last"]) >= AS_OF - timedelta(days=365)
    repeat = both[(both["purchases"] >= 2) & recent]
    assert len(repeat) > 10
    assert (repeat["lifecycle_stage"] == "repeat customer").all()
    assert (both.loc[(both["purchases"] == 1) & recent, "lifecycle_stage"] == "customer").all()
    assert (both.loc[(both["purchases"] > 0) & ~recent, "lifecycle_stage"] == "churned").all()
    never = both.loc[both["purchases"] == 0, "lifecycle_stage"]
    assert set(never) == {"prospect", "subscriber"}


def test_referral_leads_are_won_more_often_than_cold_call_leads(
    engine: Engine, seeded: dict[str, int]
) -> None:
    closed = frame(engine, "SELECT source, stage FROM leads WHERE stage IN ('won', 'lost')")
    win_rate = closed.assign(won=closed["stage"] == "won").groupby("source")["won"].mean()
    assert win_rate["referral"] > win_rate["cold call"]
    lost = frame(engine, "SELECT lost_reason FROM leads WHERE stage = 'lost'")
    assert lost["lost_reason"].notna().all()
    assert set(lost["lost_reason"]) <= {
        "price",
        "chose competitor",
        "no budget",
        "no response",
        "timing",
    }


def test_every_lead_move_is_recorded_from_new_to_its_current_stage(
    engine: Engine, seeded: dict[str, int]
) -> None:
    leads = frame(engine, "SELECT id, stage, converted_customer_id FROM leads")
    moves = frame(
        engine, "SELECT lead_id, from_stage, to_stage FROM lead_stage_changes ORDER BY id"
    )
    last = moves.groupby("lead_id")["to_stage"].last()
    assert (leads.set_index("id")["stage"] == last.reindex(leads["id"]).to_numpy()).all()
    assert moves.groupby("lead_id").size().min() >= 1
    won = leads[leads["stage"] == "won"]
    assert won["converted_customer_id"].notna().mean() > 0.9


def test_some_tickets_breach_their_sla_and_most_do_not(
    engine: Engine, seeded: dict[str, int]
) -> None:
    tickets = frame(
        engine,
        "SELECT created_at, first_response_at, first_response_due, resolved_at, resolution_due, "
        "csat FROM tickets",
    )
    late_reply = tickets["first_response_at"] > tickets["first_response_due"]
    late_fix = tickets["resolved_at"] > tickets["resolution_due"]
    breached = (late_reply | late_fix).mean()
    assert 0.05 < breached < 0.35
    assert (
        tickets["first_response_at"].dropna()
        >= tickets["created_at"][tickets["first_response_at"].notna()]
    ).all()
    answered = tickets.dropna(subset=["resolved_at"])
    assert (answered["resolved_at"] > answered["first_response_at"]).all()
    rated = tickets.dropna(subset=["csat"])
    assert rated["csat"].between(1, 5).all()
    assert len(rated) > 0.5 * len(answered)


def test_a_customer_is_created_before_their_first_order(
    engine: Engine, seeded: dict[str, int]
) -> None:
    early = frame(
        engine,
        "SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id "
        "GROUP BY c.id, c.created_at HAVING MIN(o.ordered_at) <= c.created_at",
    )
    assert early.empty


def test_orders_fall_within_the_24_months_before_as_of(
    engine: Engine, seeded: dict[str, int]
) -> None:
    with read_scope(engine) as s:
        first, last = s.execute(
            select(func.min(Order.ordered_at), func.max(Order.ordered_at))
        ).one()
    assert AS_OF.replace(year=AS_OF.year - 2) <= first < last < AS_OF
    assert last > AS_OF - timedelta(days=7)  # the demo looks current


def test_nothing_has_happened_after_as_of(engine: Engine, seeded: dict[str, int]) -> None:
    columns = {
        "customers": "created_at",
        "interactions": "occurred_at",
        "tickets": "resolved_at",
        "ticket_events": "at",
        "lead_stage_changes": "changed_at",
        "tasks": "done_at",
        "campaign_members": "converted_at",
    }
    with engine.connect() as conn:
        for table, column in columns.items():
            latest = conn.scalar(text(f"SELECT MAX({column}) FROM {table}"))
            assert latest is not None and pd.Timestamp(latest) < AS_OF, table


def test_a_tickets_assignment_names_its_agent_as_the_app_writes_it(
    engine: Engine, seeded: dict[str, int]
) -> None:
    """The history reads an assignment's values as stored: the app stores the agent's name, and
    the demo once stored the username ("support" where the history should say the name)."""
    events = frame(engine, "SELECT to_value FROM ticket_events WHERE kind = 'assignment'")
    names = frame(engine, "SELECT name, username FROM users WHERE role = 'support'")
    assert len(events) == seeded["tickets"]
    assert set(events["to_value"]) <= set(names["name"])
    assert not set(events["to_value"]) & set(names["username"])


def test_the_four_demo_users_exist_with_their_roles_and_password_demo(
    engine: Engine, seeded: dict[str, int]
) -> None:
    with read_scope(engine) as s:
        demo = {u.username: u for u in s.scalars(select(User).where(User.is_demo.is_(True)))}
    for role in Role:
        assert demo[role.value].role == role
    hashes = {demo[role.value].password_hash for role in Role}  # hashed once, bcrypt is slow
    assert all(bcrypt.checkpw(b"demo", h.encode()) for h in hashes)
    support = [u for u in demo.values() if u.role == Role.SUPPORT]
    assert len(support) == 1 + SMALL.support_agents
    assert all(u.skills and "id" in u.languages for u in support)


def test_duplicates_share_a_normalised_email_or_phone_typed_differently(
    engine: Engine, seeded: dict[str, int]
) -> None:
    people = frame(engine, "SELECT email, email_normalized, phone, phone_normalized FROM customers")
    emails = people["email_normalized"].dropna()
    phones = people["phone_normalized"].dropna()
    assert emails.duplicated().sum() >= 1
    assert phones.duplicated().sum() >= 1
    assert (people["email"].dropna() != people["email_normalized"].dropna()).any()
    assert (emails == emails.str.lower()).all()
    for typed, stored in people.dropna(subset=["phone"])[["phone", "phone_normalized"]].itertuples(
        index=False
    ):
        assert normalize_phone(typed) == stored


def test_the_app_can_add_a_customer_after_seeding(engine: Engine, seeded: dict[str, int]) -> None:
    with session_scope(engine) as s:
        sales = s.scalar(select(User).where(User.username == "sales"))
        assert sales is not None
        created = customer_service.create_customer(
            s, actor_for(sales), {"name": "Nadia Putri", "email": "nadia@example.com"}
        )
        new_id = created.id
    assert new_id == SMALL.customers + 1
    with session_scope(engine) as s:
        s.add(Ticket(customer_id=new_id, subject="Hello", channel="email", category="other"))
        s.flush()


def test_seed_refuses_a_database_that_already_has_data(engine: Engine) -> None:
    assert is_empty(engine)
    seed(engine, SMALL, as_of=AS_OF)
    assert not is_empty(engine)
    with pytest.raises(ValueError, match="empty database"):
        seed(engine, SMALL, as_of=AS_OF)
    with read_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == SMALL.customers


def test_progress_is_reported_between_steps_and_ends_at_one(engine: Engine) -> None:
    seen: list[tuple[str, float]] = []
    seed(engine, SMALL, as_of=AS_OF, progress=lambda step, done: seen.append((step, done)))
    fractions = [done for _, done in seen]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0 and fractions[-1] == 1
    assert len(Counter(step for step, _ in seen)) == len(seen) >= 5


def test_sizes_scale_from_the_number_of_customers() -> None:
    demo, bench = SIZES["demo"], SIZES["bench"]
    assert isinstance(demo, DemoSize)
    assert (demo.customers, bench.customers) == (2000, 100_000)
    assert bench.interactions == 50 * demo.interactions
    assert bench.leads == 50 * demo.leads
    assert 120 <= demo.products <= bench.products <= 200
    assert demo.sales_reps < bench.sales_reps < 5 * demo.sales_reps
    assert size_for(2000) == demo


def test_the_demo_size_seeds_in_a_few_seconds_on_sqlite(
    sqlite_template: Path, tmp_path: Path
) -> None:
    target = tmp_path / "demo.db"
    shutil.copy(sqlite_template, target)
    engine = make_engine(f"sqlite:///{target}")
    started = time.perf_counter()
    written = seed(engine, size_for(2000), as_of=AS_OF)
    elapsed = time.perf_counter() - started
    engine.dispose()
    print(f"\nseed(size_for(2000)) on SQLite: {elapsed:.2f} s, {sum(written.values()):,} rows")
    assert written["customers"] == 2000


def test_account_revenues_fit_the_money_column_even_at_bench_size() -> None:
    ctx = Ctx.create(SIZES["bench"], 42, AS_OF)
    pools = name_pools(ctx)
    accounts = build_accounts(ctx, pools, build_staff(ctx, pools, "hash"))
    revenue = accounts.rows.columns["annual_revenue"]
    assert revenue.rupiah.max() < 10**12  # type: ignore[union-attr]  # Numeric(14, 2)
