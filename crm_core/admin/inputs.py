"""What Admin accepts: a user's details and password (Users); the team's settings, one
weekday's hours, a day off, and the customer value settings (Settings). Each bad field gets its
own message."""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

import holidays as public_holidays
from pydantic import AfterValidator, EmailStr, Field, ValidationInfo, field_validator

from crm_core.kernel.currencies import is_currency
from crm_core.kernel.inputs import _Input
from crm_core.kernel.messages import msg
from crm_core.models.enums import Language, Role, TicketCategory

MAX_DAYS = 3650  # ten years: longer windows mean nothing for a CRM and overflow date sums


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Every IANA time zone name, looked up without regard to case."""
    return {name.lower(): name for name in available_timezones()}


def time_zone_name(text: str) -> str:
    """The IANA name of a typed time zone (asia/jakarta -> Asia/Jakarta), or ValueError."""
    found = _zones().get(text.strip().lower())
    if found is None:
        raise ValueError(msg("settings.time_zone"))
    return found


def _positive_days(value: int) -> int:
    if not 0 < value <= MAX_DAYS:
        raise ValueError(msg("settings.days", max=MAX_DAYS))
    return value


def _not_negative(value: float) -> float:
    if value < 0:
        raise ValueError(msg("validation.at_least", limit=0))
    return value


def _fraction(value: float) -> float:
    if not 0 < value < 1:
        raise ValueError(msg("settings.fraction"))
    return value


def _rate(value: float) -> float:
    if not 0 <= value < 1:
        raise ValueError(msg("settings.rate"))
    return value


Finite = Field(allow_inf_nan=False)
Days = Annotated[int, AfterValidator(_positive_days)]
Amount = Annotated[float, Finite, AfterValidator(_not_negative)]
Share = Annotated[float, Finite, AfterValidator(_fraction)]
Rate = Annotated[float, Finite, AfterValidator(_rate)]


IMPORT_MAX_MEGABYTES = 200  # Streamlit's own upload limit (server.maxUploadSize)
IMPORT_MAX_ROWS = 1_000_000


class TeamSettingsIn(_Input):
    """Company, currency, time zone and language (working hours are checked day by day)."""

    company_name: str = Field(min_length=1, max_length=120)
    currency: str
    time_zone: str
    default_language: Language
    holiday_country: str | None = None
    import_max_megabytes: int = Field(ge=1, le=IMPORT_MAX_MEGABYTES)
    import_max_rows: int = Field(ge=1, le=IMPORT_MAX_ROWS)
    dashboard_refresh_seconds: int = Field(ge=2, le=3600)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.upper()
        if not is_currency(code):
            raise ValueError(msg("settings.currency"))
        return code

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        return time_zone_name(value)

    @field_validator("holiday_country")
    @classmethod
    def _holiday_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if code not in public_holidays.list_supported_countries():
            raise ValueError(msg("settings.holiday_country"))
        return code


_SHORT_TIME = re.compile(r"^\d:\d\d$")


class DayHoursIn(_Input):
    """One open weekday: opening and closing time, the same day."""

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _short_time(cls, value: Any) -> Any:
        # 8:00 as people type it is 08:00.
        return (
            f"0{value.strip()}"
            if isinstance(value, str) and _SHORT_TIME.match(value.strip())
            else value
        )

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError(msg("settings.closes_before_opening"))
        return value


class DayOffIn(_Input):
    day: date
    name: str = Field(min_length=1, max_length=80)


class ValueSettingsIn(_Input):
    """How customer value is measured (ValueSettings' fields)."""

    top_profit_share: Share
    cost_per_ticket: Amount
    cost_per_interaction: Amount
    clv_horizon_days: Days
    discount_rate_annual: Rate
    churn_window_days: Days


# Users

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further, and bcrypt 5 refuses longer input
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class UserIn(_Input):
    username: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    role: Role
    skills: list[TicketCategory] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    ui_language: Language | None = None  # the language Relasi speaks to them; None: the team's
    active: bool = True

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value and not USERNAME_PATTERN.match(value):
                raise ValueError(msg("validation.username"))
        return value


class LanguageIn(_Input):
    ui_language: Language | None = None


class PasswordIn(_Input):
    password: str = Field(min_length=PASSWORD_MIN_LENGTH)

    @field_validator("password")
    @classmethod
    def _fits_bcrypt(cls, value: str) -> str:
        if len(value.encode()) > PASSWORD_MAX_BYTES:
            raise ValueError(msg("validation.max_bytes", max=PASSWORD_MAX_BYTES))
        return value
