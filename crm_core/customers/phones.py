"""A stored phone number (E.164, +6281234567890) as people write it and the links that dial
it: 0812-3456-7890 for a number of the team's country, +65 6123 4567 for another; `tel:` for
a call, `wa.me` for a WhatsApp chat (mobile numbers: a landline rarely has WhatsApp)."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from crm_core.kernel.inputs import DEFAULT_PHONE_REGION

_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class Phone:
    shown: str  # as people write it
    tel: str  # tel:+6281234567890
    whatsapp: str | None  # https://wa.me/6281234567890, or None for a landline


def phone(stored: object, region: str = DEFAULT_PHONE_REGION) -> Phone | None:
    """The number's display and links; None when there is no number (None, blank, or a frame's
    missing cell). A number that no longer parses (typed before validation was strict) is
    shown as stored, with its digits dialled."""
    if not isinstance(stored, str) or not stored.strip():
        return None
    try:
        number = phonenumbers.parse(stored, region)
    except phonenumbers.NumberParseException:
        digits = "".join(c for c in stored if c.isdigit() or c == "+")
        return Phone(stored, f"tel:{digits}", None)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    home = phonenumbers.region_code_for_number(number) == region
    style = PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    shown = phonenumbers.format_number(number, style)
    mobile = phonenumbers.number_type(number) in _MOBILE
    return Phone(shown, f"tel:{e164}", f"https://wa.me/{e164.lstrip('+')}" if mobile else None)
