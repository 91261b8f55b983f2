"""The 360's forms on a real database (SQLite and PostgreSQL): interactions, follow-ups,
accounts, the duplicate warning and merging, each through the write path."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from crm_core.customers import accounts, duplicates, interactions, merging, tasks, timeline
from crm_core.customers import records as customers
from crm_core.kernel import audit
from crm_core.kernel.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import (
    AuditEntry,
    Campaign,
    CampaignMember,
    Customer,
    Interaction,
    Lead,
    Order,
    Task,
    Ticket,
)
from crm_core.models.enums import Channel, Entity, LeadSource, SalesChannel, TicketCategory
from db.session import session_scope
from support import a_customer

NOW = datetime(2026, 6, 1, 10, 0)


def stored(engine: Engine, model: type, record_id: int) -> object:
    with session_scope(engine, write=False) as s:
        return s.get(model, record_id)


def count(engine: Engine, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model).filter_by(**where)
    with session_scope(engine, write=False) as s:
        return s.scalar(stmt) or 0


# Interactions


def log(engine: Engine, actor: Actor, customer_id: int, **data: object) -> Interaction:
    values = {"channel": "phone", "direction": "outbound", "subject": "Reorder call", **data}
    with session_scope(engine) as s:
        return interactions.log_interaction(s, actor, customer_id, values, now=NOW)


def test_a_logged_call_is_saved_now_by_its_author_and_tops_the_timeline_at_once(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    logged = log(engine, sales, customer_id, notes="Wants 20 kg", duration_minutes="15")
    with session_scope(engine, write=False) as s:
        saved = s.get(Interaction, logged.id)
        feed = timeline.customer_timeline(s, sales, customer_id, kinds={"interaction"})
        trail = audit.history(s, sales, Entity.INTERACTION, logged.id)  # its own touchpoint
    assert (saved.occurred_at, saved.user_id, saved.duration_minutes) == (NOW, sales.id, 15)
    assert (render(feed["title"][0]), render(feed["detail"][0])) == (
        "Reorder call",
        "outbound · 15 min · by Sales · Wants 20 kg",
    )
    assert list(trail["action"]) == ["create"]


def test_an_interaction_in_the_future_or_without_subject_is_refused_field_by_field(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    with pytest.raises(ValidationError) as raised:
        log(engine, sales, customer_id, subject=" ", channel="pigeon")
    assert raised.value.texts() == {
        "subject": "is required",
        "channel": "must be one of: phone, email, meeting, web, chat, store, social, whatsapp",
    }
    with pytest.raises(ValidationError) as raised:
        log(engine, sales, customer_id, occurred_at=NOW + timedelta(hours=1))
    assert raised.value.texts() == {"occurred_at": "must not be in the future"}
    assert log(engine, sales, customer_id, occurred_at=NOW - timedelta(days=2)).id
    assert count(engine, Interaction) == 1


def test_no_interaction_can_be_logged_on_a_deleted_customer(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    with session_scope(engine) as s:
        customers.delete_customer(s, manager, customer_id, 1)
    with pytest.raises(NotFound, match="was deleted"):
        log(engine, sales, customer_id)


# Follow-ups


def schedule(engine: Engine, actor: Actor, customer_id: int, **data: object) -> Task:
    values = {"customer_id": customer_id, "title": "Send price list", **data}
    values.setdefault("due_at", NOW + timedelta(days=2))
    with session_scope(engine) as s:
        return tasks.schedule_follow_up(s, actor, values, now=NOW)


def test_a_follow_up_is_owned_by_its_author_and_reaches_their_home_page(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    task = schedule(engine, sales, customer_id)
    with session_scope(engine, write=False) as s:
        home = tasks.open_follow_ups(s, sales, NOW)
        listed = tasks.customer_follow_ups(s, sales, customer_id)
    assert task.owner_id == sales.id
    assert list(home["title"]) == ["Send price list"]
    assert list(home["customer"]) == ["Budi Santoso"]
    assert list(listed[["title", "owner", "version"]].itertuples(index=False, name=None)) == [
        ("Send price list", "Sales", 1)
    ]


def test_a_follow_up_due_in_the_past_or_about_nobody_is_refused(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    with pytest.raises(ValidationError) as raised:
        schedule(engine, sales, customer_id, due_at=NOW - timedelta(hours=1))
    assert raised.value.texts() == {"due_at": "must not be in the past"}
    with pytest.raises(ValidationError) as raised:
        schedule(engine, sales, None, title="")
    assert raised.value.texts() == {"title": "is required"}
    with pytest.raises(ValidationError) as raised:
        schedule(engine, sales, None)
    assert raised.value.texts() == {"customer_id": "a follow-up needs a customer or a lead"}
    assert count(engine, Task) == 0


def test_only_a_manager_may_give_a_follow_up_to_someone_else(
    engine: Engine, sales: Actor, support: Actor, manager: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    with pytest.raises(PermissionDenied, match="only for yourself"):
        schedule(engine, sales, customer_id, owner_id=support.id)
    assert schedule(engine, manager, customer_id, owner_id=sales.id).owner_id == sales.id
    with session_scope(engine, write=False) as s:
        assert list(tasks.assignable_owners(s, sales)["name"]) == ["Sales"]
        assert len(tasks.assignable_owners(s, manager)) == 3


def test_the_owner_completes_a_follow_up_once_and_others_may_not(
    engine: Engine, sales: Actor, support: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    task = schedule(engine, sales, customer_id)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        tasks.complete_follow_up(s, support, task.id, 1, now=NOW)
    with session_scope(engine) as s:
        assert set(tasks.complete_follow_up(s, sales, task.id, 1, now=NOW)) == {"done_at"}
    with session_scope(engine) as s:
        assert tasks.complete_follow_up(s, sales, task.id, 1, now=NOW) == {}  # already done
        assert tasks.customer_follow_ups(s, sales, customer_id).empty
    saved = stored(engine, Task, task.id)
    assert (saved.done_at, saved.version) == (NOW, 2)


def test_completing_a_follow_up_someone_changed_since_is_a_conflict(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    task = schedule(engine, sales, customer_id)
    with session_scope(engine) as s:
        row = s.get(Task, task.id)
        row.title, row.version = "Send the new price list", 2
    with pytest.raises(ConflictError), session_scope(engine) as s:
        tasks.complete_follow_up(s, sales, task.id, 1, now=NOW)
    assert stored(engine, Task, task.id).done_at is None


# Accounts


def test_an_account_created_from_a_customer_is_linked_to_it_in_the_same_action(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    data = {"name": "Kopi Jaya", "industry": "Cafe", "employees": "12", "city": "Bandung"}
    with session_scope(engine) as s:
        account = accounts.create_account_for_customer(s, sales, customer_id, 1, data)
    customer = stored(engine, Customer, customer_id)
    assert (customer.account_id, customer.version) == (account.id, 2)
    with session_scope(engine, write=False) as s:
        profile = customers.customer_profile(s, sales, customer_id)
    assert (profile.account.name, profile.account.employees) == ("Kopi Jaya", 12)
    assert (profile.owner, profile.account_owner) == ("Sales", "Sales")


def test_a_bad_account_writes_neither_the_account_nor_the_link(
    engine: Engine, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        accounts.create_account_for_customer(
            s, sales, customer_id, 1, {"name": "", "employees": "-3"}
        )
    assert raised.value.texts() == {
        "name": "is required",
        "employees": "must be 0 or more",
    }
    assert stored(engine, Customer, customer_id).account_id is None


def test_a_sales_user_edits_only_their_own_accounts_and_a_stale_edit_is_a_conflict(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    with session_scope(engine) as s:
        theirs = accounts.create_account(s, manager, {"name": "Toko Maju"}).id
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        accounts.update_account(s, sales, theirs, 1, {"city": "Medan"})
    with session_scope(engine) as s:
        accounts.update_account(s, manager, theirs, 1, {"annual_revenue": "1500000000"})
    with pytest.raises(ConflictError), session_scope(engine) as s:
        accounts.update_account(s, manager, theirs, 1, {"city": "Medan"})
    with session_scope(engine, write=False) as s:
        account = accounts.get_account(s, manager, theirs)
        found = accounts.find_accounts(s, "maju")
    assert (account.annual_revenue, account.city, account.version) == (Decimal(1500000000), None, 2)
    assert list(found["name"]) == ["Toko Maju"]


# Duplicates


def test_the_same_email_or_phone_however_typed_is_a_likely_duplicate(
    engine: Engine, sales: Actor, manager: Actor
) -> None:
    siti = a_customer(engine, sales, name="Siti Rahma", email="siti@example.com")
    budi = a_customer(engine, sales, name="Budi", phone="+62 812 3456 7890", email="b@x.id")
    gone = a_customer(engine, sales, name="Gone", email="siti@example.com")
    with session_scope(engine) as s:
        customers.delete_customer(s, manager, gone, 1)
    with session_scope(engine, write=False) as s:
        by_email = duplicates.likely_duplicates(s, " Siti@Example.COM ", None)
        by_both = duplicates.likely_duplicates(s, "B@X.id", "0812-3456-7890")
        themselves = duplicates.likely_duplicates(s, "b@x.id", None, exclude_id=budi)
        unknown = duplicates.likely_duplicates(s, "new@example.com", "12")
    assert [(m.customer_id, m.name, render(m.reason)) for m in by_email] == [
        (siti, "Siti Rahma", "same email (siti@example.com)")
    ]
    assert [(m.customer_id, m.name, render(m.reason)) for m in by_both] == [
        (budi, "Budi", "same email (b@x.id) and phone (+6281234567890)")
    ]
    assert (themselves, unknown) == ([], [])


# Merging


def two_duplicates(engine: Engine, manager: Actor) -> tuple[int, int]:
    """Kept: city, no phone; merged: phone, email, an order, a ticket, a call, a follow-up, a
    lead, a converted lead, and two campaign memberships (one campaign shared with the kept)."""
    keep = a_customer(engine, manager, name="Budi Santoso", city="Bandung")
    merge = a_customer(engine, manager, name="Budi S.", city="Jakarta", phone="081234567890",
                       email="budi@example.com")  # fmt: skip
    with session_scope(engine) as s:
        shared, other = (
            Campaign(name="Ramadan", channel=Channel.EMAIL),
            Campaign(name="Lebaran", channel=Channel.SOCIAL),
        )
        s.add_all([shared, other])
        s.flush()
        s.add_all(
            [
                Order(customer_id=merge, ordered_at=NOW, channel=SalesChannel.ONLINE),
                Ticket(customer_id=merge, subject="Late", channel=Channel.CHAT,
                       category=TicketCategory.DELIVERY),
                Interaction(customer_id=merge, channel=Channel.PHONE, direction="inbound",
                            subject="Call", occurred_at=NOW),
                Task(customer_id=merge, owner_id=manager.id, title="Call back", due_at=NOW),
                Lead(name="Budi S.", source=LeadSource.REFERRAL, customer_id=merge),
                Lead(name="Budi's shop", source=LeadSource.EVENT, converted_customer_id=merge),
                CampaignMember(campaign_id=shared.id, customer_id=keep, variant="A", sent_at=NOW),
                CampaignMember(campaign_id=shared.id, customer_id=merge, variant="B", sent_at=NOW,
                               responded_at=NOW + timedelta(days=1)),
                CampaignMember(campaign_id=other.id, customer_id=merge, variant="A"),
            ]
        )  # fmt: skip
    return keep, merge


def test_a_merge_moves_everything_fills_gaps_and_soft_deletes_the_merged_customer(
    engine: Engine, manager: Actor
) -> None:
    keep, merge = two_duplicates(engine, manager)
    with session_scope(engine) as s:
        moved = merging.merge_customers(s, manager, keep, merge, {keep: 1, merge: 1})
    assert {kind: len(ids) for kind, ids in moved.items()} == {
        "orders": 1, "tickets": 1, "interactions": 1, "tasks": 1, "leads": 1,
        "converted_leads": 1, "campaign_memberships": 1, "dropped_campaign_memberships": 1,
    }  # fmt: skip
    for model in (Order, Ticket, Interaction, Task):
        assert count(engine, model, customer_id=keep) == 1
    assert count(engine, Lead, customer_id=keep) == count(engine, Lead, converted_customer_id=keep)
    assert count(engine, CampaignMember, customer_id=keep) == 2
    assert count(engine, CampaignMember, customer_id=merge) == 0
    with session_scope(engine, write=False) as s:
        member = CampaignMember
        shared = s.scalars(
            select(member).where(member.customer_id == keep, member.sent_at.is_not(None))
        ).one()
        kept, merged = s.get(Customer, keep), s.get(Customer, merge)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == keep,
                                                   AuditEntry.action == "merge")).one()  # fmt: skip
    assert shared.responded_at == NOW + timedelta(days=1)  # the merged one's response is kept
    assert (kept.name, kept.city, kept.phone, kept.email) == (
        "Budi Santoso", "Bandung", "+6281234567890", "budi@example.com",
    )  # fmt: skip
    assert (kept.version, kept.email_normalized) == (2, "budi@example.com")
    assert (merged.deleted_at is not None, merged.merged_into_id) == (True, keep)
    assert entry.changes["merged_customer"] == {"old": None, "new": merge}
    assert entry.changes["moved_orders"]["new"] == moved["orders"]
    with session_scope(engine, write=False) as s:
        kept_feed = timeline.customer_timeline(s, manager, keep, kinds={"change"})
        merged_feed = timeline.customer_timeline(s, manager, merge, kinds={"change"})
    titles = (render(kept_feed["title"][0]), render(merged_feed["title"][0]))
    assert titles == ("Record merged by Manager",) * 2
    assert render(kept_feed["detail"][0]) == (
        f"customer #{merge} merged into this one; email: – → budi@example.com; "
        "phone: – → +6281234567890; orders: 1 moved; interactions: 1 moved; tasks: 1 moved; "
        "tickets: 1 moved; leads: 1 moved; converted leads: 1 moved; "
        "campaign memberships: 1 moved; campaign memberships: 1 dropped"
    )
    assert render(merged_feed["detail"][0]) == f"merged into customer #{keep}"


def test_only_a_manager_or_admin_merges_and_a_stale_version_moves_nothing(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    keep, merge = two_duplicates(engine, manager)
    with pytest.raises(PermissionDenied, match="cannot merge"), session_scope(engine) as s:
        merging.merge_customers(s, sales, keep, merge, {keep: 1, merge: 1})
    with session_scope(engine) as s:
        customers.update_customer(s, manager, keep, 1, {"city": "Bogor"})
    with pytest.raises(ConflictError), session_scope(engine) as s:
        merging.merge_customers(s, manager, keep, merge, {keep: 1, merge: 1})
    with pytest.raises(ValidationError), session_scope(engine) as s:
        merging.merge_customers(s, manager, keep, keep, {keep: 2})
    assert count(engine, Order, customer_id=merge) == 1
    assert stored(engine, Customer, merge).deleted_at is None


# Delete and restore


def test_a_deleted_customer_is_listed_for_a_manager_and_opens_only_for_them(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    customer_id = a_customer(engine, sales)
    with session_scope(engine) as s:
        customers.delete_customer(s, manager, customer_id, 1)
    with session_scope(engine, write=False) as s:
        listed = customers.deleted_customers(s, manager)
        profile = customers.customer_profile(s, manager, customer_id, deleted=True)
        with pytest.raises(NotFound):
            customers.customer_profile(s, sales, customer_id, deleted=True)
        with pytest.raises(PermissionDenied):
            customers.deleted_customers(s, sales)
    assert list(listed[["id", "version"]].itertuples(index=False, name=None)) == [(customer_id, 2)]
    assert profile.customer.deleted_at is not None
