"""Segment membership at a past date on SQLite and PostgreSQL: the value figures of that date
and the attributes as the audit trail rebuilds them (region, tags, consent changed since read
as they were), checked by hand; and today's rule in SQL over the stored read model."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update

from crm_core.customers import records as customers
from crm_core.kernel import writepath
from crm_core.kernel.permissions import Actor
from crm_core.marketing import history, segments
from crm_core.marketing.rules import parse_rule
from crm_core.models import Account, AuditEntry, Customer
from db.session import session_scope

THEN = datetime(2026, 6, 30, 17, 0)  # the end of 30 June 2026 in Jakarta, in UTC


@pytest.fixture
def moved(engine: Engine, manager: Actor) -> dict[str, int]:
    """Budi lived in Jawa Barat, opted in to email, no tags until 1 October 2026, then moved
    to Bali, opted out and was tagged VIP. Siti has been in Bali all along. Rina was added
    in August. The company's industry changed from Retail to Hotel on 1 September."""
    with session_scope(engine) as s:
        hotel = Account(name="PT Maju", industry="Retail", employees=20)
        s.add(hotel)
        s.flush()
        ids = {
            "budi": customers.create_customer(s, manager, {
                "name": "Budi", "region": "Jawa Barat", "city": "Bandung",
                "consent_email": True, "account_id": hotel.id}).id,
            "siti": customers.create_customer(s, manager, {
                "name": "Siti", "region": "Bali", "city": "Denpasar", "tags": ["VIP"]}).id,
            "rina": customers.create_customer(s, manager, {"name": "Rina", "region": "Bali"}).id,
        }  # fmt: skip
        s.execute(update(Customer).values(created_at=datetime(2025, 1, 1)))
        s.execute(update(Customer).where(Customer.id == ids["rina"])
                  .values(created_at=datetime(2026, 8, 1)))  # fmt: skip
        s.execute(update(AuditEntry).values(at=datetime(2025, 1, 1)))
    with session_scope(engine) as s:
        moved = {"region": "Bali", "city": "Denpasar", "consent_email": False, "tags": ["VIP"]}
        customers.update_customer(s, manager, ids["budi"], 1, moved)
        account = s.get_one(Account, hotel.id)
        account.industry = "Hotel"  # as the accounts form would, audited below
        writepath.record_event(s, manager, "account", hotel.id, "update",
                               {"industry": ("Retail", "Hotel")})  # fmt: skip
    with session_scope(engine) as s:
        latest = s.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(2)).all()
        s.execute(update(AuditEntry).where(AuditEntry.id == latest[1])
                  .values(at=datetime(2026, 10, 1)))  # fmt: skip
        s.execute(update(AuditEntry).where(AuditEntry.id == latest[0])
                  .values(at=datetime(2026, 9, 1)))  # fmt: skip
    return ids


def value_table(ids: dict[str, int]) -> pd.DataFrame:
    """The value table of 30 June (hand-made): Budi Most Valuable then, Siti Most Growable."""
    return pd.DataFrame(
        {"value_tier": ["Most Valuable", "Most Growable"], "net_revenue": [5e6, 2e5],
         "last_order_at": pd.to_datetime(["2026-06-20", "2026-03-01"]),
         "first_order_at": pd.to_datetime(["2025-02-01", "2025-03-01"])},
        index=pd.Index([ids["budi"], ids["siti"]], name="customer_id"),
    )  # fmt: skip


def names(engine: Engine, actor: Actor, conditions: list[tuple[str, str, object]],
          values: pd.DataFrame | None, at: datetime, past: bool) -> list[str]:  # fmt: skip
    rule = parse_rule({"groups": [{"conditions": [
        {"field": f, "op": o, "value": v} for f, o, v in conditions]}]})  # fmt: skip
    with session_scope(engine) as s:
        ids = segments.members(s, actor, rule, values, at, past=past)
        return sorted(s.scalars(select(Customer.name).where(Customer.id.in_(ids))).all())


def test_attributes_are_rebuilt_from_the_audit_trail(
    engine: Engine, manager: Actor, moved: dict[str, int]
) -> None:
    import numpy as np

    with session_scope(engine) as s:
        order = np.array([moved["budi"], moved["siti"]])
        then = history.attributes_as_of(s, order, THEN)
        now = history.attributes_as_of(s, order, datetime(2026, 11, 30))
    assert then["region"].tolist() == ["Jawa Barat", "Bali"]
    assert then["city"].tolist() == ["Bandung", "Denpasar"]
    assert then.loc[moved["budi"], "consent_email"] is True
    assert then.loc[moved["budi"], "industry"] == "Retail"
    assert list(then.loc[moved["budi"], "tags"] or []) == []
    assert now["region"].tolist() == ["Bali", "Bali"] and now.iloc[0]["industry"] == "Hotel"


def test_a_past_date_reads_that_dates_attributes_tiers_and_customers(
    engine: Engine, manager: Actor, moved: dict[str, int]
) -> None:
    past = value_table(moved)
    jabar = [("region", "in", ["Jawa Barat"])]
    assert names(engine, manager, jabar, past, THEN, True) == ["Budi"]
    assert names(engine, manager, jabar, None, datetime(2026, 11, 30), False) == []
    bali_vip = [("region", "in", ["Bali"]), ("tags", "has any of", ["vip"])]
    assert names(engine, manager, bali_vip, past, THEN, True) == ["Siti"]  # Rina: not yet
    assert names(engine, manager, bali_vip, None, datetime(2026, 11, 30), False) == [
        "Budi", "Siti"]  # fmt: skip
    emailable_retail = [("consent_email", "yes", None), ("industry", "in", ["Retail"]),
                        ("value_tier", "in", ["Most Valuable"])]  # fmt: skip
    assert names(engine, manager, emailable_retail, past, THEN, True) == ["Budi"]
    # After the move: in September he still lived in Jawa Barat, the company was a hotel.
    september = datetime(2026, 9, 15)
    assert names(engine, manager, [("industry", "in", ["Hotel"])], past, september, True) == [
        "Budi"]  # fmt: skip
    assert names(engine, manager, jabar, past, september, True) == ["Budi"]
