"""The funnel's stored read model: per lead the furthest stage it reached in its pipeline's
funnel and since when it is in its stage (`lead_facts`), and each stay in a stage with its
days (`lead_stays`). The lead write functions refresh their leads in the same transaction
(`refresh`); a change to a pipeline's stages rebuilds that pipeline's leads; `refresh_all`
rebuilds everything (the migration, the demo data, the benchmark's seeded leads). Both keep
the forecast's closed counts (closed.py) in step in the same transaction.

The funnel and the forecast then count and sum in SQL over these rows instead of loading
every lead and every move of a cohort into memory (README, "Sales: how fast").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

import pandas as pd
from sqlalchemy import String, delete, insert, inspect, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.analytics import funnel
from crm_core.models import Lead, LeadClosedCount, LeadFacts, LeadStageChange, LeadStay
from crm_core.sales import closed
from crm_core.sales.settings import SalesSettings, sales_settings

CHUNK = 5_000  # leads per round trip (the IN lists stay well under every engine's limits)


def refresh(
    session: Session, lead_ids: Iterable[int], settings: SalesSettings | None = None
) -> None:
    """Recompute the stored facts and stays of these leads from their stage history."""
    session.flush()
    settings = settings or sales_settings(session)
    ids = sorted(set(lead_ids))
    keys = closed.held_keys(session, ids)  # where they were counted before this change
    for chunk in _chunks(ids):
        _refresh_chunk(session, settings, chunk)
    closed.mark(session, ids)
    closed.recount(session, keys | closed.held_keys(session, ids))


def refresh_pipeline(session: Session, pipeline: str, settings: SalesSettings) -> None:
    """Rebuild the leads of one pipeline (its stages were added, renamed or reordered)."""
    ids = session.scalars(select(Lead.id).where(Lead.pipeline == pipeline)).all()
    refresh(session, ids, settings)


def refresh_all(session: Session) -> int:
    """Rebuild the read model for every lead; returns how many leads it holds."""
    session.flush()
    session.execute(delete(LeadStay))
    session.execute(delete(LeadFacts))
    settings = sales_settings(session)
    ids = session.scalars(select(Lead.id).order_by(Lead.id)).all()
    for chunk in _chunks(list(ids), 50_000):
        _refresh_chunk(session, settings, chunk, fresh=True)
    # Migration 0019 runs this before the closed counts exist (0026 fills them then).
    if inspect(session.connection()).has_table(LeadClosedCount.__tablename__):
        closed.rebuild(session)
    return len(ids)


def _chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for low in range(0, len(ids), size):
        yield ids[low : low + size]


def _refresh_chunk(
    session: Session, settings: SalesSettings, ids: Collection[int], fresh: bool = False
) -> None:
    conn = session.connection()
    leads = pd.DataFrame(
        [
            tuple(r)
            for r in conn.execute(
                select(Lead.id, type_coerce(Lead.stage, String), Lead.pipeline).where(
                    Lead.id.in_(ids)
                )
            )
        ],
        columns=["id", "stage", "pipeline"],
    )
    moves = conn.execute(
        select(
            LeadStageChange.lead_id,
            type_coerce(LeadStageChange.from_stage, String),
            type_coerce(LeadStageChange.to_stage, String),
            LeadStageChange.changed_at,
        )
        .where(LeadStageChange.lead_id.in_(ids))
        .order_by(LeadStageChange.lead_id, LeadStageChange.changed_at, LeadStageChange.id)
    )
    changes = pd.DataFrame(
        [tuple(m) for m in moves], columns=["lead_id", "from_stage", "to_stage", "changed_at"]
    )
    if not fresh:
        conn.execute(delete(LeadStay).where(LeadStay.lead_id.in_(ids)))
        conn.execute(delete(LeadFacts).where(LeadFacts.lead_id.in_(ids)))
    facts, stays = lead_rows(leads, changes, settings)
    if facts:
        conn.execute(insert(LeadFacts), facts)
    if stays:
        conn.execute(insert(LeadStay), stays)


def lead_rows(
    leads: pd.DataFrame, changes: pd.DataFrame, settings: SalesSettings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of both tables for these leads (id, stage, pipeline) and their moves."""
    if leads.empty:
        return [], []
    changes = changes.assign(changed_at=pd.to_datetime(changes["changed_at"]))
    parts: list[pd.Series] = []
    for key, part in leads.groupby("pipeline", sort=False):
        stages = settings.stages(str(key))
        moves = changes[changes["lead_id"].isin(set(part["id"]))]
        parts.append(funnel.reached(part, moves, stages).map(dict(enumerate(stages))))
    furthest = pd.concat(parts)
    spent = funnel.stays(changes, pd.Timestamp.now().to_pydatetime())
    current = spent[spent["left"].isna()].groupby("lead_id")["entered"].max()
    facts = [
        {"lead_id": int(i), "furthest_stage": str(f), "stage_since": _when(current.get(i))}
        for i, f in furthest.items()
    ]
    stays = [
        {
            "lead_id": int(lead_id),
            "stage": str(stage),
            "entered_at": _when(entered),
            "left_at": _when(left),
            "days": None if pd.isna(left) else float(days),
        }
        for lead_id, stage, entered, left, days in spent.itertuples(index=False)
    ]
    return facts, stays


def _when(value: Any) -> Any:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
