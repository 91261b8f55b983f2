"""A stored phone number shows as people write it, and dials by tel: and WhatsApp by wa.me."""

from __future__ import annotations

from crm_core.customers.phones import Phone, phone


def test_an_indonesian_mobile_number_reads_as_written_and_opens_whatsapp() -> None:
    assert phone("+6281234567890") == Phone(
        "0812-3456-7890", "tel:+6281234567890", "https://wa.me/6281234567890"
    )


def test_a_jakarta_landline_has_no_whatsapp_link() -> None:
    assert phone("+62215551234") == Phone("(021) 5551234", "tel:+62215551234", None)


def test_a_foreign_number_is_written_with_its_country_code() -> None:
    shown = phone("+6591234567")
    assert shown is not None and shown.shown == "+65 9123 4567"
    assert shown.whatsapp == "https://wa.me/6591234567"


def test_no_number_is_no_phone() -> None:
    assert phone(None) is None and phone("  ") is None
    assert phone(float("nan")) is None  # a frame's missing cell
