"""The stored value read model: a full refresh, an incremental one after a new order, one
refresh at a time, the customers list filtered and sorted on the table, the command."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

import manage
from crm_core.customers import listing, value_store
from crm_core.customers import records as customers
from crm_core.customers import value as customer_value
from crm_core.customers.listing import CustomerFilter
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import value_settings
from crm_core.models import (
    CustomerValue,
    Interaction,
    Order,
    OrderItem,
    Product,
    Ticket,
    ValueRefresh,
    utcnow,
)
from crm_core.models.enums import Channel, Direction, Priority, SalesChannel, TicketCategory
from db.session import session_scope

AS_OF = datetime(2026, 6, 1)


def add_order(
    s: Session, customer_id: int, days_ago: int, quantity: int, discount: int = 0
) -> None:
    """An order of `quantity` x Kopi (100,000 each, cost 60,000), `days_ago` before AS_OF."""
    order_id = s.execute(
        insert(Order).returning(Order.id),
        [
            {
                "customer_id": customer_id,
                "ordered_at": AS_OF - timedelta(days=days_ago),
                "channel": SalesChannel.ONLINE,
                "discount": Decimal(discount),
            }
        ],
    ).scalar_one()
    s.execute(
        insert(OrderItem),
        [
            {
                "order_id": order_id,
                "product_id": 1,
                "quantity": quantity,
                "unit_price": Decimal("100000.10"),
                "unit_cost": Decimal(60_000),
            }
        ],
    )


@pytest.fixture
def shop(engine: Engine, manager: Actor) -> dict[str, int]:
    """Ani: 2 orders (3 x Kopi, 10,000 off); Budi: 1 Kopi, 3 tickets, 2 calls; Citra: nothing."""
    with session_scope(engine) as s:
        ids = {
            name: customers.create_customer(s, manager, {"name": name}).id
            for name in ("Ani", "Budi", "Citra")
        }
        s.execute(
            insert(Product),
            [{"id": 1, "sku": "KOPI", "name": "Kopi", "category": "Coffee",
              "price": 100_000, "unit_cost": 60_000}],
        )  # fmt: skip
        add_order(s, ids["Ani"], 10, 2, discount=10_000)
        add_order(s, ids["Ani"], 40, 1)
        add_order(s, ids["Budi"], 100, 1)
        s.execute(
            insert(Ticket),
            [
                {"customer_id": ids["Budi"], "subject": "Late", "channel": Channel.EMAIL,
                 "category": TicketCategory.DELIVERY, "priority": Priority.NORMAL,
                 "created_at": AS_OF - timedelta(days=d)}
                for d in (1, 2, 3)
            ],
        )  # fmt: skip
        s.execute(
            insert(Interaction),
            [
                {"customer_id": ids["Budi"], "channel": Channel.PHONE,
                 "direction": Direction.INBOUND, "subject": "Call",
                 "occurred_at": AS_OF - timedelta(days=d)}
                for d in (1, 2)
            ],
        )  # fmt: skip
    return ids


def stored(engine: Engine) -> dict[int, CustomerValue]:
    with session_scope(engine, write=False) as s:
        return {row.customer_id: row for row in s.scalars(select(CustomerValue))}


def test_a_full_refresh_stores_every_customers_figures_exactly(
    engine: Engine, shop: dict[str, int]
) -> None:
    result = value_store.refresh(partial(session_scope, engine), as_of=AS_OF)
    assert (result.kind, result.customers, result.as_of) == ("full", 3, AS_OF)
    rows = stored(engine)
    ani, budi, citra = (rows[shop[n]] for n in ("Ani", "Budi", "Citra"))
    # Ani, in cents: 3 x 100,000.10 = 300,000.30 gross, 10,000 off, goods 3 x 60,000; the
    # discount is a cost to serve: margin 120,000.30, profit 110,000.30
    assert (ani.gross_revenue, ani.discounts, ani.net_revenue) == (
        30_000_030,
        1_000_000,
        29_000_030,
    )
    assert (ani.gross_margin, ani.cost_to_serve, ani.profit) == (12_000_030, 1_000_000, 11_000_030)
    assert (ani.orders, ani.value_tier, ani.as_of) == (2, "Most Valuable", AS_OF)
    # Budi: margin 40,000.10 less 3 tickets x 25,000 and 2 calls x 5,000 (the default costs)
    assert (budi.profit, budi.tickets, budi.interactions) == (-4_499_990, 3, 2)
    assert budi.value_tier == "Below-Zero"
    assert (citra.orders, citra.value_tier, citra.rfm_segment) == (0, "No purchases yet", None)
    assert render(ani.tier_reason) == "Top 50% of profit: profit Rp 110K ranks 1 of 2"
    with session_scope(engine, write=False) as s:
        info = value_store.last_refresh(s)
        assert info is not None and (info.kind, info.as_of, info.customers) == ("full", AS_OF, 3)
        table = value_store.stored_value(s, shop["Ani"])
        assert table.frame.loc[shop["Ani"], "profit"] == 110_000.30  # the frame pages read
        assert table.as_of == AS_OF
        # The co-purchase rules are kept with the full refresh (no order here has two products)
        assert list(value_store.purchase_rules(s).columns) == [
            "antecedent", "consequent", "customers", "support", "confidence", "lift",
        ]  # fmt: skip


def test_a_new_order_reaches_only_its_customer_at_the_next_incremental_refresh(
    engine: Engine, shop: dict[str, int]
) -> None:
    op = partial(session_scope, engine)
    value_store.refresh(op, as_of=AS_OF)
    before = stored(engine)
    assert value_store.refresh(op, as_of=AS_OF).kind == "unchanged"  # nothing changed yet
    with session_scope(engine) as s:
        add_order(s, shop["Citra"], 3, 1)  # Citra's first order: 100,000.10, margin 40,000.10
    result = value_store.refresh(op, as_of=AS_OF)
    assert (result.kind, result.customers) == ("incremental", 1)
    after = stored(engine)
    citra = after[shop["Citra"]]
    assert (citra.orders, citra.net_revenue, citra.profit) == (1, 10_000_010, 4_000_010)
    # Scored against the kept cut-off (Ani's 110,000.30): below it, so Most Growable, ranked
    # second of the three buyers among the stored profits.
    assert citra.value_tier == "Most Growable"
    assert render(citra.tier_reason) == (
        "Profit Rp 40K ranks 2 of 3, outside the top 50% of profit: room to grow"
    )
    assert citra.rfm_segment is not None and citra.risk_band != "No purchases yet"
    with session_scope(engine, write=False) as s:  # the 360's "as of" line and model note
        info = value_store.last_refresh(s)
    assert info is not None and (info.kind, info.last_full_as_of) == ("incremental", AS_OF)
    assert info.clv_note is not None and "Not enough history" in render(info.clv_note)
    for name in ("Ani", "Budi"):  # untouched customers keep the row of the full refresh
        assert after[shop[name]].refresh_id == before[shop[name]].refresh_id
        assert after[shop[name]].computed_at == before[shop[name]].computed_at
    # A full refresh agrees with the incremental one on what it recomputed.
    value_store.refresh(op, as_of=AS_OF, full=True)
    again = stored(engine)[shop["Citra"]]
    assert (again.profit, again.value_tier, again.tier_reason) == (
        citra.profit, citra.value_tier, citra.tier_reason,
    )  # fmt: skip


def test_one_refresh_at_a_time_across_sessions(engine: Engine, shop: dict[str, int]) -> None:
    op = partial(session_scope, engine)
    # A refresh already running elsewhere (its claim in the table): this one does nothing.
    with session_scope(engine) as s:
        s.add(ValueRefresh(kind="running", started_at=utcnow(), as_of=AS_OF, population={}))
    assert value_store.refresh(op, as_of=AS_OF).kind == "busy"
    assert stored(engine) == {}
    with session_scope(engine) as s:
        s.execute(ValueRefresh.__table__.delete())
    if engine.dialect.name == "postgresql":  # another replica holding the advisory lock
        with engine.connect() as other:
            other.execute(text("SELECT pg_advisory_lock(7303061043)"))
            assert value_store.refresh(op, as_of=AS_OF).kind == "busy"
            other.execute(text("SELECT pg_advisory_unlock(7303061043)"))
    # Two at once: never two full refreshes; the other is busy or finds nothing changed.
    kinds: list[str] = []
    threads = [
        threading.Thread(target=lambda: kinds.append(value_store.refresh(op, as_of=AS_OF).kind))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kinds) in (["busy", "full"], ["full", "unchanged"])
    assert len(stored(engine)) == 3


def test_the_list_filters_sorts_and_pages_on_the_stored_table(
    engine: Engine, shop: dict[str, int], manager: Actor
) -> None:
    value_store.refresh(partial(session_scope, engine), as_of=AS_OF)
    with session_scope(engine) as s:
        late = customers.create_customer(s, manager, {"name": "Dewi"}).id  # not refreshed yet
    with session_scope(engine, write=False) as s:
        page = listing.search_customers(s, manager, sort_by="profit", descending=True, stored=True)
        assert list(page.rows["name"]) == ["Ani", "Citra", "Budi", "Dewi"]  # Dewi: none, last
        assert list(page.rows["profit"][:3]) == [110_000.30, 0.0, -44_999.90]
        assert page.rows.loc[3, "value_tier"] is None and page.rows.loc[3, "id"] == late
        tiers = CustomerFilter(value_tiers=("Below-Zero", "Most Valuable"))
        page = listing.search_customers(s, manager, tiers, sort_by="net_revenue", stored=True)
        assert (list(page.rows["name"]), page.total) == (["Budi", "Ani"], 2)
        second = listing.search_customers(
            s, manager, tiers, sort_by="net_revenue", stored=True, limit=1, offset=1
        )
        assert (list(second.rows["name"]), second.total) == (["Ani"], 2)
        assert list(page.rows.columns) == listing.list_columns()


def test_the_command_refreshes_full_then_incremental(
    engine: Engine, shop: dict[str, int], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setattr(manage, "_engine", lambda: engine)
    assert manage.main(["refresh-values"]) == 0
    assert "Full refresh: 3 customers" in capsys.readouterr().out
    with session_scope(engine) as s:
        add_order(s, shop["Citra"], 3, 1)
    assert manage.main(["refresh-values", "--incremental"]) == 0
    assert "Incremental refresh: 1 customers" in capsys.readouterr().out
    assert manage.main(["refresh-values"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert stored(engine)[shop["Citra"]].orders == 1


def test_the_app_servers_background_refresher_fills_an_empty_table(
    engine: Engine, shop: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import refresher

    monkeypatch.delenv(refresher.OFF, raising=False)
    url = f"{engine.url}#refresher-test"
    refresher.start(url, engine, every_seconds=3600)
    refresher.start(url, engine, every_seconds=3600)  # a second start: still one thread
    state = refresher.state(url)
    try:
        deadline = time.monotonic() + 60
        while len(stored(engine)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(stored(engine)) == 3 and state.last_error is None
        assert [t.name for t in threading.enumerate()].count("relasi-values") >= 1
    finally:
        state.stop.set()
        assert state.thread is not None
        state.thread.join(timeout=30)


def test_a_full_refresh_stores_the_tiers_of_the_last_quarter_end(
    engine: Engine, shop: dict[str, int]
) -> None:
    op = partial(session_scope, engine)
    value_store.refresh(op, as_of=AS_OF)
    quarter_end = date(2026, 3, 31)  # the quarter before 1 June's
    with session_scope(engine, write=False) as s:
        tiers = value_store.stored_tiers_on(s, quarter_end)
        assert value_store.stored_tiers_on(s, date(2026, 4, 30)) is None  # not stored: compute
        computed = customer_value.tiers_as_of(s, quarter_end, value_settings(s))
    assert tiers is not None
    # On 31 March only Budi had bought (his order of 21 February, his tickets came later).
    assert tiers.to_dict() == {
        shop["Ani"]: "No purchases yet", shop["Budi"]: "Most Valuable",
        shop["Citra"]: "No purchases yet",
    }  # fmt: skip
    assert tiers.to_dict() == computed.to_dict()
    # An incremental refresh keeps them; an order of March entered since reaches them with the
    # next full refresh: Citra's 3 x Kopi outearn Budi's one.
    with session_scope(engine) as s:
        add_order(s, shop["Citra"], 70, 3)
    assert value_store.refresh(op, as_of=AS_OF).kind == "incremental"
    with session_scope(engine, write=False) as s:
        kept = value_store.stored_tiers_on(s, quarter_end)
    assert kept is not None and kept.to_dict() == tiers.to_dict()
    value_store.refresh(op, as_of=AS_OF, full=True)
    with session_scope(engine, write=False) as s:
        again = value_store.stored_tiers_on(s, quarter_end)
    assert again is not None
    assert (again[shop["Citra"]], again[shop["Budi"]]) == ("Most Valuable", "Most Growable")
