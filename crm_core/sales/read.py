"""What other areas may read of Sales: the open leads about a customer (values only where the
reader reads amounts); for the overview, the leads alive in a period (in the reader's scope)
and the stage moves made in it; the addresses of the Lead funnel and the Pipeline with a
dashboard figure's filters."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from crm_core.kernel.frames import core_frame, query_frame
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import Lead, LeadStageChange, User
from crm_core.models.enums import Entity, LeadStage
from crm_core.sales import links
from crm_core.sales.amounts import hide_amounts
from crm_core.sales.settings import sales_settings


def open_leads(session: Session, actor: Actor, customer_id: int) -> pd.DataFrame:
    """Open leads about the customer (linked to it or converted into it), newest first; a
    lead in a pipeline's own stage has that stage's name in `stage_name`."""
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
    # A pipeline's own stage by the name its manager gave it; a built-in one None (translated).
    names = sales_settings(session).stage_names()
    frame["stage_name"] = [names.get(stage) for stage in frame["stage"]]
    # A lead's value is an amount: blank where the reader may not read the owner's amounts.
    return hide_amounts(actor, frame, "value").drop(columns="owner_id")


LEAD_COLUMNS = ["id", "name", "owner_id", "region", "value", "stage", "created_at", "closed_at",
                "expected_close"]  # fmt: skip


def leads_alive(session: Session, actor: Actor, since: datetime, until: datetime) -> pd.DataFrame:
    """Leads the actor may read, created before `until` and not closed before `since` (open
    ones, and those closed in [since, until) or later): LEAD_COLUMNS, value as float."""
    stmt = select(
        Lead.id, Lead.name, Lead.owner_id, Lead.region, Lead.value, Lead.stage,
        type_coerce(Lead.created_at, String), type_coerce(Lead.closed_at, String),
        Lead.expected_close,
    ).where(
        Lead.created_at < until,
        or_(Lead.closed_at.is_(None), Lead.closed_at >= since),
        Lead.deleted_at.is_(None),
        read_filter(actor, Entity.LEAD, Lead.owner_id),
    )  # fmt: skip
    frame = core_frame(session, stmt, LEAD_COLUMNS)
    frame["stage"] = frame["stage"].map(str)
    frame["value"] = frame["value"].astype("float64")
    frame["owner_id"] = frame["owner_id"].astype("Int64")
    for column in ("created_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[ns]")
    return frame


def stage_moves(session: Session, start: datetime, end: datetime) -> pd.DataFrame:
    """Stage moves made in [start, end) of leads not deleted: lead_id, owner_id (the lead's
    owner now), changed_at."""
    stmt = (
        select(LeadStageChange.lead_id, Lead.owner_id, LeadStageChange.changed_at)
        .join(Lead, Lead.id == LeadStageChange.lead_id)
        .where(
            LeadStageChange.changed_at >= start,
            LeadStageChange.changed_at < end,
            Lead.deleted_at.is_(None),
        )
    )
    frame = query_frame(session, stmt, ["lead_id", "owner_id", "changed_at"])
    frame["changed_at"] = pd.to_datetime(frame["changed_at"]).astype("datetime64[ns]")
    return frame


def funnel_address(
    start: date, end: date, region: str | None, owner_id: int | None
) -> dict[str, str]:
    """The query parameters that open the Lead funnel ("leads") on the leads the dashboard's
    lead conversion counts: closed (won or lost) on the team's local days [start, end], of the
    lead's own region and owner; the page's win rate is then that figure."""
    return links.funnel_address(start, end, region, owner_id)


def pipeline_address(region: str | None, owner_id: int | None) -> dict[str, str]:
    """The query parameters that open the Pipeline ("pipeline") on the open leads of every
    pipeline of the lead's own region and owner; the page's open value is then the dashboard's
    pipeline value of a period that ends today."""
    return links.pipeline_address(region, owner_id)
