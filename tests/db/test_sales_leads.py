"""Leads through the write path on SQLite and PostgreSQL: create, move, lose, reopen, convert,
bulk changes, assignment rules, settings and the stalled-lead follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from crm_core.customers import timeline
from crm_core.customers.duplicates import LikelyDuplicate
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Customer, Lead, LeadStageChange, Task
from crm_core.models.enums import Role
from crm_core.sales import leads, pipeline
from crm_core.sales.settings import read_sales_settings, update_sales_settings
from db.session import session_scope
from support import a_customer, make_user

T0 = datetime(2026, 3, 2, 9, 0)


def a_lead(engine: Engine, actor: Actor, **data: object) -> int:
    with session_scope(engine) as s:
        values = {"name": "Sari Dewi", "company": "Toko Sari", "source": "referral",
                  "value": "12500000", **data}  # fmt: skip
        return leads.create_lead(s, actor, values, now=T0).id


def version(engine: Engine, lead_id: int) -> int:
    with session_scope(engine, write=False) as s:
        return int(s.get_one(Lead, lead_id).version)


def test_a_sales_user_creates_a_lead_moves_it_to_won_and_each_move_is_in_the_history(
    engine: Engine, sales: Actor
) -> None:
    lead_id = a_lead(engine, sales)
    for i, stage in enumerate(["contacted", "qualified", "won"], start=1):
        with session_scope(engine) as s:
            leads.move_stage(s, sales, lead_id, version(engine, lead_id), stage,
                             now=T0 + timedelta(days=i))  # fmt: skip
    with session_scope(engine, write=False) as s:
        lead = s.get_one(Lead, lead_id)
        assert (lead.stage, lead.owner_id, lead.closed_at) == ("won", sales.id, T0 + timedelta(3))
        moved = pipeline.history(s, lead_id)
        audited = s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "lead")).all()
    assert moved[["from", "to"]].values.tolist() == [
        [None, "new"],
        ["new", "contacted"],
        ["contacted", "qualified"],
        ["qualified", "won"],
    ]
    assert set(moved["by"]) == {"Sales"}
    assert list(audited) == ["create", "update", "update", "update"]


def test_a_stale_version_is_a_conflict_and_nothing_moves(engine: Engine, sales: Actor) -> None:
    lead_id = a_lead(engine, sales)
    with session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 1, "contacted")
    with pytest.raises(ConflictError), session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 1, "qualified")
    with session_scope(engine, write=False) as s:
        assert s.get_one(Lead, lead_id).stage == "contacted"
        assert len(pipeline.history(s, lead_id)) == 2


def test_lost_needs_a_reason_from_the_list_and_reopening_goes_back_to_where_it_was(
    engine: Engine, sales: Actor
) -> None:
    lead_id = a_lead(engine, sales)
    with session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 1, "contacted")
    with pytest.raises(ValidationError) as bad, session_scope(engine) as s:
        leads.mark_lost(s, sales, lead_id, 2, "the moon was full")
    assert "reason" in bad.value.field_errors
    with pytest.raises(ValidationError), session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 2, "lost")
    with session_scope(engine) as s:
        leads.mark_lost(s, sales, lead_id, 2, "price", "Found it 20% cheaper elsewhere")
    with session_scope(engine, write=False) as s:
        lead = s.get_one(Lead, lead_id)
        assert (lead.stage, lead.lost_reason, lead.lost_note) == (
            "lost",
            "price",
            "Found it 20% cheaper elsewhere",
        )
    with session_scope(engine) as s:
        leads.reopen(s, sales, lead_id, 3)
    with session_scope(engine, write=False) as s:
        lead = s.get_one(Lead, lead_id)
        assert (lead.stage, lead.lost_reason, lead.closed_at) == ("contacted", None, None)


def test_sales_users_edit_only_their_own_leads_and_managers_all(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    other = make_user(engine, Role.SALES, "rina")
    lead_id = a_lead(engine, other)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 1, "contacted")
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        leads.create_lead(s, sales, {"name": "X", "source": "website", "owner_id": other.id})
    with session_scope(engine, write=False) as s:
        _mine, total = pipeline.lead_list(s, sales, pipeline.LeadFilter())
        assert total == 0
        everyone, total = pipeline.lead_list(s, manager, pipeline.LeadFilter())
        assert total == 1 and everyone["owner"].tolist() == ["Rina"]
    with session_scope(engine) as s:
        leads.update_lead(s, manager, lead_id, 1, {"owner_id": sales.id})
    with session_scope(engine, write=False) as s:
        assert pipeline.lead_list(s, sales, pipeline.LeadFilter())[1] == 1


def test_a_won_lead_converts_into_a_customer_and_account_with_its_history_on_the_timeline(
    engine: Engine, sales: Actor
) -> None:
    lead_id = a_lead(engine, sales, email="sari@tokosari.id", region="Jawa Barat")
    with session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 1, "won", now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError), session_scope(engine) as s:
        leads.reopen(s, sales, lead_id, 2, "nonsense")
    with session_scope(engine) as s:
        customer_id = leads.convert_lead(s, sales, lead_id, 2)
    with session_scope(engine, write=False) as s:
        customer = s.get_one(Customer, customer_id)
        assert (customer.name, customer.email, customer.region) == (
            "Sari Dewi",
            "sari@tokosari.id",
            "Jawa Barat",
        )
        assert customer.account_id is not None and customer.lifecycle_stage == "customer"
        feed = timeline.customer_timeline(s, sales, customer_id)
    lead_rows = [render(t) for t, k in zip(feed["title"], feed["kind"], strict=True) if k == "lead"]
    assert lead_rows == ["Lead Sari Dewi: new → won", "Lead Sari Dewi: opened as new"]
    with pytest.raises(ValidationError), session_scope(engine) as s:
        leads.convert_lead(s, sales, lead_id, 3)


def test_converting_a_likely_duplicate_refuses_and_linking_to_the_match_works(
    engine: Engine, sales: Actor
) -> None:
    existing = a_customer(engine, sales, name="Sari Dewi", email="sari@tokosari.id")
    lead_id = a_lead(engine, sales, email="SARI@tokosari.id", company=None)
    with session_scope(engine) as s:
        leads.move_stage(s, sales, lead_id, 1, "won")
    with pytest.raises(LikelyDuplicate) as dup, session_scope(engine) as s:
        leads.convert_lead(s, sales, lead_id, 2)
    assert [m.customer_id for m in dup.value.matches] == [existing]
    with session_scope(engine) as s:
        assert leads.convert_lead(s, sales, lead_id, 2, customer_id=existing) == existing
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(Customer.id).where(Customer.id != existing)) is None


def test_bulk_changes_are_all_or_nothing(engine: Engine, manager: Actor) -> None:
    ids = [a_lead(engine, manager, name=f"Lead {i}") for i in range(3)]
    with session_scope(engine) as s:
        assert leads.bulk_change(s, manager, [(i, 1) for i in ids], stage="contacted") == 3
    with pytest.raises(ConflictError), session_scope(engine) as s:
        leads.bulk_change(s, manager, [(ids[0], 2), (ids[1], 1)], lost_reason="timing")
    with session_scope(engine, write=False) as s:
        assert {s.get_one(Lead, i).stage for i in ids} == {"contacted"}


def test_the_assignment_rules_give_new_leads_round_robin_or_by_region(
    engine: Engine, manager: Actor
) -> None:
    ana, budi = make_user(engine, Role.SALES, "ana"), make_user(engine, Role.SALES, "budi")
    with session_scope(engine) as s:
        update_sales_settings(s, manager, 0, {"assignment_rule": "round robin",
                                              "assignment_pool": [ana.id, budi.id]})  # fmt: skip
    owners = [_owner(engine, a_lead(engine, manager, name=f"L{i}")) for i in range(3)]
    assert owners == [ana.id, budi.id, ana.id]
    with session_scope(engine) as s:
        update_sales_settings(s, manager, 1, {"assignment_rule": "by region",
                                              "by_region": {"Bali": budi.id}})  # fmt: skip
    assert _owner(engine, a_lead(engine, manager, region="bali")) == budi.id
    with session_scope(engine, write=False) as s:
        saved = read_sales_settings(s)
        audited = s.scalars(select(AuditEntry.changes).where(AuditEntry.entity == "setting")).all()
    assert saved.version == 2 and saved.changed_by == "Manager"
    assert "sales.by_region" in audited[-1]


def _owner(engine: Engine, lead_id: int) -> int | None:
    with session_scope(engine, write=False) as s:
        return s.get_one(Lead, lead_id).owner_id


def test_only_a_manager_changes_the_sales_settings_and_bad_pipelines_are_refused(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        update_sales_settings(s, sales, 0, {"lost_reasons": ["price"]})
    twice = [{"key": "a", "name": "A", "stages": [{"stage": "new", "probability": 0.1,
                                                   "usual_days": 3}] * 2}]  # fmt: skip
    with pytest.raises(ValidationError), session_scope(engine) as s:
        update_sales_settings(s, manager, 0, {"pipelines": twice})


def test_a_lead_stalled_past_its_stage_s_usual_days_gets_one_follow_up_for_its_owner(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    stalled = a_lead(engine, sales, name="Slow Lead")
    a_lead(engine, sales, name="Fresh Lead")
    with session_scope(engine) as s:
        s.get_one(LeadStageChange, 1).changed_at = T0 - timedelta(days=30)
    now = T0 + timedelta(days=2)  # "new" is usually 7 days: only the first is stalled
    with session_scope(engine) as s:
        assert pipeline.follow_up_stalled(s, manager, now) == 1
    with session_scope(engine) as s:
        assert pipeline.follow_up_stalled(s, manager, now) == 0  # it has an open follow-up
    with session_scope(engine, write=False) as s:
        task = s.scalars(select(Task)).one()
        assert (task.lead_id, task.owner_id) == (stalled, sales.id)
        assert task.title == "Slow Lead has been in new for 32 days: follow up"


def test_each_user_saves_named_views_of_the_lead_list(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    from crm_core.sales import views

    mine = pipeline.LeadFilter(stages=("new", "contacted"), search="toko")
    with session_scope(engine) as s:
        views.save_view(s, sales, "My open", mine, "value", False)
    with session_scope(engine) as s:
        views.save_view(s, sales, "My open", mine, "name", True)  # replaced, not doubled
    with session_scope(engine, write=False) as s:
        saved = views.saved_views(s, sales)
        assert views.saved_views(s, manager) == {}
    assert list(saved) == ["My open"]
    assert views.view_filter(saved["My open"]) == (mine, "name", True)
    with pytest.raises(ValidationError), session_scope(engine) as s:
        views.save_view(s, sales, " ", mine, "name", True)
    with session_scope(engine) as s:
        views.delete_view(s, sales, "My open")
    with session_scope(engine, write=False) as s:
        assert views.saved_views(s, sales) == {}


def test_the_command_line_makes_the_stalled_lead_follow_ups_for_cron(
    engine: Engine, manager: Actor, sales: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import manage

    a_lead(engine, sales, name="Slow Lead")
    with session_scope(engine) as s:
        s.get_one(LeadStageChange, 1).changed_at = datetime(2020, 1, 1)
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert manage.main(["follow-up-stalled", "--as", "manager"]) == 0
    with session_scope(engine, write=False) as s:
        titles = s.scalars(select(Task.title)).all()
    assert len(titles) == 1 and titles[0].startswith("Slow Lead has been in new for ")
