"""Merging two duplicate customers into one: everything moves to the kept one, in one transaction.

Orders, tickets, interactions, follow-ups, lead links and campaign memberships move to the
kept customer (a campaign both were in keeps one membership, with the furthest progress of the
two); the kept customer's empty fields are filled from the merged one; the merged one is
soft-deleted with `merged_into_id` set. Both customers get a MERGE audit entry; the kept one's
lists every moved row, so a wrong merge can be traced and undone by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_core.customers import records as customers
from crm_core.kernel import audit, writepath
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import CampaignMember, Customer, Interaction, Lead, Order, Task, Ticket, utcnow
from crm_core.models.enums import AuditAction, Role

MERGERS = frozenset({Role.ADMIN, Role.MANAGER})
# Versioned rows whose customer link moves; their version is bumped so open forms see a conflict.
_MOVED: tuple[tuple[str, Table, str], ...] = (
    ("orders", Order.__table__, "customer_id"),
    ("tickets", Ticket.__table__, "customer_id"),
    ("interactions", Interaction.__table__, "customer_id"),
    ("tasks", Task.__table__, "customer_id"),
    ("leads", Lead.__table__, "customer_id"),
    ("converted_leads", Lead.__table__, "converted_customer_id"),
)
_PROGRESS = ("sent_at", "responded_at", "converted_at")


def merge_customers(
    session: Session,
    actor: Actor,
    keep_id: int,
    merge_id: int,
    expected_versions: Mapping[int, int],
) -> dict[str, list[int]]:
    """Merge customer `merge_id` into `keep_id`, both read at `expected_versions[id]`;
    returns the ids moved, by kind (orders, tickets, ..., campaign_memberships)."""
    if actor.role not in MERGERS:
        raise PermissionDenied(f"Your role ({actor.role.value}) cannot merge customers.")
    if keep_id == merge_id:
        raise ValidationError({"merge_id": "choose a different customer to merge"})
    keep = writepath.load(session, Customer, keep_id)
    merged = writepath.load(session, Customer, merge_id)
    for row in (keep, merged):
        if row.id not in expected_versions:
            raise ValidationError({"expected_versions": f"no version given for #{row.id}"})
    # Both read versions are checked before anything moves: a stale one raises ConflictError.
    writepath.update(session, actor, "customer", keep, expected_versions[keep_id], {})
    now = utcnow()
    gone = {"deleted_at": now, "merged_into_id": keep_id}
    writepath.update(
        session, actor, "customer", merged, expected_versions[merge_id], gone, AuditAction.MERGE
    )
    moved = _move_rows(session, actor, keep_id, merge_id, now)
    filled = _fill_empty_fields(keep, merged)
    _save_kept(session, actor, keep, filled, now)
    changes: dict[str, tuple[Any, Any]] = {"merged_customer": (None, merge_id), **filled}
    changes |= {_audit_key(kind): (None, ids) for kind, ids in moved.items() if ids}
    audit.record(session, actor.id, "customer", keep_id, AuditAction.MERGE, changes)
    return moved


def _audit_key(kind: str) -> str:
    return kind if kind.startswith("dropped_") else f"moved_{kind}"


def _move_rows(
    session: Session, actor: Actor, keep_id: int, merge_id: int, now: datetime
) -> dict[str, list[int]]:
    moved: dict[str, list[int]] = {}
    for kind, table, column in _MOVED:
        stmt = (
            update(table)
            .where(table.c[column] == merge_id)
            .values({column: keep_id, "version": table.c.version + 1})
            .values(updated_at=now, updated_by_id=actor.id)
            .returning(table.c.id)
        )
        moved[kind] = sorted(session.scalars(stmt).all())
    moved["campaign_memberships"], moved["dropped_campaign_memberships"] = _move_memberships(
        session, keep_id, merge_id
    )
    earlier = update(Customer.__table__).where(Customer.__table__.c.merged_into_id == merge_id)
    session.execute(earlier.values(merged_into_id=keep_id))  # earlier merges now point here too
    return moved


def _move_memberships(session: Session, keep_id: int, merge_id: int) -> tuple[list[int], list[int]]:
    """Move the merged customer's campaign memberships; where both were members, keep the kept
    customer's row, completed with the merged one's progress (sent, responded, converted)."""
    members = CampaignMember.__table__
    mine = select(members).where(members.c.customer_id == keep_id)
    kept = {row.campaign_id: row for row in session.execute(mine)}
    theirs = session.execute(select(members).where(members.c.customer_id == merge_id)).all()
    dropped = [row for row in theirs if row.campaign_id in kept]
    for row in dropped:
        progress = {
            f: getattr(row, f) for f in _PROGRESS if getattr(kept[row.campaign_id], f) is None
        }
        progress = {f: at for f, at in progress.items() if at is not None}
        if progress:
            target = members.c.id == kept[row.campaign_id].id
            session.execute(update(members).where(target).values(progress))
    dropped_ids = sorted(row.id for row in dropped)
    if dropped_ids:
        session.execute(delete(members).where(members.c.id.in_(dropped_ids)))
    stmt = (
        update(members)
        .where(members.c.customer_id == merge_id)
        .values(customer_id=keep_id)
        .returning(members.c.id)
    )
    return sorted(session.scalars(stmt).all()), dropped_ids


def _fill_empty_fields(keep: Customer, merged: Customer) -> dict[str, tuple[Any, Any]]:
    """Fields the kept customer lacks and the merged one has (yes/no consents are never empty)."""
    filled = {}
    for field in (*customers.EDITABLE_FIELDS, "email_normalized", "phone_normalized"):
        mine, theirs = getattr(keep, field), getattr(merged, field)
        if mine in (None, "", []) and theirs not in (None, "", []) and field != "external_id":
            filled[field] = (mine, theirs)
    return filled


def _save_kept(
    session: Session,
    actor: Actor,
    keep: Customer,
    filled: dict[str, tuple[Any, Any]],
    now: datetime,
) -> None:
    """Apply the filled fields (version already checked); the kept customer's version moves."""
    for field, (_old, new) in filled.items():
        setattr(keep, field, new)
    keep.updated_at, keep.updated_by_id = now, actor.id
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError("customer", None, None) from None
