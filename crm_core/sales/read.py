"""What other areas may read of Sales: the open leads about a customer."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Lead, User
from crm_core.models.enums import Entity, LeadStage


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
        )
        .outerjoin(owner, owner.id == Lead.owner_id)
        .where(
            or_(Lead.customer_id == customer_id, Lead.converted_customer_id == customer_id),
            Lead.stage.in_([s for s in LeadStage if s.is_open]),
            Lead.deleted_at.is_(None),
            read_filter(actor, Entity.LEAD, Lead.owner_id),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    columns = ["id", "name", "stage", "value", "expected_close", "owner"]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    frame["stage"] = frame["stage"].map(str)
    return frame
