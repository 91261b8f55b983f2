"""What other areas may read of Sales: the open leads about a customer (values only where the
reader reads amounts)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Lead, User
from crm_core.models.enums import Entity, LeadStage
from crm_core.sales.amounts import hide_amounts


def open_leads(session: Session, actor: Actor, customer_id: int) -> pd.DataFrame:
    """Open leads about the customer (linked to it or converted into it), newest first."""
    owner = aliased(User)
    stmt = (
        select(
            Lead.id,
            Lead.name,
            Lead.stage,
            Lead.value,
            Lead.expected_close,
            owner.name.label("owner"),
            Lead.owner_id,
        )
        .outerjoin(owner, owner.id == Lead.owner_id)
        .where(
            or_(Lead.customer_id == customer_id, Lead.converted_customer_id == customer_id),
            Lead.stage.not_in([LeadStage.WON, LeadStage.LOST]),
            Lead.deleted_at.is_(None),
            read_filter(actor, Entity.LEAD, Lead.owner_id),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    columns = ["id", "name", "stage", "value", "expected_close", "owner", "owner_id"]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    frame["stage"] = frame["stage"].map(str)
    # A lead's value is an amount: blank where the reader may not read the owner's amounts.
    return hide_amounts(actor, frame, "value").drop(columns="owner_id")
