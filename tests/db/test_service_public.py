"""What customers do without signing in, on SQLite and PostgreSQL: a request through the
public support form becomes a routed web ticket with its reply link; through that link the
customer reads the replies (never the internal notes) and answers, which reopens a Pending
ticket and moves its resolution due time on by the working time it had left (WIB = UTC+7)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Customer, Ticket
from crm_core.models.enums import Channel, TicketStatus
from crm_core.service import public, tickets
from db.session import session_scope
from support import a_customer

REQUEST = {
    "name": "Rina Wati",
    "email": "Rina.Wati@Example.com",
    "subject": "Pesanan belum sampai",
    "body": "Sudah seminggu, **tolong** cek ![x](http://evil.example/p.png)",
    "category": "delivery",
}


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text) - timedelta(hours=7)


def test_a_request_from_the_public_form_becomes_a_routed_web_ticket(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        sent = public.submit_request(s, REQUEST, sent_last_hour=0)
        assert sent is not None
        again = public.submit_request(s, {**REQUEST, "email": "rina.wati@example.com"}, 1)
        assert again is not None
        # A filled honeypot: a bot, told nothing, nothing written.
        assert public.submit_request(s, {**REQUEST, "website": "http://spam"}, 0) is None
    with session_scope(engine, write=False) as s:
        made = s.get_one(Ticket, sent.ticket_id)
        customer = s.get_one(Customer, made.customer_id)
        assert (made.channel, made.category.value, made.assignee_id) == (
            Channel.WEB,
            "delivery",
            support.id,
        )
        assert made.body == REQUEST["body"]  # kept as typed; shown as text, never markdown
        assert (customer.email, customer.owner_id) == ("rina.wati@example.com", None)
        # The same email (any case) is the same customer; the bot made no ticket.
        assert s.get_one(Ticket, again.ticket_id).customer_id == customer.id
        assert s.scalar(select(func.count()).select_from(Ticket)) == 2
        talk = public.conversation(s, sent.ticket_id, sent.token)
        assert talk is not None and talk.subject == "Pesanan belum sampai"
        assert public.conversation(s, again.ticket_id, sent.token) is None  # its own link only
    with session_scope(engine) as s, pytest.raises(public.TooManyRequests):
        public.submit_request(s, REQUEST, sent_last_hour=5)
    with session_scope(engine) as s, pytest.raises(ValidationError) as refused:
        public.submit_request(s, {**REQUEST, "email": "rina@", "body": "x" * 5001}, 0)
    assert set(refused.value.field_errors) == {"email", "body"}


def test_the_customer_reads_the_replies_and_their_answer_reopens_a_pending_ticket(
    engine: Engine, support: Actor
) -> None:
    customer = a_customer(engine, support)
    with session_scope(engine) as s:
        made = tickets.create_ticket(
            s, support, {"customer_id": customer, "subject": "Refund"}, now=wib("2026-11-30 08:00")
        ).ticket
        ticket_id = made.id
        # Normal: 24 working hours -> Mon 9 h, Tue 9 h, Wed 6 h: due Wednesday 14:00.
        assert made.resolution_due == wib("2026-12-02 14:00")
        nine = wib("2026-11-30 09:00")
        tickets.add_comment(s, support, ticket_id, made.version, "Cek saldo", reply=False, now=nine)
        reply = "Mohon kirim nomor rekening"
        tickets.add_comment(s, support, ticket_id, made.version, reply, reply=True, now=nine)
        # Pending at Monday 12:00: 4 working hours used, 20 left.
        tickets.change_status(
            s, support, ticket_id, made.version, "pending", wib("2026-11-30 12:00")
        )
        old = public.reply_token(s, support, ticket_id, made.version)
        token = public.reply_token(s, support, ticket_id, made.version)  # replaces the first
    with session_scope(engine, write=False) as s:
        assert public.conversation(s, ticket_id, old) is None
        talk = public.conversation(s, ticket_id, token)
        assert talk is not None
        assert list(zip(talk.messages["from_customer"], talk.messages["body"], strict=True)) == [
            (False, "Mohon kirim nomor rekening"),  # the reply; the internal note is not there
        ]
    with session_scope(engine) as s:
        with pytest.raises(public.ReplyRefused):
            public.reply_by_link(s, ticket_id, old, "Ini nomornya")
        reopened = public.reply_by_link(s, ticket_id, token, "BCA 123", wib("2026-12-01 10:00"))
    assert reopened
    with session_scope(engine, write=False) as s:
        back = s.get_one(Ticket, ticket_id)
        # 20 h from Tuesday 10:00: 7 h Tuesday, 9 h Wednesday, 4 h Thursday -> Thu 12:00.
        assert (back.status, back.paused_at) == (TicketStatus.OPEN, None)
        assert back.resolution_due == wib("2026-12-03 12:00")
        talk = public.conversation(s, ticket_id, token)
        assert talk is not None and list(talk.messages["from_customer"]) == [False, True]
        entry = s.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None and entry.actor_id is None
        assert entry.changes["customer_message"] == {"old": None, "new": "BCA 123"}
        assert entry.changes["status"] == {"old": "pending", "new": "open"}
    with session_scope(engine) as s, pytest.raises(ValidationError):
        public.reply_by_link(s, ticket_id, token, "x" * 5001)
    with session_scope(engine) as s:  # ten messages an hour, then a pause
        for n in range(9):
            public.reply_by_link(s, ticket_id, token, f"pesan {n}", wib("2026-12-01 10:30"))
        with pytest.raises(public.ReplyRefused):
            public.reply_by_link(s, ticket_id, token, "lagi", wib("2026-12-01 10:40"))
    with session_scope(engine) as s:
        version = s.get_one(Ticket, ticket_id).version
        tickets.change_status(s, support, ticket_id, version, "closed")
    with session_scope(engine) as s, pytest.raises(public.ReplyRefused):
        public.reply_by_link(s, ticket_id, token, "Halo?", wib("2026-12-02 10:00"))


def test_a_form_ticket_warns_of_its_unverified_sender_until_an_agent_confirms_who_writes(
    engine: Engine, manager: Actor, support: Actor, sales: Actor
) -> None:
    """Anyone may type a known customer's email into the form and gets the reply link: the
    ticket says its sender is unverified until an agent confirms who writes (audited)."""
    a_customer(engine, support, name="Rina Wati", email="rina.wati@example.com")
    with session_scope(engine) as s:
        sent = public.submit_request(s, REQUEST, sent_last_hour=0)
        assert sent is not None
        by_phone = tickets.create_ticket(s, support, {"customer_id": 1, "subject": "Refund"})
    with session_scope(engine, write=False) as s:
        made = s.get_one(Ticket, sent.ticket_id)
        assert made.customer_id == 1 and made.sender_unverified is True  # the known customer
        assert s.get_one(Ticket, by_phone.ticket.id).sender_unverified is False  # staff's own
        version = made.version
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        tickets.confirm_sender(s, sales, sent.ticket_id, version)
    with session_scope(engine) as s:
        changes = tickets.confirm_sender(s, support, sent.ticket_id, version)
    assert changes == {"sender_unverified": (True, False)}
    with session_scope(engine, write=False) as s:
        assert s.get_one(Ticket, sent.ticket_id).sender_unverified is False
        audited = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == sent.ticket_id)
            .order_by(AuditEntry.id.desc())
        ).first()
    assert audited is not None and audited.actor_id == support.id
    assert audited.changes == {"sender_unverified": {"old": True, "new": False}}
    with session_scope(engine) as s:  # a second agent's click on the same page: no-op
        assert tickets.confirm_sender(s, manager, sent.ticket_id, version) == {}
