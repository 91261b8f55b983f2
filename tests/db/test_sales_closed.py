"""The forecast's closed counts (lead_closed_counts) on SQLite and PostgreSQL: hand-checked
rows after a lead is won, lost, reopened, given to another owner or pipeline and deleted by an
import revert, each time equal to counting every closed lead afresh; and the forecast's
learned counts equal to counting the raw rows of its whole history."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from crm_core.exchange.registry import importer
from crm_core.kernel.permissions import Actor
from crm_core.models import Lead, LeadClosedCount
from crm_core.models.enums import Role
from crm_core.sales import closed, figures, leads
from crm_core.sales.settings import sales_settings
from db.session import session_scope
from support import make_user

T0 = datetime(2026, 3, 2, 9, 0)
NB, MARCH, APRIL = "new business", date(2026, 3, 1), date(2026, 4, 1)
Row = tuple[date, int | None, str, str, bool, int | None, int]


def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Rows in one order (None sorts first: a furthest-stage row before its stage's buckets)."""
    return tuple(-1 if v is None else v for v in row)


def stored(engine: Engine) -> list[Row]:
    """The stored rows, and (checked here) the same as counting every closed lead afresh."""
    c = LeadClosedCount
    stmt = select(c.closed_month, c.owner_id, c.pipeline, c.stage, c.won, c.min_days, c.leads)
    with session_scope(engine) as s:
        held = sorted((tuple(r) for r in s.execute(stmt)), key=key)
        closed.rebuild(s)
        afresh = sorted((tuple(r) for r in s.execute(stmt)), key=key)
        s.rollback()
    assert held == afresh
    return held  # type: ignore[return-value]  # rows of the seven columns above


def a_lead(engine: Engine, actor: Actor, **data: Any) -> int:
    with session_scope(engine) as s:
        values = {"name": "Sari", "source": "referral", "value": "1000000", **data}
        return leads.create_lead(s, actor, values, now=T0).id


def version(engine: Engine, lead_id: int) -> int:
    with session_scope(engine, write=False) as s:
        return int(s.get_one(Lead, lead_id).version)


def move(engine: Engine, actor: Actor, lead_id: int, stage: str, days: float) -> None:
    with session_scope(engine) as s:
        at = T0 + timedelta(days=days)
        v = version(engine, lead_id)
        if stage == "lost":
            leads.mark_lost(s, actor, lead_id, v, sales_settings(s).lost_reasons[0], now=at)
        elif stage == "reopen":
            leads.reopen(s, actor, lead_id, v, now=at)
        else:
            leads.move_stage(s, actor, lead_id, v, stage, now=at)


def test_a_won_and_a_lost_lead_are_counted_by_month_owner_and_days_in_each_stage(
    engine: Engine, sales: Actor
) -> None:
    won, lost = a_lead(engine, sales), a_lead(engine, sales)
    assert stored(engine) == []
    move(engine, sales, won, "contacted", 2)
    move(engine, sales, won, "won", 10)  # 2 days new, 8 contacted: closed 12 March
    move(engine, sales, lost, "lost", 40)  # 40 days new: closed 11 April
    me = sales.id
    assert stored(engine) == [
        (MARCH, me, NB, "contacted", True, 7, 1),
        (MARCH, me, NB, "new", True, 0, 1),
        (MARCH, me, NB, "won", True, None, 1),
        (APRIL, me, NB, "new", False, None, 1),
        (APRIL, me, NB, "new", False, 30, 1),
    ]


def test_reopening_a_won_lead_takes_it_out_and_winning_it_again_counts_it_anew(
    engine: Engine, sales: Actor
) -> None:
    lead_id = a_lead(engine, sales)
    move(engine, sales, lead_id, "won", 3)
    move(engine, sales, lead_id, "reopen", 5)  # back in new (closed from there)
    assert stored(engine) == []
    move(engine, sales, lead_id, "qualified", 35)
    # new 3 + 30 days, won 2 (before the reopening), qualified 5: closed 11 April
    move(engine, sales, lead_id, "won", 40)
    assert stored(engine) == [
        (APRIL, sales.id, NB, "new", True, 30, 1),
        (APRIL, sales.id, NB, "qualified", True, 0, 1),
        (APRIL, sales.id, NB, "won", True, None, 1),
        (APRIL, sales.id, NB, "won", True, 0, 1),
    ]


