"""Leads through the write path: create (assigned by the rules), edit, move a stage, mark
lost with a reason, reopen, convert a won lead into a customer (and account) or link it to
one, bulk changes; every stage move kept in the stage history with actor and time."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers
from crm_core.kernel import writepath
from crm_core.kernel.errors import CRMError, PermissionDenied, ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.lookups import is_active_user
from crm_core.kernel.messages import Message, label, msg
from crm_core.kernel.permissions import Action, Actor, Capability, may, require
from crm_core.models import Campaign, Lead, LeadStageChange, utcnow
from crm_core.models.enums import AssignmentRule, Entity, LeadSource, LeadStage, LifecycleStage
from crm_core.sales import facts
from crm_core.sales.inputs import EDITABLE_FIELDS, LeadIn, LostIn, MoveIn
from crm_core.sales.settings import SalesSettings, is_open, sales_settings, stage_param

ENTITY = Entity.LEAD
Changes = dict[str, tuple[Any, Any]]


def get_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    lead = writepath.load(session, Lead, lead_id)
    require(actor, ENTITY, Action.READ, lead)
    return lead


def form_values(lead: Lead) -> dict[str, Any]:
    return {f: getattr(lead, f) for f in EDITABLE_FIELDS}


def assigned_owner(
    session: Session, settings: SalesSettings, source: LeadSource, region: str | None
) -> int | None:
    """Who a new lead without an owner goes to: by region or source (a match), else round
    robin over the pool: the pool's active user given a lead least recently."""
    rule = AssignmentRule(settings.assignment_rule)
    if rule is AssignmentRule.NONE:
        return None
    if rule is AssignmentRule.BY_REGION and region:
        wanted = {k.casefold(): v for k, v in settings.by_region.items()}.get(region.casefold())
        if wanted is not None and is_active_user(session, wanted):
            return wanted
    if rule is AssignmentRule.BY_SOURCE:
        wanted = settings.by_source.get(source.value)
        if wanted is not None and is_active_user(session, wanted):
            return wanted
    pool = [u for u in settings.assignment_pool if is_active_user(session, u)]
    if not pool:
        return None
    stmt = select(Lead.owner_id, func.max(Lead.id)).where(Lead.owner_id.in_(pool))
    last = {
        int(owner): int(newest)
        for owner, newest in session.execute(stmt.group_by(Lead.owner_id))
        if owner is not None and newest is not None
    }
    return min(pool, key=lambda u: (last.get(u, 0), pool.index(u)))


def create_lead(
    session: Session, actor: Actor, data: Mapping[str, Any], now: datetime | None = None
) -> Lead:
    """A new lead in its pipeline's first stage. Without an owner it goes by the assignment
    rules, else to the actor; only who may give leads to others names another owner."""
    settings = sales_settings(session)
    values = validate(LeadIn, data).model_dump()
    if values["owner_id"] is None:
        values["owner_id"] = assigned_owner(session, settings, values["source"], values["region"])
        if values["owner_id"] is None or not may(actor, Capability.ASSIGN_LEADS):
            values["owner_id"] = actor.id
    _check(session, settings, values)
    require(actor, ENTITY, Action.CREATE)
    if values["owner_id"] != actor.id and not may(actor, Capability.ASSIGN_LEADS):
        raise PermissionDenied(
            "error.role_cannot", role=label(actor.role), what=label(Capability.ASSIGN_LEADS)
        )
    return insert_lead(session, actor, values, settings, now)


def insert_lead(
    session: Session,
    actor: Actor,
    values: Mapping[str, Any],
    settings: SalesSettings,
    now: datetime | None = None,
) -> Lead:
    """Write a checked lead and its first stage (the web form and the import call it too)."""
    now = now or utcnow()
    first = settings.stages(values["pipeline"])[0]
    row = Lead(created_at=now, updated_at=now)
    lead = writepath.insert(session, actor, ENTITY, row, {**values, "stage": first})
    session.add(
        LeadStageChange(
            lead_id=lead.id, from_stage=None, to_stage=first, changed_at=now, actor_id=actor.id
        )
    )
    facts.refresh(session, [lead.id], settings)
    return lead


