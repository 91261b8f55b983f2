"""Input validation for every create and update: one clear message per bad field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import phonenumbers
import pydantic
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from crm_core.kernel.errors import ValidationError
from crm_core.models.enums import (
    Channel,
    Gender,
    Language,
    LeadSource,
    LifecycleStage,
    Role,
    TicketCategory,
)

Schema = TypeVar("Schema", bound=BaseModel)
DEFAULT_PHONE_REGION = "ID"  # most of our users are Indonesian: 0812... means +62812...
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further, and bcrypt 5 refuses longer input


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A form's empty box (or a NaN from a data editor) means "no value", not "".
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, float) and value != value:
            return None
        return value


def validate(schema: type[Schema], data: Mapping[str, Any]) -> Schema:
    """Parse `data` with `schema`, or raise ValidationError with one message per field."""
    try:
        return schema.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "form"
            errors.setdefault(field, _friendly(err))
        raise ValidationError(errors) from None


def _friendly(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing" or (kind.endswith("_type") and err.get("input") is None):
        return "is required"
    if kind == "string_too_short":
        return (
            "is required"
            if ctx.get("min_length") == 1
            else f"needs at least {ctx['min_length']} characters"
        )
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "enum":
        return f"must be one of: {ctx.get('expected', '')}"
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        return message.removeprefix("value ").replace("address: An", "address: an")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return str(err["msg"]).lower()
    if kind.startswith(("int_", "decimal_", "float_")):
        return "must be a number"
    if kind.startswith("date"):
        return "must be a date (YYYY-MM-DD)"
    if kind.startswith("time"):
        return "must be a time (HH:MM)"
    if kind == "extra_forbidden":
        return "is not a field of this form"
    return str(err["msg"])


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (+6281234567890) from however the number was typed, or ValueError."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("is not a phone number (check the number of digits)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class UserIn(_Input):
    username: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    role: Role
    skills: list[TicketCategory] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    active: bool = True

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value and not USERNAME_PATTERN.match(value):
                raise ValueError("use letters, digits, dot, dash or underscore (2 to 64)")
        return value


class PasswordIn(_Input):
    password: str = Field(min_length=PASSWORD_MIN_LENGTH)

    @field_validator("password")
    @classmethod
    def _fits_bcrypt(cls, value: str) -> str:
        if len(value.encode()) > PASSWORD_MAX_BYTES:
            raise ValueError(f"must be at most {PASSWORD_MAX_BYTES} bytes")
        return value


class CustomerIn(_Input):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    external_id: str | None = Field(default=None, max_length=64)
    account_id: int | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    preferred_channel: Channel | None = None
    preferred_language: Language | None = None
    lifecycle_stage: LifecycleStage = LifecycleStage.PROSPECT
    source: LeadSource | None = None
    owner_id: int | None = None
    consent_email: bool = False
    consent_sms: bool = False
    consent_phone: bool = False
    tags: list[str] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=5000)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("must be between 1900-01-01 and today")
        return value


class AccountIn(_Input):
    name: str = Field(min_length=1, max_length=200)
    industry: str | None = Field(default=None, max_length=80)
    employees: int | None = Field(default=None, ge=0)
    annual_revenue: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    website: str | None = Field(default=None, max_length=200)
    owner_id: int | None = None
