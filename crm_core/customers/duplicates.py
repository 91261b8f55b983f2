"""Likely duplicate customers: the same normalised email or phone as a customer we already have."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_core.kernel.inputs import normalize_email, normalize_phone
from crm_core.kernel.messages import Message, msg
from crm_core.models import Customer

MAX_MATCHES = 20


@dataclass(frozen=True)
class DuplicateMatch:
    customer_id: int
    name: str
    reason: Message  # same email (siti@example.com), same phone (+6281234567890) or both


def likely_duplicates(
    session: Session, email: str | None, phone: str | None, exclude_id: int | None = None
) -> list[DuplicateMatch]:
    """Non-deleted customers sharing the normalised email or phone, oldest first.

    Input is normalised as the write path stores it, so "Siti@Example.COM" matches
    "siti@example.com" and "0812-3456-7890" matches "+6281234567890". An unparseable phone
    matches nothing (validation reports it when the form is saved).
    """
    wanted_email = normalize_email(email) if email and email.strip() else None
    wanted_phone = _phone_or_none(phone)
    tests = []
    if wanted_email:
        tests.append(Customer.email_normalized == wanted_email)
    if wanted_phone:
        tests.append(Customer.phone_normalized == wanted_phone)
    if not tests:
        return []
    stmt = (
        select(Customer.id, Customer.name, Customer.email_normalized, Customer.phone_normalized)
        .where(Customer.deleted_at.is_(None), or_(*tests))
        .order_by(Customer.id)
        .limit(MAX_MATCHES)
    )
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    return [
        DuplicateMatch(row.id, row.name, _reason(row, wanted_email, wanted_phone))
        for row in session.execute(stmt)
    ]


def _phone_or_none(phone: str | None) -> str | None:
    if not phone or not phone.strip():
        return None
    try:
        return normalize_phone(phone)
    except ValueError:
        return None


def _reason(row: object, email: str | None, phone: str | None) -> Message:
    same_email = bool(email) and getattr(row, "email_normalized", None) == email
    same_phone = bool(phone) and getattr(row, "phone_normalized", None) == phone
    if same_email and same_phone:
        return msg("duplicate.same_email_and_phone", email=email, phone=phone)
    if same_email:
        return msg("duplicate.same_email", email=email)
    return msg("duplicate.same_phone", phone=phone)
