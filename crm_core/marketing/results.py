"""A campaign's results per variant: response and conversion rates with Wilson intervals,
uplift and a two-proportion test against the baseline (the hold-out control, else the first
variant), revenue per member and ROI, and the verdict with the rule it used.

Rates count every enrolled member (intention to treat: a hold-out member is counted though
nothing was sent). The planned sample is compared with the members observed (`observed`):
an enrolled member whose outcome nobody recorded is no evidence yet. Revenue is the
members' completed orders, net of discounts, placed from the campaign's first day to
`attribution_days` after its last (the same window for every variant, so the control shows
what members would have bought anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from crm_core.customers.read import sold_orders
from crm_core.kernel import writepath
from crm_core.kernel.frames import change_mark, query_frame
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.marketing.amounts import all_amounts
from crm_core.marketing.campaigns import CONTROL, baseline_of, planned_per_variant
from crm_core.marketing.stats import Decision, decide, two_proportion_test, wilson_interval
from crm_core.models import Campaign, CampaignMember, Order, OrderItem
from crm_core.models.enums import Entity

RESULT_COLUMNS = [
    "variant", "members", "observed", "sent", "responded", "converted", "response_rate",
    "response_low", "response_high", "conversion_rate", "conversion_low", "conversion_high",
    "uplift", "difference", "difference_low", "difference_high", "p_value", "revenue",
    "revenue_per_member",
]  # fmt: skip


@dataclass(frozen=True)
class CampaignResults:
    campaign_id: int
    baseline: str
    table: pd.DataFrame  # RESULT_COLUMNS, one row per variant, the baseline first
    planned_per_variant: int
    decision: Decision
    budget: float
    revenue: float | None  # None: the reader does not read every member's amounts
    roi: float | None  # (revenue - budget) / budget
    incremental_revenue: float | None  # over what the members would have bought at the
    incremental_roi: float | None  # baseline's revenue per member; and its return on budget
    as_of: datetime


def _counts(session: Session, campaign_id: int, as_of: datetime) -> pd.DataFrame:
    def done(*columns: Any) -> Any:
        known = or_(*[column < as_of for column in columns])
        return func.coalesce(func.sum(case((known, 1), else_=0)), 0)

    member = CampaignMember
    stmt = (
        select(
            member.variant,
            func.count(),
            done(member.sent_at, member.responded_at, member.converted_at),
            done(member.sent_at),
            done(member.responded_at),
            done(member.converted_at),
        )
        .where(member.campaign_id == campaign_id)
        .group_by(member.variant)
    )
    columns = ["variant", "members", "recorded", "sent", "responded", "converted"]
    frame = query_frame(session, stmt, columns)
    return frame.set_index("variant").astype("int64")


def _window_end(campaign: Campaign, attribution_days: int) -> datetime | None:
    """The moment the campaign's attribution window closes (its last day, then the days
    orders still count as the campaign's); None without dates."""
    last = campaign.ends_on or campaign.starts_on
    if last is None:
        return None
    return datetime.combine(last, datetime.min.time()) + timedelta(days=1 + attribution_days)


def observed(counts: pd.DataFrame, control: str | None) -> pd.Series:
    """Per variant, the members whose outcome is known (what the planned sample counts):
    those with a send, response or conversion recorded; the hold-out control's members all
    of them once any outcome of the campaign is recorded (they get no send to record, and
    the results import that reports the treatment's reports their conversions too); nobody
    while nothing is recorded, however long ago the campaign ended."""
    seen = counts["recorded"].copy()
    if control is not None and control in seen.index and int(counts["recorded"].sum()) > 0:
        seen[control] = counts.loc[control, "members"]
    return seen.astype("int64")


def _revenue(
    session: Session, campaign: Campaign, as_of: datetime, attribution_days: int
) -> pd.Series:
    closes = _window_end(campaign, attribution_days)
    if campaign.starts_on is None or closes is None:
        return pd.Series(dtype="float64")
    start = datetime.combine(campaign.starts_on, datetime.min.time())
    end = min(closes, as_of)
    per_order = (
        select(
            Order.id.label("order_id"),
            Order.customer_id,
            (func.sum(OrderItem.quantity * OrderItem.unit_price) - Order.discount).label("net"),
        )
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(CampaignMember, CampaignMember.customer_id == Order.customer_id)
        .where(
            CampaignMember.campaign_id == campaign.id,
            sold_orders(end),
            Order.ordered_at >= start,
        )
        .group_by(Order.id, Order.customer_id, Order.discount)
        .subquery()
    )
    stmt = (
        select(CampaignMember.variant, func.sum(per_order.c.net))
        .join(per_order, per_order.c.customer_id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign.id)
        .group_by(CampaignMember.variant)
    )
    frame = query_frame(session, stmt, ["variant", "revenue"])
    return frame.set_index("variant")["revenue"].astype("float64")


