"""The dashboard's lead conversion and pipeline value link to the Lead funnel and the Pipeline
with their period, region and owner; the page opened lists the very leads the figure counts.
A hand-made team in Jakarta (UTC+7): March 2026 is [28 Feb 17:00, 31 Mar 17:00) in UTC."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.overview import dashboard
from crm_core.overview.dashboard import Code
from crm_core.sales import analysis, leads, links, pipeline, read
from crm_core.sales.analysis import Counted
from crm_core.sales.pipeline import LeadFilter
from db.session import session_scope
from support import make_user

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))
NOW = datetime(2026, 5, 2, 9)
on = datetime  # a moment in UTC, as stored


def lead(
    engine: Engine,
    actor: Actor,
    name: str,
    owner: Actor,
    region: str,
    created: datetime,
    *,
    won: datetime | None = None,
    lost: datetime | None = None,
    value: int = 1_000_000,
) -> int:
    """A lead created at `created` (UTC), contacted an hour later, then won or lost if asked."""
    data = {"name": name, "source": "website", "value": value, "region": region}
    with session_scope(engine) as s:
        made = leads.create_lead(s, actor, {**data, "owner_id": owner.id}, now=created)
        lead_id = made.id
    with session_scope(engine) as s:
        leads.move_stage(s, actor, lead_id, 1, "contacted", now=created.replace(hour=1))
    with session_scope(engine) as s:
        if won:
            leads.move_stage(s, actor, lead_id, 2, "won", now=won)
        if lost:
            leads.mark_lost(s, actor, lead_id, 2, "price", now=lost)
    return lead_id


@pytest.fixture
def team(engine: Engine, manager: Actor) -> dict[str, int]:
    rina = make_user(engine, Role.SALES, "rina")
    m = manager
    return {
        "rina": rina.id,
        # Closed in March, in Bali, Rina's: L1 won, L3 lost (1 March, 01:00 in Jakarta).
        "L1": lead(engine, m, "L1", rina, "Bali", on(2026, 2, 10), won=on(2026, 3, 5, 9)),
        "L3": lead(engine, m, "L3", rina, "Bali", on(2026, 2, 20), lost=on(2026, 2, 28, 18)),
        # Lost at 01:00 on 1 April in Jakarta (still 31 March in UTC): April's.
        "L2": lead(engine, m, "L2", rina, "Bali", on(2026, 2, 15), lost=on(2026, 3, 31, 18)),
        # Another region; another owner.
        "L4": lead(engine, m, "L4", rina, "Jawa Barat", on(2026, 2, 1), won=on(2026, 3, 10)),
        "L5": lead(engine, m, "L5", m, "Bali", on(2026, 2, 1), won=on(2026, 3, 12)),
        # Open: Rina's in Bali, and two of Jawa Barat created at the edges of March in Jakarta.
        "L6": lead(engine, m, "L6", rina, "Bali", on(2026, 3, 3), value=2_000_000),
        "L7": lead(engine, m, "L7", rina, "Bali", on(2026, 4, 3), value=3_000_000),
        "L9": lead(engine, m, "L9", rina, "Jawa Barat", on(2026, 2, 28, 19)),
        "L10": lead(engine, m, "L10", rina, "Jawa Barat", on(2026, 3, 31, 18)),
    }  # fmt: skip


def _figure(
    engine: Engine, actor: Actor, code: Code, span: tuple[date, date], region: str, owner: int
) -> tuple[float | None, set[int]]:
    """The dashboard's figure of the period and the ids of the leads behind it."""
    with session_scope(engine, write=False) as s:
        frames = dashboard.load(s, actor, dashboard.Filters(*span, region, owner), NOW)
    start, end = frames.window.start, frames.window.end
    rows = dashboard.rows_behind(frames, code, start, end)
    assert rows is not None
    return dashboard.figure_value(frames, code, start, end), set(rows["id"])


