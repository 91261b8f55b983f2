"""Editing a campaign on SQLite and PostgreSQL: a draft changes in everything, audited field by
field over the version read; a launched one refuses what would change its test's measurement."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from crm_core.customers import records as customers
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.marketing import campaigns, segments
from crm_core.marketing.campaign_edits import edit_campaign
from crm_core.models import AuditEntry, Campaign, CampaignMember
from crm_core.models.enums import CampaignStatus, Entity
from db.session import session_scope

# 10 % -> 15 % at 5 % two-sided, 80 % power, Fleiss' formula worked with SciPy's norm.ppf
PLANNED_10_TO_15 = 686
RULE = {"groups": [{"conditions": [{"field": "region", "op": "in", "value": ["Bali"]}]}]}


@pytest.fixture
def planned(engine: Engine, manager: Actor) -> tuple[int, int, list[int]]:
    """A draft on segment "Bali" (10 customers); returns its id, a second segment, members."""
    with session_scope(engine) as s:
        ids = [customers.create_customer(s, manager, {"name": f"Warga {i}", "region": "Bali"}).id
               for i in range(10)]  # fmt: skip
        bali = segments.create_segment(s, manager, {"name": "Bali", "rule": RULE}).id
        other = segments.create_segment(s, manager, {"name": "Semua Bali", "rule": RULE}).id
        data = {"name": "Promo", "channel": "store", "segment_id": bali,
                "starts_on": "2026-11-01", "ends_on": "2026-11-14", "budget": "500000",
                "baseline_rate": 0.10, "min_uplift": 0.2, "seed": 7}  # fmt: skip
        return campaigns.plan_campaign(s, manager, data).id, other, ids


def edit(engine: Engine, actor: Actor, campaign_id: int, version: int, **data: object) -> dict:
    with session_scope(engine) as s:
        return edit_campaign(s, actor, campaign_id, version, data)


def test_a_draft_changes_in_everything_and_each_field_is_audited(
    engine: Engine, manager: Actor, planned: tuple[int, int, list[int]]
) -> None:
    campaign_id, other, _ids = planned
    changed = edit(engine, manager, campaign_id, 1, name="Promo Galungan", segment_id=other,
                   variants="Hemat, Premium, Gratis ongkir", ends_on="2026-11-30",
                   budget="750000", min_uplift=0.5, seed=11)  # fmt: skip
    assert set(changed) == {"name", "segment_id", "variants", "ends_on", "budget", "min_uplift",
                            "seed"}  # fmt: skip
    with session_scope(engine) as s:
        row = s.get_one(Campaign, campaign_id)
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.entity == Entity.CAMPAIGN, AuditEntry.action == "update")).one()  # fmt: skip
        assert (row.name, row.segment_id, row.version) == ("Promo Galungan", other, 2)
        assert row.variants == ["Hemat", "Premium", "Gratis ongkir"]
        assert (row.ends_on, row.budget) == (date(2026, 11, 30), Decimal("750000"))
        assert row.design["seed"] == 11 and row.design["min_uplift"] == 0.5
        assert row.design["planned_per_variant"] == PLANNED_10_TO_15
    assert entry.changes["name"] == {"old": "Promo", "new": "Promo Galungan"}
    assert entry.changes["seed"] == {"old": 7, "new": 11}
    assert edit(engine, manager, campaign_id, 2, name="Promo Galungan") == {}  # nothing new


def test_an_edit_over_a_stale_version_or_by_a_salesperson_is_refused(
    engine: Engine, manager: Actor, sales: Actor, planned: tuple[int, int, list[int]]
) -> None:
    campaign_id, _other, _ids = planned
    edit(engine, manager, campaign_id, 1, name="Promo 2")
    with pytest.raises(ConflictError):
        edit(engine, manager, campaign_id, 1, name="Promo 3")
    with pytest.raises(PermissionDenied):
        edit(engine, sales, campaign_id, 2, name="Promo 3")
    with pytest.raises(ValidationError) as bad:
        edit(engine, manager, campaign_id, 2, ends_on="2026-10-01")
    assert list(bad.value.texts().values()) == ["the campaign cannot end before it starts"]


def test_a_running_test_keeps_its_design_and_a_finished_one_its_end(
    engine: Engine, manager: Actor, planned: tuple[int, int, list[int]]
) -> None:
    campaign_id, other, ids = planned
    with session_scope(engine) as s:
        campaigns.launch(s, manager, campaign_id, 1, ids)
    with pytest.raises(ValidationError) as bad:
        edit(engine, manager, campaign_id, 2, variants="A, B, C", segment_id=other, alpha=0.1,
             seed=8, name="Promo baru")  # fmt: skip
    assert set(bad.value.field_errors) == {"variants", "segment_id", "alpha", "seed"}
    assert set(bad.value.texts().values()) == {
        "cannot change once the campaign is launched: it would change what its test measures"
    }
    assert edit(engine, manager, campaign_id, 2, name="Promo baru", budget="650000",
                ends_on="2026-11-21").keys() == {"name", "budget", "ends_on"}  # fmt: skip
    with session_scope(engine) as s:
        campaigns.finish(s, manager, campaign_id, 3)
    with pytest.raises(ValidationError) as late:
        edit(engine, manager, campaign_id, 4, ends_on="2026-11-28")
    assert list(late.value.field_errors) == ["ends_on"]
    assert edit(engine, manager, campaign_id, 4, budget="600000") == {
        "budget": (Decimal("650000"), Decimal("600000"))
    }
    with session_scope(engine) as s:
        row = s.get_one(Campaign, campaign_id)
        dealt = s.scalars(select(CampaignMember.variant).where(
            CampaignMember.campaign_id == campaign_id)).all()  # fmt: skip
    assert row.status is CampaignStatus.FINISHED and row.variants == ["A", "B"]
    assert sorted(dealt) == ["A"] * 5 + ["B"] * 5 and row.design["seed"] == 7


def test_campaign_revenue_is_for_who_reads_every_members_amounts(
    engine: Engine, manager: Actor, planned: tuple[int, int, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from crm_core.kernel import permissions
    from crm_core.marketing.results import campaign_results
    from crm_core.models.enums import Role

    campaign_id, _other, ids = planned
    with session_scope(engine) as s:
        campaigns.launch(s, manager, campaign_id, 1, ids)
    with session_scope(engine) as s:
        seen = campaign_results(s, manager, campaign_id, datetime(2026, 11, 30))
    assert (seen.revenue, seen.roi) == (0.0, -1.0)  # nothing bought, 500,000 spent
    # A matrix that gave managers only their own customers' amounts hides the revenue.
    monkeypatch.setitem(permissions._AMOUNTS, Role.MANAGER, permissions.Scope.OWN)
    with session_scope(engine) as s:
        hidden = campaign_results(s, manager, campaign_id, datetime(2026, 11, 30))
    assert (hidden.revenue, hidden.roi, hidden.incremental_revenue) == (None, None, None)
    assert hidden.table["revenue"].isna().all() and hidden.table["members"].sum() == 10
