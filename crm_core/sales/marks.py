"""Cheap marks of the Sales data's state, for figures kept between page runs: a lead saved on
any replica, a follow-up added, the sales settings saved or a lead import reverted moves one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.kernel.frames import change_mark
from crm_core.models import ImportBatch, Lead, Setting, Task
from crm_core.sales.lead_import import KIND
from crm_core.sales.settings import SALES_KEY


def leads_mark(session: Session) -> tuple[Any, ...]:
    """The leads' newest `updated_at` and highest id (every lead write saves its lead, and the
    stored read model is refreshed in the same transaction), the sales settings' last save
    (a pipeline's stages rebuild its leads' facts without saving the leads) and the newest
    revert of a lead import (its hard deletes move neither)."""
    settings = session.scalar(select(Setting.updated_at).where(Setting.key == SALES_KEY))
    reverted = session.scalar(
        select(func.max(ImportBatch.reverted_at)).where(ImportBatch.kind == KIND)
    )
    return (*change_mark(session, Lead), str(settings), str(reverted))


def pipeline_mark(session: Session) -> tuple[Any, ...]:
    """leads_mark and the follow-ups' (the board shows each card's next follow-up)."""
    return (*leads_mark(session), *change_mark(session, Task))
