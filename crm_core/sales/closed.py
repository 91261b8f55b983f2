"""The forecast's closed history as a read model (`lead_closed_counts`): the closed leads
counted per month closed, owner and pipeline, per furthest stage and outcome and per stage,
outcome and age bucket of their days in it. The forecast sums a few thousand of these rows for
the whole months of its history and counts only its first, partial month from the leads
themselves; summing the stays of every closed lead took most of its time (README, "Sales:
how fast").

Each lead's row in lead_facts names the key it is counted under, so that facts.refresh
recounts the old key and the new one whenever a lead closes, reopens, moves to another
owner or pipeline or is deleted: a key's counts are always its leads counted afresh.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Lead, LeadClosedCount, LeadFacts, LeadStay
from crm_core.models.enums import Entity
from crm_core.sales import figures

Key = tuple[date, int | None, str]  # month closed (its first day), owner, pipeline
COUNTED = LeadClosedCount
MANY = 200  # keys above which counting everything again is cheaper than key by key
CHUNK = 50  # keys per statement (one OR of conditions each)
# Leads of the first month per statement: with a few hundred ids PostgreSQL reads their rows
# by index (1 ms), with 3,000 it scanned every stay and every lead_facts row (0.5 s); SQLite
# reads them by index either way, and each statement costs it more than the rows.
FIRST_CHUNK = {"postgresql": 400}


def month_of(session: Session, moment: Any) -> Any:
    """The first day of the month of `moment`, as a date, on either engine."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", moment), Date)
    return func.date(moment, "start of month")


def _closed() -> list[Any]:
    """The leads the forecast learns from: closed (won or lost) and not deleted."""
    stage = figures._stage()
    return [
        Lead.deleted_at.is_(None),
        stage.in_([figures.WON, figures.LOST]),
        Lead.closed_at.is_not(None),
    ]


def _next_month(month: date) -> datetime:
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1)


def mark(session: Session, lead_ids: Collection[int] | None = None) -> None:
    """Store in lead_facts the key each lead is counted under (None: not counted)."""
    closed = and_(Lead.id == LeadFacts.lead_id, *_closed())

    def of(column: Any) -> Any:
        return select(column).where(closed).scalar_subquery()

    stmt = update(LeadFacts).values(
        counted_month=of(month_of(session, Lead.closed_at)),
        counted_owner_id=of(Lead.owner_id),
        counted_pipeline=of(Lead.pipeline),
    )
    if lead_ids is not None:
        stmt = stmt.where(LeadFacts.lead_id.in_(lead_ids))
    session.execute(stmt.execution_options(synchronize_session=False))


def held_keys(session: Session, lead_ids: Iterable[int]) -> set[Key]:
    """The keys these leads are counted under now."""
    ids, keys = sorted(set(lead_ids)), set()
    for low in range(0, len(ids), 5_000):
        stmt = select(
            LeadFacts.counted_month, LeadFacts.counted_owner_id, LeadFacts.counted_pipeline
        ).where(LeadFacts.lead_id.in_(ids[low : low + 5_000]), LeadFacts.counted_month.is_not(None))
        keys |= {(m, o, str(p)) for m, o, p in session.execute(stmt) if m is not None}
    return keys


def recount(session: Session, keys: Collection[Key]) -> None:
    """Count these keys' leads afresh (all keys, when there are many)."""
    if not keys:
        return
    if len(keys) > MANY:
        rebuild_counts(session)
        return
    ordered = sorted(keys, key=lambda k: (k[0], k[1] or 0, k[2]))
    _lock(session, ordered)
    for low in range(0, len(ordered), CHUNK):
        chunk = ordered[low : low + CHUNK]
        session.execute(delete(COUNTED).where(or_(*(_stored_key(k) for k in chunk))))
        _insert(session, [or_(*(_lead_key(k) for k in chunk))])


def rebuild_counts(session: Session) -> None:
    """Count every closed lead afresh (lead_facts' keys already marked)."""
    _lock(session, None)
    session.execute(delete(COUNTED))
    _insert(session, [])


EVERY_KEY = 0x5A1E5  # the advisory lock of a count of every key
KEY_SPACE = 0x5A1E  # the first number of each key's advisory lock


