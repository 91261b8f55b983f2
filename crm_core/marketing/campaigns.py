"""Campaigns on a segment: plan one with its test design (variants or a hold-out control, the
sample needed for the uplift to detect), launch it (members assigned to variants at random
with a fixed seed), and record sends, responses and conversions by form or CSV file; every
write through the write path and audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.csv_files import read_csv
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.frames import query_frame
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.marketing import segments
from crm_core.marketing.rules import parse_rule
from crm_core.marketing.stats import sample_size_per_variant
from crm_core.models import Campaign, CampaignMember, Customer, Segment, User, utcnow
from crm_core.models.enums import AuditAction, CampaignStatus, Channel, Entity

CONTROL = "control"  # the hold-out variant's name: its members get nothing


class CampaignIn(_Input):
    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    segment_id: int
    design: Literal["ab", "holdout"] = "ab"  # A/B variants, or treatment against hold-out
    variants: list[str] = Field(default_factory=lambda: ["A", "B"], min_length=2, max_length=4)
    starts_on: date
    ends_on: date
    budget: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    baseline_rate: float = Field(default=0.05, gt=0, lt=1)  # expected conversion, control
    min_uplift: float = Field(default=0.2, gt=0, le=10)  # relative uplift to detect
    alpha: float = Field(default=0.05, gt=0, le=0.2)
    power: float = Field(default=0.8, ge=0.5, lt=1)
    attribution_days: int = Field(default=14, ge=0, le=365)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    @field_validator("variants", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("variants")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len({v.lower() for v in value}) != len(value) or any(len(v) > 20 for v in value):
            raise ValueError(msg("campaign.variants_distinct"))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CampaignIn:
        if self.ends_on < self.starts_on:
            raise ValueError(msg("campaign.ends_before_start"))
        if self.design == "holdout":
            self.variants = [CONTROL, *[v for v in self.variants if v.lower() != CONTROL]][:2]
        if self.baseline_rate * (1 + self.min_uplift) >= 1:
            raise ValueError(msg("campaign.uplift_too_large"))
        return self


def baseline_of(campaign: Campaign) -> str:
    """The variant the others are measured against: the hold-out control, else the first."""
    return CONTROL if CONTROL in campaign.variants else campaign.variants[0]


def planned_per_variant(design: Mapping[str, Any]) -> int:
    return sample_size_per_variant(
        float(design.get("baseline_rate", 0.05)),
        float(design.get("min_uplift", 0.2)),
        float(design.get("alpha", 0.05)),
        float(design.get("power", 0.8)),
    )


def plan_campaign(session: Session, actor: Actor, data: Mapping[str, Any]) -> Campaign:
    """A draft campaign on a saved segment, with its design and the sample it needs."""
    given = validate(CampaignIn, data)
    require(actor, Entity.CAMPAIGN, Action.CREATE)
    segment = writepath.load(session, Segment, given.segment_id)
    design = {
        "baseline_rate": given.baseline_rate, "min_uplift": given.min_uplift,
        "alpha": given.alpha, "power": given.power, "attribution_days": given.attribution_days,
        "seed": given.seed if given.seed is not None else int(utcnow().timestamp()) % 2**31,
    }  # fmt: skip
    design["planned_per_variant"] = planned_per_variant(design)
    values = {
        "name": given.name, "channel": given.channel, "segment_id": segment.id,
        "segment_rule": segment.rule, "variants": given.variants, "starts_on": given.starts_on,
        "ends_on": given.ends_on, "budget": given.budget, "owner_id": actor.id, "design": design,
        "status": CampaignStatus.DRAFT,
    }  # fmt: skip
    return writepath.insert(session, actor, Entity.CAMPAIGN, Campaign(), values)


def assign_variants(customer_ids: Sequence[int], variants: Sequence[str], seed: int) -> list[str]:
    """Each customer's variant: the ids in ascending order, shuffled with `seed`, dealt round
    the variants in turn, so that groups differ in size by one at most and the same seed
    always deals the same way."""
    ordered = np.array(sorted(customer_ids), dtype=np.int64)
    order = np.random.default_rng(seed).permutation(ordered.size)
    dealt = np.empty(ordered.size, dtype=object)
    dealt[order] = [variants[i % len(variants)] for i in range(ordered.size)]
    position = {int(c): k for k, c in enumerate(ordered)}
    return [str(dealt[position[int(c)]]) for c in customer_ids]


def launch_plan(session: Session, actor: Actor, campaign_id: int) -> tuple[list[str], int]:
    """A campaign's variants and the members each needs, as its design planned."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.READ, campaign)
    design = campaign.design or {}
    return list(campaign.variants), int(
        design.get("planned_per_variant") or planned_per_variant(design)
    )


