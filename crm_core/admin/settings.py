"""Admin › Settings: reading the team's settings with their version, and the write path for
them (team, days off, customer value): validated, admin only, locked on version, audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.admin.inputs import DayHoursIn, DayOffIn, TeamSettingsIn, ValueSettingsIn
from crm_core.kernel import writepath
from crm_core.kernel.calendar import holidays_between, package_holidays
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import N_, Message, msg
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.kernel.settings import (
    TEAM_KEY,
    VALUE_KEY,
    TeamSettings,
    ValueSettings,
    as_dict,
    team_settings,
    value_settings,
)
from crm_core.models import Setting, User
from crm_core.models.enums import Entity, Language

ENTITY = Entity.SETTING
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Shown = TypeVar("Shown", TeamSettings, ValueSettings)
Changes = dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Saved(Generic[Shown]):
    """Settings as a form opens them: the version to save against, and who saved them last."""

    settings: Shown
    version: int  # 0: never saved, the defaults
    changed_at: datetime | None = None
    changed_by: str | None = None


def _saved(session: Session, actor: Actor, key: str, settings: Shown) -> Saved[Shown]:
    require(actor, ENTITY, Action.READ)
    row = session.execute(
        select(Setting.version, Setting.updated_at, User.name)
        .outerjoin(User, User.id == Setting.updated_by_id)
        .where(Setting.key == key)
    ).one_or_none()
    if row is None:
        return Saved(settings, 0)
    return Saved(settings, row.version, row.updated_at, row.name)


def read_team(session: Session, actor: Actor) -> Saved[TeamSettings]:
    return _saved(session, actor, TEAM_KEY, team_settings(session))


def read_value(session: Session, actor: Actor) -> Saved[ValueSettings]:
    return _saved(session, actor, VALUE_KEY, value_settings(session))


def update_team_settings(
    session: Session, actor: Actor, expected_version: int, data: Mapping[str, Any]
) -> Changes:
    """Save the team's settings over what is stored (fields left out keep their value).

    `working_hours` maps a weekday (1 = Monday) to (opening, closing) or None when closed.
    """
    current = team_settings(session)
    merged = {**as_dict(current), **data}
    errors: dict[str, Message] = {}
    values: dict[str, Any] = {}
    fields = {f: merged.get(f) for f in TeamSettingsIn.model_fields}
    try:
        values.update(validate(TeamSettingsIn, fields).model_dump(mode="json"))
    except ValidationError as exc:
        errors.update(exc.field_errors)
    hours = _working_hours(merged.get("working_hours") or {}, errors)
    overrides = _overrides(merged.get("holiday_overrides") or {}, errors)
    if errors:
        raise ValidationError(errors)
    values |= {"working_hours": hours, "holiday_overrides": overrides}
    require(actor, ENTITY, Action.UPDATE)
    return _save(session, actor, TEAM_KEY, expected_version, as_dict(current), values)


def update_value_settings(
    session: Session, actor: Actor, expected_version: int, data: Mapping[str, Any]
) -> Changes:
    """Save how customer value is measured (fields left out keep their value)."""
    current = value_settings(session)
    merged = {**as_dict(current), **data}
    fields = {f: merged.get(f) for f in ValueSettingsIn.model_fields}
    values = validate(ValueSettingsIn, fields).model_dump()
    require(actor, ENTITY, Action.UPDATE)
    return _save(session, actor, VALUE_KEY, expected_version, as_dict(current), values)


class DayOffKind(StrEnum):
    PUBLIC = "public"  # from the `holidays` package
    COMPANY = "company"  # the team's own day off (or a public holiday it renamed)
    REMOVED = "removed"  # a public holiday the team works on


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str
    kind: DayOffKind


def days_off(settings: TeamSettings, year: int, language: str | None = None) -> list[DayOff]:
    """The year's public holidays, the team's own days off, and the holidays it works on."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    language = language or settings.default_language
    public = package_holidays(settings.holiday_country, start, end, language)
    listed = [
        DayOff(day, name, DayOffKind.PUBLIC if public.get(day) == name else DayOffKind.COMPANY)
        for day, name in holidays_between(settings, start, end, language).items()
    ]
    removed = [
        DayOff(day, public[day], DayOffKind.REMOVED)
        for iso, name in settings.holiday_overrides.items()
        if name is None and (day := date.fromisoformat(iso)) in public
    ]
    return sorted(listed + removed, key=lambda d: d.day)


