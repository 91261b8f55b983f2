"""The Customers area's own part of a customer's timeline (touchpoints, orders, changes to
the record) and of a merge (orders, touchpoints and follow-ups move to the kept customer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Row, Select, func, literal, select
from sqlalchemy.orm import Session

from crm_core.kernel import audit
from crm_core.kernel.hooks import (
    MergeStep,
    TimelineKind,
    TimelineSource,
    joined,
    newest_first,
    on_channels,
    relink,
)
from crm_core.kernel.money import format_money
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.models import AuditEntry, Interaction, Order, OrderItem, Task, User
from crm_core.models.enums import Channel, Entity, SalesChannel


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


def _interaction_text(row: Row[Any]) -> tuple[str, str]:
    minutes = f"{row.duration_minutes} min" if row.duration_minutes else None
    return row.subject, joined(str(row.direction), minutes, row.by and f"by {row.by}", row.notes)


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
    )
    return stmt.where(Order.customer_id == customer_id, Order.deleted_at.is_(None), on_channel)


def _order_text(row: Row[Any]) -> tuple[str, str]:
    total = (row.value or 0) - (row.discount or 0)
    items = f"{row.items} item{'' if row.items == 1 else 's'}"
    return f"Order #{row.ref_id} · {row.status}", joined(items, format_money(total))


def _changes(actor: Actor, customer_id: int, channels: set[str] | None) -> Select[Any] | None:
    if channels is not None:
        return None
    a = AuditEntry
    # The audit log's rule, carried in the row because describing it sees only the row.
    with_values = literal(audit.shows_values(actor), Boolean).label("with_values")
    stmt = newest_first(a.at, None, a.id, a.id, a.action, a.changes, User.name.label("by"))
    stmt = stmt.add_columns(with_values).outerjoin(User, User.id == a.actor_id)
    return stmt.where(a.entity == Entity.CUSTOMER, a.entity_id == customer_id)


def _change_text(row: Row[Any]) -> tuple[str, str]:
    title = f"Record {row.action}d by {row.by or 'the system'}"
    # The title already says deleted or restored; normalised copies repeat the typed values.
    changes = {
        f: d
        for f, d in (row.changes or {}).items()
        if f != "deleted_at" and not f.endswith("_normalized")
    }
    return title, "; ".join(_diff_text(f, d, bool(row.with_values)) for f, d in changes.items())


def _diff_text(field: str, diff: Any, with_values: bool) -> str:
    """One change as the feed says it; a field's old and new values only to audit readers."""
    old, new = (diff.get("old"), diff.get("new")) if isinstance(diff, dict) else (None, diff)
    if field == "merged_customer":
        return f"customer #{new} merged into this one"
    if field == "merged_into_id":
        return f"merged into customer #{new}"
    if isinstance(new, list) and field.startswith(("moved_", "dropped_")):
        verb, _, what = field.partition("_")
        return f"{what.replace('_', ' ')}: {len(new)} {verb}"
    if not with_values:
        return field
    return f"{field}: {'–' if old in (None, '', []) else old} → {'–' if new is None else new}"


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