def _lock(session: Session, keys: Sequence[Key] | None) -> None:
    """PostgreSQL: hold the keys until commit (all of them, for None). Two transactions that
    recount one key at once under READ COMMITTED would each delete the rows they see and
    insert their count, the first's new rows unseen by the second: counted twice. Waiting
    for the key, the second's statements see the first's committed rows and changes. SQLite
    has one writer at a time (BEGIN IMMEDIATE) and needs none."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if keys is None:
        session.execute(select(func.pg_advisory_xact_lock(EVERY_KEY)))
        return
    session.execute(select(func.pg_advisory_xact_lock_shared(EVERY_KEY)))
    # A key's lock is two 32-bit numbers (this area's, the key's CRC): PostgreSQL keeps them
    # apart from the one-number locks such as EVERY_KEY.
    crcs = sorted({zlib.crc32(repr(k).encode()) - (1 << 31) for k in keys})
    for crc in crcs:  # always in one order: two recounts never wait on each other in a cycle
        session.execute(select(func.pg_advisory_xact_lock(KEY_SPACE, crc)))


def rebuild(session: Session) -> None:
    """The whole read model from the leads, lead_facts and lead_stays (the migration)."""
    mark(session)
    rebuild_counts(session)


def _owner_is(column: Any, owner: int | None) -> Any:
    return column.is_(None) if owner is None else column == owner


def _stored_key(key: Key) -> Any:
    month, owner, pipeline = key
    return and_(
        COUNTED.closed_month == month,
        _owner_is(COUNTED.owner_id, owner),
        COUNTED.pipeline == pipeline,
    )


def _lead_key(key: Key) -> Any:
    month, owner, pipeline = key
    return and_(
        Lead.closed_at >= datetime.combine(month, time()),
        Lead.closed_at < _next_month(month),
        _owner_is(Lead.owner_id, owner),
        Lead.pipeline == pipeline,
    )


def _insert(session: Session, where: list[Any]) -> None:
    month = month_of(session, Lead.closed_at).label("month")
    won = (figures._stage() == figures.WON).label("won")
    keys = (month, Lead.owner_id, Lead.pipeline)
    columns = ["closed_month", "owner_id", "pipeline", "stage", "won", "min_days", "leads"]
    reached = (
        select(*keys, LeadFacts.furthest_stage, won, cast(null(), Integer), func.count())
        .join(LeadFacts, LeadFacts.lead_id == Lead.id)
        .where(*_closed(), *where)
        .group_by(*keys, LeadFacts.furthest_stage, won)
    )
    session.execute(insert(COUNTED).from_select(columns, reached))
    per_lead = (
        select(*keys, LeadStay.stage, won, func.sum(LeadStay.days).label("days"))
        .join(LeadStay, LeadStay.lead_id == Lead.id)
        .where(*_closed(), *where)
        .group_by(LeadStay.lead_id, LeadStay.stage, *keys, won)
        .subquery()
    )
    c = per_lead.c
    bucket = case_bucket(c.days)
    aged = (
        select(c.month, c.owner_id, c.pipeline, c.stage, c.won, bucket, func.count())
        .where(c.days > 0)
        .group_by(c.month, c.owner_id, c.pipeline, c.stage, c.won, bucket)
    )
    session.execute(insert(COUNTED).from_select(columns, aged))


def case_bucket(days: Any) -> Any:
    """The age bucket of a lead's days in a stage, as figures.closed_aged counts it."""
    return case((days >= 90, 90), (days >= 30, 30), (days >= 7, 7), else_=0)


def learned_counts(
    session: Session, actor: Actor, pipeline: str | None, since: datetime, stages: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """figures.closed_reached and figures.closed_aged of the leads closed since `since` (not
    deleted, in the reader's scope and pipeline): the stored counts of the whole months after
    since's, and the leads closed from `since` to the end of its month counted as they are."""
    first = date(since.year, since.month, 1)
    kept = [read_filter(actor, Entity.LEAD, COUNTED.owner_id), COUNTED.closed_month > first]
    if pipeline:
        kept.append(COUNTED.pipeline == pipeline)
    index = {s: i for i, s in enumerate(stages)}
    stmt = select(COUNTED.stage, COUNTED.won, func.sum(COUNTED.leads)).where(
        *kept, COUNTED.min_days.is_(None)
    )
    rows = session.execute(stmt.group_by(COUNTED.stage, COUNTED.won))
    reached = [pd.DataFrame([(index.get(s, 0), bool(w), int(n)) for s, w, n in rows],
                            columns=REACHED)]  # fmt: skip
    bucketed = select(COUNTED.stage, COUNTED.won, COUNTED.min_days, func.sum(COUNTED.leads))
    bucketed = bucketed.where(
        *kept, COUNTED.min_days.is_not(None), COUNTED.stage.in_(list(stages[:-1]))
    )
    by_age = session.execute(bucketed.group_by(COUNTED.stage, COUNTED.won, COUNTED.min_days))
    aged = [pd.DataFrame([(str(s), bool(w), int(b or 0), int(n)) for s, w, b, n in by_age],
                         columns=AGED)]  # fmt: skip
    # Each lead is in one chunk only, so the chunks' counts add up to the month's.
    for chunk in _first_month(session, actor, pipeline, since, _next_month(first)):
        reached.append(figures.closed_reached(session, [Lead.id.in_(chunk)], stages))
        aged.append(figures.closed_aged(session, [Lead.id.in_(chunk)], stages))
    return _summed(reached, REACHED), _summed(aged, AGED)


REACHED = ["furthest", "won", "leads"]
AGED = ["stage", "won", "min_days", "leads"]


def _first_month(
    session: Session, actor: Actor, pipeline: str | None, since: datetime, after: datetime
) -> list[list[int]]:
    """The ids of the leads in the reader's scope and pipeline closed in [since, after), in
    chunks. By id, so that the counts then join each lead's stays by their index: joined to
    the conditions, SQLite chose the leads by stage (all closed leads) and PostgreSQL read
    every stay (0.8 and 0.25 s of the forecast at bench scale)."""
    stmt = select(Lead.id).where(
        Lead.deleted_at.is_(None),
        read_filter(actor, Entity.LEAD, Lead.owner_id),
        Lead.closed_at >= since,
        Lead.closed_at < after,
        # By the closed_at index, not the (pipeline, stage) one (figures.unindexed).
        *([figures.unindexed(session, Lead.pipeline) == pipeline] if pipeline else []),
    )
    ids = [int(i) for i in session.scalars(stmt)]
    size = FIRST_CHUNK.get(session.get_bind().dialect.name, 5_000)
    return [ids[low : low + size] for low in range(0, len(ids), size)]


def _summed(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    held = [p for p in parts if not p.empty]
    if not held:
        return pd.DataFrame(columns=columns)
    both = pd.concat(held, ignore_index=True)
    summed = both.groupby(columns[:-1], as_index=False, sort=True)["leads"].sum()
    return pd.DataFrame(summed, columns=columns).astype({"leads": int})
