"""The team's working calendar as an SLA clock will read it (values checked by hand against a
2026 wall calendar: 7 and 14 August are Fridays, 17 August is Independence Day, a Monday)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_core.kernel.calendar import (
    add_working_time,
    holidays_between,
    is_working_time,
    working_seconds_between,
)
from crm_core.kernel.settings import TeamSettings

JAKARTA = ZoneInfo("Asia/Jakarta")
TEAM = TeamSettings()  # Asia/Jakarta, Monday to Friday 08:00-17:00, Indonesia's holidays


def jakarta(day: str, clock: str) -> datetime:
    """A Jakarta wall-clock time as the naive UTC the database stores."""
    local = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=JAKARTA)
    return local.astimezone(UTC).replace(tzinfo=None)


def test_independence_day_and_new_year_are_holidays_with_their_names() -> None:
    found = holidays_between(TEAM, date(2026, 8, 1), date(2026, 8, 31))
    assert found == {date(2026, 8, 17): "Independence Day", date(2026, 8, 25): "Prophet's Birthday"}
    assert holidays_between(TEAM, date(2026, 1, 1), date(2026, 1, 1)) == {
        date(2026, 1, 1): "New Year's Day"
    }


def test_holiday_names_follow_the_language_asked_for() -> None:
    found = holidays_between(TEAM, date(2026, 8, 17), date(2026, 8, 17), language="id")
    assert found == {date(2026, 8, 17): "Hari Kemerdekaan Republik Indonesia"}


def test_the_team_adds_a_day_off_and_removes_a_public_holiday() -> None:
    edited = replace(TEAM, holiday_overrides={"2026-08-18": "Company outing", "2026-08-25": None})
    assert holidays_between(edited, date(2026, 8, 1), date(2026, 8, 31)) == {
        date(2026, 8, 17): "Independence Day",
        date(2026, 8, 18): "Company outing",
    }


def test_a_team_without_a_holiday_country_has_only_its_own_days_off() -> None:
    edited = replace(TEAM, holiday_country=None, holiday_overrides={"2026-12-31": "Year end"})
    assert holidays_between(edited, date(2026, 1, 1), date(2026, 12, 31)) == {
        date(2026, 12, 31): "Year end"
    }


def test_holidays_are_listed_across_a_new_year_without_joint_leave_days() -> None:
    # 26 December is cuti bersama (the government's joint leave), not a public holiday.
    found = holidays_between(TEAM, date(2025, 12, 25), date(2026, 1, 1))
    assert list(found) == [date(2025, 12, 25), date(2026, 1, 1)]


@pytest.mark.parametrize(
    ("day", "clock", "open_"),
    [
        ("2026-08-14", "08:00", True),  # Friday, opening time counts
        ("2026-08-14", "16:59", True),
        ("2026-08-14", "17:00", False),  # closing time does not
        ("2026-08-14", "07:59", False),
        ("2026-08-15", "10:00", False),  # Saturday
        ("2026-08-17", "10:00", False),  # Independence Day
        ("2026-08-18", "10:00", True),
    ],
)
def test_working_time_is_an_open_hour_of_a_weekday_that_is_not_a_holiday(
    day: str, clock: str, open_: bool
) -> None:
    assert is_working_time(TEAM, jakarta(day, clock)) is open_


def test_working_time_is_read_in_the_team_time_zone() -> None:
    moment = datetime(2026, 8, 14, 0, 30)  # UTC: 07:30 in Jakarta, 08:30 in Makassar (UTC+8)
    assert is_working_time(TEAM, moment) is False
    assert is_working_time(replace(TEAM, time_zone="Asia/Makassar"), moment) is True


def test_working_hours_are_local_on_both_sides_of_a_daylight_saving_change() -> None:
    berlin = replace(TEAM, time_zone="Europe/Berlin", holiday_country=None)
    assert is_working_time(berlin, datetime(2026, 7, 1, 6, 30)) is True  # 08:30 summer time
    assert is_working_time(berlin, datetime(2026, 1, 7, 6, 30)) is False  # 07:30 winter time


def test_two_working_hours_from_friday_four_pm_are_due_on_monday_at_nine() -> None:
    due = add_working_time(TEAM, jakarta("2026-08-07", "16:00"), timedelta(hours=2))
    assert due == jakarta("2026-08-10", "09:00")


def test_independence_day_pushes_that_deadline_to_tuesday() -> None:
    due = add_working_time(TEAM, jakarta("2026-08-14", "16:00"), timedelta(hours=2))
    assert due == jakarta("2026-08-18", "09:00")


def test_a_removed_holiday_is_a_working_day_again() -> None:
    edited = replace(TEAM, holiday_overrides={"2026-08-17": None})
    due = add_working_time(edited, jakarta("2026-08-14", "16:00"), timedelta(hours=2))
    assert due == jakarta("2026-08-17", "09:00")


def test_work_that_ends_at_closing_time_is_due_at_closing_time() -> None:
    due = add_working_time(TEAM, jakarta("2026-08-07", "15:00"), timedelta(hours=2))
    assert due == jakarta("2026-08-07", "17:00")


def test_a_ticket_opened_on_a_weekend_starts_its_clock_on_monday_morning() -> None:
    due = add_working_time(TEAM, jakarta("2026-08-08", "11:00"), timedelta(minutes=30))
    assert due == jakarta("2026-08-10", "08:30")


def test_an_aware_start_gives_an_answer_in_its_own_zone() -> None:
    start = datetime(2026, 8, 7, 16, 0, tzinfo=JAKARTA)
    due = add_working_time(TEAM, start, timedelta(hours=2))
    assert due == datetime(2026, 8, 10, 9, 0, tzinfo=JAKARTA)
    assert due.utcoffset() == timedelta(hours=7)


def test_working_seconds_skip_nights_weekends_and_holidays() -> None:
    # Friday 16:00-17:00 (1 h), Saturday, Sunday, Monday 17 August off, Tuesday 08:00-10:00 (2 h).
    start, end = jakarta("2026-08-14", "16:00"), jakarta("2026-08-18", "10:00")
    assert working_seconds_between(TEAM, start, end) == 3 * 3600


def test_working_seconds_within_one_day_and_backwards() -> None:
    start, end = jakarta("2026-08-18", "07:00"), jakarta("2026-08-18", "12:15")
    assert working_seconds_between(TEAM, start, end) == 4.25 * 3600  # from 08:00 only
    assert working_seconds_between(TEAM, end, start) == 0


def test_a_full_working_week_is_five_nine_hour_days() -> None:
    start, end = jakarta("2026-08-03", "00:00"), jakarta("2026-08-10", "00:00")
    assert working_seconds_between(TEAM, start, end) == 5 * 9 * 3600


def test_a_calendar_with_no_open_hour_refuses_a_deadline() -> None:
    closed = replace(TEAM, working_hours={})
    with pytest.raises(ValueError, match="no open hours"):
        add_working_time(closed, jakarta("2026-08-07", "16:00"), timedelta(hours=1))
