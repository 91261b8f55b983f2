"""The funnel and forecast analytics on six hand-walked leads (every figure computed by hand)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from crm_core.analytics import forecast, funnel

STAGES = ["new", "contacted", "qualified", "proposal", "negotiation", "won"]
AS_OF = datetime(2026, 2, 1)
NB = "new business"


def _d(day: str) -> datetime:
    return datetime.fromisoformat(f"2026-{day}")


# id: source, walk [(stage, day)], value, expected close, lost reason
WALKS = {
    1: ("website", [("new", "01-01"), ("contacted", "01-03"), ("qualified", "01-07"),
                    ("won", "01-20")], 100, "2026-01-25", None),
    2: ("website", [("new", "01-02"), ("contacted", "01-04"), ("lost", "01-10")], 50,
        "2026-01-30", "price"),
    3: ("website", [("new", "01-05"), ("qualified", "01-15")], 200, "2026-03-15", None),
    4: ("referral", [("new", "01-01"), ("contacted", "01-02"), ("qualified", "01-04"),
                     ("proposal", "01-06"), ("negotiation", "01-08"), ("won", "01-11")], 300,
        "2026-01-12", None),
    5: ("referral", [("new", "01-03"), ("lost", "01-05")], 80, None, "no response"),
    6: ("referral", [("new", "01-10")], 40, None, None),
}  # fmt: skip


@pytest.fixture
def leads() -> pd.DataFrame:
    rows = []
    for lead_id, (source, walk, value, expected, reason) in WALKS.items():
        stage, last = walk[-1]
        closed = _d(last) if stage in ("won", "lost") else None
        rows.append({
            "id": lead_id, "source": source, "created_at": _d(walk[0][1]), "stage": stage,
            "value": value, "expected_close": date.fromisoformat(expected) if expected else None,
            "closed_at": closed, "lost_reason": reason, "pipeline": NB,
        })  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture
def changes() -> pd.DataFrame:
    rows = []
    for lead_id, (_s, walk, *_rest) in WALKS.items():
        before = None
        for stage, day in walk:
            rows.append({"lead_id": lead_id, "from_stage": before, "to_stage": stage,
                         "changed_at": _d(day)})  # fmt: skip
            before = stage
    return pd.DataFrame(rows)


def test_each_lead_reached_its_furthest_stage_with_skipped_stages_counted(leads, changes) -> None:
    furthest = funnel.reached(leads, changes, STAGES)
    assert furthest.to_dict() == {1: 5, 2: 1, 3: 2, 4: 5, 5: 0, 6: 0}


def test_the_funnel_counts_leads_that_reached_each_stage_and_converts_step_by_step(
    leads, changes
) -> None:
    table = funnel.funnel(leads, funnel.reached(leads, changes, STAGES), STAGES)
    assert table["reached"].tolist() == [6, 4, 3, 2, 2, 2]
    assert table["dropped"].tolist() == [0, 2, 1, 1, 0, 0]
    assert table["step_rate"].tolist() == pytest.approx([1, 4 / 6, 3 / 4, 2 / 3, 1, 1])
    assert table["overall_rate"].iloc[-1] == pytest.approx(2 / 6)


def test_by_source_each_source_has_its_funnel_and_its_biggest_drop(leads, changes) -> None:
    table = funnel.funnel(leads, funnel.reached(leads, changes, STAGES), STAGES, by="source")
    website = table[table["group"] == "website"]["reached"].tolist()
    referral = table[table["group"] == "referral"]["reached"].tolist()
    assert website == [3, 3, 2, 1, 1, 1]
    assert referral == [3, 1, 1, 1, 1, 1]
    groups = funnel.by_group(table, STAGES).set_index("group")
    assert groups.loc["website", "biggest_drop_before"] == "qualified"
    assert groups.loc["referral", "biggest_drop_before"] == "contacted"
    assert groups.loc["referral", "biggest_drop"] == 2
    assert groups["conversion"].tolist() == pytest.approx([1 / 3, 1 / 3])


def test_the_summary_has_win_rate_of_closed_leads_and_the_median_cycle(leads) -> None:
    kpis = funnel.summary(leads)
    assert kpis == {
        "leads": 6, "won": 2, "lost": 2, "open": 2, "win_rate": 0.5,
        "average_won_value": 200.0, "won_value": 400.0, "cycle_days": 14.5,
    }  # fmt: skip
    assert funnel.velocity(2, 0.5, 200.0, 14.5) == pytest.approx(200 / 14.5)
    assert funnel.velocity(2, None, 200.0, 14.5) is None


def test_time_in_stage_counts_finished_stays_only(changes) -> None:
    table = funnel.time_in_stage(changes, STAGES, AS_OF).set_index("stage")
    assert table.loc["new", "stays"] == 5
    assert table.loc["new", "median_days"] == pytest.approx(2)
    assert table.loc["new", "p90_days"] == pytest.approx(6.8)
    assert table.loc["contacted", "median_days"] == pytest.approx(4)
    assert table.loc["contacted", "p90_days"] == pytest.approx(5.6)
    assert table.loc["qualified", "median_days"] == pytest.approx(7.5)
    assert table.loc["qualified", "p90_days"] == pytest.approx(11.9)
    assert table.loc["negotiation", "stays"] == 1


def test_lost_reasons_are_a_pareto(leads) -> None:
    table = funnel.lost_reasons(leads)
    assert table["reason"].tolist() == ["no response", "price"]
    assert table["cumulative_share"].tolist() == pytest.approx([0.5, 1.0])


def test_stalled_leads_are_the_open_ones_over_their_stage_s_usual_days(leads, changes) -> None:
    table = funnel.stalled(leads, changes, {"new": 7, "qualified": 10}, AS_OF)
    assert table["lead_id"].tolist() == [6, 3]
    assert table["over_days"].tolist() == pytest.approx([15, 7])


def test_monthly_trend_is_per_creation_month(leads, changes) -> None:
    trend = funnel.monthly_trend(leads, funnel.reached(leads, changes, STAGES), STAGES)
    assert trend.to_dict("records") == [
        {"month": "2026-01", "leads": 6, "won": 2, "conversion": pytest.approx(1 / 3)}
    ]


PROB = {(NB, "new"): 0.05, (NB, "contacted"): 0.15, (NB, "qualified"): 0.35,
        (NB, "proposal"): 0.6, (NB, "negotiation"): 0.8}  # fmt: skip


def test_the_weighted_pipeline_counts_open_leads_by_close_month(leads) -> None:
    table = forecast.weighted_pipeline(leads, PROB, AS_OF)
    assert table.to_dict("records") == [
        {"month": "2026-02", "leads": 1, "value": 40.0, "weighted": pytest.approx(2.0)},
        {"month": "2026-03", "leads": 1, "value": 200.0, "weighted": pytest.approx(70.0)},
    ]


def test_the_forecast_at_the_start_is_set_against_what_was_won(leads, changes) -> None:
    table = forecast.forecast_vs_actual(leads, changes, PROB, date(2026, 1, 9), date(2026, 2, 1))
    assert table.to_dict("records") == [
        {"month": "2026-01", "forecast": pytest.approx(282.5), "forecast_leads": 3,
         "actual": 400.0, "actual_leads": 2}
    ]  # fmt: skip


def test_calibration_sets_each_stage_s_probability_against_its_observed_win_rate(
    leads, changes
) -> None:
    stage_p = {stage: PROB[(NB, stage)] for _, stage in PROB}
    table = forecast.calibration(leads, changes, STAGES, stage_p).set_index("stage")
    assert table["closed"].tolist() == [4, 3, 2, 2, 2]
    assert table["observed"].tolist() == pytest.approx([0.5, 2 / 3, 1, 1, 1])
    assert table.loc["new", "gap"] == pytest.approx(0.45)


def test_learned_probabilities_fall_back_to_the_stage_rate_without_history(leads, changes) -> None:
    learned = forecast.learned_probabilities(leads, changes, STAGES, AS_OF)
    new = learned[learned["stage"] == "new"].set_index("min_days")
    assert new.loc[0, "closed"] == 4 and new.loc[0, "probability"] == pytest.approx(0.5)
    assert new.loc[30, "closed"] == 0 and new.loc[30, "probability"] == pytest.approx(0.5)
    live = forecast.open_lead_probabilities(leads, changes, learned, PROB, AS_OF)
    assert live.set_index("id")["probability"].to_dict() == pytest.approx({3: 1.0, 6: 0.5})
    assert live.set_index("id")["days_in_stage"].to_dict() == pytest.approx({3: 17.0, 6: 22.0})


def test_the_monte_carlo_bands_bracket_the_uncertain_and_pin_the_certain() -> None:
    live = pd.DataFrame({
        "expected_close": [date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1)],
        "value": [500.0, 300.0, 100.0], "probability": [1.0, 0.0, 0.5],
    })  # fmt: skip
    bands = forecast.monte_carlo(live, AS_OF, runs=4000).set_index("month")
    assert bands.loc["2026-03", ["p10", "p50", "p90"]].tolist() == [500.0, 500.0, 500.0]
    assert bands.loc["2026-04", "p10"] == 0.0 and bands.loc["2026-04", "p90"] == 100.0
    assert bands.loc["2026-04", "mean"] == pytest.approx(50, abs=3)
