"""Bulk edit of customers: one owner, lifecycle stage or tag change applied to many, all or none.

Each record goes through the one write path (customers.update_customer: validation, the
actor's permission on that record, the version the user read, one audit entry), all in the
caller's transaction. If any record fails, nothing is written, and the result names every
failing record with its reason, so the user can fix the selection (or reload) and retry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import records as customers
from crm_core.customers.inputs import TAG_MAX_LENGTH
from crm_core.kernel import writepath
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.lookups import is_active_user
from crm_core.kernel.messages import Message, msg, render
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Customer
from crm_core.models.enums import Entity, LifecycleStage

CHANGES = ("owner_id", "lifecycle_stage", "add_tag", "remove_tag")
MAX_TARGETS = 1000


@dataclass(frozen=True)
class Skipped:
    """A record that could not be changed, and why (the write path's message code)."""

    customer_id: int
    name: str | None
    reason: Message

    def __str__(self) -> str:
        who = f"#{self.customer_id}" + (f" {self.name}" if self.name else "")
        return f"{who}: {render(self.reason)}"


@dataclass(frozen=True)
class BulkResult:
    """`updated`: ids changed (one audit entry each); `unchanged`: already as asked.

    When `skipped` is not empty nothing at all was written (`updated` and `unchanged` are
    then empty): every failing record is listed, so the user can fix them and try again.
    """

    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.skipped and bool(self.updated)


def bulk_update_customers(
    session: Session,
    actor: Actor,
    changes: Mapping[str, Any],
    targets: Sequence[tuple[int, int]],
) -> BulkResult:
    """Apply `changes` to every (customer id, version read) in `targets`, or to none.

    `changes` holds any of owner_id, lifecycle_stage, add_tag, remove_tag. Raises
    ValidationError for bad changes (nothing tried) and PermissionDenied when the actor's
    role may not edit customers at all; per-record failures come back in `skipped`.
    """
    wanted = _checked(session, changes, targets)
    require(actor, Entity.CUSTOMER, Action.UPDATE)
    unique = list(dict.fromkeys(int(customer_id) for customer_id, _ in targets))
    versions = {int(customer_id): int(version) for customer_id, version in reversed(targets)}
    found = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(unique)))
    names = {customer_id: name for customer_id, name in found}
    batch = session.begin_nested()  # all or nothing, inside the caller's transaction
    updated: list[int] = []
    unchanged: list[int] = []
    skipped: list[Skipped] = []
    for customer_id in unique:
        try:
            with session.begin_nested():  # a failed record leaves the others checkable
                changed = _update_one(session, actor, customer_id, versions[customer_id], wanted)
        except CRMError as exc:
            skipped.append(Skipped(customer_id, names.get(customer_id), exc.message))
            continue
        (updated if changed else unchanged).append(customer_id)
    if skipped:
        batch.rollback()
        return BulkResult(skipped=skipped)
    batch.commit()
    return BulkResult(updated=updated, unchanged=unchanged)


def _update_one(
    session: Session, actor: Actor, customer_id: int, version: int, wanted: Mapping[str, Any]
) -> bool:
    customer = writepath.load(session, Customer, customer_id)
    data = {k: v for k, v in wanted.items() if k in ("owner_id", "lifecycle_stage")}
    if "add_tag" in wanted or "remove_tag" in wanted:
        tags = [t for t in customer.tags if t != wanted.get("remove_tag")]
        if wanted.get("add_tag") and wanted["add_tag"] not in tags:
            tags.append(wanted["add_tag"])
        data["tags"] = tags
    return bool(customers.update_customer(session, actor, customer_id, version, data))


def _checked(
    session: Session, changes: Mapping[str, Any], targets: Sequence[tuple[int, int]]
) -> dict[str, Any]:
    """The changes asked for, cleaned; ValidationError naming each bad one (checked once here
    rather than failing every record with the same message)."""
    errors: dict[str, Message] = {}
    unknown = sorted(set(changes) - set(CHANGES))
    for name in unknown:
        errors[name] = msg("bulk.unknown_change")
    wanted = {k: v for k, v in changes.items() if k in CHANGES and v not in (None, "")}
    for tag_field in ("add_tag", "remove_tag"):
        if tag_field in wanted:
            wanted[tag_field] = str(wanted[tag_field]).strip()
            if not wanted[tag_field] or len(wanted[tag_field]) > TAG_MAX_LENGTH:
                errors[tag_field] = msg("validation.length_between", min=1, max=TAG_MAX_LENGTH)
    if "lifecycle_stage" in wanted:
        try:
            wanted["lifecycle_stage"] = LifecycleStage(wanted["lifecycle_stage"])
        except ValueError:
            choices = ", ".join(LifecycleStage)
            errors["lifecycle_stage"] = msg("validation.one_of", choices=choices)
    if "owner_id" in wanted and not is_active_user(session, wanted["owner_id"]):
        errors["owner_id"] = msg("validation.active_user")
    if wanted.get("add_tag") and wanted.get("add_tag") == wanted.get("remove_tag"):
        errors["remove_tag"] = msg("bulk.same_tag")
    if not wanted and not unknown:
        errors["changes"] = msg("bulk.no_change")
    if not targets:
        errors["customers"] = msg("bulk.no_customer")
    elif len(targets) > MAX_TARGETS:
        errors["customers"] = msg("bulk.too_many", max=MAX_TARGETS)
    if errors:
        raise ValidationError(errors)
    return wanted
