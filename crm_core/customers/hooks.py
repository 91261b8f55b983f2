"""The Customers area's own part of a customer's timeline (touchpoints, orders, changes to
the record) and of a merge (orders, touchpoints and follow-ups move to the kept customer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Row, Select, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from crm_core.kernel import audit
from crm_core.kernel.hooks import (
    MergeStep,
    TimelineKind,
    TimelineSource,
    by,
    joined,
    newest_first,
    on_channels,
    relink,
    text,
)
from crm_core.kernel.messages import N_, Message, enum_code, msg, msgn
from crm_core.kernel.permissions import Actor, Scope, amounts_scope, read_filter
from crm_core.models import (
    Account,
    AuditEntry,
    Customer,
    Interaction,
    Order,
    OrderItem,
    Task,
    User,
)
from crm_core.models.enums import (
    AuditAction,
    Channel,
    Entity,
    Gender,
    Language,
    LeadSource,
    LifecycleStage,
    SalesChannel,
)

_RECORD = {
    AuditAction.CREATE: N_("timeline.record_created"),
    AuditAction.UPDATE: N_("timeline.record_updated"),
    AuditAction.DELETE: N_("timeline.record_deleted"),
    AuditAction.RESTORE: N_("timeline.record_restored"),
    AuditAction.MERGE: N_("timeline.record_merged"),
}


def _interactions(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    on_channel = on_channels(Interaction.channel, Channel, channels)
    if on_channel is None:
        return None
    i = Interaction
    stmt = newest_first(
        i.occurred_at,
        i.channel,
        i.id,
        i.id,
        i.subject,
        i.direction,
        i.duration_minutes,
        i.notes,
        User.name.label("by"),
    )
    return stmt.outerjoin(User, User.id == i.user_id).where(
        i.customer_id == customer_id,
        i.deleted_at.is_(None),
        read_filter(actor, Entity.INTERACTION, i.user_id),
        on_channel,
    )


def _interaction_text(row: Row[Any]) -> tuple[Message, Message]:
    minutes = msgn("timeline.minutes", row.duration_minutes) if row.duration_minutes else None
    notes = text(row.notes) if row.notes else None
    return text(row.subject), joined(row.direction, minutes, by(row.by), notes)


def _orders(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    on_channel = on_channels(Order.channel, SalesChannel, channels)
    if on_channel is None:
        return None
    lines = select(OrderItem).where(OrderItem.order_id == Order.id)
    value = lines.with_only_columns(func.sum(OrderItem.quantity * OrderItem.unit_price))
    items = lines.with_only_columns(func.count(OrderItem.id))
    stmt = newest_first(
        Order.ordered_at,
        Order.channel,
        Order.id,
        Order.id,
        Order.status,
        Order.discount,
        value.scalar_subquery().label("value"),
        items.scalar_subquery().label("items"),
        _amounts_readable(actor).label("amounts"),
    )
    return stmt.where(Order.customer_id == customer_id, Order.deleted_at.is_(None), on_channel)


def _amounts_readable(actor: Actor) -> ColumnElement[bool]:
    """The amounts rule, carried in the row (describing it sees only the row): whether the
    actor reads the order's customer's amounts."""
    granted = amounts_scope(actor)
    if granted is Scope.OWN:
        owned = exists().where(Customer.id == Order.customer_id, Customer.owner_id == actor.id)
        return owned
    return literal(granted is Scope.ALL, Boolean)


def _order_text(row: Row[Any]) -> tuple[Message, Message]:
    total = (row.value or 0) - (row.discount or 0)
    items = msgn("timeline.items", int(row.items or 0))
    title = msg("timeline.order", id=row.ref_id, status=row.status)
    if not row.amounts:  # the items without the total
        return title, joined(items)
    return title, joined(items, msg("timeline.amount", amount=total))


# Fields holding the id of another record, said by that record's name: (model, its name).
_NAMED: dict[str, tuple[Any, Any]] = {
    "owner_id": (User, User.name),
    "account_id": (Account, Account.name),
}
# Fields holding a vocabulary value, said by its label (lifecycle_stage.customer, ...).
_VOCABULARY = {"gender": Gender, "preferred_channel": Channel, "preferred_language": Language,
               "lifecycle_stage": LifecycleStage, "source": LeadSource}  # fmt: skip


def _name_of(field: str, side: str) -> Any:
    """The name of the user (or account) a change's old or new id points at, read in SQL."""
    model, name = _NAMED[field]
    named = aliased(model)  # the feed's query joins the users table already (the actor)
    pointed = AuditEntry.changes[(field, side)].as_integer()
    stmt = select(getattr(named, name.key)).where(named.id == pointed).correlate(AuditEntry)
    return stmt.scalar_subquery().label(f"{field}_{side}")


