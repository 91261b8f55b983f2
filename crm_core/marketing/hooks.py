"""Marketing's part of a customer's timeline (campaign sends, responses, conversions) and of a
merge (campaign memberships: where both customers were members, one row keeps the furthest
progress of the two)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, select, update
from sqlalchemy.orm import Session

from crm_core.kernel.hooks import (
    MergeStep,
    TimelineDescribe,
    TimelineKind,
    TimelineQuery,
    TimelineSource,
    newest_first,
    on_channels,
)
from crm_core.kernel.messages import N_, Message, msg
from crm_core.kernel.permissions import Actor
from crm_core.models import Campaign, CampaignMember, table_of
from crm_core.models.enums import Channel

STEPS = ("sent", "responded", "converted")
_TITLES = {
    "sent": N_("timeline.campaign_sent"),
    "responded": N_("timeline.campaign_responded"),
    "converted": N_("timeline.campaign_converted"),
}
_PROGRESS = tuple(f"{step}_at" for step in STEPS)


def _campaign_step(step: str) -> TimelineQuery:
    at = getattr(CampaignMember, f"{step}_at")

    def query(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
        on_channel = on_channels(Campaign.channel, Channel, channels)
        if on_channel is None:
            return None
        stmt = newest_first(
            at,
            Campaign.channel,
            Campaign.id,
            CampaignMember.id,
            Campaign.name,
            CampaignMember.variant,
        )
        stmt = stmt.join(Campaign, Campaign.id == CampaignMember.campaign_id)
        return stmt.where(CampaignMember.customer_id == customer_id, at.is_not(None), on_channel)

    return query


def _campaign_text(step: str) -> TimelineDescribe:
    def describe(row: Row[Any]) -> tuple[Message, Message]:
        return msg(_TITLES[step], name=str(row.name)), msg("timeline.variant", variant=row.variant)

    return describe


def _move_memberships(
    session: Session, actor: Actor, keep_id: int, merge_id: int, now: datetime
) -> dict[str, list[int]]:
    """Move the merged customer's memberships; where both were members, keep the kept
    customer's row, completed with the merged one's progress (sent, responded, converted)."""
    members = table_of(CampaignMember)
    mine = select(members).where(members.c.customer_id == keep_id)
    kept = {row.campaign_id: row for row in session.execute(mine)}
    theirs = session.execute(select(members).where(members.c.customer_id == merge_id)).all()
    dropped = [row for row in theirs if row.campaign_id in kept]
    for row in dropped:
        ours = kept[row.campaign_id]
        progress = {
            f: getattr(row, f)
            for f in _PROGRESS
            if getattr(ours, f) is None and getattr(row, f) is not None
        }
        if progress:
            session.execute(update(members).where(members.c.id == ours.id).values(progress))
    dropped_ids = sorted(row.id for row in dropped)
    if dropped_ids:
        session.execute(delete(members).where(members.c.id.in_(dropped_ids)))
    stmt = (
        update(members)
        .where(members.c.customer_id == merge_id)
        .values(customer_id=keep_id)
        .returning(members.c.id)
    )
    moved = sorted(session.scalars(stmt).all())
    return {"campaign_memberships": moved, "dropped_campaign_memberships": dropped_ids}


TIMELINE = tuple(
    TimelineSource(TimelineKind.CAMPAIGN, _campaign_step(step), _campaign_text(step))
    for step in STEPS
)
MERGE = MergeStep("marketing", _move_memberships)
