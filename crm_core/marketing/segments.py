"""Saved segments: create, edit and delete them through the write path; their members today or
at a past date, a preview, handing a segment's customers to an account manager (audited per
customer, with a preview of who changes), and the consent-honouring broadcast export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd
from pydantic import Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_core.customers.read import stored_values
from crm_core.kernel import writepath
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.frames import change_mark, query_frame
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.lookups import is_active_user
from crm_core.kernel.messages import N_, msg
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.marketing.amounts import mask_frame
from crm_core.marketing.rules import RuleIn, matching_ids, parse_rule
from crm_core.models import Account, Customer, Segment, User
from crm_core.models.enums import Entity

_CHUNK = 500


class SegmentIn(_Input):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    rule: RuleIn


# Ready-made segments for the practices the CRM literature names (Buttle & Maklan): reward
# the long-loyal, cross-sell to the Most Growable, plan the cost to serve of the Below-Zero.
READY_MADE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "reward": (
        N_("Long-loyal customers to reward"),
        N_("Buying for a year or more, still active (Champions, Loyal or Cannot Lose "
           "Them): offer a special price, extra service or a bonus."),
        {"groups": [{"conditions": [
            {"field": "years_since_first_order", "op": "at least", "value": 1},
            {"field": "rfm_segment", "op": "in",
             "value": ["Champions", "Loyal", "Cannot Lose Them"]},
        ]}]},
    ),
    "cross_sell": (
        N_("Most Growable customers for cross-selling"),
        N_("Most Growable customers who bought in the last 180 days: offer what customers "
           "like them buy next."),
        {"groups": [{"conditions": [
            {"field": "value_tier", "op": "in", "value": ["Most Growable"]},
            {"field": "days_since_last_order", "op": "at most", "value": 180},
        ]}]},
    ),
    "cost_plan": (
        N_("Below-Zero customers whose cost to serve needs a plan"),
        N_("They cost more to serve than they earn: move them to cheaper channels, charge "
           "for extras, or raise what they buy."),
        {"groups": [{"conditions": [
            {"field": "value_tier", "op": "in", "value": ["Below-Zero"]},
        ]}]},
    ),
}  # fmt: skip


def ready_made_rule(key: str) -> RuleIn:
    return parse_rule(READY_MADE[key][2])


def _name_taken(session: Session, name: str, other_than: int | None = None) -> bool:
    stmt = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if other_than is not None:
        stmt = stmt.where(Segment.id != other_than)
    return session.scalar(stmt.where(Segment.deleted_at.is_(None))) is not None


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    segment = validate(SegmentIn, data)
    return {
        "name": segment.name,
        "description": segment.description,
        "rule": segment.rule.model_dump(mode="json"),
    }


def create_segment(session: Session, actor: Actor, data: Mapping[str, Any]) -> Segment:
    """Save a new segment owned by the actor; its name must be new."""
    values = _values(data)
    require(actor, Entity.SEGMENT, Action.CREATE)
    if _name_taken(session, values["name"]):
        raise ValidationError({"name": msg("segment.name_taken")})
    values["owner_id"] = actor.id
    return writepath.insert(session, actor, Entity.SEGMENT, Segment(), values)


def update_segment(
    session: Session, actor: Actor, segment_id: int, version: int, data: Mapping[str, Any]
) -> Segment:
    """Change a segment's name, description or rule, over the version the user read."""
    values = _values(data)
    segment = writepath.load(session, Segment, segment_id)
    require(actor, Entity.SEGMENT, Action.UPDATE, segment)
    if _name_taken(session, values["name"], other_than=segment_id):
        raise ValidationError({"name": msg("segment.name_taken")})
    writepath.update(session, actor, Entity.SEGMENT, segment, version, values)
    return segment


def delete_segment(session: Session, actor: Actor, segment_id: int, version: int) -> None:
    segment = writepath.load(session, Segment, segment_id)
    writepath.soft_delete(session, actor, Entity.SEGMENT, segment, version)


def list_segments(session: Session, actor: Actor) -> pd.DataFrame:
    """Every saved segment (shared with all who may read segments), by name."""
    require(actor, Entity.SEGMENT, Action.READ)
    stmt = (
        select(
            Segment.id, Segment.name, Segment.description, Segment.rule,
            User.name.label("owner"), Segment.owner_id, Segment.updated_at, Segment.version,
        )
        .outerjoin(User, User.id == Segment.owner_id)
        .where(Segment.deleted_at.is_(None))
        .order_by(Segment.name)
    )  # fmt: skip
    columns = ["id", "name", "description", "rule", "owner", "owner_id", "updated_at", "version"]
    return query_frame(session, stmt, columns)


def segment_rule(session: Session, actor: Actor, segment_id: int) -> tuple[Segment, RuleIn]:
    segment = writepath.load(session, Segment, segment_id)
    require(actor, Entity.SEGMENT, Action.READ, segment)
    return segment, parse_rule(segment.rule)


def customers_mark(session: Session) -> tuple[Any, ...]:
    """The customers' and companies' change mark: what a rule reads besides the stored
    value figures (whose moment marks them)."""
    return change_mark(session, Customer, Account)


def members(
    session: Session,
    actor: Actor,
    rule: RuleIn,
    values: pd.DataFrame | None,
    as_of: datetime,
    *,
    past: bool = False,
) -> list[int]:
    """The customers in the segment: today (`values` None: the stored read model, in SQL),
    or at a `past` date (that date's value table, and the attributes of then as the audit
    trail rebuilds them; customers created since left out)."""
    require(actor, Entity.SEGMENT, Action.READ)
    return matching_ids(session, actor, rule, values, as_of, past=past)


