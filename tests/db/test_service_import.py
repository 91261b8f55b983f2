"""Ticket import on SQLite and PostgreSQL: a file from another helpdesk previewed row by row,
committed with due times and history, its duplicates skipped, and reverted whole."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from crm_core.exchange import importing, reverting
from crm_core.kernel.errors import ConflictError
from crm_core.kernel.permissions import Actor
from crm_core.models import Ticket, TicketEvent
from crm_core.service import tickets
from crm_core.service.ticket_import import commit_tickets, preview_tickets
from db.session import session_scope
from support import a_customer

FILE = """email,judul,kategori,prioritas,status,dibuat,first response,selesai,agen,rating
budi@example.com,Paket belum sampai,pengiriman,tinggi,selesai,2026-11-30 08:00,\
2026-11-30 08:30,2026-11-30 11:00,support,5
budi@example.com,Tagihan ganda,tagihan,sedang,terbuka,2026-12-01 09:00,,,support,
nobody@example.com,Siapa saya,,,,2026-12-01 09:00,,,,
budi@example.com,Paket belum sampai,pengiriman,tinggi,selesai,2026-11-30 08:00,,,support,
budi@example.com,Jam salah,,,,2026-12-01 09:00,2026-12-01 08:00,,ghost,
"""
MAPPING = {
    "email": "customer_email",
    "judul": "subject",
    "kategori": "category",
    "prioritas": "priority",
    "status": "status",
    "dibuat": "created_at",
    "first response": "first_response_at",
    "selesai": "resolved_at",
    "agen": "assignee",
    "rating": "csat",
}


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text) - timedelta(hours=7)


def test_a_ticket_file_is_previewed_committed_with_its_history_and_reverted(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    a_customer(engine, support, email="budi@example.com")
    frame = importing.read_csv(FILE.encode())
    with session_scope(engine, write=False) as s:
        preview = preview_tickets(s, manager, frame, MAPPING)
    statuses = [(r.row, str(r.status)) for r in preview.rows]
    assert statuses == [(2, "ok"), (3, "ok"), (4, "bad"), (5, "duplicate"), (6, "bad")]
    assert set(preview.rows[4].errors) == {"first_response_at", "assignee"}
    with session_scope(engine) as s:
        batch_id = commit_tickets(s, manager, preview, "helpdesk.csv").id
    with session_scope(engine, write=False) as s:
        first = s.scalars(select(Ticket).order_by(Ticket.id)).first()
        assert first is not None
        assert (first.subject, str(first.priority), str(first.status), first.csat) == (
            "Paket belum sampai",
            "high",
            "resolved",
            5,
        )
        assert first.assignee_id == support.id
        assert first.first_response_due == wib("2026-11-30 09:00")  # High: 1 working hour
        assert first.resolution_due == wib("2026-11-30 12:00")
        moves = s.scalars(
            select(TicketEvent.to_value)
            .where(TicketEvent.ticket_id == first.id)
            .order_by(TicketEvent.at)
        ).all()
        assert moves == ["open", "resolved"]
    with session_scope(engine, write=False) as s:  # the same file again: both duplicates now
        again = preview_tickets(s, manager, frame, MAPPING)
    assert [str(r.status) for r in again.rows][:2] == ["duplicate", "duplicate"]
    with session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 0
        assert s.scalar(select(func.count()).select_from(TicketEvent)) == 0


def test_an_imported_ticket_changed_since_keeps_the_import_from_being_reverted(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    a_customer(engine, support, email="budi@example.com")
    frame = importing.read_csv(FILE.encode())
    with session_scope(engine) as s:
        preview = preview_tickets(s, manager, frame, MAPPING)
        batch_id = commit_tickets(s, manager, preview, "helpdesk.csv").id
    with session_scope(engine) as s:
        second = s.scalars(select(Ticket).where(Ticket.subject == "Tagihan ganda")).one()
        tickets.set_priority(s, support, second.id, second.version, "urgent")
    with pytest.raises(importing.RevertRefused), session_scope(engine) as s:
        reverting.revert_import(s, manager, batch_id)
    assert ConflictError  # the refusal comes from the version check of the write path
