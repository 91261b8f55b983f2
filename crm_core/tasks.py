"""Follow-up tasks: what each user owes customers and leads, and when."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import Customer, Lead, Task
from crm_core.permissions import Actor


def open_follow_ups(
    session: Session, actor: Actor, now: datetime, days_ahead: int = 7
) -> pd.DataFrame:
    """The actor's open follow-ups that are overdue or due within `days_ahead`, soonest first."""
    stmt = (
        select(
            Task.id,
            Task.title,
            Task.due_at,
            Task.customer_id,
            Customer.name.label("customer"),
            Task.lead_id,
            Lead.name.label("lead"),
        )
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .outerjoin(Lead, Lead.id == Task.lead_id)
        .where(
            Task.owner_id == actor.id,
            Task.done_at.is_(None),
            Task.deleted_at.is_(None),
            Task.due_at <= now + timedelta(days=days_ahead),
        )
        .order_by(Task.due_at)
    )
    frame = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["id", "title", "due_at", "customer_id", "customer", "lead_id", "lead"],
    )
    frame["overdue"] = frame["due_at"] < now
    return frame
