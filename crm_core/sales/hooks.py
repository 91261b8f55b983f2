"""Sales' part of a customer's timeline (lead stage moves) and of a merge (lead links)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, or_
from sqlalchemy.orm import Session

from crm_core.kernel.hooks import (
    MergeStep,
    TimelineKind,
    TimelineSource,
    by,
    joined,
    newest_first,
    relink,
)
from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Lead, LeadStageChange, User
from crm_core.models.enums import Entity
from crm_core.sales.settings import stage_param


def _lead_moves(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    if channels is not None:
        return None
    move = LeadStageChange
    stmt = newest_first(
        move.changed_at,
        None,
        Lead.id,
        move.id,
        Lead.name,
        move.from_stage,
        move.to_stage,
        User.name.label("by"),
    )
    stmt = stmt.join(Lead, Lead.id == move.lead_id).outerjoin(User, User.id == move.actor_id)
    return stmt.where(
        or_(Lead.customer_id == customer_id, Lead.converted_customer_id == customer_id),
        Lead.deleted_at.is_(None),
        read_filter(actor, Entity.LEAD, Lead.owner_id),
    )


def _lead_text(row: Row[Any]) -> tuple[Message, Message]:
    if row.from_stage:
        old, new = stage_param(row.from_stage), stage_param(row.to_stage)
        title = msg("timeline.lead_moved", name=str(row.name), old=old, new=new)
    else:
        title = msg("timeline.lead_opened", name=str(row.name), stage=stage_param(row.to_stage))
    return title, joined(by(row.by))


def _move_leads(
    session: Session, actor: Actor, keep_id: int, merge_id: int, now: datetime
) -> dict[str, list[int]]:
    ids = (keep_id, merge_id)
    return {
        "leads": relink(session, actor, Lead, "customer_id", ids, now),
        "converted_leads": relink(session, actor, Lead, "converted_customer_id", ids, now),
    }


TIMELINE = (TimelineSource(TimelineKind.LEAD, _lead_moves, _lead_text),)
MERGE = MergeStep("sales", _move_leads)
