"""The team's working calendar: public holidays with the team's edits, open hours per weekday,
and working time between moments (what an SLA clock counts)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as public_holidays

from crm_core.kernel.settings import TeamSettings

# Our language codes -> the `holidays` package's; a language it lacks falls back to the
# country's own (Indonesia's names are in Bahasa Indonesia by default).
_HOLIDAY_LANGUAGE = {"en": "en_US", "id": "id"}
# How far ahead add_working_time looks before it gives up (a calendar with no open hour).
_LOOKAHEAD_DAYS = 3 * 366
_CHUNK_DAYS = 31


@lru_cache(maxsize=128)
def _package_year(country: str, year: int, language: str) -> tuple[tuple[date, str], ...]:
    found = public_holidays.country_holidays(country, years=year, language=language)
    return tuple(sorted(found.items()))


def package_holidays(country: str | None, start: date, end: date, language: str) -> dict[date, str]:
    """The `holidays` package's public holidays of `country`, start to end inclusive."""
    if not country:
        return {}
    code = _HOLIDAY_LANGUAGE.get(language, language)
    return {
        day: name
        for year in range(start.year, end.year + 1)
        for day, name in _package_year(country, year, code)
        if start <= day <= end
    }


def holidays_between(
    settings: TeamSettings, start: date, end: date, language: str | None = None
) -> dict[date, str]:
    """Days off from start to end inclusive: the package's, less those the team removed, plus
    the team's own days off; names in `language` (else the team's default), in date order."""
    days = package_holidays(
        settings.holiday_country, start, end, language or settings.default_language
    )
    for iso, name in settings.holiday_overrides.items():
        day = date.fromisoformat(iso)
        if not start <= day <= end:
            continue
        if name is None:
            days.pop(day, None)
        else:
            days[day] = name
    return dict(sorted(days.items()))


def open_hours(settings: TeamSettings) -> dict[int, tuple[time, time]]:
    """ISO weekday (1 = Monday) -> opening and closing time; a closed weekday is absent."""
    return {
        int(day): (time.fromisoformat(span[0]), time.fromisoformat(span[1]))
        for day, span in settings.working_hours.items()
        if span
    }


def local_midnight(day: date, zone: str) -> datetime:
    """The start of the team's local day as naive UTC (as stored)."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def local_days(start: date, end: date, zone: str) -> tuple[datetime, datetime]:
    """The local days [start, end] as naive UTC bounds [first, after)."""
    return local_midnight(start, zone), local_midnight(end + timedelta(days=1), zone)


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive moment is UTC, as the database stores it."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _intervals(
    settings: TeamSettings, first: date, last: date
) -> Iterator[tuple[datetime, datetime]]:
    """Each working day's open hours, local dates first to last, as aware UTC intervals."""
    zone, hours = ZoneInfo(settings.time_zone), open_hours(settings)
    off = holidays_between(settings, first, last)
    day = first
    while day <= last:
        span = hours.get(day.isoweekday())
        if span is not None and day not in off:
            opens = datetime.combine(day, span[0], zone).astimezone(UTC)
            yield opens, datetime.combine(day, span[1], zone).astimezone(UTC)
        day += timedelta(days=1)


def _like(moment: datetime, template: datetime) -> datetime:
    """`moment` (aware UTC) as naive UTC or in the template's zone, whichever the template is."""
    if template.tzinfo is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(template.tzinfo)


def _local_day(settings: TeamSettings, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.time_zone)).date()


def is_working_time(settings: TeamSettings, moment: datetime) -> bool:
    """Whether the team is open at `moment` (naive = UTC): an open weekday, not a day off."""
    at = _utc(moment)
    day = _local_day(settings, at)
    return any(opens <= at < closes for opens, closes in _intervals(settings, day, day))


def working_seconds_between(settings: TeamSettings, start: datetime, end: datetime) -> float:
    """Seconds of open hours from start to end (naive = UTC); 0 when end is not after start."""
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        return 0.0
    total = timedelta()
    spans = _intervals(settings, _local_day(settings, begin), _local_day(settings, finish))
    for opens, closes in spans:
        overlap = min(closes, finish) - max(opens, begin)
        if overlap > timedelta():
            total += overlap
    return total.total_seconds()


def add_working_time(settings: TeamSettings, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of open hours after `start`: when an SLA of that length is due.

    A naive start (UTC) gives a naive UTC answer, an aware one an answer in the same zone. Work
    that ends exactly at closing time is due at closing time, not at the next opening.
    """
    begin, left = _utc(start), duration
    first = _local_day(settings, begin)
    for offset in range(0, _LOOKAHEAD_DAYS, _CHUNK_DAYS):
        chunk = first + timedelta(days=offset)
        for opens, closes in _intervals(settings, chunk, chunk + timedelta(days=_CHUNK_DAYS - 1)):
            if closes <= begin:
                continue
            available = closes - max(opens, begin)
            if left <= available:
                return _like(max(opens, begin) + left, start)
            left -= available
    raise ValueError(f"no open hours in the {_LOOKAHEAD_DAYS} days after {start:%Y-%m-%d}")
