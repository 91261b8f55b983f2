"""What other areas may read of Marketing: a customer's campaigns (variant and how far they
got), the campaigns at a glance, and who is in a saved segment today."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel.frames import query_frame
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.marketing.campaigns import list_campaigns
from crm_core.marketing.segments import members, segment_rule
from crm_core.models import Campaign, CampaignMember
from crm_core.models.enums import Entity

__all__ = ["customer_campaigns", "list_campaigns", "segment_members"]


def customer_campaigns(session: Session, actor: Actor, customer_id: int) -> pd.DataFrame:
    """The campaigns the customer was enrolled in, newest first: campaign_id, name, channel,
    status, variant, sent_at, responded_at, converted_at. Empty for whoever may not read
    campaigns."""
    columns = ["campaign_id", "name", "channel", "status", "variant", "sent_at",
               "responded_at", "converted_at"]  # fmt: skip
    if not allowed(actor, Entity.CAMPAIGN, Action.READ):
        return pd.DataFrame(columns=columns)
    stmt = (
        select(
            Campaign.id, Campaign.name, Campaign.channel, Campaign.status,
            CampaignMember.variant, CampaignMember.sent_at, CampaignMember.responded_at,
            CampaignMember.converted_at,
        )
        .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(CampaignMember.customer_id == customer_id, Campaign.deleted_at.is_(None))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )  # fmt: skip
    return query_frame(session, stmt, columns)


def segment_members(
    session: Session,
    actor: Actor,
    segment_id: int,
    values: pd.DataFrame | None,
    as_of: datetime,
) -> list[int]:
    """Ids of the customers in a saved segment today (`values`: a value table, or None for
    the stored read model)."""
    _segment, rule = segment_rule(session, actor, segment_id)
    return members(session, actor, rule, values, as_of)
