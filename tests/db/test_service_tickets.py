"""Tickets through the write path on SQLite and PostgreSQL: created with due times in working
hours and routed with a reason, answered, paused, re-prioritised, assigned, resolved; every
change audited and in the ticket's history; the queues most urgent first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crm_core.admin import users
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.messages import from_json, render
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from crm_core.models import AuditEntry, Ticket, TicketEvent, User
from crm_core.models.enums import Priority, Role, TicketStatus
from crm_core.service import detail, public, queues, sla, tickets
from crm_core.service import read as service_read
from db.session import session_scope
from support import PASSWORD, a_customer


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text) - timedelta(hours=7)


MONDAY_8 = wib("2026-11-30 08:00")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Reads only (SQLite's write lock stays free for the writes under test)."""
    with session_scope(engine, write=False) as s:
        yield s


def agent(engine: Engine, username: str, skills: list[str], languages: list[str]) -> Actor:
    with session_scope(engine) as s:
        user = users.create_user(
            s,
            None,
            {
                "username": username,
                "name": username.title(),
                "email": f"{username}@example.com",
                "role": Role.SUPPORT,
                "password": PASSWORD,
                "skills": skills,
                "languages": languages,
            },
        )
        return users.actor_for(user)


def a_ticket(
    engine: Engine, actor: Actor, customer_id: int, now: datetime = MONDAY_8, **data: object
) -> int:
    with session_scope(engine) as s:
        values = {"customer_id": customer_id, "subject": "Paket belum sampai", **data}
        return tickets.create_ticket(s, actor, values, now=now).ticket.id


def resolved_by(engine: Engine, agent_id: int, customer_id: int, manager: Actor, n: int) -> None:
    """`n` tickets the agent resolved (their experience)."""
    for _ in range(n):
        with session_scope(engine) as s:
            ticket = tickets.create_ticket(
                s, manager, {"customer_id": customer_id, "subject": "Old"}, now=MONDAY_8
            ).ticket
            tickets.assign(s, manager, ticket.id, ticket.version, agent_id, MONDAY_8)
            tickets.change_status(s, manager, ticket.id, ticket.version, "resolved", MONDAY_8)


def test_a_new_ticket_gets_its_due_times_in_working_hours_and_an_audit_entry(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    # Thursday 24 Dec 15:00: Christmas and the weekend are skipped.
    ticket_id = a_ticket(engine, support, customer, wib("2026-12-24 15:00"))
    ticket = session.get_one(Ticket, ticket_id)
    assert ticket.status is TicketStatus.NEW and ticket.priority is Priority.NORMAL
    assert ticket.first_response_due == wib("2026-12-28 14:00")
    assert ticket.resolution_due == wib("2026-12-30 12:00")
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "ticket", AuditEntry.entity_id == ticket_id)
    ).one()
    assert entry.changes["subject"] == {"old": None, "new": "Paket belum sampai"}


def test_a_ticket_needs_a_subject_and_an_existing_customer_and_writes_nothing_otherwise(
    engine: Engine, session: Session, support: Actor
) -> None:
    with pytest.raises(ValidationError) as bad, session_scope(engine) as s:
        tickets.create_ticket(s, support, {"customer_id": 999, "subject": " "})
    assert set(bad.value.field_errors) == {"subject"}
    with pytest.raises(ValidationError) as gone, session_scope(engine) as s:
        tickets.create_ticket(s, support, {"customer_id": 999, "subject": "Hi"})
    assert set(gone.value.field_errors) == {"customer_id"}
    with pytest.raises(ValidationError) as channel, session_scope(engine) as s:
        tickets.create_ticket(s, support, {"customer_id": 1, "subject": "Hi", "channel": "store"})
    assert set(channel.value.field_errors) == {"channel"}
    assert session.scalar(select(Ticket.id)) is None


def test_routing_picks_the_skilled_agent_who_speaks_the_language_and_says_why(
    engine: Engine, session: Session, manager: Actor
) -> None:
    agent(engine, "ani", ["billing"], ["en"])
    dewi = agent(engine, "dewi", ["delivery"], ["id"])
    agent(engine, "eko", ["delivery"], ["en"])
    customer = a_customer(engine, manager)
    ticket_id = a_ticket(engine, manager, customer, category="delivery", language="id")
    ticket = session.get_one(Ticket, ticket_id)
    assert ticket.assignee_id == dewi.id
    reason = from_json(ticket.routing_reason or "")  # as stored, read back as the page does
    assert render(reason) == "Routed for: knows delivery; speaks Bahasa Indonesia; open load: 0"
    assert render(reason, "id").startswith("Dirutekan karena: menguasai Pengiriman;")
    event = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).one()
    assert (event.kind, event.to_value) == ("assignment", "Dewi")