def update_lead(
    session: Session, actor: Actor, lead_id: int, expected_version: int, data: Mapping[str, Any]
) -> Changes:
    """Save the fields in `data` over the version the user read (stages move apart)."""
    lead = writepath.load(session, Lead, lead_id)
    settings = sales_settings(session)
    values = validate(LeadIn, {**form_values(lead), **data}).model_dump()
    values["owner_id"] = values["owner_id"] or lead.owner_id or actor.id
    _check(session, settings, values)
    if is_open(lead.stage) and lead.stage not in settings.stages(values["pipeline"]):
        raise ValidationError(
            {"pipeline": msg("lead.stage_not_in_pipeline", stage=stage_param(lead.stage))}
        )
    require(actor, ENTITY, Action.UPDATE, lead)
    if values["owner_id"] != lead.owner_id and not may(actor, Capability.ASSIGN_LEADS):
        raise PermissionDenied(
            "error.role_cannot", role=label(actor.role), what=label(Capability.ASSIGN_LEADS)
        )
    changes = writepath.update(session, actor, ENTITY, lead, expected_version, values)
    # The furthest stage is counted in the pipeline's order, and the forecast's closed counts
    # by owner and pipeline (closed.py).
    if "pipeline" in changes or "owner_id" in changes:
        facts.refresh(session, [lead.id], settings)
    return changes


def move_stage(
    session: Session,
    actor: Actor,
    lead_id: int,
    expected_version: int,
    stage: str,
    now: datetime | None = None,
) -> Changes:
    """Move an open lead to another stage of its pipeline (or to Won) in one action."""
    target = validate(MoveIn, {"stage": stage}).stage
    lead = writepath.load(session, Lead, lead_id)
    if target == LeadStage.LOST:
        raise ValidationError({"stage": msg("lead.lost_needs_reason")})
    if not is_open(lead.stage):
        raise ValidationError(
            {"stage": msg("lead.closed_reopen_first", stage=stage_param(lead.stage))}
        )
    if target not in sales_settings(session).stages(lead.pipeline):
        raise ValidationError(
            {"stage": msg("lead.stage_not_in_pipeline", stage=stage_param(target))}
        )
    require(actor, ENTITY, Action.UPDATE, lead)
    if target == lead.stage:
        return {}
    now = now or utcnow()
    values: dict[str, Any] = {"stage": target}
    if target == LeadStage.WON:
        values["closed_at"] = now
    return _moved(session, actor, lead, expected_version, values, now)