def _changes(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    if channels is not None:
        return None
    a = AuditEntry
    # The audit log's rule, carried in the row because describing it sees only the row.
    with_values = literal(audit.shows_values(actor), Boolean).label("with_values")
    stmt = newest_first(a.at, None, a.id, a.id, a.action, a.changes, User.name.label("by"))
    names = [_name_of(field, side) for field in _NAMED for side in ("old", "new")]
    stmt = stmt.add_columns(with_values, *names).outerjoin(User, User.id == a.actor_id)
    return stmt.where(a.entity == Entity.CUSTOMER, a.entity_id == customer_id)


def _change_text(row: Row[Any]) -> tuple[Message, Message]:
    who: Any = row.by or msg("timeline.the_system")
    code = _RECORD.get(row.action, N_("timeline.record_changed"))
    title = msg(code, by=who, action=row.action)
    # The title already says deleted or restored; normalised copies repeat the typed values.
    changes = {
        f: d
        for f, d in (row.changes or {}).items()
        if f != "deleted_at" and not f.endswith("_normalized")
    }
    names = {k: getattr(row, k, None) for f in _NAMED for k in (f"{f}_old", f"{f}_new")}
    items = [_diff_text(f, d, bool(row.with_values), names) for f, d in changes.items()]
    return title, msg("format.list", items=items)


def _said(field: str, value: Any, name: Any) -> Any:
    """One side of a change in words: a user or an account by its name, a vocabulary value
    by its label, yes/no, a list joined; "–" for nothing."""
    if value in (None, "", []):
        return "–"
    if field in _NAMED:
        return text(name) if name else msg("timeline.record_id", id=value)
    if field in _VOCABULARY:
        try:
            return Message(enum_code(_VOCABULARY[field](value)))
        except ValueError:  # a value the vocabulary has since dropped: as stored
            return text(str(value))
    if isinstance(value, bool):
        return msg("timeline.yes") if value else msg("timeline.no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return text(str(value))


def _diff_text(
    field: str, diff: Any, with_values: bool, names: dict[str, Any] | None = None
) -> Message:
    """One change as the feed says it; a field's old and new values only to audit readers."""
    old, new = (diff.get("old"), diff.get("new")) if isinstance(diff, dict) else (None, diff)
    if field == "merged_customer":
        return msg("timeline.merged_in", id=new)
    if field == "merged_into_id":
        return msg("timeline.merged_into", id=new)
    if isinstance(new, list) and field.startswith(("moved_", "dropped_")):
        verb, _, what = field.partition("_")
        code = N_("timeline.moved") if verb == "moved" else N_("timeline.dropped")
        return msg(code, what=Message(f"merge_kind.{what}"), count=len(new))
    if not with_values:
        return Message(f"field.{field}")
    names = names or {}
    shown_old = _said(field, old, names.get(f"{field}_old"))
    shown_new = _said(field, new, names.get(f"{field}_new"))
    return msg("timeline.diff", field=Message(f"field.{field}"), old=shown_old, new=shown_new)


def _move_own_rows(
    session: Session, actor: Actor, keep_id: int, merge_id: int, now: datetime
) -> dict[str, list[int]]:
    ids = (keep_id, merge_id)
    return {
        "orders": relink(session, actor, Order, "customer_id", ids, now),
        "interactions": relink(session, actor, Interaction, "customer_id", ids, now),
        "tasks": relink(session, actor, Task, "customer_id", ids, now),
    }


INTERACTIONS = TimelineSource(TimelineKind.INTERACTION, _interactions, _interaction_text)
ORDERS = TimelineSource(TimelineKind.ORDER, _orders, _order_text)
CHANGES = TimelineSource(TimelineKind.CHANGE, _changes, _change_text)
MERGE = MergeStep("customers", _move_own_rows)