def test_a_most_valuable_customer_goes_to_the_most_experienced_agent_others_to_the_least_loaded(
    engine: Engine, session: Session, manager: Actor
) -> None:
    senior = agent(engine, "sari", ["billing"], ["id"])
    junior = agent(engine, "tono", ["billing"], ["id"])
    customer = a_customer(engine, manager)
    resolved_by(engine, senior.id, customer, manager, 3)
    resolved_by(engine, junior.id, customer, manager, 1)
    with session_scope(engine) as s:  # the senior also holds one open ticket
        busy = tickets.create_ticket(s, manager, {"customer_id": customer, "subject": "x"}).ticket
        tickets.assign(s, manager, busy.id, busy.version, senior.id)
    data = {
        "customer_id": customer,
        "subject": "Tagihan ganda",
        "category": "billing",
        "language": "id",
    }
    with session_scope(engine) as s:
        vip = tickets.create_ticket(s, manager, data, tier="Most Valuable", now=MONDAY_8)
        other = tickets.create_ticket(s, manager, data, tier="Most Growable", now=MONDAY_8)
        assert vip.routed is not None and other.routed is not None
        assert vip.routed.agent_id == senior.id
        assert render(vip.routed.reason) == (
            "Routed for: knows billing; speaks Bahasa Indonesia; most experienced: 3 resolved; "
            "open load: 1"
        )
        assert other.routed.agent_id == junior.id


def test_with_no_active_agent_a_ticket_waits_unassigned(
    engine: Engine, session: Session, manager: Actor
) -> None:
    ghost = agent(engine, "ghost", ["billing"], ["id"])
    with session_scope(engine) as s:
        s.get_one(User, ghost.id).active = False
    customer = a_customer(engine, manager)
    ticket_id = a_ticket(engine, manager, customer)
    assert session.get_one(Ticket, ticket_id).assignee_id is None
    assert session.get_one(Ticket, ticket_id).routing_reason is None


def test_the_first_reply_opens_the_ticket_and_is_its_first_response_a_note_is_not(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    ticket_id = a_ticket(engine, support, customer)
    with session_scope(engine) as s:
        tickets.add_comment(
            s,
            support,
            ticket_id,
            1,
            "Checking the courier",
            reply=False,
            now=wib("2026-11-30 09:00"),
        )
    assert session.get_one(Ticket, ticket_id).first_response_at is None
    with session_scope(engine) as s:
        tickets.add_comment(
            s,
            support,
            ticket_id,
            1,
            "Paket Anda tiba besok",
            reply=True,
            now=wib("2026-11-30 10:00"),
        )
    session.rollback()  # a fresh read
    ticket = session.get_one(Ticket, ticket_id)
    assert ticket.first_response_at == wib("2026-11-30 10:00")
    assert ticket.status is TicketStatus.OPEN and ticket.version == 2
    kinds = session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()
    assert [str(k) for k in kinds] == ["assignment", "comment", "reply", "status"]


def test_the_ticket_history_gives_none_for_who_and_words_an_event_has_not_never_nan(
    engine: Engine, session: Session, manager: Actor, support: Actor
) -> None:
    customer = a_customer(engine, manager)
    ticket_id = a_ticket(engine, manager, customer)  # routed by the system: no actor
    with session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 1, "pending", wib("2026-11-30 09:00"))
        token = public.reply_token(s, support, ticket_id, 2)
    with session_scope(engine) as s:  # the customer answers through their link: no actor
        public.reply_by_link(s, ticket_id, token, "Sudah", wib("2026-11-30 09:30"))
    found = detail.ticket_detail(session, support, ticket_id, wib("2026-11-30 10:00"))
    events = found.events.set_index("kind")
    # pandas 3 stores a text column's None as NaN, which the page showed as "nan" (and took
    # for true in `row.by or "the customer"`)
    assert events.loc["customer", "by"] is None
    pending = events[events["to_value"] == "pending"].iloc[0]
    assert pending["body"] is None and pending["from_value"] == "new"
    assert pending["by"] == support.name