def test_another_owner_or_pipeline_moves_a_closed_lead_to_its_new_key(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    rina = make_user(engine, Role.SALES, "rina")
    lead_id, other = a_lead(engine, manager, owner_id=sales.id), a_lead(engine, sales)
    move(engine, sales, lead_id, "lost", 8)
    move(engine, sales, other, "lost", 9)
    with session_scope(engine) as s:
        leads.update_lead(s, manager, lead_id, version(engine, lead_id), {"owner_id": rina.id})
    assert stored(engine) == sorted([
        (MARCH, rina.id, NB, "new", False, 7, 1), (MARCH, rina.id, NB, "new", False, None, 1),
        (MARCH, sales.id, NB, "new", False, 7, 1), (MARCH, sales.id, NB, "new", False, None, 1),
    ], key=key)  # fmt: skip
    with session_scope(engine) as s:
        leads.update_lead(
            s, manager, lead_id, version(engine, lead_id), {"pipeline": "repeat orders"}
        )
    rows = stored(engine)
    assert (MARCH, rina.id, "repeat orders", "new", False, None, 1) in rows
    assert [r for r in rows if r[1] == rina.id and r[2] == NB] == []


def test_an_import_revert_takes_its_closed_leads_out_of_the_counts(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    kept = a_lead(engine, sales)
    move(engine, sales, kept, "won", 20)  # 20 days new: closed 22 March
    file = pd.DataFrame(
        {
            "Nama": ["Budi", "Ani"],
            "Email": ["budi@x.id", "ani@x.id"],
            "Sumber": ["website", "website"],
            "Tahap": ["won", "new"],
            "Pemilik": [sales.username, sales.username],
            "Riwayat": ["new 2026-03-02; won 2026-03-25", "new 2026-03-03"],
        }
    )
    mapping = {"Nama": "name", "Email": "email", "Sumber": "source", "Tahap": "stage",
               "Pemilik": "owner", "Riwayat": "history"}  # fmt: skip
    lead_import = importer("leads")
    before = stored(engine)
    with session_scope(engine) as s:
        preview = lead_import.preview(s, manager, file, mapping, "create_only", "email")
        report = dict(lead_import.commit(s, manager, preview, "leads.csv").report)
    imported = stored(engine)  # Budi: 23 days new (Jakarta days), closed 24 March UTC
    assert (MARCH, sales.id, NB, "won", True, None, 2) in imported
    assert (MARCH, sales.id, NB, "new", True, 7, 2) in imported
    with session_scope(engine) as s:
        lead_import.revert(s, manager, report)
    assert (
        stored(engine)
        == before
        == [
            (MARCH, sales.id, NB, "new", True, 7, 1),
            (MARCH, sales.id, NB, "won", True, None, 1),
        ]
    )


def test_the_learned_counts_equal_counting_the_whole_history_from_its_first_moment(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    for i, (stage, days) in enumerate([("won", 3), ("lost", 12), ("won", 31), ("lost", 45)]):
        lead_id = a_lead(engine, sales if i % 2 else manager)
        move(engine, sales if i % 2 else manager, lead_id, "contacted", 1 + i)
        move(engine, sales if i % 2 else manager, lead_id, stage, days)
    with session_scope(engine, write=False) as s:
        stages = sales_settings(s).stages(None)
        for since in (T0, T0 + timedelta(days=10, hours=3), T0 + timedelta(days=31)):
            for actor in (manager, sales):
                reached, aged = closed.learned_counts(s, actor, None, since, stages)
                raw = [
                    Lead.deleted_at.is_(None),
                    Lead.closed_at >= since,
                    *([Lead.owner_id == sales.id] if actor is sales else []),
                ]
                want_r = figures.closed_reached(s, raw, stages)
                want_a = figures.closed_aged(s, raw, stages)
                assert _rows(reached) == _rows(want_r)
                assert _rows(aged) == _rows(want_a)


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in frame.itertuples(index=False))


def test_many_keys_at_once_are_counted_afresh_in_one_pass(
    engine: Engine, sales: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(closed, "MANY", 0)  # any change counts everything again
    won, lost = a_lead(engine, sales), a_lead(engine, sales)
    move(engine, sales, won, "won", 3)
    move(engine, sales, lost, "lost", 40)
    assert stored(engine) == [
        (MARCH, sales.id, NB, "new", True, 0, 1),
        (MARCH, sales.id, NB, "won", True, None, 1),
        (APRIL, sales.id, NB, "new", False, None, 1),
        (APRIL, sales.id, NB, "new", False, 30, 1),
    ]


def test_two_writers_closing_leads_of_one_key_at_once_count_each_lead_once(
    engine: Engine, sales: Actor
) -> None:
    first, second = a_lead(engine, sales), a_lead(engine, sales)
    failed: list[BaseException] = []

    def close_second() -> None:
        try:
            with session_scope(engine) as s:
                leads.move_stage(s, sales, second, 1, "won", now=T0 + timedelta(days=4))
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failed.append(exc)

    with session_scope(engine) as s:
        leads.move_stage(s, sales, first, 1, "won", now=T0 + timedelta(days=3))
        other = threading.Thread(target=close_second)
        other.start()  # waits for this transaction's key (PostgreSQL) or write lock (SQLite)
        other.join(timeout=0.5)
    other.join()
    assert failed == []
    assert stored(engine) == [
        (MARCH, sales.id, NB, "new", True, 0, 2),
        (MARCH, sales.id, NB, "won", True, None, 2),
    ]
