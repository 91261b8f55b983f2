"""Campaigns on SQLite and PostgreSQL: plan with a power analysis, launch with a seeded random
split, record outcomes by CSV, and read per-variant results checked by hand and with SciPy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from scipy import stats as sp
from sqlalchemy import Engine, select

from crm_core.customers import orders, timeline
from crm_core.customers import records as customers
from crm_core.kernel.errors import CRMError, PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.marketing import campaigns, segments
from crm_core.marketing.campaigns import assign_variants
from crm_core.marketing.results import campaign_results
from crm_core.marketing.stats import Verdict, VerdictRule
from crm_core.models import AuditEntry, Campaign, CampaignMember, Product
from crm_core.models.enums import Entity
from db.session import session_scope

AS_OF = datetime(2026, 11, 30)


@pytest.fixture
def audience(engine: Engine, manager: Actor) -> list[int]:
    with session_scope(engine) as s:
        return [
            customers.create_customer(
                s, manager, {"name": f"Pelanggan {i:02d}", "email": f"p{i}@example.com",
                             "region": "Jawa Barat", "consent_email": True},
            ).id
            for i in range(40)
        ]  # fmt: skip


@pytest.fixture
def segment_id(engine: Engine, manager: Actor) -> int:
    rule = {"groups": [{"conditions": [{"field": "region", "op": "in", "value": ["Jawa Barat"]}]}]}
    with session_scope(engine) as s:
        return segments.create_segment(s, manager, {"name": "Jawa Barat", "rule": rule}).id


def plan(engine: Engine, actor: Actor, segment_id: int, **extra: object) -> int:
    data = {"name": "Promo kopi", "channel": "email", "segment_id": segment_id,
            "starts_on": "2026-11-01", "ends_on": "2026-11-14", "budget": "1000000",
            "baseline_rate": 0.10, "min_uplift": 0.2, "seed": 7, **extra}  # fmt: skip
    with session_scope(engine) as s:
        return campaigns.plan_campaign(s, actor, data).id


def test_the_seeded_split_is_balanced_and_repeatable() -> None:
    ids = list(range(100, 141))
    first = assign_variants(ids, ["A", "B"], seed=7)
    assert first == assign_variants(list(reversed(ids)), ["A", "B"], seed=7)[::-1]
    assert (first.count("A"), first.count("B")) == (21, 20)
    assert first != assign_variants(ids, ["A", "B"], seed=8)


def test_planning_stores_the_sample_needed_and_refuses_what_cannot_be_run(
    engine: Engine, manager: Actor, sales: Actor, segment_id: int
) -> None:
    campaign_id = plan(engine, manager, segment_id)
    with session_scope(engine) as s:
        listed = campaigns.list_campaigns(s, manager)
        assert list(listed["name"]) == ["Promo kopi"] and listed["members"].iloc[0] == 0
        design = s.get_one(Campaign, campaign_id).design
    assert design["planned_per_variant"] == 3841  # 10 % -> 12 %, 5 % two-sided, 80 % power
    with pytest.raises(ValidationError) as bad:
        plan(engine, manager, segment_id, ends_on="2026-10-01", variants="A, a")
    assert set(bad.value.field_errors) >= {"variants"}
    with pytest.raises(PermissionDenied):
        plan(engine, sales, segment_id)


def test_a_hold_out_campaign_names_its_control(
    engine: Engine, manager: Actor, segment_id: int
) -> None:
    campaign_id = plan(engine, manager, segment_id, design="holdout", variants="Diskon 10%, x")
    with session_scope(engine) as s:
        assert s.get_one(Campaign, campaign_id).variants == ["control", "Diskon 10%"]


def launched(engine: Engine, manager: Actor, segment_id: int, audience: list[int]) -> int:
    campaign_id = plan(engine, manager, segment_id)
    with session_scope(engine) as s:
        assert campaigns.launch(s, manager, campaign_id, 1, audience) == 40
    return campaign_id


def by_variant(engine: Engine, campaign_id: int) -> dict[str, list[int]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(CampaignMember.variant, CampaignMember.customer_id)
            .where(CampaignMember.campaign_id == campaign_id)
            .order_by(CampaignMember.customer_id)
        ).all()
    out: dict[str, list[int]] = {}
    for variant, customer_id in rows:
        out.setdefault(variant, []).append(customer_id)
    return out


def test_launching_enrols_the_members_once_and_is_audited(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id = launched(engine, manager, segment_id, audience)
    groups = by_variant(engine, campaign_id)
    assert sorted(len(g) for g in groups.values()) == [20, 20]
    with session_scope(engine) as s, pytest.raises(CRMError):
        campaigns.launch(s, manager, campaign_id, 2, audience)
    with session_scope(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == Entity.CAMPAIGN, AuditEntry.action == "update"
            )
        ).one()
    assert entry.changes["members"]["new"] == {"A": 20, "B": 20}
    assert entry.changes["status"] == {"old": "draft", "new": "running"}


def test_results_per_variant_from_an_imported_file(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id = launched(engine, manager, segment_id, audience)
    groups = by_variant(engine, campaign_id)
    a, b = groups["A"], groups["B"]
    # Sent to all 40; A: 6 respond, 2 buy; B: 12 respond, 9 buy. By id for A, by email for B.
    lines = ["customer_id,email,sent_at,responded_at,converted_at"]
    lines += [f"{c},,2026-11-01 09:00,," for c in a[6:]]
    lines += [f"{c},,2026-11-01 09:00,2026-11-02 10:00," for c in a[2:6]]
    lines += [f"{c},,,,2026-11-03 10:00" for c in a[:2]]
    emails = {c: f"p{audience.index(c)}@example.com" for c in b}
    lines += [f",{emails[c]},2026-11-01 09:00,," for c in b[12:]]
    lines += [f",{emails[c].upper()},2026-11-01 09:00,2026-11-02 10:00," for c in b[9:12]]
    lines += [f",{emails[c]},,2026-11-02 10:00,2026-11-04 10:00" for c in b[:9]]
    rows = campaigns.outcomes_from_csv("\n".join(lines))
    with session_scope(engine) as s:
        counts = campaigns.record_outcomes(s, manager, campaign_id, rows)
    assert counts == {"sent": 40, "responded": 18, "converted": 11}
    # Orders in the window: two A members spend 100,000 and 50,000 less 10,000 discount;
    # one B member 300,000; an order before the campaign does not count.
    with session_scope(engine) as s:
        kopi = Product(sku="K", name="Kopi", category="kopi", price=Decimal("50000"),
                       unit_cost=Decimal("30000"))  # fmt: skip
        s.add(kopi)
        s.flush()
        for customer_id, quantity, discount, when in [
            (a[0], 2, "0", "2026-11-05T03:00"), (a[1], 1, "10000", "2026-11-20T03:00"),
            (b[0], 6, "0", "2026-11-10T03:00"), (b[1], 9, "0", "2026-10-20T03:00"),
        ]:  # fmt: skip
            orders.create_order(s, manager, {
                "customer_id": customer_id, "ordered_at": when, "channel": "online",
                "discount": discount, "lines": [{"product_id": kopi.id, "quantity": quantity}],
            })  # fmt: skip
    with session_scope(engine) as s:
        results = campaign_results(s, manager, campaign_id, AS_OF)
    table = results.table.set_index("variant")
    assert list(table.index) == ["A", "B"] and results.baseline == "A"
    counted = ["members", "observed", "sent", "responded", "converted"]
    assert list(table.loc["A", counted]) == [20, 20, 20, 6, 2]
    assert list(table.loc["B", counted]) == [20, 20, 20, 12, 9]
    assert table.loc["B", "conversion_rate"] == pytest.approx(0.45)
    assert table.loc["B", "uplift"] == pytest.approx(3.5)  # 45 % against 10 %
    _chi2, p_value, _dof, _e = sp.chi2_contingency([[2, 18], [9, 11]], correction=False)
    assert table.loc["B", "p_value"] == pytest.approx(p_value, rel=1e-9)
    wilson = sp.binomtest(9, 20).proportion_ci(method="wilson")
    assert table.loc["B", "conversion_low"] == pytest.approx(wilson.low)
    assert table.loc["A", "revenue"] == pytest.approx(140_000)
    assert table.loc["B", "revenue_per_member"] == pytest.approx(15_000)
    assert results.revenue == pytest.approx(440_000)
    assert results.roi == pytest.approx((440_000 - 1_000_000) / 1_000_000)
    assert results.incremental_revenue == pytest.approx(300_000 - 7_000 * 20)
    # p = 0.013 < 0.05, B converts more: roll out, though far below the 3,841 planned.
    assert (results.decision.verdict, results.decision.rule) == (
        Verdict.ROLL_OUT, VerdictRule.WINNER,
    )  # fmt: skip
    assert results.decision.early


def test_an_outcome_for_someone_outside_the_campaign_records_nothing(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id = launched(engine, manager, segment_id, audience)
    rows: list[dict[str, object]] = [
        {"customer_id": audience[0], "sent_at": "2026-11-01 09:00"},
        {"email": "stranger@example.com", "sent_at": "2026-11-01 09:00"},
    ]
    with session_scope(engine) as s, pytest.raises(ValidationError) as bad:
        campaigns.record_outcomes(s, manager, campaign_id, rows)
    assert list(bad.value.field_errors) == ["row 2"]
    with session_scope(engine) as s:
        results = campaign_results(s, manager, campaign_id, AS_OF)
    assert results.table["sent"].sum() == 0


def test_the_campaign_touches_show_on_the_members_timeline(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id = launched(engine, manager, segment_id, audience)
    rows = [
        {
            "customer_id": audience[0],
            "sent_at": "2026-11-01 09:00",
            "responded_at": "2026-11-02 10:00",
            "converted_at": "2026-11-03 10:00",
        }
    ]
    with session_scope(engine) as s:
        campaigns.record_outcomes(s, manager, campaign_id, rows)
    with session_scope(engine) as s:
        feed = timeline.customer_timeline(s, manager, audience[0], kinds={"campaign"})
    assert [render(x) for x in feed["title"]] == [
        "Campaign converted: Promo kopi",
        "Campaign responded: Promo kopi",
        "Campaign sent: Promo kopi",
    ]
    assert [d.date() for d in pd.to_datetime(feed["at"])] == [
        date(2026, 11, 3),
        date(2026, 11, 2),
        date(2026, 11, 1),
    ]


def test_an_outcome_in_the_future_is_refused(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id = launched(engine, manager, segment_id, audience)
    rows = [{"customer_id": audience[0], "converted_at": "2026-11-20 10:00"}]
    with pytest.raises(ValidationError) as bad, session_scope(engine) as s:
        campaigns.record_outcomes(s, manager, campaign_id, rows, now=datetime(2026, 11, 10))
    assert bad.value.texts() == {"row 1": "must not be in the future"}


def test_other_areas_read_a_customers_campaigns(
    engine: Engine, manager: Actor, sales: Actor, segment_id: int, audience: list[int]
) -> None:
    from crm_core.marketing import read as marketing_read

    campaign_id = launched(engine, manager, segment_id, audience)
    rows = [{"customer_id": audience[3], "responded_at": "2026-11-02 10:00"}]
    with session_scope(engine) as s:
        campaigns.record_outcomes(s, manager, campaign_id, rows)
    with session_scope(engine) as s:
        mine = marketing_read.customer_campaigns(s, manager, audience[3])
        hidden = marketing_read.customer_campaigns(s, sales, audience[3])
    assert list(mine["name"]) == ["Promo kopi"]
    assert mine["sent_at"].notna().all() and mine["converted_at"].isna().all()
    assert hidden.empty  # salespeople do not read campaigns


def launched_small(engine: Engine, manager: Actor, segment_id: int, audience: list[int],
                   **extra: object) -> tuple[int, dict[str, list[int]]]:  # fmt: skip
    """A campaign planned for 10 members per variant (30 % -> 90 %), 20 enrolled in each."""
    campaign_id = plan(engine, manager, segment_id, baseline_rate=0.3, min_uplift=2.0, **extra)
    with session_scope(engine) as s:
        campaigns.launch(s, manager, campaign_id, 1, audience)
    return campaign_id, by_variant(engine, campaign_id)


def record(engine: Engine, manager: Actor, campaign_id: int, lines: list[str]) -> None:
    rows = campaigns.outcomes_from_csv("\n".join(["customer_id,sent_at,converted_at", *lines]))
    with session_scope(engine) as s:
        campaigns.record_outcomes(s, manager, campaign_id, rows)


def test_a_launched_campaign_with_nothing_recorded_says_so_though_its_groups_are_full(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id, _groups = launched_small(engine, manager, segment_id, audience)
    with session_scope(engine) as s:
        results = campaign_results(s, manager, campaign_id, AS_OF)
    # 20 enrolled per variant, 10 planned: nothing is sent yet, so nothing is observed.
    assert results.planned_per_variant == 10
    assert results.table["observed"].tolist() == [0, 0]
    decision = results.decision
    assert (decision.verdict, decision.rule) == (Verdict.KEEP_TESTING, VerdictRule.NO_DATA)
    assert decision.early and decision.winner is None


def test_outcomes_of_fewer_members_than_planned_are_read_early(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id, groups = launched_small(engine, manager, segment_id, audience)
    # Sent to 6 of each group's 20 (10 planned); one B member bought.
    lines = [f"{c},2026-11-01 09:00," for c in groups["A"][:6] + groups["B"][1:6]]
    record(engine, manager, campaign_id, [*lines, f"{groups['B'][0]},,2026-11-03 10:00"])
    with session_scope(engine) as s:
        results = campaign_results(s, manager, campaign_id, AS_OF)
    assert results.table["observed"].tolist() == [6, 6]
    assert results.table["members"].tolist() == [20, 20]
    decision = results.decision
    assert (decision.verdict, decision.rule) == (Verdict.KEEP_TESTING, VerdictRule.TOO_EARLY)
    assert decision.early


def test_the_planned_sample_reached_with_b_significantly_ahead_rolls_out_b(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id, groups = launched_small(engine, manager, segment_id, audience)
    # All 40 sent; A: 2 of 20 buy, B: 14 of 20 (chi-square p = 0.0001).
    a, b = groups["A"], groups["B"]
    lines = [f"{c},2026-11-01 09:00,2026-11-03 10:00" for c in a[:2] + b[:14]]
    lines += [f"{c},2026-11-01 09:00," for c in a[2:] + b[14:]]
    record(engine, manager, campaign_id, lines)
    with session_scope(engine) as s:
        results = campaign_results(s, manager, campaign_id, AS_OF)
    _chi2, p_value, _dof, _e = sp.chi2_contingency([[2, 18], [14, 6]], correction=False)
    assert p_value < 0.001
    assert results.table.set_index("variant").loc["B", "p_value"] == pytest.approx(p_value)
    decision = results.decision
    assert (decision.verdict, decision.rule, decision.winner) == (
        Verdict.ROLL_OUT, VerdictRule.WINNER, "B",
    )  # fmt: skip
    assert not decision.early


def test_a_hold_out_counts_as_observed_once_any_outcome_of_the_campaign_is_recorded(
    engine: Engine, manager: Actor, segment_id: int, audience: list[int]
) -> None:
    campaign_id, groups = launched_small(
        engine, manager, segment_id, audience, design="holdout", variants="Diskon, x"
    )
    during = datetime(2026, 11, 20)  # the window: 1-14 November and 14 days after
    with session_scope(engine) as s:
        nothing = campaign_results(s, manager, campaign_id, during)
        closed = campaign_results(s, manager, campaign_id, AS_OF)
    assert nothing.table["observed"].tolist() == [0, 0]
    assert closed.table["observed"].tolist() == [0, 0]  # window closed 29 November: still none
    assert closed.decision.rule is VerdictRule.NO_DATA
    sent = groups["Diskon"][:12]
    record(engine, manager, campaign_id, [f"{c},2026-11-01 09:00," for c in sent])
    with session_scope(engine) as s:
        results = campaign_results(s, manager, campaign_id, during)
    assert results.table["variant"].tolist() == ["control", "Diskon"]
    assert results.table["observed"].tolist() == [20, 12]
    assert results.decision.rule is VerdictRule.NO_DIFFERENCE  # 12 >= 10 planned, 0 vs 0
