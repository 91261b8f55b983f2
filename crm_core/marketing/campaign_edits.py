"""Editing a campaign through the write path: a draft may change in everything; once launched,
only what leaves the test's measurement alone (its name, budget and, while it runs, its end),
so that no one re-deals, re-aims or re-judges an A/B test after its members were enrolled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import N_, msg
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.marketing.campaigns import CampaignIn, planned_per_variant
from crm_core.models import Campaign, Segment
from crm_core.models.enums import CampaignStatus, Entity

# What each state lets change (form field names). A draft: everything.
_DESIGN = ("baseline_rate", "min_uplift", "alpha", "power", "attribution_days", "seed")
EDITABLE: dict[CampaignStatus, frozenset[str]] = {
    CampaignStatus.RUNNING: frozenset({"name", "budget", "ends_on"}),
    CampaignStatus.FINISHED: frozenset({"name", "budget"}),  # the budget: what was spent
}

_LOCKED = N_("campaign.locked_after_launch")
_LOCKED_FINISHED = N_("campaign.locked_after_finish")


def campaign_form(campaign: Campaign) -> dict[str, Any]:
    """The campaign as its edit form shows it (the same fields `plan_campaign` takes)."""
    design = campaign.design or {}
    form: dict[str, Any] = {
        "name": campaign.name, "channel": campaign.channel, "segment_id": campaign.segment_id,
        "design": "holdout" if "control" in campaign.variants else "ab",
        "variants": list(campaign.variants), "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on, "budget": campaign.budget,
    }  # fmt: skip
    for key in _DESIGN:
        if key in design:
            form[key] = design[key]
    return form


def edit_form(
    session: Session, actor: Actor, campaign_id: int
) -> tuple[dict[str, Any], CampaignStatus, int]:
    """What the edit form starts from: the campaign's fields, its status and its version."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.UPDATE, campaign)
    return campaign_form(campaign), campaign.status, campaign.version


def editable(status: CampaignStatus) -> frozenset[str] | None:
    """The form fields a campaign in `status` may change; None: every one (a draft)."""
    return EDITABLE.get(status)


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {f: (before.get(f), v) for f, v in after.items() if before.get(f) != v}


def edit_campaign(
    session: Session, actor: Actor, campaign_id: int, version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Change a campaign over the version the user read; returns the fields changed (audited
    one by one, the design's too). A launched campaign refuses, field by field, a change to
    what its test measures: the segment, channel, variants, start and design once it runs,
    its end too once it finished."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.UPDATE, campaign)
    current = campaign_form(campaign)
    merged = {**current, **{k: v for k, v in data.items() if v is not None}}
    given = validate(CampaignIn, merged)
    wanted = given.model_dump(exclude={"seed"} if given.seed is None else set())
    wanted["segment_id"] = int(wanted["segment_id"])
    changes = _changed(current, {k: v for k, v in wanted.items() if k in current or k in data})
    allowed = editable(campaign.status)
    if allowed is not None:
        locked = sorted(set(changes) - allowed)
        if locked:
            code = _LOCKED_FINISHED if campaign.status is CampaignStatus.FINISHED else _LOCKED
            raise ValidationError({field: msg(code) for field in locked})
    if not changes:
        return {}
    values = _values(session, campaign, wanted, changes)
    writepath.update(session, actor, Entity.CAMPAIGN, campaign, version, values, audited=changes)
    return changes


def _values(
    session: Session, campaign: Campaign, wanted: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    values = {f: wanted[f] for f in ("name", "channel", "variants", "starts_on", "ends_on",
                                     "budget") if f in changes}  # fmt: skip
    if "segment_id" in changes:
        segment = writepath.load(session, Segment, int(wanted["segment_id"]))
        values["segment_id"], values["segment_rule"] = segment.id, segment.rule
    if any(f in changes for f in _DESIGN):
        design = {**(campaign.design or {}), **{f: wanted[f] for f in _DESIGN if f in wanted}}
        design["planned_per_variant"] = planned_per_variant(design)
        values["design"] = design
    return values
