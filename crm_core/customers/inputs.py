"""What the customer and account forms (and the customer import) accept, field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import EmailStr, Field, field_validator

from crm_core.kernel.inputs import _Input, normalize_email, normalize_phone
from crm_core.kernel.messages import msg
from crm_core.models.enums import Channel, Gender, Language, LeadSource, LifecycleStage

TAG_MAX_LENGTH = 50
MAX_TAGS = 20  # a customer's tags are read on every list and 360: a handful, not a file


def parse_tags(text: str) -> list[str]:
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


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

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        # A form's box and a CSV cell hold tags as text: "vip, reseller" or "vip; reseller".
        if value is None:
            return []
        return parse_tags(value) if isinstance(value, str) else value

    @field_validator("tags")
    @classmethod
    def _tag_bounds(cls, value: list[str]) -> list[str]:
        unique = list({tag.casefold(): tag for tag in reversed(value)}.values())[::-1]
        if any(len(tag) > TAG_MAX_LENGTH for tag in unique):
            raise ValueError(msg("validation.tag_length", max=TAG_MAX_LENGTH))
        if len(unique) > MAX_TAGS:
            raise ValueError(msg("validation.tag_count", max=MAX_TAGS))
        return unique

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValueError(msg("validation.birth_date"))
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