def results_mark(session: Session, campaign_id: int) -> tuple[Any, ...]:
    """A cheap mark of what a campaign's results count: the campaign (an edit), its members'
    newest send, response and conversion (an outcome recorded) and the orders (its revenue)."""
    m = CampaignMember
    newest = session.execute(
        select(
            func.count(), func.max(m.sent_at), func.max(m.responded_at), func.max(m.converted_at)
        ).where(m.campaign_id == campaign_id)
    ).one()
    edited = session.scalar(select(Campaign.updated_at).where(Campaign.id == campaign_id))
    return (str(edited), *map(str, newest), *change_mark(session, Order))


def campaign_results(
    session: Session, actor: Actor, campaign_id: int, as_of: datetime
) -> CampaignResults:
    """Everything the results page shows, read at `as_of`."""
    campaign = writepath.load(session, Campaign, campaign_id)
    require(actor, Entity.CAMPAIGN, Action.READ, campaign)
    design = campaign.design or {}
    alpha = float(design.get("alpha", 0.05))
    planned = int(design.get("planned_per_variant") or planned_per_variant(design))
    baseline = baseline_of(campaign)
    variants = [baseline, *[v for v in campaign.variants if v != baseline]]
    counts = _counts(session, campaign.id, as_of).reindex(variants).fillna(0).astype("int64")
    days = int(design.get("attribution_days", 14))
    counts["observed"] = observed(counts, CONTROL if CONTROL in variants else None)
    revenue = _revenue(session, campaign, as_of, days)
    counts["revenue"] = revenue.reindex(variants).fillna(0.0)
    rows, tests = [], []
    per_variant: dict[str, dict[str, float]] = {
        str(v): {str(k): float(x) for k, x in r.items()} for v, r in counts.to_dict("index").items()
    }
    base = per_variant[baseline]
    for variant in variants:
        row = per_variant[variant]
        n = int(row["members"])
        response = wilson_interval(int(row["responded"]), n)
        conversion = wilson_interval(int(row["converted"]), n)
        test = None
        if variant != baseline:
            test = two_proportion_test(
                int(base["converted"]), int(base["members"]), int(row["converted"]), n
            )
            tests.append(test)
        rows.append({
            "variant": variant, "members": n, "observed": int(row["observed"]),
            "sent": int(row["sent"]),
            "responded": int(row["responded"]), "converted": int(row["converted"]),
            "response_rate": row["responded"] / n if n else None,
            "response_low": response.low if response else None,
            "response_high": response.high if response else None,
            "conversion_rate": row["converted"] / n if n else None,
            "conversion_low": conversion.low if conversion else None,
            "conversion_high": conversion.high if conversion else None,
            "uplift": test.uplift if test else None,
            "difference": test.difference if test else None,
            "difference_low": test.difference_interval.low if test else None,
            "difference_high": test.difference_interval.high if test else None,
            "p_value": test.p_value if test else None,
            "revenue": float(row["revenue"]),
            "revenue_per_member": float(row["revenue"]) / n if n else None,
        })  # fmt: skip
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    decision = decide(variants, tests, [int(n) for n in counts["observed"]], planned, alpha)
    budget, total = float(campaign.budget), float(counts["revenue"].sum())
    incremental = None
    if not all_amounts(actor):  # the members' revenue is theirs to read only for some
        table[["revenue", "revenue_per_member"]] = float("nan")
        return CampaignResults(campaign.id, baseline, table, planned, decision, budget, None,
                               None, None, None, as_of)  # fmt: skip
    if base["members"] > 0:
        per_member = base["revenue"] / base["members"]
        incremental = sum(
            per_variant[v]["revenue"] - per_member * per_variant[v]["members"]
            for v in variants
            if v != baseline
        )
    return CampaignResults(
        campaign_id=campaign.id,
        baseline=baseline,
        table=table,
        planned_per_variant=planned,
        decision=decision,
        budget=budget,
        revenue=total,
        roi=(total - budget) / budget if budget > 0 else None,
        incremental_revenue=incremental,
        incremental_roi=(incremental - budget) / budget
        if budget > 0 and incremental is not None
        else None,
        as_of=as_of,
    )