def launch(
    session: Session, actor: Actor, campaign_id: int, version: int, customer_ids: Sequence[int]
) -> int:
    """Enrol the segment's members (as found today) and start the campaign; returns how many."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.UPDATE, campaign)
    if campaign.status is not CampaignStatus.DRAFT:
        raise CRMError("campaign.already_launched")
    if not customer_ids:
        raise CRMError("campaign.no_members")
    ids = sorted(set(customer_ids))
    dealt = assign_variants(ids, campaign.variants, int(campaign.design.get("seed", campaign.id)))
    sizes = {v: dealt.count(v) for v in campaign.variants}
    changes = {"status": (campaign.status, CampaignStatus.RUNNING), "members": (None, sizes)}
    writepath.update(
        session, actor, Entity.CAMPAIGN, campaign, version, {"status": CampaignStatus.RUNNING},
        audited=changes,
    )  # fmt: skip
    session.add_all(
        CampaignMember(campaign_id=campaign.id, customer_id=c, variant=v)
        for c, v in zip(ids, dealt, strict=True)
    )
    session.flush()
    return len(ids)


def finish(session: Session, actor: Actor, campaign_id: int, version: int) -> None:
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.UPDATE, campaign)
    writepath.update(
        session, actor, Entity.CAMPAIGN, campaign, version, {"status": CampaignStatus.FINISHED}
    )


class OutcomeIn(_Input):
    customer_id: int | None = None
    email: str | None = None
    sent_at: datetime | None = None
    responded_at: datetime | None = None
    converted_at: datetime | None = None

    @model_validator(mode="after")
    def _someone(self) -> OutcomeIn:
        if self.customer_id is None and self.email is None:
            raise ValueError(msg("campaign.outcome_who"))
        return self


STEPS = ("sent_at", "responded_at", "converted_at")


def record_outcomes(
    session: Session,
    actor: Actor,
    campaign_id: int,
    rows: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> dict[str, int]:
    """Record sends, responses and conversions of members (by customer id or email): a step
    already recorded keeps its first time; a response implies a send, a conversion both.
    One audit entry counts what was recorded. All rows or none."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.UPDATE, campaign)
    parsed, errors = [], {}
    latest = (now or utcnow()) + timedelta(minutes=5)  # a clock a little ahead is no future
    for number, row in enumerate(rows, start=1):
        try:
            outcome = validate(OutcomeIn, row)
        except ValidationError as exc:
            errors[f"row {number}"] = next(iter(exc.field_errors.values()))
            continue
        if any((t := getattr(outcome, s)) and t.replace(tzinfo=None) > latest for s in STEPS):
            errors[f"row {number}"] = msg("validation.not_future")
        parsed.append(outcome)
    if errors:
        raise ValidationError(errors)
    members = {
        m.customer_id: m
        for m in session.scalars(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)
        )
    }
    emails = _member_emails(session, campaign.id)
    found: list[tuple[CampaignMember, OutcomeIn]] = []
    for number, outcome in enumerate(parsed, start=1):
        who = outcome.customer_id
        if who is None and outcome.email is not None:
            who = emails.get(outcome.email.strip().lower())
        member = members.get(who) if who is not None else None
        if member is None:
            errors[f"row {number}"] = msg("campaign.not_a_member")
        else:
            found.append((member, outcome))
    if errors:  # checked before anything is changed
        raise ValidationError(errors)
    counts = dict.fromkeys(STEPS, 0)
    for member, outcome in found:
        times = {s: getattr(outcome, s) for s in STEPS}
        times["responded_at"] = times["responded_at"] or times["converted_at"]
        times["sent_at"] = times["sent_at"] or times["responded_at"]
        if member.variant == CONTROL:
            times["sent_at"] = None  # nothing is sent to the hold-out
        for step, moment in times.items():
            if moment is not None and getattr(member, step) is None:
                setattr(member, step, moment.replace(tzinfo=None))
                counts[step] += 1
    recorded = {step.removesuffix("_at"): (None, n) for step, n in counts.items()}
    writepath.record_event(session, actor, Entity.CAMPAIGN, campaign.id, AuditAction.UPDATE,
                           recorded)  # fmt: skip
    session.flush()
    return {step.removesuffix("_at"): n for step, n in counts.items()}