def add_day_off(
    session: Session, actor: Actor, expected_version: int, day: date | str | None, name: str
) -> Changes:
    """A day the company closes; on a public holiday it had removed, that holiday is back."""
    held = validate(DayOffIn, {"day": day, "name": name})
    current = team_settings(session)
    already = holidays_between(current, held.day, held.day)
    if already:
        raise ValidationError({"day": msg("settings.already_day_off", name=already[held.day])})
    iso = held.day.isoformat()
    overrides = {**current.holiday_overrides, iso: held.name}
    public_names = {
        name
        for language in Language
        for name in package_holidays(current.holiday_country, held.day, held.day, language).values()
    }
    if held.name in public_names:
        del overrides[iso]  # the public holiday itself, named as the package names it
    return update_team_settings(session, actor, expected_version, {"holiday_overrides": overrides})


def remove_day_off(session: Session, actor: Actor, expected_version: int, day: date) -> Changes:
    """Work on a public holiday, or drop one of the company's own days off."""
    current = team_settings(session)
    if not holidays_between(current, day, day):
        raise ValidationError({"day": msg("settings.not_day_off")})
    overrides = dict(current.holiday_overrides)
    if package_holidays(current.holiday_country, day, day, current.default_language):
        overrides[day.isoformat()] = None  # the package's day: remembered as removed
    else:
        overrides.pop(day.isoformat(), None)
    return update_team_settings(session, actor, expected_version, {"holiday_overrides": overrides})


def _working_hours(hours: Mapping[Any, Any], errors: dict[str, Message]) -> dict[str, list[str]]:
    """{"1": ["08:00", "17:00"], ...} for the open weekdays; each bad day its own error."""
    stored: dict[str, list[str]] = {}
    for raw_day, span in hours.items():
        day = str(raw_day)
        if day not in {str(d) for d in range(1, 8)}:
            errors["working_hours"] = msg("settings.not_weekday", day=str(raw_day))
            continue
        if span is None:
            continue  # closed
        start, end = span
        try:
            parsed = validate(DayHoursIn, {"start": start, "end": end})
        except ValidationError as exc:
            errors[f"working_hours.{day}"] = _day_error(exc.field_errors)
            continue
        stored[day] = [_clock(parsed.start), _clock(parsed.end)]
    if not stored and "working_hours" not in errors and not _has_day_errors(errors):
        errors["working_hours"] = msg("settings.no_open_day")
    return dict(sorted(stored.items()))


def _day_error(field_errors: Mapping[str, Message]) -> Message:
    labels = {"start": N_("settings.opening_time"), "end": N_("settings.closing_time")}
    items = [
        msg("settings.time_problem", time=Message(labels.get(f, f)), problem=m)
        for f, m in field_errors.items()
    ]
    return msg("format.list", items=items)


def _has_day_errors(errors: Mapping[str, Message]) -> bool:
    return any(f.startswith("working_hours.") for f in errors)


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


def _overrides(overrides: Mapping[str, Any], errors: dict[str, Message]) -> dict[str, str | None]:
    stored: dict[str, str | None] = {}
    for iso, name in overrides.items():
        try:
            held = validate(DayOffIn, {"day": iso, "name": name or "removed"})
        except ValidationError as exc:
            problems = list(exc.field_errors.values())
            errors["holiday_overrides"] = msg("error.field", field=iso, problem=problems)
            continue
        stored[held.day.isoformat()] = None if name is None else held.name
    return dict(sorted(stored.items()))


def save_setting(
    session: Session,
    actor: Actor,
    key: str,
    expected_version: int,
    old: Mapping[str, Any],
    new: dict[str, Any],
) -> Changes:
    """One more settings row (the first-run setup's step): admin only, versioned, audited."""
    require(actor, ENTITY, Action.UPDATE)
    return _save(session, actor, key, expected_version, old, new)


def _save(
    session: Session,
    actor: Actor,
    key: str,
    expected_version: int,
    old: Mapping[str, Any],
    new: dict[str, Any],
) -> Changes:
    """Write one settings row (created on its first save), auditing each changed field."""
    changes = {f"{key}.{f}": (old.get(f), v) for f, v in new.items() if old.get(f) != v}
    row = session.get(Setting, key, populate_existing=True)
    if row is None:
        if expected_version != 0:
            raise ConflictError(ENTITY, None, None)
        if not changes:
            return {}
        try:
            writepath.insert(
                session, actor, ENTITY, Setting(key=key), {"value": new}, audited=changes
            )
        except IntegrityError:
            # Another admin's first save won the race for the row.
            raise writepath.reread_conflict(session, ENTITY, Setting, (key,)) from None
        return changes
    if not changes:
        return writepath.update(session, actor, ENTITY, row, expected_version, {})
    # Keys this version does not know stay (a newer replica's, or the value settings' old
    # currency, which team_settings still reads until the team's own is saved).
    document = {**row.value, **new}
    return writepath.update(
        session, actor, ENTITY, row, expected_version, {"value": document}, audited=changes
    )
