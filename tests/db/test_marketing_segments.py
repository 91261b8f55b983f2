"""Saved segments on SQLite and PostgreSQL: rules in AND / OR groups over attributes and value
figures, members today and at a past date, owner hand-over through the write path, and the
broadcast list that honours consent."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select, update

from crm_core.customers import records as customers
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.marketing import segments
from crm_core.marketing.rules import parse_rule
from crm_core.marketing.segments import Broadcast
from crm_core.models import Account, AuditEntry, Customer
from db.session import session_scope

NOW = datetime(2026, 12, 1, 12, 0)


@pytest.fixture
def book(engine: Engine, manager: Actor, sales: Actor) -> dict[str, int]:
    with session_scope(engine) as s:
        kopi = Account(name="PT Kopi Nusantara", industry="Café & coffee shop", employees=40)
        s.add(kopi)
        s.flush()
        rows = {
            "budi": {"name": "Budi Santoso", "email": "budi@example.com", "phone": "081234567890",
                     "city": "Bandung", "region": "Jawa Barat", "account_id": kopi.id,
                     "owner_id": sales.id, "tags": ["VIP"], "consent_email": True,
                     "birth_date": "1990-06-01", "gender": "male"},
            "siti": {"name": "Siti Rahmawati", "email": "siti@example.com",
                     "phone": "081399990000", "city": "Bekasi", "region": "Jawa Barat",
                     "owner_id": manager.id, "consent_sms": True, "birth_date": "2000-12-02",
                     "gender": "female"},
            "andi": {"name": "Andi Wijaya", "email": "andi@example.com", "city": "Jakarta",
                     "region": "DKI Jakarta", "owner_id": manager.id, "tags": ["wholesale"],
                     "consent_email": True},
            "dewi": {"name": "Dewi Lestari", "city": "Surabaya", "region": "Jawa Timur",
                     "owner_id": sales.id, "consent_email": True},
        }  # fmt: skip
        ids = {key: customers.create_customer(s, manager, data).id for key, data in rows.items()}
        # Dewi joined only in November 2026: before that she is in no segment.
        s.execute(
            update(Customer)
            .where(Customer.id == ids["dewi"])
            .values(created_at=datetime(2026, 11, 1))
        )
        s.execute(update(Customer).where(Customer.id != ids["dewi"]).values(
            created_at=datetime(2024, 1, 1)
        ))  # fmt: skip
    return ids


def values_at(book: dict[str, int], when: str) -> pd.DataFrame:
    """Hand-made value tables (the Customers area computes the real ones)."""
    rows = {  # tier, rfm, net revenue, last order, first order, churn risk
        "now": {
            "budi": ("Most Growable", "Loyal", 4e6, "2026-10-20", "2023-05-01", 0.20),
            "siti": ("Most Growable", "New Customers", 3e5, "2026-06-01", "2026-05-01", 0.55),
            "andi": ("Most Valuable", "Champions", 9e6, "2026-11-25", "2022-02-01", 0.05),
            "dewi": ("Below-Zero", "Hibernating", 1e5, "2026-11-10", "2026-11-10", 0.70),
        },
        "june": {
            "budi": ("Most Valuable", "Champions", 3e6, "2026-05-20", "2023-05-01", 0.10),
            "siti": ("Most Growable", "New Customers", 3e5, "2026-05-01", "2026-05-01", 0.30),
            "andi": ("Most Valuable", "Champions", 7e6, "2026-05-25", "2022-02-01", 0.05),
        },
    }[when]
    frame = pd.DataFrame(
        [(book[k], *v) for k, v in rows.items()],
        columns=["customer_id", "value_tier", "rfm_segment", "net_revenue", "last_order_at",
                 "first_order_at", "churn_risk"],
    ).set_index("customer_id")  # fmt: skip
    for column in ("last_order_at", "first_order_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.reindex(list(book.values()))


def rule(*groups: list[tuple[str, str, object]], match: str = "all") -> dict[str, object]:
    return {
        "match": match,
        "groups": [
            {"conditions": [{"field": f, "op": o, "value": v} for f, o, v in group]}
            for group in groups
        ],
    }


def names(engine: Engine, ids: list[int]) -> list[str]:
    with session_scope(engine) as s:
        return sorted(s.scalars(select(Customer.name).where(Customer.id.in_(ids))).all())


def members(engine: Engine, actor: Actor, stored: dict[str, object], values: pd.DataFrame,
            at: datetime = NOW) -> list[str]:  # fmt: skip
    with session_scope(engine) as s:
        ids = segments.members(s, actor, parse_rule(stored), values, at, past=at != NOW)
    return names(engine, ids)


def test_most_growable_in_jawa_barat_who_bought_in_the_last_90_days(
    engine: Engine, manager: Actor, book: dict[str, int]
) -> None:
    # Budi: Most Growable, Jawa Barat, bought 42 days ago. Siti: 183 days ago. Andi: Jakarta.
    wanted = rule([("value_tier", "in", ["Most Growable"]), ("region", "in", ["Jawa Barat"]),
                   ("days_since_last_order", "at most", 90)])  # fmt: skip
    assert members(engine, manager, wanted, values_at(book, "now")) == ["Budi Santoso"]


def test_or_groups_and_attribute_operators(
    engine: Engine, manager: Actor, book: dict[str, int]
) -> None:
    values = values_at(book, "now")
    either = rule([("tags", "has any of", ["vip"])], [("churn_risk", "at least", 60)], match="any")
    assert members(engine, manager, either, values) == ["Budi Santoso", "Dewi Lestari"]
    outside = rule([("region", "not in", ["Jawa Barat"]), ("tags", "has none of", ["wholesale"])])
    assert members(engine, manager, outside, values) == ["Dewi Lestari"]
    company = rule([("industry", "in", ["Café & coffee shop"]), ("employees", "at least", 10)])
    assert members(engine, manager, company, values) == ["Budi Santoso"]
    # Budi is 36 on 1 Dec 2026; Siti turned 26 on 2 Dec 2000 + 26 = ... she is 25 today.
    young = rule([("age", "at most", 25)])
    assert members(engine, manager, young, values) == ["Siti Rahmawati"]
    assert members(engine, manager, rule([("age", "at least", 36)]), values) == ["Budi Santoso"]
    consent = rule([("consent_email", "yes", None), ("gender", "is empty", None)])
    assert members(engine, manager, consent, values) == ["Andi Wijaya", "Dewi Lestari"]


def test_membership_at_a_past_date_uses_that_dates_figures_and_customers(
    engine: Engine, manager: Actor, book: dict[str, int]
) -> None:
    valuable = rule([("value_tier", "in", ["Most Valuable"])])
    assert members(engine, manager, valuable, values_at(book, "now")) == ["Andi Wijaya"]
    june = datetime(2026, 6, 30)
    assert members(engine, manager, valuable, values_at(book, "june"), june) == [
        "Andi Wijaya", "Budi Santoso",
    ]  # fmt: skip
    everyone = rule([("region", "is set", None)])
    assert "Dewi Lestari" not in members(engine, manager, everyone, values_at(book, "june"), june)


def test_the_older_flat_rules_still_read() -> None:
    old = parse_rule({"lifecycle_stage": ["repeat customer"], "region": ["DKI Jakarta"]})
    assert [(c.field, c.op.value, c.value) for c in old.groups[0].conditions] == [
        ("lifecycle_stage", "in", ["repeat customer"]), ("region", "in", ["DKI Jakarta"]),
    ]  # fmt: skip


def test_a_rule_value_is_bound_never_pasted_into_sql(
    engine: Engine, manager: Actor, book: dict[str, int]
) -> None:
    sneaky = rule([("city", "in", ["x') OR 1=1 --"])])
    assert members(engine, manager, sneaky, values_at(book, "now")) == []


def test_saving_editing_and_deleting_a_segment_is_audited(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    wanted = rule([("value_tier", "in", ["Most Growable"])])
    with session_scope(engine) as s:
        made = segments.create_segment(s, sales, {"name": "Growable", "rule": wanted})
        made_id = made.id
    with session_scope(engine) as s, pytest.raises(ValidationError) as taken:
        segments.create_segment(s, manager, {"name": "growable", "rule": wanted})
    assert taken.value.texts() == {"name": "Another segment already has this name."}
    with session_scope(engine) as s, pytest.raises(ValidationError) as bad:
        segments.create_segment(s, manager, {"name": "Bad", "rule": rule([("tier", "in", ["x"])])})
    assert "rule" in bad.value.field_errors or "groups" in bad.value.field_errors
    with session_scope(engine) as s:
        segments.update_segment(s, sales, made_id, 1, {"name": "Growable Java", "rule": wanted})
    with session_scope(engine) as s, pytest.raises(ConflictError):
        segments.update_segment(s, manager, made_id, 1, {"name": "Stale", "rule": wanted})
    with session_scope(engine) as s:
        listed = segments.list_segments(s, manager)
        assert list(listed["name"]) == ["Growable Java"]
        assert listed["owner"].iloc[0] == "Sales"
        segments.delete_segment(s, manager, made_id, 2)
    with session_scope(engine) as s:
        assert segments.list_segments(s, manager).empty
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "segment").order_by(AuditEntry.id)
        ).all()
    assert [str(a) for a in actions] == ["create", "update", "delete"]


def test_support_cannot_see_or_save_segments(engine: Engine, support: Actor) -> None:
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        segments.create_segment(s, support, {"name": "X", "rule": rule([("age", "is set", None)])})
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        segments.list_segments(s, support)


def test_assigning_a_segment_previews_who_changes_then_changes_them_audited(
    engine: Engine, manager: Actor, sales: Actor, book: dict[str, int]
) -> None:
    ids = [book["budi"], book["siti"], book["andi"]]
    with session_scope(engine) as s:
        changes = segments.owner_changes(s, ids, sales.id)
    assert list(changes["name"]) == ["Siti Rahmawati", "Andi Wijaya"]  # Budi is Sales' already
    versions = dict(zip(changes["id"], changes["version"], strict=True))
    with session_scope(engine) as s:
        assert segments.assign_owner(s, manager, sales.id, versions) == 2
    with session_scope(engine) as s:
        owners = s.scalars(select(Customer.owner_id).where(Customer.id.in_(ids))).all()
        assert set(owners) == {sales.id}
        trail = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "customer", AuditEntry.action == "update")
        ).all()
        assert sorted(e.entity_id for e in trail) == sorted([book["siti"], book["andi"]])
        assert all(e.changes["owner_id"] == {"old": manager.id, "new": sales.id} for e in trail)
    # The same preview read again is stale now: nothing is written.
    with session_scope(engine) as s, pytest.raises(ConflictError):
        segments.assign_owner(s, manager, manager.id, versions)


def test_a_salesperson_cannot_take_customers_they_do_not_own(
    engine: Engine, sales: Actor, book: dict[str, int]
) -> None:
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        segments.assign_owner(s, sales, sales.id, {book["andi"]: 1})


def test_the_broadcast_list_keeps_only_who_consented_and_can_be_reached(
    engine: Engine, manager: Actor, book: dict[str, int]
) -> None:
    ids = list(book.values())
    with session_scope(engine) as s:
        email, left_out = segments.broadcast_list(s, manager, ids, Broadcast.EMAIL)
        whatsapp, no_wa = segments.broadcast_list(s, manager, ids, Broadcast.WHATSAPP)
    # Dewi consented to email but has no address; Siti never consented to email.
    assert list(email["name"]) == ["Budi Santoso", "Andi Wijaya"] and left_out == 2
    assert list(whatsapp["phone"]) == ["+6281399990000"] and no_wa == 3
    assert np.isin(["id", "name", "phone"], whatsapp.columns).all()


def test_the_broadcast_counts_are_the_lists_without_reading_it(
    engine: Engine, manager: Actor, book: dict[str, int]
) -> None:
    ids = list(book.values())
    with session_scope(engine) as s:
        assert segments.broadcast_counts(s, manager, ids, Broadcast.EMAIL) == (2, 2)
        assert segments.broadcast_counts(s, manager, ids, Broadcast.WHATSAPP) == (1, 3)


def test_the_owner_preview_shows_the_first_who_change_and_counts_them_all(
    engine: Engine, manager: Actor, sales: Actor, book: dict[str, int]
) -> None:
    ids = [book["budi"], book["siti"], book["andi"], book["dewi"]]
    with session_scope(engine) as s:
        first = segments.owner_changes(s, ids, sales.id, limit=1)
        assert segments.owner_change_count(s, ids, sales.id) == 2  # Budi and Dewi are Sales'
        assert segments.owner_change_count(s, ids, manager.id) == 2
    assert list(first["name"]) == ["Siti Rahmawati"]
