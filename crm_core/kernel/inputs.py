"""The input base of every create and update, one clear message (a code) per bad field, and
the validators areas share (phone, email). Each area declares its own inputs beside it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import phonenumbers
import pydantic
from pydantic import BaseModel, ConfigDict, field_validator

from crm_core.kernel.errors import ValidationError
from crm_core.kernel.messages import N_, Message, msg

Schema = TypeVar("Schema", bound=BaseModel)
INTEGER_MAX = 2_147_483_647  # the largest PostgreSQL INTEGER (ids, counts)
_DECIMAL = re.compile(r"^\s*[-+]?\d*[.,]\d+\s*$")
DEFAULT_PHONE_REGION = "ID"  # most of our users are Indonesian: 0812... means +62812...


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A form's empty box (or a NaN from a data editor) means "no value", not "".
        if isinstance(value, str):
            if "\x00" in value:  # PostgreSQL cannot store it in text
                raise ValueError(msg("validation.nul"))
            # Python's whitespace, the separators \x1c-\x1f too: pydantic's own strip keeps
            # those, so "0\x1f" was stored with an invisible character at its end.
            return value.strip() or None
        if isinstance(value, float) and value != value:
            return None
        return value

    @field_validator("*")
    @classmethod
    def _fits_an_integer_column(cls, value: Any) -> Any:
        # Past this a PostgreSQL INTEGER overflows: refuse it here, with its bound.
        if type(value) is int and abs(value) > INTEGER_MAX:
            raise ValueError(msg("validation.too_large", limit=INTEGER_MAX))
        return value


def validate(schema: type[Schema], data: Mapping[str, Any]) -> Schema:
    """Parse `data` with `schema`, or raise ValidationError with one message per field."""
    try:
        return schema.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        errors: dict[str, Message] = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "form"
            errors.setdefault(field, _friendly(err))
        raise ValidationError(errors) from None


_BOUNDS = {
    "greater_than_equal": (N_("validation.at_least"), "ge"),
    "greater_than": (N_("validation.more_than"), "gt"),
    "less_than_equal": (N_("validation.at_most"), "le"),
    "less_than": (N_("validation.less_than"), "lt"),
}


def _friendly(err: Mapping[str, Any]) -> Message:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing" or (kind.endswith("_type") and err.get("input") is None):
        return msg("validation.required")
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return msg("validation.required")
        return msg("validation.min_length", min=ctx["min_length"])
    if kind == "string_too_long":
        return msg("validation.max_length", max=ctx["max_length"])
    if kind == "enum":  # pydantic's "'a', 'b' or 'c'" is English: a plain list reads in any
        choices = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return msg("validation.one_of", choices=choices)
    if kind == "value_error":
        return _value_error(ctx, err)
    if kind in _BOUNDS:
        code, bound = _BOUNDS[kind]
        return msg(code, limit=ctx.get(bound))
    return _number_error(kind, ctx, err.get("input")) or _other_error(kind, err)


def _number_error(kind: str, ctx: Mapping[str, Any], typed: Any) -> Message | None:
    if kind == "int_from_float" or (kind == "int_parsing" and _DECIMAL.match(str(typed))):
        return msg("validation.whole_number")
    if kind == "decimal_max_digits":
        return msg("validation.too_many_digits", digits=ctx.get("max_digits"))
    if kind == "decimal_max_places":
        return msg("validation.too_many_decimals", places=ctx.get("decimal_places"))
    if kind.startswith(("int_", "decimal_", "float_")):
        return msg("validation.number")
    return None


def _other_error(kind: str, err: Mapping[str, Any]) -> Message:
    if kind.startswith("date"):
        return msg("validation.date")
    if kind.startswith("time"):
        return msg("validation.time")
    if kind == "extra_forbidden":
        return msg("validation.extra")
    return msg("validation.invalid", detail=str(err["msg"]))


def _value_error(ctx: Mapping[str, Any], err: Mapping[str, Any]) -> Message:
    error = ctx.get("error")
    if isinstance(error, ValueError) and error.args and isinstance(error.args[0], Message):
        return error.args[0]  # our own validators raise ValueError(Message)
    if "reason" in ctx:  # email-validator's explanation, in English only
        reason = str(ctx["reason"])
        return msg("validation.email", reason=reason[:1].lower() + reason[1:])
    return msg("validation.invalid", detail=str(error or err["msg"]).removeprefix("Value error, "))


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (+6281234567890) from however the number was typed, or ValueError.

    The number must exist, not only have a plausible length: letters (which phonenumbers
    would read as a keypad's digits, 0812-ABC as 0812-222), too many digits, and numbers in
    no operator's range of their country are refused, each with its own message.
    """
    if re.search(r"[^\W\d_]", raw):
        raise ValueError(msg("validation.phone_letters"))
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.TOO_LONG:
            raise ValueError(msg("validation.phone_digits")) from None
        raise ValueError(msg("validation.phone")) from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(msg("validation.phone_digits"))
    if not phonenumbers.is_valid_number(number):
        raise ValueError(msg("validation.phone_unknown"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    return raw.strip().lower()
