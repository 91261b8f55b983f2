"""Saved views of the lead list: each user's own named filters and sort, kept in a settings
row of their own and written through the write path (audited, locked on version)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Setting
from crm_core.models.enums import Entity
from crm_core.sales.pipeline import SORTS, LeadFilter

MAX_VIEWS = 20


def _key(actor: Actor) -> str:
    return f"lead_views:{actor.id}"


class ViewIn(_Input):
    name: str = Field(min_length=1, max_length=60)


def saved_views(session: Session, actor: Actor) -> dict[str, dict[str, Any]]:
    """The actor's views by name: filter fields, `sort` and `descending`."""
    row = session.get(Setting, _key(actor))
    return dict((row.value if row else {}).get("views", {}))


def view_filter(view: dict[str, Any]) -> tuple[LeadFilter, str, bool]:
    fields = {k: view[k] for k in LeadFilter.__dataclass_fields__ if k in view}
    for name in ("stages", "sources"):
        fields[name] = tuple(fields.get(name, ()))
    sort = view.get("sort", "created_at")
    return (
        LeadFilter(**fields),
        sort if sort in SORTS else "created_at",
        bool(view.get("desc", True)),
    )


def save_view(
    session: Session, actor: Actor, name: str, chosen: LeadFilter, sort: str, descending: bool
) -> None:
    """Save (or replace) the actor's view `name` of the lead list."""
    held = validate(ViewIn, {"name": name})
    require(actor, Entity.LEAD, Action.READ)
    views = saved_views(session, actor)
    if held.name not in views and len(views) >= MAX_VIEWS:
        raise ValidationError({"name": msg("lead.too_many_views", n=MAX_VIEWS)})
    document = {**asdict(chosen), "sort": sort, "desc": descending}
    document["stages"], document["sources"] = list(chosen.stages), list(chosen.sources)
    _write(session, actor, {**views, held.name: document})


def delete_view(session: Session, actor: Actor, name: str) -> None:
    views = saved_views(session, actor)
    if name in views:
        del views[name]
        _write(session, actor, views)


def _write(session: Session, actor: Actor, views: dict[str, Any]) -> None:
    key = _key(actor)
    row = session.get(Setting, key, populate_existing=True)
    audited = {
        f"{key}.views": (None if row is None else sorted(row.value.get("views", {})), sorted(views))
    }
    if row is None:
        writepath.insert(
            session,
            actor,
            Entity.SETTING,
            Setting(key=key),
            {"value": {"views": views}},
            audited=audited,
        )
        return
    writepath.update(
        session,
        actor,
        Entity.SETTING,
        row,
        row.version,
        {"value": {"views": views}},
        audited=audited,
    )
