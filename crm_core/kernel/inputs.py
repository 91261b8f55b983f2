"""The input base of every create and update, one clear message per bad field, and the
validators areas share (phone, email). Each area declares its own inputs beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import phonenumbers
import pydantic
from pydantic import BaseModel, ConfigDict, field_validator

from crm_core.kernel.errors import ValidationError

Schema = TypeVar("Schema", bound=BaseModel)
DEFAULT_PHONE_REGION = "ID"  # most of our users are Indonesian: 0812... means +62812...


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
