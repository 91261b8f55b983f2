"""Dashboards on a read replica: with a replica's URL set, the business dashboard reads its
figures there (a replica that has not replayed a new order still shows the old revenue) while
the app migrates and saves on the primary; a replica that stops answering sends the dashboard
back to the primary. The test starts its own primary and streaming replica."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from overview_data import at, business
from sqlalchemy import Engine, text

from crm_core.models import Order, OrderItem, Product
from crm_core.models.enums import OrderStatus, Role, SalesChannel
from db.engine import make_engine
from db.migrate import upgrade
from db.session import session_scope
from pg_servers import PrivateServer, primary_in, private_root, replica_of, running
from support import make_user, page_as


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PrivateServer, PrivateServer]]:
    with private_root() as root, running(primary_in(root)) as primary:
        with running(replica_of(primary, root)) as replica:
            monkeypatch.setenv("CRM_DATABASE_URL", primary.url)
            monkeypatch.setenv("CRM_DATABASE_READ_URL", replica.url)
            monkeypatch.setenv("CRM_COOKIE_KEY", "Vt4q-9ZxR2mLw_8bKc1Ne7Ys0HfJu3Dp5GaQ")
            monkeypatch.setenv("RELASI_VALUE_REFRESH", "off")
            yield primary, replica


def caught_up(primary: Engine, replica: Engine) -> None:
    with primary.connect() as conn:
        lsn = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    for _ in range(200):
        with replica.connect() as conn:
            if conn.execute(text("SELECT pg_last_wal_replay_lsn() >= :lsn"), {"lsn": lsn}).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up in 10 s")


def march_revenue(manager: object) -> str:
    page = page_as("dashboard", manager).run()  # type: ignore[arg-type]
    page.date_input(key="dashboard-period").set_value((date(2026, 3, 1), date(2026, 3, 31)))
    page = page.run()
    assert not page.exception, page.exception
    return next(m.value for m in page.metric if m.label == "Revenue")


def a_march_order(engine: Engine, customer_id: int) -> None:
    with session_scope(engine) as s:
        product = s.query(Product).one()
        order = Order(customer_id=customer_id, ordered_at=at("2026-03-20"),
                      channel=SalesChannel.ONLINE, status=OrderStatus.COMPLETED,
                      discount=Decimal(0))  # fmt: skip
        s.add(order)
        s.flush()
        s.add(OrderItem(order_id=order.id, product_id=product.id, quantity=1,
                        unit_price=Decimal(60_000), unit_cost=Decimal(30_000)))  # fmt: skip


def test_the_dashboard_reads_the_replica_and_the_primary_when_the_replica_is_down(
    servers: tuple[PrivateServer, PrivateServer],
) -> None:
    primary_server, replica_server = servers
    primary, replica = make_engine(primary_server.url), make_engine(replica_server.url)
    upgrade(primary)
    staff = {role: make_user(primary, role) for role in (Role.MANAGER, Role.SALES, Role.SUPPORT)}
    with session_scope(primary) as s:
        ids = business(s, staff[Role.MANAGER], staff[Role.SALES], staff[Role.SUPPORT])
    caught_up(primary, replica)
    manager = staff[Role.MANAGER]
    assert march_revenue(manager) == "Rp 190K"  # Ani 90,000 and Budi 100,000, as on the primary

    with replica.connect() as conn:  # the replica falls behind: it replays nothing new
        conn.execute(text("SELECT pg_wal_replay_pause()"))
    a_march_order(primary, ids["citra"])
    assert march_revenue(manager) == "Rp 190K"  # read from the replica, which lacks the order

    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    caught_up(primary, replica)
    assert march_revenue(manager) == "Rp 250K"  # the replica has it now: 190,000 + 60,000

    replica.dispose()
    replica_server.ctl("stop", "-m", "fast")
    a_march_order(primary, ids["citra"])
    assert march_revenue(manager) == "Rp 310K"  # the replica is down: read from the primary
    primary.dispose()
