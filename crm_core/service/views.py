"""Saved views of the ticket queue: a user keeps the queue and filters they chose under a
name, lists their own views and the team's shared ones, deletes their own; a manager may
share one of theirs with the team. Stored in `ticket_views` through the write path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, Capability, require, require_capability
from crm_core.models import TicketView, User
from crm_core.models.enums import Entity, Priority, TicketCategory
from crm_core.service import links
from crm_core.service.inputs import TICKET_CHANNELS
from crm_core.service.queues import Filters, Queue

E = Entity.VIEW
MAX_VIEWS = 30  # each user's own
_KNOWN = {
    "priorities": {p.value for p in Priority},
    "categories": {c.value for c in TicketCategory},
    "channels": {c.value for c in TICKET_CHANNELS},
    "tiers": {v.value for v in ValueTier},
}


class ViewIn(_Input):
    name: str = Field(min_length=1, max_length=60)
    search: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True)
class View:
    queue: Queue
    filters: Filters


def document(queue: Queue, filters: Filters) -> dict[str, Any]:
    """What a view keeps: the queue and each filter's chosen values (the customer's region
    and owner and the created dates as the page's address has them)."""
    created = filters.created
    return {
        **links.queue_address(queue.value, filters.region, filters.owner_id, created),
        **{name: list(getattr(filters, name)) for name in _KNOWN},
        "search": filters.search,
    }


def view_of(kept: dict[str, Any]) -> View:
    """A stored view as a queue and filters (values no longer known are dropped)."""
    queue = next((q for q in Queue if q.value == kept.get("queue")), Queue.OPEN)
    chosen = {
        name: tuple(v for v in kept.get(name) or [] if v in known) for name, known in _KNOWN.items()
    }
    texts = {name: value for name, value in kept.items() if isinstance(value, str)}
    linked = links.queue_from_address(texts) or links.QueueLink()
    search = str(kept.get("search") or "")[:200]
    return View(
        queue,
        Filters(
            **chosen,
            search=search,
            region=linked.region,
            owner_id=linked.owner_id,
            created=linked.created,
        ),
    )


def saved_views(session: Session, actor: Actor) -> pd.DataFrame:
    """The actor's own views and the team's shared ones (id, name, owner, mine, shared,
    version, filters), own first, then by name."""
    mine = TicketView.owner_id == actor.id
    rows = session.execute(
        select(
            TicketView.id,
            TicketView.name,
            User.name,
            mine.label("mine"),
            TicketView.shared,
            TicketView.version,
            TicketView.filters,
        )
        .join(User, User.id == TicketView.owner_id)
        .where(or_(mine, TicketView.shared.is_(True)))
        .order_by(mine.desc(), func.lower(TicketView.name), TicketView.id)
    ).all()
    columns = ["id", "name", "owner", "mine", "shared", "version", "filters"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["mine"] = frame["mine"].astype(bool)
    frame["shared"] = frame["shared"].astype(bool)
    return frame


def save_view(
    session: Session,
    actor: Actor,
    name: str,
    queue: Queue,
    filters: Filters,
    *,
    shared: bool = False,
) -> TicketView:
    """Save the queue and filters as the actor's view `name` (one of that name already:
    replaced); `shared` (a manager's) offers it to the whole team."""
    held = validate(ViewIn, {"name": name, "search": filters.search})
    require(actor, E, Action.CREATE)
    if shared:
        require_capability(actor, Capability.MANAGE_SERVICE)
    values = {"name": held.name, "filters": document(queue, filters), "shared": shared}
    same = session.scalar(
        select(TicketView).where(TicketView.owner_id == actor.id, TicketView.name == held.name)
    )
    if same is not None:
        require(actor, E, Action.UPDATE, same)
        writepath.update(session, actor, E, same, same.version, values)
        return same
    count = session.scalar(
        select(func.count()).select_from(TicketView).where(TicketView.owner_id == actor.id)
    )
    if (count or 0) >= MAX_VIEWS:
        raise ValidationError({"name": msg("ticket.too_many_views", n=MAX_VIEWS)})
    return writepath.insert(session, actor, E, TicketView(owner_id=actor.id), values)


def share_view(
    session: Session, actor: Actor, view_id: int, expected_version: int, shared: bool
) -> dict[str, tuple[Any, Any]]:
    """A manager shares one of their views with the team, or stops sharing it."""
    view = writepath.load(session, TicketView, view_id)
    require(actor, E, Action.UPDATE, view)
    require_capability(actor, Capability.MANAGE_SERVICE)
    return writepath.update(session, actor, E, view, expected_version, {"shared": shared})


def delete_view(session: Session, actor: Actor, view_id: int, expected_version: int) -> None:
    """Delete one of the actor's own views (a shared one leaves the team's list too)."""
    view = writepath.load(session, TicketView, view_id)
    require(actor, E, Action.DELETE, view)
    writepath.delete_for_good(
        session, actor, E, TicketView, {view_id: expected_version}, audited=("name",)
    )
