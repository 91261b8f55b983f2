"""Segments (rules over customers) and A/B campaigns aimed at them, with their members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crm_core.marketing.stats import sample_size_per_variant
from crm_core.models import Campaign, CampaignMember, Segment
from crm_core.models.enums import CampaignStatus, Channel
from db.demo.context import DAY, HOUR, NO_TIME, Ctx, season_by_day, to_datetime
from db.demo.orders import STAGES
from db.demo.people import Customers
from db.demo.reference import PLACES
from db.demo.staff import Staff
from db.demo.writer import Const, Dates, Money, Rows, Times, versioned

_JAVA = ["Jawa Barat", "Jawa Tengah", "Jawa Timur", "DI Yogyakarta", "Banten"]
# name, description, rule, the campaign theme when no season applies, its channel
SEGMENTS: tuple[tuple[str, str, dict[str, Any], str, Channel], ...] = (
    ("Jakarta repeat buyers", "Repeat customers in DKI Jakarta",
     {"lifecycle_stage": ["repeat customer"], "region": ["DKI Jakarta"]},
     "Loyalty rewards", Channel.CHAT),
    ("Lapsed customers", "Bought before, nothing for over a year",
     {"lifecycle_stage": ["churned"]}, "Win-back: kami rindu Anda", Channel.EMAIL),
    ("Buyers on Java", "Customers with a recent purchase, on Java",
     {"lifecycle_stage": ["customer", "repeat customer"], "region": _JAVA},
     "Free delivery on Java", Channel.EMAIL),
    ("International buyers", "Customers outside Indonesia",
     {"country": ["Singapore", "Malaysia", "Australia", "Netherlands", "United States"],
      "lifecycle_stage": ["customer", "repeat customer"]}, "Free shipping abroad", Channel.SOCIAL),
)  # fmt: skip
RESPONSE_RATE = {Channel.EMAIL: 0.14, Channel.CHAT: 0.22, Channel.SOCIAL: 0.08}
B_LIFT = (1.5, 0.7, 1.35, 1.6, 0.75, 1.3, 1.45, 0.8)  # B's response rate over A's, per campaign
CONVERSION_RATE = 0.3  # of responders
# Each demo campaign was planned to find a 50 % uplift on a 4 % conversion (A's ~14 % response
# x 30 %), split with its own seed, orders counted up to 14 days after it ends.
_PLAN = {"baseline_rate": 0.04, "min_uplift": 0.5, "alpha": 0.05, "power": 0.8}
DESIGN = {**_PLAN, "attribution_days": 14, "seed": 2026,
          "planned_per_variant": sample_size_per_variant(0.04, 0.5, 0.05, 0.8)}  # fmt: skip


@dataclass
class Marketing:
    segments: Rows
    campaigns: Rows
    members: Rows
    starts: np.ndarray  # epoch seconds per campaign
    ends: np.ndarray


def segment_rows(ctx: Ctx, staff: Staff) -> Rows:
    n = min(ctx.size.segments, len(SEGMENTS))
    made = ctx.start - 20 * DAY + np.arange(n) * 30 * DAY
    return Rows(
        Segment,
        n,
        {
            "id": np.arange(1, n + 1),
            "name": [s[0] for s in SEGMENTS[:n]],
            "description": [s[1] for s in SEGMENTS[:n]],
            "rule": [s[2] for s in SEGMENTS[:n]],
            "owner_id": Const(staff.manager_id),
            **versioned(made),
        },
    )


def matches(customers: Customers, stage: np.ndarray, rule: dict[str, Any]) -> np.ndarray:
    """Customers a segment rule selects (every field must match one of its values)."""
    place = customers["place"]
    fields = {
        "lifecycle_stage": np.array([s.value for s in STAGES], dtype=object)[stage],
        "region": np.array([p.region for p in PLACES], dtype=object)[place],
        "country": np.array([p.country for p in PLACES], dtype=object)[place],
    }
    selected = np.ones(customers.n, dtype=bool)
    for field, values in rule.items():
        selected &= np.isin(fields[field], values)
    return selected


def build_marketing(ctx: Ctx, staff: Staff, customers: Customers, stage: np.ndarray) -> Marketing:
    """Campaigns of the last 14 months (segments describe customers as they are now): finished
    ones, one running and one draft."""
    segments = segment_rows(ctx, staff)
    n, n_seg = ctx.size.campaigns, segments.n
    gap = 420 * DAY // max(n - 1, 1)
    starts = ctx.as_of - 420 * DAY + np.arange(n) * gap
    last = min(2, n)  # one running, one draft
    starts[-last:] = [ctx.as_of - 12 * DAY, ctx.as_of + 10 * DAY][-last:]
    ends = starts + ctx.rng.integers(14, 35, n) * DAY
    segment = np.arange(n) % n_seg
    names, channels = _themes(starts, segment, draft=starts > ctx.as_of)
    status = [
        CampaignStatus.DRAFT if s > ctx.as_of else
        CampaignStatus.RUNNING if e > ctx.as_of else CampaignStatus.FINISHED
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    ]  # fmt: skip
    rules = [SEGMENTS[s][2] for s in segment.tolist()]
    campaigns = Rows(
        Campaign,
        n,
        {
            "id": np.arange(1, n + 1),
            "name": names,
            "channel": channels,
            "segment_id": segment + 1,
            "segment_rule": rules,
            "variants": Const(["A", "B"]),
            "status": status,
            "starts_on": Dates(starts // DAY),
            "ends_on": Dates(ends // DAY),
            "budget": Money(ctx.rng.integers(10, 120, n) * 500_000),
            "owner_id": Const(staff.manager_id),
            "design": Const(DESIGN),
            **versioned(
                np.minimum(starts - 14 * DAY, ctx.as_of - DAY), np.minimum(ends, ctx.as_of - 1)
            ),
        },
    )
    members = _members(ctx, customers, stage, starts, channels, rules, status)
    return Marketing(segments, campaigns, members, starts, ends)


def _themes(
    starts: np.ndarray, segment: np.ndarray, draft: np.ndarray
) -> tuple[list[str], list[Channel]]:
    """Ramadan and year-end campaigns when the dates say so, else the segment's own theme."""
    names, channels = [], []
    for start, seg, planned in zip(starts.tolist(), segment.tolist(), draft.tolist(), strict=True):
        moment = to_datetime(start)
        days = np.arange(start // DAY, start // DAY + 30)
        if planned:
            names.append(f"{SEGMENTS[seg][3]} — {moment:%b %Y}")
            channels.append(SEGMENTS[seg][4])
        elif season_by_day(days).max() > 1.7 and moment.month not in (11, 12):
            names.append(f"Ramadan hampers {moment.year}")
            channels.append(Channel.EMAIL)
        elif moment.month in (11, 12):
            names.append(f"Harbolnas 12.12 {moment.year}")
            channels.append(Channel.SOCIAL)
        else:
            names.append(f"{SEGMENTS[seg][3]} — {moment:%b %Y}")
            channels.append(SEGMENTS[seg][4])
    return names, channels


def _members(
    ctx: Ctx,
    customers: Customers,
    stage: np.ndarray,
    starts: np.ndarray,
    channels: list[Channel],
    rules: list[dict[str, Any]],
    status: list[CampaignStatus],
) -> Rows:
    rng = ctx.rng
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("c", "cust", "b", "s", "r", "v")}
    for k, start in enumerate(starts.tolist()):
        if status[k] == CampaignStatus.DRAFT:
            continue
        eligible = matches(customers, stage, rules[k]) & (customers["created_at"] < start)
        if channels[k] == Channel.EMAIL:
            eligible &= customers["consent_email"] & (customers["email"] != None)  # noqa: E711
        elif channels[k] == Channel.CHAT:
            eligible &= customers["consent_sms"]
        who = np.flatnonzero(eligible)
        if who.size > ctx.size.campaign_members:
            who = np.sort(rng.choice(who, ctx.size.campaign_members, replace=False))
        variant_b = rng.random(who.size) < 0.5
        rate = RESPONSE_RATE[channels[k]] * np.where(variant_b, B_LIFT[k % len(B_LIFT)], 1.0)
        sent = start + rng.integers(0, 36 * HOUR, who.size)
        responded = sent + (rng.exponential(1.5, who.size) * DAY).astype(np.int64)
        converted = responded + (rng.exponential(3.0, who.size) * DAY).astype(np.int64)
        responds = (rng.random(who.size) < rate) & (responded < ctx.as_of)
        converts = responds & (rng.random(who.size) < CONVERSION_RATE) & (converted < ctx.as_of)
        for key, values in (("c", np.full(who.size, k + 1)), ("cust", who + 1), ("b", variant_b),
                            ("s", np.where(sent < ctx.as_of, sent, NO_TIME)),
                            ("r", np.where(responds, responded, NO_TIME)),
                            ("v", np.where(converts, converted, NO_TIME))):  # fmt: skip
            parts[key].append(values)
    cols = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    n = cols["c"].size
    return Rows(
        CampaignMember,
        n,
        {
            "id": np.arange(1, n + 1),
            "campaign_id": cols["c"],
            "customer_id": cols["cust"],
            "variant": np.where(cols["b"].astype(bool), "B", "A").astype(object),
            "sent_at": Times(cols["s"]),
            "responded_at": Times(cols["r"]),
            "converted_at": Times(cols["v"]),
        },
    )