def test_pending_pauses_the_resolution_clock_and_reopening_resumes_it(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    ticket_id = a_ticket(engine, support, customer)  # Normal, Monday 08:00: due Wed 14:00
    with session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 1, "pending", wib("2026-11-30 16:00"))
        tickets.change_status(s, support, ticket_id, 2, "open", wib("2026-12-01 10:00"))
    session.rollback()  # a fresh read
    ticket = session.get_one(Ticket, ticket_id)
    assert ticket.resolution_due == wib("2026-12-02 17:00")  # 3 working hours later
    assert ticket.paused_at is None
    with session_scope(engine) as s:  # a priority change keeps the pause counted
        tickets.set_priority(s, support, ticket_id, 3, "low", wib("2026-12-01 11:00"))
    session.rollback()  # a fresh read
    ticket = session.get_one(Ticket, ticket_id)
    # Low from Monday 08:00: first response after 24 working hours, Wednesday 14:00;
    # resolution after 72 (Wednesday 9 Dec, 17:00) plus the 3 h paused: Thursday 11:00.
    assert ticket.first_response_due == wib("2026-12-02 14:00")
    assert ticket.resolution_due == wib("2026-12-10 11:00")
    with session_scope(engine) as s:  # to High: due Monday 12:00, before the pause began
        tickets.set_priority(s, support, ticket_id, 4, "high", wib("2026-12-01 11:00"))
    session.rollback()
    assert session.get_one(Ticket, ticket_id).resolution_due == wib("2026-11-30 12:00")


def test_resolving_stamps_the_time_and_reopening_clears_it_a_closed_ticket_only_reopens(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    ticket_id = a_ticket(engine, support, customer)
    with session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 1, "resolved", wib("2026-11-30 11:00"))
    assert session.get_one(Ticket, ticket_id).resolved_at == wib("2026-11-30 11:00")
    with session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 2, "closed", wib("2026-12-01 11:00"))
    with pytest.raises(ValidationError) as refused, session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 3, "pending")
    assert refused.value.texts() == {"status": "A closed ticket cannot move to pending."}
    with session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 3, "open", wib("2026-12-02 09:00"))
    session.rollback()  # a fresh read
    ticket = session.get_one(Ticket, ticket_id)
    assert ticket.resolved_at is None and ticket.status is TicketStatus.OPEN
    # 3 h worked before it was resolved (08:00-11:00), 21 h left from Wednesday 09:00.
    assert ticket.resolution_due == wib("2026-12-04 12:00")


def test_a_stale_version_is_a_conflict_and_nothing_is_written(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    ticket_id = a_ticket(engine, support, customer)
    with session_scope(engine) as s:
        tickets.set_priority(s, support, ticket_id, 1, "urgent")
    with pytest.raises(ConflictError), session_scope(engine) as s:
        tickets.change_status(s, support, ticket_id, 1, "pending")
    assert session.get_one(Ticket, ticket_id).status is TicketStatus.NEW


def test_an_agent_takes_a_ticket_only_a_manager_gives_one_to_someone_else_and_it_is_audited(
    engine: Engine, session: Session, support: Actor, manager: Actor, sales: Actor
) -> None:
    customer = a_customer(engine, support)
    other = agent(engine, "wati", [], [])
    ticket_id = a_ticket(engine, sales, customer)  # both free: the first by name, Support
    assert session.get_one(Ticket, ticket_id).assignee_id == support.id
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        tickets.assign(s, support, ticket_id, 1, other.id)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        tickets.take(s, sales, ticket_id, 1)  # sales opens tickets, does not work them
    with session_scope(engine) as s:
        tickets.assign(s, manager, ticket_id, 1, other.id)
    session.rollback()  # a fresh read
    ticket = session.get_one(Ticket, ticket_id)
    assert ticket.assignee_id == other.id
    assert render(from_json(ticket.routing_reason or "")) == "Assigned by Manager (override)"
    audited = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == ticket_id)
        .order_by(AuditEntry.id)
    ).all()[-1]
    assert audited.actor_id == manager.id
    assert audited.changes["assignee_id"] == {"old": support.id, "new": other.id}
    with session_scope(engine) as s:
        tickets.take(s, support, ticket_id, 2)
    session.rollback()  # a fresh read
    reason = session.get_one(Ticket, ticket_id).routing_reason or ""
    assert render(from_json(reason)) == "Taken by Support"
    moves = session.scalars(
        select(TicketEvent.to_value)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.id)
    ).all()
    assert moves == ["Support", "Wati", "Support"]


