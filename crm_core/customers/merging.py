"""Merging two duplicate customers into one: everything moves to the kept one, in one transaction.

Orders, tickets, interactions, follow-ups, lead links and campaign memberships move to the
kept customer (a campaign both were in keeps one membership, with the furthest progress of the
two). Field by field, the user may choose whose value wins (`side_by_side` shows both records
and proposes a winner); a field not chosen keeps the kept customer's value, filled from the
merged one when empty. The merged one is soft-deleted with `merged_into_id` set. Both
customers get a MERGE audit entry; the kept one's lists every moved row and every value it
took, so a wrong merge can be traced and undone by hand.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_core.customers import fields
from crm_core.customers.inputs import CustomerIn
from crm_core.kernel import writepath
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.hooks import merge_steps
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Actor, Capability, require_capability
from crm_core.models import Customer, table_of, utcnow
from crm_core.models.enums import AuditAction, Entity


def merge_customers(
    session: Session,
    actor: Actor,
    keep_id: int,
    merge_id: int,
    expected_versions: Mapping[int, int],
    winners: Mapping[str, int] | None = None,
) -> dict[str, list[int]]:
    """Merge customer `merge_id` into `keep_id`, both read at `expected_versions[id]`;
    returns the ids moved, by kind (orders, tickets, ..., campaign_memberships).

    `winners` maps a field to the customer id whose value the kept customer takes (the
    merged one's even when empty); fields not named keep the kept one's value, filled from
    the merged one when empty. The merged result is validated as a profile is."""
    require_capability(actor, Capability.MERGE_CUSTOMERS)
    if keep_id == merge_id:
        raise ValidationError({"merge_id": msg("merge.same_customer")})
    keep = writepath.load(session, Customer, keep_id)
    merged = writepath.load(session, Customer, merge_id)
    for row in (keep, merged):
        if row.id not in expected_versions:
            raise ValidationError({"expected_versions": msg("merge.no_version", id=row.id)})
    taken = _chosen_values(keep, merged, winners or {})
    # Both read versions are checked before anything moves: a stale one raises ConflictError.
    writepath.update(session, actor, Entity.CUSTOMER, keep, expected_versions[keep_id], {})
    now = utcnow()
    gone: dict[str, Any] = {"deleted_at": now, "merged_into_id": keep_id}
    if "external_id" in taken and merged.external_id is not None:
        gone["external_id"] = None  # unique: the kept customer takes it over
    writepath.update(
        session,
        actor,
        Entity.CUSTOMER,
        merged,
        expected_versions[merge_id],
        gone,
        AuditAction.MERGE,
    )
    moved = _move_rows(session, actor, keep_id, merge_id, now)
    filled = {**_fill_empty_fields(keep, merged, set(taken)), **taken}
    _save_kept(session, actor, keep, filled, now)
    changes: dict[str, tuple[Any, Any]] = {"merged_customer": (None, merge_id), **filled}
    changes |= {_audit_key(kind): (None, ids) for kind, ids in moved.items() if ids}
    writepath.record_event(session, actor, Entity.CUSTOMER, keep_id, AuditAction.MERGE, changes)
    return moved


def _audit_key(kind: str) -> str:
    return kind if kind.startswith("dropped_") else f"moved_{kind}"


def _move_rows(
    session: Session, actor: Actor, keep_id: int, merge_id: int, now: datetime
) -> dict[str, list[int]]:
    """Every area moves its rows (crm_core.wiring lists the steps); earlier merges follow."""
    moved: dict[str, list[int]] = {}
    for step in merge_steps():
        moved |= step.move(session, actor, keep_id, merge_id, now)
    table = table_of(Customer)
    earlier = update(table).where(table.c.merged_into_id == merge_id)
    session.execute(earlier.values(merged_into_id=keep_id))  # earlier merges now point here too
    return moved


def _fill_empty_fields(
    keep: Customer,
    merged: Customer,
    chosen: Collection[str] = (),
) -> dict[str, tuple[Any, Any]]:
    """Fields the kept customer lacks and the merged one has (yes/no consents are never empty),
    leaving out those the user chose a winner for."""
    filled = {}
    for field in (*fields.editable_names(), "email_normalized", "phone_normalized"):
        if field in chosen or field.removesuffix("_normalized") in chosen:
            continue
        mine, theirs = getattr(keep, field), getattr(merged, field)
        if mine in (None, "", []) and theirs not in (None, "", []) and field != "external_id":
            filled[field] = (mine, theirs)
    return filled


def _chosen_values(
    keep: Customer, merged: Customer, winners: Mapping[str, int]
) -> dict[str, tuple[Any, Any]]:
    """The kept customer's fields that take the merged one's value, as (old, new); the
    result checked as a profile form's input (an unknown field or a bad pick is refused)."""
    editable = set(fields.editable_names())
    problems = {
        f: msg("merge.not_a_side", id=w)
        for f, w in winners.items()
        if f not in editable or w not in (keep.id, merged.id)
    }
    if problems:
        raise ValidationError(problems)
    taken: dict[str, tuple[Any, Any]] = {}
    for field, winner in winners.items():
        mine, theirs = getattr(keep, field), getattr(merged, field)
        if winner == merged.id and mine != theirs:
            taken[field] = (mine, theirs)
    for field in ("email", "phone"):
        if field in taken:
            normalized = f"{field}_normalized"
            taken[normalized] = (getattr(keep, normalized), getattr(merged, normalized))
    profile = {f: getattr(keep, f) for f in editable} | {f: n for f, (_o, n) in taken.items()}
    validate(CustomerIn, {f: v for f, v in profile.items() if f in CustomerIn.model_fields})
    return taken


@dataclass(frozen=True)
class FieldChoice:
    """One row of the side-by-side merge: a field, both customers' values, whether they
    differ, and which customer's value is proposed to win."""

    field: str
    label: str  # English msgid
    keep: Any
    merge: Any
    differs: bool
    proposed: int  # a customer id


def side_by_side(session: Session, actor: Actor, keep_id: int, merge_id: int) -> list[FieldChoice]:
    """Both customers field by field, for the merge dialog; the kept value is proposed unless
    it is empty and the other's is not (what merging without a choice does)."""
    require_capability(actor, Capability.MERGE_CUSTOMERS)
    if keep_id == merge_id:
        raise ValidationError({"merge_id": msg("merge.same_customer")})
    keep = writepath.load(session, Customer, keep_id)
    merged = writepath.load(session, Customer, merge_id)
    rows = []
    for spec in fields.FIELDS:
        if not spec.editable:
            continue
        mine, theirs = getattr(keep, spec.name), getattr(merged, spec.name)
        empty = mine in (None, "", []) and theirs not in (None, "", [])
        proposed = merge_id if empty and spec.name != "external_id" else keep_id
        rows.append(FieldChoice(spec.name, spec.label, mine, theirs, mine != theirs, proposed))
    return rows


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
        raise ConflictError(Entity.CUSTOMER, None, None) from None