def _customer_rows(session: Session, ids: Sequence[int]) -> pd.DataFrame:
    columns = ["id", "name", "email", "phone", "city", "region", "owner_id", "owner",
               "consent_email", "consent_sms", "version"]  # fmt: skip
    frames = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        stmt = (
            select(
                Customer.id, Customer.name, Customer.email, Customer.phone, Customer.city,
                Customer.region, Customer.owner_id, User.name, Customer.consent_email,
                Customer.consent_sms, Customer.version,
            )
            .outerjoin(User, User.id == Customer.owner_id)
            .where(Customer.id.in_(chunk))
        )  # fmt: skip
        frames.append(query_frame(session, stmt, columns))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).sort_values("id", ignore_index=True)


def preview(
    session: Session,
    actor: Actor,
    ids: Sequence[int],
    values: pd.DataFrame | None,
    limit: int = 20,
) -> pd.DataFrame:
    """The first `limit` members with where they live, their owner and value figures (from
    `values`, else the stored read model); net revenue blank where the actor does not read
    that customer's amounts."""
    rows = _customer_rows(session, list(ids)[:limit])
    shown = rows["id"].astype("int64")
    table = values if values is not None else stored_values(session, list(shown)).frame
    figures = mask_frame(actor, table.reindex(shown), rows["owner_id"])
    for column in ("value_tier", "rfm_segment", "net_revenue", "last_order_at"):
        rows[column] = figures[column].to_numpy()
    return rows[["id", "name", "city", "region", "owner", "value_tier", "rfm_segment",
                 "net_revenue", "last_order_at"]]  # fmt: skip


def _count_where(session: Session, ids: Sequence[int], condition: Any) -> int:
    """How many of `ids` meet `condition`, counted in the database a chunk at a time (no
    rows read out)."""
    total = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        stmt = select(func.count()).select_from(Customer).where(Customer.id.in_(chunk), condition)
        total += int(session.scalar(stmt) or 0)
    return total


def _not_owned_by(owner_id: int) -> Any:
    return or_(Customer.owner_id.is_(None), Customer.owner_id != owner_id)


def owner_changes(
    session: Session, ids: Sequence[int], owner_id: int, limit: int | None = None
) -> pd.DataFrame:
    """Who would change owner (everyone whose owner is not `owner_id` yet), by id, with the
    version read: pass it to `assign_owner`, which refuses a customer changed since. Only
    the first `limit` when given (a preview; `owner_change_count` counts them all)."""
    if limit is None:
        rows = _customer_rows(session, ids)
    else:  # a chunk at a time, until `limit` who change are found
        frames, found = [], 0
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            found_ids = [int(i) for i in session.scalars(
                select(Customer.id).where(Customer.id.in_(chunk), _not_owned_by(owner_id))
                .order_by(Customer.id).limit(limit - found)
            )]  # fmt: skip
            frames.append(_customer_rows(session, found_ids))
            found += len(found_ids)
            if found >= limit:
                break
        rows = pd.concat(frames, ignore_index=True) if frames else _customer_rows(session, [])
    changing = rows[rows["owner_id"].fillna(-1).astype("int64") != owner_id]
    return changing[["id", "name", "city", "owner", "version"]].reset_index(drop=True)


def owner_change_count(session: Session, ids: Sequence[int], owner_id: int) -> int:
    """How many of `ids` `owner_id` does not own yet (what `owner_changes` would list)."""
    return _count_where(session, ids, _not_owned_by(owner_id))


def assign_owner(session: Session, actor: Actor, owner_id: int, versions: Mapping[int, int]) -> int:
    """Make `owner_id` the owner of each customer (id -> the version the preview read),
    each change through the write path and audited; all or nothing. Returns how many."""
    if not is_active_user(session, owner_id):
        raise ValidationError({"owner_id": msg("validation.active_user")})
    changed = 0
    for customer_id, version in versions.items():
        customer = writepath.load(session, Customer, customer_id)
        require(actor, Entity.CUSTOMER, Action.UPDATE, customer)
        if customer.version != version:
            raise ConflictError(Entity.CUSTOMER, None, customer.updated_at, record_id=customer_id)
        if writepath.update(
            session, actor, Entity.CUSTOMER, customer, version, {"owner_id": owner_id}
        ):
            changed += 1
    return changed


class Broadcast(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"


def _reachable(channel: Broadcast) -> Any:
    """Consent to `channel` and an address for it (the same test as `broadcast_list`)."""
    if channel is Broadcast.EMAIL:
        return Customer.consent_email.is_(True) & Customer.email.is_not(None)
    return Customer.consent_sms.is_(True) & Customer.phone.is_not(None)


def broadcast_counts(
    session: Session, actor: Actor, ids: Sequence[int], channel: Broadcast
) -> tuple[int, int]:
    """How many members `broadcast_list` would list and how many it would leave out, counted
    in the database (the list itself is read only when it is downloaded)."""
    require(actor, Entity.CUSTOMER, Action.READ)
    reached = _count_where(session, ids, _reachable(channel))
    return reached, len(ids) - reached


def broadcast_list(
    session: Session, actor: Actor, ids: Sequence[int], channel: Broadcast
) -> tuple[pd.DataFrame, int]:
    """The members who agreed to be reached on `channel` and have an address for it (email;
    WhatsApp: a phone with SMS/WhatsApp consent), and how many were left out for it."""
    require(actor, Entity.CUSTOMER, Action.READ)
    rows = _customer_rows(session, ids)
    if channel is Broadcast.EMAIL:
        keep = rows["consent_email"].astype(bool) & rows["email"].notna()
        out = rows.loc[keep, ["id", "name", "email"]]
    else:
        keep = rows["consent_sms"].astype(bool) & rows["phone"].notna()
        out = rows.loc[keep, ["id", "name", "phone"]]
    return out.reset_index(drop=True), int((~keep).sum())
