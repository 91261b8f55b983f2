"""Deal values, revenue won and forecast amounts follow the money rule of the matrix
(`sees_amounts`): admin and manager read all, a salesperson its own leads', support none;
in the list, its export, the board, the funnel, a stage's leads, the forecast and the
customer's open leads. The matrix is widened here so that sales and support READ every lead:
what they may read is then decided by the amounts rule alone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from crm_core.customers import records
from crm_core.kernel import permissions
from crm_core.kernel.permissions import Actor, Scope
from crm_core.models import Lead
from crm_core.models.enums import Entity, Role
from crm_core.sales import analysis, lead_import, leads, pipeline
from crm_core.sales import read as sales_read
from crm_core.sales.pipeline import LeadFilter
from db.session import session_scope
from support import make_user

JAN = datetime(2026, 1, 10, 9)
AS_OF = datetime(2026, 4, 2, 9)
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
A = Scope.ALL


@pytest.fixture
def deals(engine: Engine, manager: Actor) -> dict[str, Any]:
    """Rina's lead (won, 4,000,000) and the manager's two (won 6,000,000; open 1,000,000,
    about a customer), all created in January."""
    rina = make_user(engine, Role.SALES, "rina")
    with session_scope(engine) as s:
        customer = records.create_customer(s, manager, {"name": "Budi", "email": "b@x.id"})
        owned = [
            (rina, "R", 4_000_000, None),
            (manager, "M", 6_000_000, None),
            (manager, "O", 1_000_000, customer.id),
        ]
        ids = []
        for who, name, value, about in owned:
            data = {"name": name, "source": "website", "value": value}
            lead = leads.create_lead(s, who, data, now=JAN)
            # a lead about a customer we have (as the demo's leads are)
            s.execute(update(Lead).where(Lead.id == lead.id).values(customer_id=about))
            ids.append((who, lead.id))
    for (who, lead_id), stages in zip(
        ids, (["won"], ["proposal", "won"], ["qualified"]), strict=True
    ):
        for step, stage in enumerate(stages, start=1):
            with session_scope(engine) as s:
                leads.move_stage(s, who, lead_id, step, stage, now=JAN + timedelta(days=step))
    return {"rina": rina, "customer_id": customer.id}


def _widened(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = permissions._MATRIX[Entity.LEAD]
    monkeypatch.setitem(matrix, Role.SALES, (A, A, A, A, Scope.NONE))
    monkeypatch.setitem(matrix, Role.SUPPORT, (A, A, A, A, Scope.NONE))


def _values(engine: Engine, actor: Actor) -> dict[str, float | None]:
    with session_scope(engine, write=False) as s:
        found, _total = pipeline.lead_list(s, actor, LeadFilter())
        exported = lead_import.export_leads(s, actor)
    assert dict(zip(exported["name"], exported["value"], strict=True)) == dict(
        zip(found["name"], found["value"], strict=True)
    )
    return dict(zip(found["name"], found["value"], strict=True))


def test_amounts_by_role(
    engine: Engine,
    manager: Actor,
    support: Actor,
    deals: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One set-up per engine (the suite's time budget), each role in turn."""
    _manager_reads_every_amount_and_sales_its_own(engine, manager, deals)
    _widened(monkeypatch)
    _sales_reading_every_lead_sees_only_its_own_amounts(engine, deals)
    _support_reading_every_lead_sees_no_amount(engine, support, deals)


def _manager_reads_every_amount_and_sales_its_own(
    engine: Engine, manager: Actor, deals: dict[str, Any]
) -> None:
    rina = deals["rina"]
    assert _values(engine, manager) == {"R": 4_000_000, "M": 6_000_000, "O": 1_000_000}
    assert _values(engine, rina) == {"R": 4_000_000}  # the default matrix: its own leads only
    with session_scope(engine, write=False) as s:
        mine = analysis.funnel_report(s, rina, *Q1)
        everyone = analysis.funnel_report(s, manager, *Q1)
    assert mine.kpis["won_value"] == 4_000_000 and mine.amounts
    assert everyone.kpis["won_value"] == 10_000_000
    assert everyone.kpis["average_won_value"] == pytest.approx(5_000_000)


def _sales_reading_every_lead_sees_only_its_own_amounts(
    engine: Engine, deals: dict[str, Any]
) -> None:
    rina = deals["rina"]
    assert _values(engine, rina) == {"R": 4_000_000, "M": None, "O": None}
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, rina, *Q1)
        won = analysis.reached_stage(s, rina, report, "won")
        board = pipeline.board(s, rina, "new business", AS_OF)
        forecast = analysis.forecast_report(s, rina, AS_OF, runs=200)
        about = sales_read.open_leads(s, rina, deals["customer_id"])
    assert report.kpis["won"] == 2  # counts are not amounts: every lead it reads
    assert report.kpis["won_value"] == 4_000_000  # but only its own lead's value
    assert dict(zip(won["name"], won["value"], strict=True)) == {"M": None, "R": 4_000_000}
    assert board["qualified"]["count"] == 1 and board["qualified"]["value"] == 0
    assert board["qualified"]["cards"]["value"].tolist() == [None]
    assert forecast.weighted.empty and forecast.bands.empty  # the open lead is the manager's
    assert forecast.open_leads == 1
    assert forecast.last_quarter["actual"].sum() == pytest.approx(4_000_000)
    assert about["value"].tolist() == [None]


def _support_reading_every_lead_sees_no_amount(
    engine: Engine, support: Actor, deals: dict[str, Any]
) -> None:
    assert _values(engine, support) == {"R": None, "M": None, "O": None}
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, support, *Q1)
        board = pipeline.board(s, support, "new business", AS_OF)
        forecast = analysis.forecast_report(s, support, AS_OF, runs=200)
        about = sales_read.open_leads(s, support, deals["customer_id"])
    assert report.kpis["won"] == 2 and not report.amounts
    assert report.kpis["won_value"] is None and report.kpis["average_won_value"] is None
    assert report.kpis["velocity"] is None
    assert board["qualified"]["value"] == 0
    assert not forecast.amounts and forecast.weighted.empty
    assert forecast.last_quarter["actual"].sum() == 0
    assert forecast.calibration.set_index("stage").loc["new", "closed"] == 2  # counts stay
    assert about["value"].tolist() == [None]
