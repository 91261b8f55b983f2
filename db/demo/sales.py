"""Leads moving through the funnel, with win rates that differ by source, and every move."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from sqlalchemy.orm import Session

from crm_core.models import Lead, LeadStageChange
from crm_core.models.enums import CampaignStatus, LeadSource, LeadStage
from crm_core.sales import facts
from db.demo.contacts import phones
from db.demo.context import DAY, HOUR, NO_TIME, NULL, Ctx, pick
from db.demo.marketing import Marketing
from db.demo.people import Accounts, Customers
from db.demo.reference import NAME_WORDS, PLACES
from db.demo.staff import NamePools, Staff, slug
from db.demo.texts import LEAD_COMPANY_WORDS, LOST_REASONS_EARLY, LOST_REASONS_LATE
from db.demo.writer import Coded, Dates, Money, Rows, Times, versioned

SOURCES = list(LeadSource)
STAGES = list(LeadStage)
FUNNEL = [LeadStage.NEW, LeadStage.CONTACTED, LeadStage.QUALIFIED, LeadStage.PROPOSAL,
          LeadStage.NEGOTIATION, LeadStage.WON]  # fmt: skip
# Share of leads from each source, and how many of them are won in the end.
SOURCE_MIX = {"website": 25, "referral": 15, "social": 12, "event": 10, "cold call": 14,
              "marketplace": 12, "partner": 12}  # fmt: skip
WIN_RATE = {"website": 0.16, "referral": 0.45, "social": 0.10, "event": 0.22, "cold call": 0.05,
            "marketplace": 0.14, "partner": 0.32}  # fmt: skip
COMPANY_SHARE = {"website": 0.5, "referral": 0.8, "social": 0.4, "event": 0.7, "cold call": 0.95,
                 "marketplace": 0.3, "partner": 0.9}  # fmt: skip
DAYS_IN_STAGE = (6, 12, 16, 20, 24)  # mean days before a lead leaves NEW .. NEGOTIATION
STALL_CHANCE = 0.03  # per stage: the lead stays where it is, open, to this day
CAMPAIGN_SOURCES = ("website", "social", "event", "marketplace")
LOST_REASONS = ["price", "chose competitor", "no budget", "no response", "timing"]


@dataclass
class Leads:
    rows: Rows
    changes: Rows
    stage: np.ndarray  # index into STAGES
    owner: np.ndarray
    created: np.ndarray


class _Walk(TypedDict):
    """Each lead's walk through the funnel (indices into STAGES, epoch seconds)."""

    stage: np.ndarray
    reason: np.ndarray  # 1 + index into LOST_REASONS, 0 when not lost
    closed: np.ndarray
    last: np.ndarray
    changes: Rows


