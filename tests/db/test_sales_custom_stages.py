"""A manager names a pipeline's own stages, renames and reorders them through the settings
write (audited); leads move through them and the funnel, board and forecast follow; the read
model is rebuilt when the order changes; a stage holding open leads cannot be dropped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Lead
from crm_core.sales import analysis, leads, pipeline
from crm_core.sales import read as sales_read
from crm_core.sales.settings import read_sales_settings, update_sales_settings
from db.session import session_scope
from support import a_customer

JAN = datetime(2026, 1, 10, 9)
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def _save(engine: Engine, actor: Actor, stages: list[dict[str, Any]]) -> None:
    with session_scope(engine) as s:
        saved = read_sales_settings(s)
        pipelines = [dict(p) for p in saved.settings.pipelines]
        pipelines[0] = {**pipelines[0], "stages": stages}
        update_sales_settings(s, actor, saved.version, {"pipelines": pipelines})


def _stage(key: str, name: str | None = None, p: float = 0.3) -> dict[str, Any]:
    return {"stage": key, "name": name, "probability": p, "usual_days": 10}


def _walk(engine: Engine, actor: Actor, name: str, stages: list[str]) -> int:
    with session_scope(engine) as s:
        lead_id = leads.create_lead(s, actor, {"name": name, "source": "website"}, now=JAN).id
    for version, stage in enumerate(stages, start=1):
        with session_scope(engine) as s:
            at = JAN + timedelta(days=version)
            leads.move_stage(s, actor, lead_id, version, stage, now=at)
    return lead_id


def test_a_manager_s_own_stages_run_through_funnel_board_and_forecast(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    _save(engine, manager, [_stage("new"), _stage("", "Demo booked"), _stage("proposal")])
    with session_scope(engine, write=False) as s:
        stages = read_sales_settings(s).settings.stages("new business")
    assert stages == ["new", "custom-1", "proposal", "won"]
    with pytest.raises(PermissionDenied):
        _save(engine, sales, [_stage("new")])
    with pytest.raises(ValidationError):  # a new stage needs a name
        _save(engine, manager, [_stage("new"), _stage("custom-1", "Demo"), _stage("")])
    _walk(engine, manager, "A", ["custom-1", "proposal", "won"])
    _walk(engine, manager, "B", ["custom-1"])
    _walk(engine, manager, "C", ["proposal"])  # skipped the demo: counted as reached
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, manager, *Q1)
        board = pipeline.board(s, manager, "new business", JAN + timedelta(days=9))
        forecast = analysis.forecast_report(s, manager, datetime(2026, 4, 2), runs=100)
    assert report.funnel["reached"].tolist() == [3, 3, 2, 1]
    assert list(board) == ["new", "custom-1", "proposal"]
    assert board["custom-1"]["count"] == 1 and board["proposal"]["count"] == 1
    assert forecast.calibration["stage"].tolist() == ["new", "custom-1", "proposal"]

    # Renamed and moved after Proposal: B's furthest stage is now further than C's.
    _save(engine, manager, [_stage("new"), _stage("proposal"), _stage("custom-1", "Demo done")])
    with session_scope(engine, write=False) as s:
        saved = read_sales_settings(s)
        report = analysis.funnel_report(s, manager, *Q1)
        audited = s.scalars(select(AuditEntry).where(AuditEntry.entity == "setting")).all()
    assert saved.settings.stage_names() == {"custom-1": "Demo done"}
    assert report.stages == ["new", "proposal", "custom-1", "won"]
    assert report.funnel["reached"].tolist() == [3, 3, 2, 1]  # A, B, C; A, B; A
    assert len(audited) == 2  # each save that went through
    with pytest.raises(ValidationError):  # B is open in it
        _save(engine, manager, [_stage("new"), _stage("proposal")])


def test_a_customers_open_lead_in_an_own_stage_is_read_by_its_name_elsewhere(
    engine: Engine, manager: Actor
) -> None:
    """The Customer 360 and the account page list a customer's open leads through the Sales
    read module: a lead in a pipeline's own stage shows the name the manager gave it."""
    _save(engine, manager, [_stage("new"), _stage("", "Demo booked"), _stage("proposal")])
    customer_id = a_customer(engine, manager)
    demo = _walk(engine, manager, "Demo lead", ["custom-1"])
    fresh = _walk(engine, manager, "Fresh lead", [])
    with session_scope(engine) as s:
        for lead_id in (demo, fresh):
            s.get_one(Lead, lead_id).customer_id = customer_id  # leads about the customer
    with session_scope(engine, write=False) as s:
        shown = sales_read.open_leads(s, manager, customer_id)
    named = [name if isinstance(name, str) else None for name in shown["stage_name"]]
    by_name = dict(zip(shown["name"], named, strict=True))
    assert by_name == {"Demo lead": "Demo booked", "Fresh lead": None}  # built-in: translated