def mark_lost(
    session: Session,
    actor: Actor,
    lead_id: int,
    expected_version: int,
    reason: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> Changes:
    """Close an open lead as lost, with a reason from the managed list and free text."""
    held = validate(LostIn, {"reason": reason, "note": note})
    lead = writepath.load(session, Lead, lead_id)
    reasons = sales_settings(session).lost_reasons
    if held.reason not in reasons:
        raise ValidationError({"reason": msg("validation.one_of", choices=", ".join(reasons))})
    if not is_open(lead.stage):
        raise ValidationError(
            {"stage": msg("lead.closed_reopen_first", stage=stage_param(lead.stage))}
        )
    require(actor, ENTITY, Action.UPDATE, lead)
    now = now or utcnow()
    values = {
        "stage": LeadStage.LOST,
        "closed_at": now,
        "lost_reason": held.reason,
        "lost_note": held.note,
    }
    return _moved(session, actor, lead, expected_version, values, now)


def reopen(
    session: Session,
    actor: Actor,
    lead_id: int,
    expected_version: int,
    stage: str | None = None,
    now: datetime | None = None,
) -> Changes:
    """Open a won or lost lead again, in `stage` or the stage it was closed from."""
    lead = writepath.load(session, Lead, lead_id)
    if is_open(lead.stage):
        return {}
    if lead.converted_customer_id is not None:
        raise ValidationError({"stage": msg("lead.converted_stays_won")})
    if stage is None:
        stage = session.scalar(
            select(LeadStageChange.from_stage)
            .where(LeadStageChange.lead_id == lead.id, LeadStageChange.to_stage == lead.stage)
            .order_by(LeadStageChange.changed_at.desc(), LeadStageChange.id.desc())
            .limit(1)
        )
    open_stages = sales_settings(session).stages(lead.pipeline)[:-1]
    target = validate(MoveIn, {"stage": stage or open_stages[0]}).stage
    if target not in open_stages:
        raise ValidationError(
            {"stage": msg("lead.stage_not_in_pipeline", stage=stage_param(target))}
        )
    require(actor, ENTITY, Action.UPDATE, lead)
    values = {"stage": target, "closed_at": None, "lost_reason": None, "lost_note": None}
    return _moved(session, actor, lead, expected_version, values, now or utcnow())


def _moved(
    session: Session,
    actor: Actor,
    lead: Lead,
    expected_version: int,
    values: dict[str, Any],
    now: datetime,
) -> Changes:
    before = lead.stage
    changes = writepath.update(session, actor, ENTITY, lead, expected_version, values)
    session.add(
        LeadStageChange(
            lead_id=lead.id,
            from_stage=before,
            to_stage=values["stage"],
            changed_at=now,
            actor_id=actor.id,
        )
    )
    facts.refresh(session, [lead.id])
    return changes


def convert_lead(
    session: Session,
    actor: Actor,
    lead_id: int,
    expected_version: int,
    *,
    customer_id: int | None = None,
    allow_duplicate: bool | Collection[int] = False,
) -> int:
    """Turn a won lead into a customer (and an account, for a company), or link it to the
    existing `customer_id`, in one transaction; returns the customer's id. A likely duplicate
    of a customer we have raises LikelyDuplicate (naming them), so the user links instead."""
    lead = writepath.load(session, Lead, lead_id)
    if lead.stage != LeadStage.WON:
        raise ValidationError({"stage": msg("lead.convert_won_only")})
    if lead.converted_customer_id is not None:
        raise ValidationError({"customer_id": msg("lead.already_converted")})
    require(actor, ENTITY, Action.UPDATE, lead)
    if customer_id is not None:
        customers.get_customer(session, actor, customer_id)
    else:
        customer_id = _new_customer(session, actor, lead, allow_duplicate)
    values = {"converted_customer_id": customer_id}
    if lead.customer_id is None:
        values["customer_id"] = customer_id
    writepath.update(session, actor, ENTITY, lead, expected_version, values)
    return customer_id


def _new_customer(session: Session, actor: Actor, lead: Lead, allow: bool | Collection[int]) -> int:
    account_id = None
    if lead.company:  # a likely duplicate below rolls the account back with everything
        account = customers.create_account(
            session, actor, {"name": lead.company, "region": lead.region, "owner_id": actor.id}
        )
        account_id = account.id
    data = {
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "account_id": account_id,
        "region": lead.region,
        "source": lead.source,
        "owner_id": lead.owner_id or actor.id,
        "lifecycle_stage": LifecycleStage.CUSTOMER,
        "notes": lead.notes,
    }
    return customers.create_customer(session, actor, data, allow_duplicate=allow).id


def bulk_change(
    session: Session,
    actor: Actor,
    picked: Iterable[tuple[int, int]],
    *,
    owner_id: int | None = None,
    stage: str | None = None,
    lost_reason: str | None = None,
) -> int:
    """One change to many leads, given (id, version read): a new owner, a stage, or lost
    with a reason; all or nothing. Returns how many leads changed."""
    changed = 0
    for lead_id, version in picked:
        if owner_id is not None:
            done = update_lead(session, actor, lead_id, version, {"owner_id": owner_id})
        elif lost_reason is not None:
            done = mark_lost(session, actor, lead_id, version, lost_reason)
        elif stage is not None:
            done = move_stage(session, actor, lead_id, version, stage)
        else:
            raise CRMError(msg("lead.bulk_nothing"))
        changed += bool(done)
    return changed


def _not_in_pipeline(stage: str, field: str = "stage") -> ValidationError:
    return ValidationError({field: msg("lead.stage_not_in_pipeline", stage=stage_param(stage))})


def _check(session: Session, settings: SalesSettings, values: dict[str, Any]) -> None:
    errors: dict[str, Message] = {}
    if values["pipeline"] not in {p["key"] for p in settings.pipelines}:
        errors["pipeline"] = msg("lead.no_pipeline", key=values["pipeline"])
    if not is_active_user(session, values["owner_id"]):
        errors["owner_id"] = msg("validation.active_user")
    campaign = values.get("campaign_id")
    if campaign is not None and session.get(Campaign, campaign) is None:
        errors["campaign_id"] = msg(
            "validation.no_record", entity=Message("entity.campaign"), id=campaign
        )
    if errors:
        raise ValidationError(errors)
