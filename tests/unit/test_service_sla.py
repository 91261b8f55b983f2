"""SLA due times in the team's working hours (Mon-Fri 08:00-17:00 in Jakarta, Indonesian public
holidays), pauses and states, checked against cases worked out by hand (times in WIB = UTC+7)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from crm_core.kernel.calendar import working_seconds_between
from crm_core.kernel.settings import TeamSettings
from crm_core.models.enums import Priority
from crm_core.service import sla
from crm_core.service.queues import with_states
from crm_core.service.sla import DEFAULT_POLICY, SlaState, WorkingClock

TEAM = TeamSettings()  # the defaults: Asia/Jakarta, Monday to Friday 08:00-17:00, ID holidays


def wib(text: str) -> datetime:
    """A Jakarta wall-clock time as the naive UTC the database stores."""
    return datetime.fromisoformat(text) - timedelta(hours=7)


@pytest.mark.parametrize(
    ("priority", "created", "first_response", "resolution"),
    [
        # Thursday before Christmas (Fri 25 Dec is a public holiday, then the weekend):
        # 2 h on Thursday, 6 h on Monday; resolution 2 + 9 + 9 + 4 h -> Wednesday noon.
        (Priority.NORMAL, "2026-12-24 15:00", "2026-12-28 14:00", "2026-12-30 12:00"),
        # Friday 16:45 before Independence Day (Mon 17 Aug): 15 min on Friday, rest Tuesday.
        (Priority.URGENT, "2026-08-14 16:45", "2026-08-18 08:15", "2026-08-18 09:45"),
        # Created at night: the clock starts at the next opening, 08:00.
        (Priority.HIGH, "2026-12-02 22:00", "2026-12-03 09:00", "2026-12-03 12:00"),
        # Saturday: the clock starts Monday 08:00; 24 h of work end Wednesday 14:00, 72 h
        # (eight 9-hour days) at closing time of the eighth working day, Wednesday 9 Dec.
        (Priority.LOW, "2026-11-28 10:00", "2026-12-02 14:00", "2026-12-09 17:00"),
    ],
)
def test_due_times_count_only_working_hours_and_skip_weekends_and_holidays(
    priority: Priority, created: str, first_response: str, resolution: str
) -> None:
    target = DEFAULT_POLICY[priority]
    assert sla.first_response_due(TEAM, target, wib(created)) == wib(first_response)
    assert sla.resolution_due(TEAM, target, wib(created)) == wib(resolution)


def test_the_default_policy_is_the_one_the_team_starts_with() -> None:
    minutes = {
        p: (t.first_response_minutes, t.resolution_minutes) for p, t in DEFAULT_POLICY.items()
    }
    assert minutes == {
        Priority.URGENT: (30, 120),
        Priority.HIGH: (60, 240),
        Priority.NORMAL: (480, 1440),
        Priority.LOW: (1440, 4320),
    }


def test_a_stored_policy_overrides_only_the_priorities_it_names() -> None:
    policy = sla.policy_from({"high": [120, 480], "bogus": [1, 2]})
    assert policy[Priority.HIGH] == sla.Target(120, 480)
    assert policy[Priority.URGENT] == DEFAULT_POLICY[Priority.URGENT]


def test_a_pause_on_the_customer_moves_the_resolution_by_the_working_time_it_took() -> None:
    # Normal, created Monday 08:00: due Wednesday 14:00 (9 + 9 + 6 h). Pending from Monday
    # 16:00 to Tuesday 10:00 takes 1 h + 2 h of working time: due Wednesday 17:00, closing.
    target = DEFAULT_POLICY[Priority.NORMAL]
    created = wib("2026-11-30 08:00")
    assert sla.resolution_due(TEAM, target, created) == wib("2026-12-02 14:00")
    paused = [(wib("2026-11-30 16:00"), wib("2026-12-01 10:00"))]
    assert sla.resolution_due(TEAM, target, created, paused) == wib("2026-12-02 17:00")


def test_a_pause_begun_after_the_due_time_leaves_the_breach_in_place() -> None:
    target = DEFAULT_POLICY[Priority.URGENT]
    created = wib("2026-11-30 08:00")
    late_pause = [(wib("2026-11-30 11:00"), wib("2026-11-30 13:00"))]
    assert sla.resolution_due(TEAM, target, created, late_pause) == wib("2026-11-30 10:00")


def test_a_pause_over_a_night_counts_only_the_working_hours_inside_it() -> None:
    # High, created Tuesday 15:00: due Wednesday 10:00 (2 h + 2 h). Pending Tuesday 16:00 to
    # Wednesday 09:00: 1 h + 1 h of working time -> due Wednesday 12:00.
    target = DEFAULT_POLICY[Priority.HIGH]
    created = wib("2026-12-01 15:00")
    paused = [(wib("2026-12-01 16:00"), wib("2026-12-02 09:00"))]
    assert sla.resolution_due(TEAM, target, created, paused) == wib("2026-12-02 12:00")


def _state(now: str, **times: str | None) -> SlaState:
    parsed = {k: wib(v) if v else None for k, v in times.items()}
    return sla.ticket_state(TEAM, DEFAULT_POLICY[Priority.NORMAL], wib(now), **parsed)


NORMAL_MONDAY = {  # created Monday 30 Nov 08:00: first response 16:00, resolution Wed 14:00
    "first_response_due": "2026-11-30 16:00",
    "resolution_due": "2026-12-02 14:00",
}


def test_a_clock_is_at_risk_under_a_fifth_of_its_target_left_and_breached_past_due() -> None:
    # 8 h target: at risk under 1 h 36 min left.
    open_ = {**NORMAL_MONDAY, "first_response_at": None, "resolved_at": None}
    assert _state("2026-11-30 14:20", **open_) is SlaState.ON_TIME  # 1 h 40 left
    assert _state("2026-11-30 14:30", **open_) is SlaState.AT_RISK  # 1 h 30 left
    assert _state("2026-11-30 16:01", **open_) is SlaState.BREACHED


def test_an_answered_ticket_follows_its_resolution_clock_and_a_late_answer_stays_breached() -> None:
    answered = {**NORMAL_MONDAY, "first_response_at": "2026-11-30 15:00", "resolved_at": None}
    assert _state("2026-11-30 15:30", **answered) is SlaState.ON_TIME
    # Wednesday 10:00: 4 h of the 24 h left (under 4 h 48 min): at risk.
    assert _state("2026-12-02 10:00", **answered) is SlaState.AT_RISK
    late = {**answered, "first_response_at": "2026-11-30 16:30"}
    assert _state("2026-11-30 16:40", **late) is SlaState.BREACHED


def test_a_ticket_on_pending_shows_paused_and_its_clock_as_it_stood() -> None:
    waiting = {
        **NORMAL_MONDAY,
        "first_response_at": "2026-11-30 09:00",
        "resolved_at": None,
        "paused_at": "2026-11-30 10:00",
    }
    assert _state("2026-12-07 10:00", **waiting) is SlaState.PAUSED  # a week later: still paused


def test_a_resolved_ticket_is_judged_by_when_it_was_resolved() -> None:
    done = {**NORMAL_MONDAY, "first_response_at": "2026-11-30 09:00"}
    assert _state("2026-12-09 10:00", **done, resolved_at="2026-12-02 13:59") is SlaState.ON_TIME
    assert _state("2026-12-09 10:00", **done, resolved_at="2026-12-02 14:01") is SlaState.BREACHED


def test_the_working_clock_agrees_with_the_calendar_to_the_second() -> None:
    rng = np.random.default_rng(7)
    base = pd.Timestamp("2026-12-20")
    starts = base + pd.to_timedelta(rng.integers(0, 20 * 24 * 60, 300), unit="min")
    ends = starts + pd.to_timedelta(rng.integers(0, 10 * 24 * 60, 300), unit="min")
    clock = WorkingClock(TEAM, base.date(), (base + pd.Timedelta(days=31)).date())
    got = clock.between(pd.Series(starts), pd.Series(ends))
    expected = [
        working_seconds_between(TEAM, s.to_pydatetime(), e.to_pydatetime())
        for s, e in zip(starts, ends, strict=True)
    ]
    assert np.allclose(got, expected)


def test_the_queue_states_of_many_tickets_agree_with_one_ticket_at_a_time() -> None:
    now = wib("2026-11-30 14:30")
    frame = pd.DataFrame(
        {
            "priority": ["normal", "normal", "urgent", "normal"],
            "created_at": [wib("2026-11-30 08:00")] * 4,
            "first_response_at": [None, wib("2026-11-30 09:00"), None, wib("2026-11-30 09:00")],
            "first_response_due": [
                wib("2026-11-30 16:00"),
                wib("2026-11-30 16:00"),
                wib("2026-11-30 08:30"),
                wib("2026-11-30 16:00"),
            ],
            "resolved_at": [None] * 4,
            "resolution_due": [
                wib("2026-12-02 14:00"),
                wib("2026-12-02 14:00"),
                wib("2026-11-30 10:00"),
                wib("2026-12-02 14:00"),
            ],
            "paused_at": [None, None, None, wib("2026-11-30 10:00")],
        }
    )
    states = with_states(frame, TEAM, DEFAULT_POLICY, now)["sla_state"].tolist()
    assert states == ["at risk", "on time", "breached", "paused"]
    # the working time left of the first: 1 h 30 min to its first response
    assert with_states(frame, TEAM, DEFAULT_POLICY, now)["working_left"].iloc[0] == 5400


def test_tickets_are_likely_to_breach_when_their_agent_cannot_reach_them_in_time() -> None:
    from crm_core.service.queues import likely_to_breach

    # One agent with three tickets in queue order, 30 minutes an answer: answered after 30,
    # 60 and 90 minutes. The second is due in 45 working minutes: it will be late.
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "assignee_id": [7.0, 7.0, 7.0, None],
            "sla_state": ["on time", "on time", "on time", "on time"],
            "next_due": [wib("2026-11-30 10:00")] * 4,
            "working_left": [40 * 60.0, 45 * 60.0, 5 * 3600.0, 20 * 60.0],
        }
    )
    found = likely_to_breach(frame, 30, horizon_hours=4, agents=1)
    # #4 is unassigned: the one agent (3 tickets) reaches it after 2 hours, it is due in 20 min.
    assert found["id"].tolist() == [4, 2]
    assert found["wait"].tolist() == [2 * 3600.0, 3600.0]


def test_a_ticket_resolved_without_a_reply_stops_its_first_response_clock_at_resolution() -> None:
    done = {**NORMAL_MONDAY, "first_response_at": None}
    assert _state("2026-12-09 10:00", **done, resolved_at="2026-11-30 10:00") is SlaState.ON_TIME