def _member_emails(session: Session, campaign_id: int) -> dict[str, int]:
    stmt = (
        select(func.lower(Customer.email), Customer.id)
        .join(CampaignMember, CampaignMember.customer_id == Customer.id)
        .where(CampaignMember.campaign_id == campaign_id, Customer.email.is_not(None))
    )
    return {str(e): int(i) for e, i in session.execute(stmt)}


OUTCOME_HEADERS = ("customer_id", "email", "sent_at", "responded_at", "converted_at")


def outcomes_from_csv(raw: bytes | str) -> list[dict[str, Any]]:
    """The rows of an outcomes file (customer_id or email, and any of the three times)."""
    frame = read_csv(raw)
    known = [c for c in frame.columns if c.strip().lower() in OUTCOME_HEADERS]
    if not {"customer_id", "email"} & {c.lower() for c in known}:
        raise ValidationError({"file": msg("campaign.csv_headers")})
    frame = frame[known].rename(columns=str.lower)
    frame = frame[(frame != "").any(axis=1)]
    return [{str(k): v for k, v in row.items() if v != ""} for row in frame.to_dict("records")]


def list_campaigns(session: Session, actor: Actor) -> pd.DataFrame:
    require(actor, Entity.CAMPAIGN, Action.READ)
    members = (
        select(CampaignMember.campaign_id, func.count().label("n"))
        .group_by(CampaignMember.campaign_id)
        .subquery()
    )
    stmt = (
        select(
            Campaign.id, Campaign.name, Campaign.channel, Campaign.status, Segment.name,
            Campaign.starts_on, Campaign.ends_on, Campaign.budget,
            func.coalesce(members.c.n, 0), User.name, Campaign.version,
        )
        .outerjoin(Segment, Segment.id == Campaign.segment_id)
        .outerjoin(members, members.c.campaign_id == Campaign.id)
        .outerjoin(User, User.id == Campaign.owner_id)
        .where(Campaign.deleted_at.is_(None))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )  # fmt: skip
    columns = ["id", "name", "channel", "status", "segment", "starts_on", "ends_on", "budget",
               "members", "owner", "version"]  # fmt: skip
    return query_frame(session, stmt, columns)


def _reachable(channel: Channel) -> Any:
    """Who may be contacted on `channel`: consent and an address for it (None: anyone)."""
    if channel is Channel.EMAIL:
        return Customer.consent_email.is_(True) & Customer.email.is_not(None)
    if channel is Channel.CHAT:  # WhatsApp and SMS
        return Customer.consent_sms.is_(True) & Customer.phone.is_not(None)
    if channel is Channel.PHONE:
        return Customer.consent_phone.is_(True) & Customer.phone.is_not(None)
    return None


def audience(
    session: Session,
    actor: Actor,
    campaign_id: int,
    values: pd.DataFrame | None,
    as_of: datetime,
) -> tuple[list[int], int]:
    """Who the campaign would enrol today: its segment's members who may be contacted on its
    channel, and how many members were left out for lack of consent or an address."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.READ, campaign)
    ids = segments.members(session, actor, parse_rule(campaign.segment_rule), values, as_of)
    condition = _reachable(campaign.channel)
    if condition is None or not ids:
        return ids, 0
    reachable: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = select(Customer.id).where(Customer.id.in_(chunk), condition)
        reachable.update(session.scalars(stmt))
    kept = [i for i in ids if i in reachable]
    return kept, len(ids) - len(kept)
