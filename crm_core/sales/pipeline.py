"""Working the pipeline: the lead list (filters, search, sort over the whole result, pages),
the board by stage, one lead's history, follow-ups and touchpoints, and the follow-ups made
for owners of leads that stay in a stage longer than its usual days."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from crm_core.customers import read as customers
from crm_core.kernel.messages import msg, render
from crm_core.kernel.permissions import Action, Actor, Scope, amounts_scope, read_filter, require
from crm_core.kernel.settings import team_settings
from crm_core.models import Campaign, Interaction, Lead, LeadStageChange, Task, User, utcnow
from crm_core.models.enums import Entity, LeadStage
from crm_core.sales.amounts import hide_amounts
from crm_core.sales.figures import amount_filter
from crm_core.sales.settings import sales_settings, stage_param

SORTS = ("created_at", "value", "expected_close", "name", "stage", "in_stage_since")
LIST_COLUMNS = [
    "id",
    "name",
    "company",
    "stage",
    "source",
    "pipeline",
    "value",
    "expected_close",
    "owner",
    "owner_id",
    "region",
    "campaign",
    "created_at",
    "in_stage_since",
    "version",
]


@dataclass(frozen=True)
class LeadFilter:
    stages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    owner_id: int | None = None
    pipeline: str | None = None
    search: str = ""
    open_only: bool = False
    region: str | None = None  # the lead's own region


def _since() -> Any:
    return (
        select(func.max(LeadStageChange.changed_at))
        .where(LeadStageChange.lead_id == Lead.id)
        .correlate(Lead)
        .scalar_subquery()
    )


def _selected(actor: Actor, chosen: LeadFilter) -> Any:  # a Select of the lead columns
    owner = aliased(User)
    stmt = (
        select(
            Lead.id,
            Lead.name,
            Lead.company,
            Lead.stage,
            Lead.source,
            Lead.pipeline,
            Lead.value,
            Lead.expected_close,
            owner.name.label("owner"),
            Lead.owner_id,
            Lead.region,
            Campaign.name.label("campaign"),
            Lead.created_at,
            _since().label("in_stage_since"),
            Lead.version,
        )
        .outerjoin(owner, owner.id == Lead.owner_id)
        .outerjoin(Campaign, Campaign.id == Lead.campaign_id)
        .where(Lead.deleted_at.is_(None), read_filter(actor, Entity.LEAD, Lead.owner_id))
    )
    if chosen.stages:
        stmt = stmt.where(Lead.stage.in_(list(chosen.stages)))
    if chosen.open_only:
        stmt = stmt.where(Lead.stage.not_in([LeadStage.WON, LeadStage.LOST]))
    if chosen.sources:
        stmt = stmt.where(Lead.source.in_(chosen.sources))
    if chosen.owner_id is not None:
        stmt = stmt.where(Lead.owner_id == chosen.owner_id)
    if chosen.pipeline:
        stmt = stmt.where(Lead.pipeline == chosen.pipeline)
    if chosen.region is not None:
        stmt = stmt.where(Lead.region == chosen.region)
    if chosen.search.strip():
        like = f"%{chosen.search.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Lead.name).like(like),
                func.lower(Lead.company).like(like),
                func.lower(Lead.email).like(like),
                Lead.phone.like(like),
            )
        )
    return stmt


def lead_list(
    session: Session,
    actor: Actor,
    chosen: LeadFilter,
    sort: str = "created_at",
    descending: bool = True,
    page: int = 0,
    per_page: int = 50,
) -> tuple[pd.DataFrame, int]:
    """One page of the leads the actor may see that match, sorted over the whole result, and
    how many match in all."""
    stmt = _selected(actor, chosen)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    keys = {
        "in_stage_since": _since(),
        **{s: getattr(Lead, s) for s in SORTS[:-1]},
        "value": seen_value(actor),  # hidden values sort as none: the order tells nothing
    }
    key = keys[sort if sort in SORTS else "created_at"]
    ordered = stmt.order_by(key.desc() if descending else key.asc(), Lead.id.desc())
    rows = session.execute(ordered.offset(page * per_page).limit(per_page)).all()
    frame = pd.DataFrame(rows, columns=LIST_COLUMNS)
    return hide_amounts(actor, _plain(frame), "value"), int(total)


def seen_value(actor: Actor) -> Any:
    """A lead's value where the actor reads its amounts, else 0 (for sums and orders)."""
    return case((amount_filter(actor), Lead.value), else_=0)


def open_total(session: Session, actor: Actor, chosen: LeadFilter) -> tuple[int, float | None]:
    """The open leads that match (their stage left aside) and the sum of the values the actor
    reads (None: it reads none): the dashboard's pipeline value, for a region and owner."""
    stmt = _selected(actor, replace(chosen, stages=(), open_only=True)).add_columns(
        seen_value(actor).label("seen")
    )
    base = stmt.subquery()
    n, value = session.execute(select(func.count(), func.sum(base.c.seen))).one()
    seen = amounts_scope(actor) is not Scope.NONE
    return int(n or 0), float(value or 0) if seen else None