def build_leads(
    ctx: Ctx, pools: NamePools, staff: Staff, customers: Customers, accounts: Accounts,
    marketing: Marketing,
) -> Leads:  # fmt: skip
    rng, n = ctx.rng, ctx.size.leads
    keys = list(SOURCE_MIX)
    source_key = pick(rng, SOURCE_MIX, n)
    created = np.sort(ctx.seasonal_times(n, ctx.start, ctx.as_of - HOUR, growth=0.8))
    owner = rng.choice(staff.sales_ids, n)
    advance = np.array([WIN_RATE[k] ** (1 / 5) for k in keys])[source_key]
    walk = _walk(ctx, created, advance, owner)
    has_company = rng.random(n) < np.array([COMPANY_SHARE[k] for k in keys])[source_key]
    who = _people(ctx, pools, has_company)
    source = np.array([SOURCES.index(LeadSource(k)) for k in keys])[source_key]
    about, converted = _customers(ctx, customers, created, walk, source, has_company)
    for index, customer in [*enumerate(about.tolist()), *enumerate(converted.tolist())]:
        if customer >= 0:
            _copy_contact(who, index, customers, accounts, customer)
    value = np.where(
        has_company, rng.lognormal(np.log(20e6), 0.9, n), rng.lognormal(np.log(2.5e6), 0.7, n)
    )
    expected = (created // DAY) + rng.integers(21, 90, n)
    campaign = _campaigns(ctx, marketing, created, np.array(keys, dtype=object)[source_key])
    rows = Rows(
        Lead,
        n,
        {
            "id": np.arange(1, n + 1),
            **who,
            "source": Coded(source, SOURCES),
            "stage": Coded(walk["stage"], STAGES),
            "value": Money((value // 50_000 * 50_000).astype(np.int64)),
            "expected_close": Dates(expected),
            "owner_id": owner,
            "campaign_id": np.where(campaign >= 0, campaign + 1, NULL),
            "lost_reason": Coded(walk["reason"], [None, *LOST_REASONS]),
            "customer_id": np.where(about >= 0, about + 1, NULL),
            "converted_customer_id": np.where(converted >= 0, converted + 1, NULL),
            "closed_at": Times(walk["closed"]),
            "region": Coded(_regions(created), [p.region for p in PLACES]),
            **versioned(created, walk["last"]),
        },
    )
    return Leads(rows, walk["changes"], walk["stage"], owner, created)


def _walk(ctx: Ctx, created: np.ndarray, advance: np.ndarray, owner: np.ndarray) -> _Walk:
    """Each lead moves a stage at a time until won, lost, or `as_of` comes first."""
    rng, n = ctx.rng, created.size
    stage = np.full(n, STAGES.index(LeadStage.NEW))
    reason = np.zeros(n, dtype=np.int64)
    closed = np.full(n, NO_TIME)
    t = created.copy()
    moves: list[tuple[np.ndarray, ...]] = [
        (np.arange(n), np.full(n, -1), stage.copy(), created.copy())
    ]
    open_ = np.ones(n, dtype=bool)
    for step in range(1, len(FUNNEL)):
        nxt = t + (rng.exponential(DAYS_IN_STAGE[step - 1], n) * DAY).astype(np.int64) + HOUR
        stalls = rng.random(n) < STALL_CHANCE  # a stuck deal nobody closed yet
        moving = open_ & (nxt < ctx.as_of) & ~stalls
        wins = moving & (rng.random(n) < advance)
        loses = moving & ~wins
        frm = STAGES.index(FUNNEL[step - 1])
        to = np.where(wins, STAGES.index(FUNNEL[step]), STAGES.index(LeadStage.LOST))
        moved = np.flatnonzero(moving)
        moves.append((moved, np.full(moved.size, frm), to[moved], nxt[moved]))
        stage[moved], t[moved] = to[moved], nxt[moved]
        table = LOST_REASONS_EARLY if step <= 2 else LOST_REASONS_LATE
        reason[loses] = (
            1 + np.array([LOST_REASONS.index(r) for r in table])[pick(rng, table, int(loses.sum()))]
        )
        closed[loses] = nxt[loses]
        open_ &= wins  # the rest are lost, or stay open where they are
    won = stage == STAGES.index(LeadStage.WON)
    closed[won] = t[won]
    return {"stage": stage, "reason": reason, "closed": closed, "last": t,
            "changes": _change_rows(moves, owner)}  # fmt: skip


def _regions(created: np.ndarray) -> np.ndarray:
    """Each lead's region, weighted like the customers' places; drawn from a generator of its
    own (seeded by the leads' times) so that the rest of the demo business stays as it was."""
    rng = np.random.default_rng(int(created.sum()) % 2**32)
    weights = np.array([p.weight for p in PLACES], dtype=float)
    return rng.choice(len(PLACES), created.size, p=weights / weights.sum())


def _change_rows(moves: list[tuple[np.ndarray, ...]], owner: np.ndarray) -> Rows:
    lead = np.concatenate([m[0] for m in moves])
    frm = np.concatenate([m[1] for m in moves])
    to = np.concatenate([m[2] for m in moves])
    at = np.concatenate([m[3] for m in moves])
    order = np.lexsort((lead, at))
    n = lead.size
    return Rows(
        LeadStageChange,
        n,
        {
            "id": np.arange(1, n + 1),
            "lead_id": lead[order] + 1,
            "from_stage": Coded(frm[order] + 1, [None, *STAGES]),
            "to_stage": Coded(to[order], STAGES),
            "changed_at": Times(at[order]),
            "actor_id": owner[lead[order]],
        },
    )


def _people(ctx: Ctx, pools: NamePools, has_company: np.ndarray) -> dict[str, np.ndarray]:
    rng, n = ctx.rng, has_company.size
    names, companies, emails = [], [], []
    for i in range(n):
        gender = ("female", "male")[int(rng.integers(0, 2))]
        first = ctx.rnd.choice(pools.first["id", gender])
        last = ctx.rnd.choice(pools.last["id", gender])
        names.append(f"{first} {last}")
        company = None
        domain = "gmail.com"
        if has_company[i]:
            w, v = ctx.rnd.sample(NAME_WORDS, 2)
            company = f"{ctx.rnd.choice(LEAD_COMPANY_WORDS)} {w} {v}"
            domain = f"{slug(company, '')}.co.id"
        companies.append(company)
        emails.append(f"{slug(first, '')}.{slug(last, '')}{i}@{domain}")
    return {
        "name": np.array(names, dtype=object),
        "company": np.array(companies, dtype=object),
        "email": np.array(emails, dtype=object),
        "phone": phones(ctx, np.full(n, "Indonesia", dtype=object)),
    }


def _customers(
    ctx: Ctx, customers: Customers, created: np.ndarray, walk: _Walk,
    source: np.ndarray, has_company: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """A won lead becomes the customer who signs up next from the same source; a tenth of
    the company leads are upsells to an account contact who signed up before."""
    rng, n = ctx.rng, created.size
    joined = customers["created_at"]
    converted = np.full(n, -1)
    used = np.zeros(customers.n, dtype=bool)
    stage, closed = walk["stage"], walk["closed"]
    for lead in np.flatnonzero(stage == STAGES.index(LeadStage.WON)).tolist():
        start = int(np.searchsorted(joined, closed[lead]))
        window = np.arange(start, min(start + 400, customers.n))
        if window.size == 0:
            window = np.arange(max(0, start - 400), customers.n)
        free = window[~used[window]]
        same = free[customers["source"][free] == source[lead]]
        pick_from = same if same.size else free
        if pick_from.size:
            converted[lead] = pick_from[0]
            used[pick_from[0]] = True
    contacts = np.flatnonzero(customers["b2b"] & ~used)
    upsell = (converted < 0) & has_company & (rng.random(n) < 0.1)
    about = np.full(n, -1)
    known = np.searchsorted(joined[contacts], created)
    chosen = upsell & (known > 0)
    about[chosen] = contacts[(rng.random(int(chosen.sum())) * known[chosen]).astype(np.int64)]
    return about, converted


def _copy_contact(
    who: dict[str, np.ndarray], lead: int, customers: Customers, accounts: Accounts, c: int
) -> None:
    who["name"][lead] = customers["name"][c]
    who["email"][lead] = customers["email"][c]
    who["phone"][lead] = customers["phone"][c]
    account = customers["account"][c]
    who["company"][lead] = accounts.name[account] if account >= 0 else None


def _campaigns(
    ctx: Ctx, marketing: Marketing, created: np.ndarray, source: np.ndarray
) -> np.ndarray:
    """Leads from inbound sources during a campaign (or three weeks after) are often its own."""
    out = np.full(created.size, -1)
    inbound = np.isin(source, CAMPAIGN_SOURCES)
    status = marketing.campaigns.columns["status"]
    assert isinstance(status, list)  # the campaign rows hold their statuses as a list
    for k, (start, end) in enumerate(
        zip(marketing.starts.tolist(), marketing.ends.tolist(), strict=True)
    ):
        if status[k] == CampaignStatus.DRAFT:
            continue
        during = inbound & (created >= start) & (created < end + 21 * DAY) & (out < 0)
        out[during & (ctx.rng.random(created.size) < 0.6)] = k
    return out


def refresh_read_model(session: Session) -> None:
    """The funnel's stored facts and stays for the leads just written (crm_core/sales/facts)."""
    facts.refresh_all(session)
