"""Marketing's amounts follow the matrix on SQLite and PostgreSQL: the dashboard's splits, its
per-customer figures, the segment preview and rules on an amount, per role (admin and manager
every customer's, sales only its own customers', support none), from the stored read model."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from crm_core.customers import orders
from crm_core.customers import records as customers
from crm_core.customers.read import stored_values
from crm_core.kernel.permissions import Actor
from crm_core.marketing import dashboard, segments, splits
from crm_core.marketing.rules import parse_rule
from crm_core.models import Product, utcnow
from db.session import session_scope
from support import values_refreshed


@pytest.fixture
def shop(engine: Engine, manager: Actor, sales: Actor) -> dict[str, int]:
    """Ani (owned by the salesperson) bought 3 x 100,000; Bayu (the manager's) 1 x 100,000.
    Unit cost 40,000: gross margin 180,000 and 60,000 before the cost to serve."""
    with session_scope(engine) as s:
        kopi = Product(sku="K", name="Kopi", category="kopi", price=Decimal("100000"),
                       unit_cost=Decimal("40000"))  # fmt: skip
        s.add(kopi)
        s.flush()
        ids = {}
        for name, owner, quantity in (("Ani", sales.id, 3), ("Bayu", manager.id, 1)):
            ids[name] = customers.create_customer(s, manager, {
                "name": name, "region": "Jawa Barat", "owner_id": owner}).id  # fmt: skip
            orders.create_order(s, manager, {
                "customer_id": ids[name], "channel": "online",
                "ordered_at": (utcnow() - timedelta(days=2)).replace(microsecond=0).isoformat(),
                "lines": [{"product_id": kopi.id, "quantity": quantity}]})  # fmt: skip
    values_refreshed(engine)
    return ids


def test_the_region_split_sums_what_each_role_may_read(
    engine: Engine, shop: dict[str, int], admin: Actor, manager: Actor, sales: Actor,
    support: Actor,
) -> None:  # fmt: skip
    expected = {admin: 400_000.0, manager: 400_000.0, sales: 300_000.0, support: 0.0}
    with session_scope(engine) as s:
        for actor, revenue in expected.items():
            table = splits.split(s, actor, "region", utcnow()).set_index("group")
            assert table.loc["Jawa Barat", "customers"] == 2, actor.role  # counts: everyone
            assert table.loc["Jawa Barat", "net_revenue"] == revenue, actor.role
            frame = splits.per_customer(s, actor)
            seen = frame["net_revenue"].dropna().to_dict()
            assert sum(seen.values()) == revenue, actor.role
            assert list(frame["value_tier"].notna()) == [True, True]  # the tier stays
    # Every SQL split equals the frame breakdown that the unit tests check by hand.
    with session_scope(engine) as s:
        customers.update_customer(s, manager, shop["Ani"], 1, {
            "gender": "female", "birth_date": "1990-03-10", "city": "Bandung",
            "source": "referral"})  # fmt: skip
    with session_scope(engine) as s:
        table = stored_values(s)
        frame = dashboard.segment_dashboard(s, manager, table.frame, table.as_of)
        for by in dashboard.DIMENSIONS:
            in_sql = splits.split(s, manager, by, table.as_of).set_index("group")
            on_frame = dashboard.breakdown(frame, by).set_index("group")
            assert in_sql.index.tolist() == on_frame.index.tolist(), by
            for column in ("customers", "net_revenue", "profit"):
                assert in_sql[column].tolist() == on_frame[column].tolist(), (by, column)


def test_the_preview_and_amount_rules_hide_what_the_role_may_not_read(
    engine: Engine, shop: dict[str, int], manager: Actor, sales: Actor
) -> None:
    rule = parse_rule({"groups": [{"conditions": [
        {"field": "net_revenue", "op": "at least", "value": 50_000}]}]})  # fmt: skip
    ids = [shop["Ani"], shop["Bayu"]]
    with session_scope(engine) as s:
        assert segments.members(s, manager, rule, None, utcnow()) == ids
        assert segments.members(s, sales, rule, None, utcnow()) == [shop["Ani"]]
        shown = {a.role: segments.preview(s, a, ids, None).set_index("name")["net_revenue"]
                 for a in (manager, sales)}  # fmt: skip
    assert shown[manager.role].to_dict() == {"Ani": 300_000.0, "Bayu": 100_000.0}
    assert shown[sales.role]["Ani"] == 300_000.0 and shown[sales.role].isna()["Bayu"]
    # The same rule in SQL (today's path) and on the frame (a past date's path) agree.
    rule = parse_rule({"match": "any", "groups": [
        {"conditions": [{"field": "profit", "op": "at least", "value": 1},
                        {"field": "days_since_last_order", "op": "at most", "value": 2}]},
        {"conditions": [{"field": "value_tier", "op": "not in", "value": ["Most Valuable"]}]},
    ]})  # fmt: skip
    with session_scope(engine) as s:
        table = stored_values(s)
        in_sql = segments.members(s, manager, rule, None, table.as_of)
        on_frame = segments.members(s, manager, rule, table.frame, table.as_of)
    assert in_sql == on_frame == [shop["Ani"], shop["Bayu"]]
