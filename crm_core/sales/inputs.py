"""What the lead forms (and the web form) accept, field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import EmailStr, Field, field_validator

from crm_core.kernel.inputs import _Input, normalize_email, normalize_phone
from crm_core.models.enums import LeadSource


class LeadIn(_Input):
    name: str = Field(min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    source: LeadSource
    value: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    expected_close: date | None = None
    owner_id: int | None = None
    campaign_id: int | None = None
    region: str | None = Field(default=None, max_length=80)
    notes: str | None = Field(default=None, max_length=5000)
    pipeline: str = Field(default="new business", min_length=1, max_length=40)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)


class MoveIn(_Input):
    stage: str = Field(min_length=1, max_length=24)  # a built-in stage or a pipeline's own


class LostIn(_Input):
    reason: str = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class WebFormIn(_Input):
    """The public form: a visitor's name and what the manager chose to ask; `website` is
    the honeypot, a field people never see and bots fill in."""

    name: str = Field(min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    value: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    region: str | None = Field(default=None, max_length=80)
    notes: str | None = Field(default=None, max_length=2000)
    website: str | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)


EDITABLE_FIELDS = tuple(LeadIn.model_fields)
