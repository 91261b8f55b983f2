"""The public web form: a visitor's submission becomes a New lead with source "web form",
owned by whom the assignment rules name; a filled honeypot is dropped without a word, and a
sender past the hourly limit is refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel.errors import CRMError
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import N_
from crm_core.kernel.permissions import Actor, Capability, may
from crm_core.models import Lead, User
from crm_core.models.enums import LeadSource
from crm_core.sales.inputs import WebFormIn
from crm_core.sales.leads import assigned_owner, insert_lead
from crm_core.sales.settings import DEFAULT_PIPELINE, sales_settings

HONEYPOT = "website"


class TooManySubmissions(CRMError):
    """The sender sent the hourly limit of forms already; nothing was written."""


def form_fields(session: Session) -> list[str]:
    """What the form asks besides the name, as the manager chose."""
    return list(sales_settings(session).form_fields)


def _receiver(session: Session, owner_id: int | None) -> Actor | None:
    """Who the lead is written for: the assigned owner, else the first active user who may
    give leads to others (a manager), who then hands it on."""
    stmt = select(User).where(User.active.is_(True)).order_by(User.id)
    if owner_id is not None:
        stmt = stmt.where(User.id == owner_id)
    for user in session.scalars(stmt):
        if owner_id is not None or may(user.role, Capability.ASSIGN_LEADS):
            return Actor(id=user.id, username=user.username, name=user.name, role=user.role)
    return None


def submit_web_form(
    session: Session,
    data: Mapping[str, Any],
    sent_last_hour: int,
    now: datetime | None = None,
) -> Lead | None:
    """A New lead from the form (None when the honeypot was filled: a bot, told nothing).

    `sent_last_hour` is how many forms this sender sent in the past hour (the page counts
    them per browser address); at the settings' limit the submission is refused.
    """
    settings = sales_settings(session)
    if data.get(HONEYPOT):
        return None
    if sent_last_hour >= settings.form_per_hour:
        raise TooManySubmissions(N_("lead.web_form_too_many"))
    asked = {"name", *settings.form_fields}
    held = validate(WebFormIn, {k: v for k, v in data.items() if k in asked})
    values = held.model_dump(exclude={HONEYPOT})
    source = LeadSource.WEB_FORM
    owner = assigned_owner(session, settings, source, values.get("region"))
    receiver = _receiver(session, owner)
    if receiver is None:  # no active user at all: nobody could ever see the lead
        raise CRMError(N_("lead.web_form_closed"))
    lead_values = {
        **values,
        "value": values.get("value") or 0,
        "source": source,
        "owner_id": receiver.id,
        "pipeline": DEFAULT_PIPELINE,
        "expected_close": None,
        "campaign_id": None,
    }
    return insert_lead(session, receiver, lead_values, settings, now)