def test_quick_actions_change_many_tickets_at_once_or_none(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    ids = [a_ticket(engine, support, customer) for _ in range(3)]
    with session_scope(engine) as s:
        versions = {i: s.get_one(Ticket, i).version for i in ids}
        changed = tickets.bulk(s, support, versions, status="open", priority="high")
    assert changed == 3
    statuses = session.scalars(select(Ticket.priority).where(Ticket.id.in_(ids))).all()
    assert [str(p) for p in statuses] == ["high"] * 3
    with pytest.raises(ConflictError), session_scope(engine) as s:
        tickets.bulk(s, support, dict.fromkeys(ids, 1), status="pending")
    session.rollback()  # a fresh read
    assert {str(t) for t in session.scalars(select(Ticket.status))} == {"open"}


def test_the_queues_show_the_most_urgent_first_and_who_holds_what(
    engine: Engine, session: Session, support: Actor, manager: Actor
) -> None:
    customer = a_customer(engine, support)
    normal = a_ticket(engine, support, customer, MONDAY_8)
    urgent = a_ticket(engine, support, customer, MONDAY_8, priority="urgent")
    low = a_ticket(engine, support, customer, MONDAY_8, priority="low")
    unassigned = a_ticket(engine, manager, customer, MONDAY_8)
    with session_scope(engine) as s:
        tickets.assign(s, manager, unassigned, 1, None)
    settings, policy = team_settings(session), sla.sla_policy(session)
    now = wib("2026-11-30 08:20")

    def ids(which: queues.Queue, actor: Actor = support) -> list[int]:
        frame = queues.queue(session, actor, which, settings, policy, now)
        return frame["id"].tolist()

    assert ids(queues.Queue.MINE) == [urgent, normal, low]
    assert ids(queues.Queue.UNASSIGNED) == [unassigned]
    assert ids(queues.Queue.OPEN, manager) == [urgent, normal, unassigned, low]
    # Urgent's first response is due 08:30: 10 of 30 minutes left, under a fifth? No: a third.
    assert ids(queues.Queue.AT_RISK) == []
    later = wib("2026-11-30 08:31")
    frame = queues.queue(session, support, queues.Queue.AT_RISK, settings, policy, later)
    assert frame["id"].tolist() == [urgent] and frame["sla_state"].tolist() == ["breached"]
    filtered = queues.queue(
        session,
        support,
        queues.Queue.OPEN,
        settings,
        policy,
        now,
        queues.Filters(priorities=("low",)),
    )
    assert filtered["id"].tolist() == [low]


def test_a_ticket_about_to_breach_is_raised_to_its_agent_and_to_a_manager(
    engine: Engine, session: Session, support: Actor, manager: Actor
) -> None:
    other = agent(engine, "zara", [], [])
    customer = a_customer(engine, support)
    mine = a_ticket(engine, support, customer, MONDAY_8, priority="urgent")  # routed: Support
    theirs = a_ticket(engine, support, customer, MONDAY_8, priority="urgent")  # the less loaded
    assert session.get_one(Ticket, theirs).assignee_id == other.id
    calm = a_ticket(engine, support, customer, MONDAY_8, priority="low")
    now = wib("2026-11-30 08:25")  # 5 of the urgent 30 minutes left: at risk; Low is fine
    assert service_read.escalations(session, support, now)["id"].tolist() == [mine]
    assert service_read.escalations(session, manager, now)["id"].tolist() == [mine, theirs]
    assert calm not in service_read.escalations(session, manager, now)["id"].tolist()


def test_a_duplicate_merged_into_a_ticket_is_closed_and_its_words_kept(
    engine: Engine, session: Session, support: Actor
) -> None:
    customer = a_customer(engine, support)
    keep = a_ticket(engine, support, customer)
    duplicate = a_ticket(engine, support, customer, body="Sama seperti kemarin")
    elsewhere = a_ticket(engine, support, a_customer(engine, support, name="Siti"))
    with pytest.raises(ValidationError) as other, session_scope(engine) as s:
        tickets.merge_ticket(s, support, keep, elsewhere, {keep: 1, elsewhere: 1})
    assert set(other.value.field_errors) == {"merge_id"}
    with session_scope(engine) as s:
        tickets.merge_ticket(s, support, keep, duplicate, {keep: 1, duplicate: 1}, MONDAY_8)
    gone = session.get_one(Ticket, duplicate)
    assert gone.status is TicketStatus.CLOSED and gone.resolved_at == MONDAY_8
    note = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == keep, TicketEvent.kind == "merge")
    ).one()
    assert (note.from_value, note.body) == (f"#{duplicate}", "Sama seperti kemarin")
    merged = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_id == keep, AuditEntry.action == "merge")
    ).one()
    assert merged.changes == {"merged_ticket": {"old": None, "new": duplicate}}
