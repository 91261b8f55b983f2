"""Saved views of the Customers list: a name for a search, its filters and its sort.

Everyone has "My customers" ready (the customers they own, by name). A user saves their own
views, kept in a settings row of their own; a manager (Capability.SHARE_VIEWS) also shares
views with the whole team, kept in one shared settings row. Both are written through the
write path (audited, locked on version). A view sorted by an amount the reader may not sort
by (profit, for a salesperson) opens sorted by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from crm_core.customers import listing
from crm_core.customers.listing import CustomerFilter
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import N_, msg
from crm_core.kernel.permissions import (
    Action,
    Actor,
    Capability,
    require,
    require_capability,
)
from crm_core.models import Setting
from crm_core.models.enums import Entity

MAX_VIEWS = 20
SHARED_KEY = "customer_views:shared"
MY_CUSTOMERS = N_("My customers")
_TUPLES = ("value_tiers", "rfm_segments", "lifecycle_stages", "regions", "cities", "industries",
           "created_between", "bought_between")  # fmt: skip


@dataclass(frozen=True)
class SavedView:
    """A view as the list applies it. `name` is what the user typed; the built-in view has
    none and its `label` (a msgid) instead."""

    name: str | None
    flt: CustomerFilter
    sort_by: str
    descending: bool
    shared: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        """Unique among the views a user sees: "builtin:", "own:NAME" or "shared:NAME"."""
        if self.name is None:
            return "builtin:my-customers"
        return f"{'shared' if self.shared else 'own'}:{self.name}"


class ViewIn(_Input):
    name: str = Field(min_length=1, max_length=60)


def _own_key(actor: Actor) -> str:
    return f"customer_views:{actor.id}"


def views_for(session: Session, actor: Actor) -> list[SavedView]:
    """The views the actor picks from: My customers, their own, then the team's shared ones."""
    require(actor, Entity.CUSTOMER, Action.READ)
    mine = CustomerFilter(owner_ids=(actor.id,))
    views = [SavedView(None, mine, "name", False, label=MY_CUSTOMERS)]
    for key, shared in ((_own_key(actor), False), (SHARED_KEY, True)):
        for name, document in sorted(_stored(session, key).items()):
            views.append(_view(actor, name, document, shared))
    return views


def save_view(
    session: Session,
    actor: Actor,
    name: str,
    flt: CustomerFilter,
    sort_by: str,
    descending: bool,
    *,
    shared: bool = False,
) -> None:
    """Save (or replace) the view `name`: the actor's own, or (`shared`) the team's."""
    held = validate(ViewIn, {"name": name.strip()})
    require(actor, Entity.CUSTOMER, Action.READ)
    if shared:
        require_capability(actor, Capability.SHARE_VIEWS)
    if sort_by not in listing.sorts(actor):
        raise ValidationError({"sort_by": msg("validation.not_valid")})
    key = SHARED_KEY if shared else _own_key(actor)
    views = _stored(session, key)
    if held.name not in views and len(views) >= MAX_VIEWS:
        raise ValidationError({"name": msg("customer.too_many_views", n=MAX_VIEWS)})
    document = {**_listed(asdict(flt)), "sort_by": sort_by, "descending": descending}
    _write(session, actor, key, {**views, held.name: document})


def delete_view(session: Session, actor: Actor, name: str, *, shared: bool = False) -> None:
    """Delete the view `name` (a shared one: for who may share views)."""
    if shared:
        require_capability(actor, Capability.SHARE_VIEWS)
    key = SHARED_KEY if shared else _own_key(actor)
    views = _stored(session, key)
    if name in views:
        del views[name]
        _write(session, actor, key, views)


def _stored(session: Session, key: str) -> dict[str, dict[str, Any]]:
    row = session.get(Setting, key)
    return dict((row.value if row else {}).get("views", {}))


def _listed(document: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in document.items()}


def _view(actor: Actor, name: str, document: dict[str, Any], shared: bool) -> SavedView:
    known = CustomerFilter.__dataclass_fields__
    values: dict[str, Any] = {k: v for k, v in document.items() if k in known}
    for field in _TUPLES:
        values[field] = tuple(str(v) for v in values.get(field, ()))
    values["owner_ids"] = tuple(int(v) for v in values.get("owner_ids", ()))
    sort_by = str(document.get("sort_by", "name"))
    if sort_by not in listing.sorts(actor):
        sort_by = "name"
    descending = bool(document.get("descending", False))
    return SavedView(name, CustomerFilter(**values), sort_by, descending, shared)


def _write(session: Session, actor: Actor, key: str, views: dict[str, Any]) -> None:
    row = session.get(Setting, key, populate_existing=True)
    before = None if row is None else sorted(row.value.get("views", {}))
    audited = {f"{key}.views": (before, sorted(views))}
    if row is None:
        writepath.insert(
            session, actor, Entity.SETTING, Setting(key=key), {"value": {"views": views}},
            audited=audited,
        )  # fmt: skip
        return
    writepath.update(
        session, actor, Entity.SETTING, row, row.version, {"value": {"views": views}},
        audited=audited,
    )  # fmt: skip