def board(
    session: Session,
    actor: Actor,
    pipeline: str,
    now: datetime,
    per_stage: int = 12,
    *,
    region: str | None = None,
    owner_id: int | None = None,
) -> dict[str, Any]:
    """The pipeline's open stages, each with its count, value and its biggest leads as cards
    (value, days in stage, owner, next follow-up); of a region and owner if asked."""
    stages = sales_settings(session).stages(pipeline)[:-1]
    whose = LeadFilter(pipeline=pipeline, region=region, owner_id=owner_id)
    chosen = replace(whose, stages=tuple(stages))
    base = _selected(actor, chosen).add_columns(seen_value(actor).label("seen")).subquery()
    totals = {
        str(row.stage): (int(row.n), float(row.value or 0))
        for row in session.execute(
            select(
                base.c.stage, func.count().label("n"), func.sum(base.c.seen).label("value")
            ).group_by(base.c.stage)
        )
    }
    columns: dict[str, Any] = {}
    for stage in stages:
        stmt = _selected(actor, replace(whose, stages=(stage,)))
        ordered = stmt.order_by(seen_value(actor).desc(), Lead.id)
        rows = session.execute(ordered.limit(per_stage)).all()
        cards = hide_amounts(actor, _plain(pd.DataFrame(rows, columns=LIST_COLUMNS)), "value")
        # At least 0: a page keeps the board as of its minute's start, a card may be younger.
        cards["days_in_stage"] = [
            max(0.0, (now - s).total_seconds() / 86400) if s is not None else None
            for s in cards["in_stage_since"]
        ]
        cards["next_follow_up"] = cards["id"].map(_next_follow_ups(session, list(cards["id"])))
        count, value = totals.get(stage, (0, 0.0))
        columns[stage] = {"count": count, "value": value, "cards": cards}
    return columns


def _next_follow_ups(session: Session, lead_ids: list[int]) -> dict[int, datetime]:
    if not lead_ids:
        return {}
    stmt = (
        select(Task.lead_id, func.min(Task.due_at))
        .where(Task.lead_id.in_(lead_ids), Task.done_at.is_(None), Task.deleted_at.is_(None))
        .group_by(Task.lead_id)
    )
    return {int(k): v for k, v in session.execute(stmt) if k is not None}


def history(session: Session, lead_id: int) -> pd.DataFrame:
    """The lead's stage moves, oldest first, with who moved it."""
    stmt = (
        select(
            LeadStageChange.changed_at,
            LeadStageChange.from_stage,
            LeadStageChange.to_stage,
            User.name.label("by"),
        )
        .outerjoin(User, User.id == LeadStageChange.actor_id)
        .where(LeadStageChange.lead_id == lead_id)
        .order_by(LeadStageChange.changed_at, LeadStageChange.id)
    )
    rows = [
        (r.changed_at, None if r.from_stage is None else str(r.from_stage), str(r.to_stage), r.by)
        for r in session.execute(stmt)
    ]
    return pd.DataFrame(rows, columns=["at", "from", "to", "by"], dtype=object)


def follow_ups(session: Session, actor: Actor, lead_id: int) -> pd.DataFrame:
    """The lead's follow-ups the actor may see, open first, soonest first."""
    stmt = (
        select(
            Task.id, Task.title, Task.due_at, Task.done_at, User.name.label("owner"), Task.version
        )
        .join(User, User.id == Task.owner_id)
        .where(
            Task.lead_id == lead_id,
            Task.deleted_at.is_(None),
            read_filter(actor, Entity.TASK, Task.owner_id),
        )
        .order_by(Task.done_at.is_not(None), Task.due_at)
    )
    columns = ["id", "title", "due_at", "done_at", "owner", "version"]
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def add_follow_up(session: Session, actor: Actor, data: dict[str, Any]) -> Task:
    """A follow-up about a lead the actor may see (for the actor, or another user when the
    actor may give follow-ups to others)."""
    lead = session.get(Lead, int(data["lead_id"]))
    if lead is not None:
        require(actor, Entity.LEAD, Action.READ, lead)
    return customers.schedule_follow_up(session, actor, data)


def touchpoints(session: Session, lead: Lead, limit: int = 50) -> pd.DataFrame:
    """Touchpoints with the lead's customer (the one it is about or was converted into)."""
    ids = [i for i in (lead.customer_id, lead.converted_customer_id) if i is not None]
    columns = ["occurred_at", "channel", "direction", "subject", "by"]
    if not ids:
        return pd.DataFrame(columns=columns)
    stmt = (
        select(
            Interaction.occurred_at,
            Interaction.channel,
            Interaction.direction,
            Interaction.subject,
            User.name.label("by"),
        )
        .outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.customer_id.in_(ids))
        .order_by(Interaction.occurred_at.desc())
        .limit(limit)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    return frame.assign(channel=frame["channel"].map(str), direction=frame["direction"].map(str))


def follow_up_stalled(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """A follow-up, due now, for the owner of each open lead the actor may see that has stayed
    in its stage longer than the stage's usual days and has no open follow-up; returns how
    many were made (each through the write path, audited)."""
    now = now or utcnow()
    settings = sales_settings(session)
    language = team_settings(session).default_language
    stmt = _selected(actor, LeadFilter(open_only=True)).where(
        ~select(Task.id)
        .where(Task.lead_id == Lead.id, Task.done_at.is_(None), Task.deleted_at.is_(None))
        .exists()
    )
    made = 0
    for row in session.execute(stmt):
        usual = settings.usual_days(row.pipeline).get(row.stage)
        since: datetime | None = row.in_stage_since
        if usual is None or since is None or row.owner_id is None:
            continue
        if now - since <= timedelta(days=usual):
            continue
        title = render(
            msg(
                "lead.stalled_title",
                name=row.name,
                stage=stage_param(row.stage),
                days=int((now - since).days),
            ),
            language,
        )
        customers.schedule_follow_up(
            session,
            actor,
            {
                "lead_id": int(row.id),
                "owner_id": int(row.owner_id),
                "title": title[:200],
                "due_at": now,
            },
            now=now,
        )
        made += 1
    return made


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Enum cells as their stored values, money as numbers (frames are for pages and tests)."""
    for column in ("stage", "source"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    if "value" in frame:
        frame["value"] = frame["value"].astype(float)
    return frame