def test_the_funnel_from_the_lead_conversion_link_lists_the_leads_the_figure_counts(
    engine: Engine, manager: Actor, team: dict[str, int]
) -> None:
    rina = team["rina"]
    value, behind = _figure(engine, manager, Code.LEAD_CONVERSION, MARCH, "Bali", rina)
    assert value == 0.5 and behind == {team["L1"], team["L3"]}  # by hand: L1 won, L3 lost

    address = read.funnel_address(*MARCH, "Bali", rina)
    assert address == {
        "from": "2026-03-01", "to": "2026-03-31", "counted": "closed", "region": "Bali",
        "owner": str(rina),
    }  # fmt: skip
    asked = links.funnel_from_address(address)
    assert asked == links.FunnelLink(*MARCH, "closed", "Bali", rina)
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(
            s, manager, *MARCH, region="Bali", owner_id=rina, counted=Counted.CLOSED
        )
        listed = analysis.reached_stage(s, manager, report, "new")
    assert set(listed["id"]) == behind
    assert report.kpis["win_rate"] == value
    assert (report.kpis["leads"], report.kpis["won"], report.kpis["lost"]) == (2, 1, 1)
    assert report.funnel["reached"].tolist() == [2, 2, 1, 1, 1, 1]  # L3 lost after Contacted
    # The month before (February): nothing of Rina's in Bali closed.
    assert report.previous["leads"] == 0
    # April's: L2 (lost at 01:00 on 1 April in Jakarta).
    with session_scope(engine, write=False) as s:
        april = analysis.funnel_report(
            s, manager, *APRIL, region="Bali", owner_id=rina, counted=Counted.CLOSED
        )
    assert april.kpis["lost"] == 1 and april.trend["month"].tolist() == ["2026-04"]


def test_the_funnel_counts_the_team_s_local_days(
    engine: Engine, manager: Actor, team: dict[str, int]
) -> None:
    # Created in March in Jakarta: L6, and L9 at 02:00 on 1 March (28 February in UTC); not
    # L10, created at 01:00 on 1 April (31 March in UTC).
    with session_scope(engine, write=False) as s:
        report = analysis.funnel_report(s, manager, *MARCH)
        created = analysis.reached_stage(s, manager, report, "new")
    assert sorted(created["name"]) == ["L6", "L9"]
    assert report.trend["month"].tolist() == ["2026-03"]
    with session_scope(engine, write=False) as s:
        java = analysis.funnel_report(s, manager, *MARCH, region="Jawa Barat")
    assert java.kpis["leads"] == 1  # L9


def test_the_pipeline_from_the_pipeline_value_link_lists_the_leads_the_figure_sums(
    engine: Engine, manager: Actor, team: dict[str, int]
) -> None:
    rina = make_actor(team["rina"])
    for reader in (manager, rina):
        # Open at the end of April, Rina's in Bali: L6 2,000,000 and L7 3,000,000.
        value, behind = _figure(engine, reader, Code.PIPELINE_VALUE, APRIL, "Bali", rina.id)
        assert value == 5_000_000 and behind == {team["L6"], team["L7"]}
        address = read.pipeline_address("Bali", rina.id)
        assert address == {"open": "1", "region": "Bali", "owner": str(rina.id)}
        asked = links.pipeline_from_address(address)
        assert asked == links.PipelineLink("Bali", rina.id, open_only=True)
        chosen = LeadFilter(region=asked.region, owner_id=asked.owner_id, open_only=True)
        with session_scope(engine, write=False) as s:
            found, total = pipeline.lead_list(s, reader, chosen)
            assert pipeline.open_total(s, reader, chosen) == (2, value)
            board = pipeline.board(s, reader, "new business", NOW, region="Bali", owner_id=rina.id)
        assert set(found["id"]) == behind and total == 2
        assert sum(column["value"] for column in board.values()) == value


def make_actor(user_id: int) -> Actor:
    return Actor(user_id, "rina", "Rina", Role.SALES)


def test_an_address_edited_by_hand_shows_more_never_an_error() -> None:
    assert links.funnel_from_address({"id": "3"}) is None
    odd = links.funnel_from_address({"from": "2026-04-01", "to": "2026-03-01", "owner": "x"})
    assert odd == links.FunnelLink()
    assert links.pipeline_from_address({}) is None
    assert links.pipeline_from_address({"owner": "7"}) == links.PipelineLink(owner_id=7)
