"""Customer 360's parts: the timeline, open work, follow-ups and the forms that write through
crm_core (log a touchpoint, schedule a follow-up, account, delete, restore, merge, create).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from crm_core.customers import accounts, duplicates, interactions, merging, tasks, timeline
from crm_core.customers import records as customers
from crm_core.kernel.errors import CRMError
from crm_core.kernel.hooks import TimelineKind
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may
from crm_core.models import Account, Customer, utcnow
from crm_core.models.enums import (
    Channel,
    Direction,
    Entity,
    LeadStage,
    Priority,
    SalesChannel,
    TicketStatus,
)
from crm_core.sales import read as sales_read
from crm_core.service import read as service_read
from ui import cache, forms, nav
from ui.db import read_scope
from ui.format import date_box_format, local_times, long_date, money, when
from ui.forms import Session
from ui.i18n import N_, keep_language, say, t, team
from ui.labels import formatter, option
from ui.plain import plain


def _zone() -> ZoneInfo:
    return ZoneInfo(team().time_zone)


def _local_now() -> datetime:
    return datetime.now(_zone()).replace(tzinfo=None)


def _utc(day: date, clock: time) -> datetime:
    """A date and time typed in the team's zone, as the naive UTC the database stores."""
    return datetime.combine(day, clock, _zone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _channel(value: str) -> str:
    """A touchpoint's or an order's channel (the timeline mixes both vocabularies)."""
    kind = Channel if value in set(Channel) else SalesChannel
    return option(kind, value)


def _after_write(*forms_to_unpin: str, values_changed: bool = False) -> None:
    """Forget pinned forms; recompute the value table only when a write moved sales (a merge).

    Recomputing it costs about 10 s at 100,000 customers for the next viewer, so a logged
    touchpoint or an edit waits for the table's 15-minute refresh instead.
    """
    for form_key in forms_to_unpin:
        forms.unpin(form_key)
    if values_changed:
        cache.clear_customer_caches()


# Timeline


def timeline_feed(actor: Actor, customer_id: int) -> None:
    st.subheader(t("Timeline"))
    key = f"timeline-{customer_id}"
    reset = lambda: st.session_state.update({f"{key}-page": 0})  # noqa: E731
    left, right = st.columns(2)
    kinds = left.multiselect(
        t("Show"),
        [k.value for k in TimelineKind],
        format_func=formatter(TimelineKind),
        key=f"{key}-kinds",
        placeholder=t("Every kind"),
        on_change=reset,
    )
    channels = right.multiselect(
        t("Channels"),
        list(timeline.CHANNELS),
        format_func=keep_language(_channel),
        key=f"{key}-channels",
        placeholder=t("Every channel"),
        on_change=reset,
    )
    page = st.session_state.get(f"{key}-page", 0)
    with read_scope() as session:
        found = timeline.timeline_page(
            session, actor, customer_id, set(kinds) or None, set(channels) or None, page
        )
    if found.rows.empty:
        st.info(t("No touchpoints match.") if kinds or channels else t("No touchpoints yet."))
    else:
        _timeline_table(found.rows)
        first = page * timeline.PAGE_SIZE + 1
        st.caption(
            t(
                "Newest first · {first:n}–{last:n} · times in {zone}",
                first=first,
                last=first + len(found.rows) - 1,
                zone=team().time_zone,
            )
        )
    newer, older, _ = st.columns([1, 1, 4])
    if newer.button(t("Newer"), key=f"{key}-newer", disabled=page == 0):
        st.session_state[f"{key}-page"] = page - 1
        st.rerun()
    if older.button(t("Older"), key=f"{key}-older", disabled=not found.has_older):
        st.session_state[f"{key}-page"] = page + 1
        st.rerun()


KIND_ICONS = {
    TimelineKind.INTERACTION: ":material/forum:",
    TimelineKind.ORDER: ":material/shopping_bag:",
    TimelineKind.TICKET: ":material/support_agent:",
    TimelineKind.LEAD: ":material/filter_alt:",
    TimelineKind.CAMPAIGN: ":material/campaign:",
    TimelineKind.CHANGE: ":material/edit_note:",
}
CHANNEL_ICONS = {
    Channel.PHONE: ":material/call:",
    Channel.WHATSAPP: ":material/chat:",
    Channel.EMAIL: ":material/mail:",
    Channel.MEETING: ":material/groups:",
    Channel.STORE: ":material/storefront:",
}


def feed_entries(found: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """The feed's rows as (day, icon and title, when · kind · channel, detail) for this reader.

    Titles and details are message codes (a cached page serves both languages): said here;
    a title or detail holds text users typed (a subject, notes), escaped for markdown.
    """
    times = local_times(found["at"])
    entries = []
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row, stamp in zip(found.itertuples(), times, strict=True):
        kind = TimelineKind(row.kind)
        icon = CHANNEL_ICONS.get(row.channel, KIND_ICONS[kind]) if row.channel else KIND_ICONS[kind]
        day, _, clock = str(stamp).partition(" ")
        said = [clock, option(TimelineKind, kind), _channel(row.channel) if row.channel else ""]
        detail = say(row.detail) if isinstance(row.detail, str | tuple) and row.detail else ""
        entries.append(
            (day, f"{icon} **{plain(say(row.title))}**", " · ".join(x for x in said if x), detail)
        )
    return entries


def _timeline_table(found: pd.DataFrame) -> None:
    """The feed: a heading per day, each entry its title, its time and channel, its detail."""
    shown_day = None
    # A long page of entries scrolls in its own box, so the side column stays in view.
    with st.container(height=900 if len(found) > 8 else "content", border=False):
        for day, title, meta, detail in feed_entries(found):
            if day != shown_day:
                st.markdown(f"###### {long_date(pd.Timestamp(day))}")
                shown_day = day
            st.markdown(f"{title}  \n{plain(detail)}" if detail else title)
            st.caption(plain(meta))


# Open work: tickets, leads, follow-ups


def open_work(actor: Actor, customer_id: int) -> None:
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    with read_scope() as session:
        tickets = service_read.open_tickets(session, actor, customer_id)
        leads = sales_read.open_leads(session, actor, customer_id)
    st.subheader(t("Open tickets ({count:n})", count=len(tickets)))
    for row in tickets.itertuples():
        status, priority = option(TicketStatus, row.status), option(Priority, row.priority)
        label = f"#{row.id} {plain(row.subject)} · {status}, {priority}"
        nav.link("ticket", label, id=row.id)
        assignee = row.assignee or t("unassigned")
        st.caption(t("Opened {at} · {assignee}", at=when(row.created_at), assignee=assignee))
    if allowed(actor, Entity.TICKET, Action.CREATE):
        nav.link("tickets", t("New ticket for this customer"), customer=customer_id)
    st.subheader(t("Open leads ({count:n})", count=len(leads)))
    for row in leads.itertuples():
        lead_link(row)


def lead_link(row: Any) -> None:
    """An open lead (a row of the Sales read module's open leads), one click to it: name,
    stage (a pipeline's own by the name its manager gave it) and value, all as text."""
    stage = row.stage_name if isinstance(row.stage_name, str) else option(LeadStage, row.stage)
    nav.link("leads", plain(f"#{row.id} {row.name} · {stage}, {money(row.value)}"), id=row.id)


def follow_ups(actor: Actor, customer_id: int) -> None:
    st.subheader(t("Follow-ups"))
    form_key = f"follow-ups-{customer_id}"
    forms.feedback(form_key)
    with read_scope() as session:
        due = tasks.customer_follow_ups(session, actor, customer_id)
    if due.empty:
        st.caption(t("No follow-up is due."))
    now = utcnow()
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in due.itertuples():
        text, done = st.columns([4, 1])
        late = f" · :red[{t('overdue')}]" if row.due_at < now else ""
        text.markdown(f"**{plain(row.title)}**  \n{when(row.due_at)} · {plain(row.owner)}{late}")
        may_close = allowed(actor, Entity.TASK, Action.UPDATE, row)  # its owner, or a manager
        if may_close and done.button(t("Done"), key=f"follow-up-{row.id}-v{row.version}-done"):
            forms.submit(
                form_key,
                partial(
                    tasks.complete_follow_up,
                    actor=actor,
                    task_id=row.id,
                    expected_version=row.version,
                ),
                t("Marked done."),
            )
            st.rerun()


def schedule_follow_up(actor: Actor, customer_id: int) -> None:
    if not allowed(actor, Entity.TASK, Action.CREATE):
        st.caption(t("Your role does not schedule follow-ups."))
        return
    with read_scope() as session:
        owners = tasks.assignable_owners(session, actor)
    _schedule_form(actor, customer_id, owners)


def _schedule_form(actor: Actor, customer_id: int, owners: Any) -> None:
    form_key = f"follow-up-{customer_id}"
    prefix = forms.fresh(form_key)
    forms.feedback(form_key)
    with st.form(prefix):
        title = st.text_input(
            t("Follow-up"), key=f"{prefix}-title", placeholder=t("Call about reorder")
        )
        forms.field_error(form_key, "title")
        day_col, time_col = st.columns(2)
        tomorrow = _local_now().date() + timedelta(days=1)
        day = day_col.date_input(
            t("Due"), value=tomorrow, key=f"{prefix}-day", format=date_box_format()
        )
        clock = time_col.time_input(t("at"), value=time(9, 0), key=f"{prefix}-time")
        forms.field_error(form_key, "due_at")
        names = dict(zip(owners["id"], owners["name"], strict=True))
        owner = st.selectbox(
            t("Owner"),
            list(names),
            format_func=lambda owner_id: names[owner_id],
            key=f"{prefix}-owner",
            index=list(names).index(actor.id) if actor.id in names else 0,
            disabled=len(names) < 2,
        )
        forms.field_error(form_key, "owner_id")
        if st.form_submit_button(t("Schedule")):
            data: dict[str, Any] = {"customer_id": customer_id, "title": title, "owner_id": owner}
            data["due_at"] = _utc(day, clock) if day and clock else None
            scheduled = t("Follow-up scheduled.")
            if forms.submit(
                form_key, lambda s: tasks.schedule_follow_up(s, actor, data), scheduled
            ):
                forms.renew(form_key)
            st.rerun()


# Log a touchpoint


def log_interaction_form(actor: Actor, customer_id: int, preferred: str | None = None) -> None:
    """Log a call, a WhatsApp, an email...: on the customer's preferred channel unless changed."""
    form_key = f"interaction-{customer_id}"
    prefix = forms.fresh(form_key)
    forms.feedback(form_key)
    with st.form(prefix):
        left, right = st.columns(2)
        choices = [c.value for c in Channel]
        channel = left.selectbox(
            t("Channel"),
            choices,
            index=choices.index(preferred) if preferred in choices else 0,
            format_func=formatter(Channel),
            key=f"{prefix}-channel",
        )
        direction = right.selectbox(
            t("Direction"),
            [d.value for d in Direction],
            index=1,
            format_func=formatter(Direction),
            key=f"{prefix}-direction",
        )
        subject = st.text_input(t("Subject"), key=f"{prefix}-subject")
        forms.field_error(form_key, "subject")
        notes = st.text_area(t("Notes"), key=f"{prefix}-notes", height=80)
        day_col, time_col, minutes_col = st.columns(3)
        day = day_col.date_input(
            t("Date"), value=None, key=f"{prefix}-day", format=date_box_format()
        )
        clock = time_col.time_input(t("Time"), value=None, key=f"{prefix}-time")
        minutes = minutes_col.number_input(
            t("Minutes"), min_value=0, max_value=1440, value=None, key=f"{prefix}-minutes"
        )
        st.caption(t("Leave date and time empty for now."))
        forms.field_error(form_key, "occurred_at")
        if st.form_submit_button(t("Log it")):
            data: dict[str, Any] = {"channel": channel, "direction": direction, "subject": subject}
            data |= {"notes": notes, "duration_minutes": minutes}
            data["occurred_at"] = _occurred_at(day, clock)
            if forms.submit(
                form_key,
                lambda s: interactions.log_interaction(s, actor, customer_id, data),
                t("Logged: it is on the timeline."),
            ):
                forms.renew(form_key)
                _after_write()
            st.rerun()


def _occurred_at(day: date | None, clock: time | None) -> datetime | None:
    """None (now) unless a date or time was typed; a date alone means noon that day."""
    today = _local_now().date()
    if clock is None:
        return None if day is None or day == today else _utc(day, time(12, 0))
    return _utc(day or today, clock)


# Account


ACCOUNT_FIELDS = {
    "name": N_("Company name"),
    "industry": N_("Industry"),
    "employees": N_("Employees"),
    "annual_revenue": N_("Annual revenue"),
    "address": N_("Address"),
    "city": N_("City"),
    "region": N_("Region / province"),
    "country": N_("Country"),
    "website": N_("Website"),
}


def account_section(actor: Actor, customer: Customer, account: Account | None) -> None:
    if account is not None:
        forms.feedback(f"customer-{customer.id}-new-account")  # "Account saved." once created
        if allowed(actor, Entity.ACCOUNT, Action.UPDATE, account):
            _account_form(actor, account)
        else:
            st.caption(t("Only the account's owner, a manager or an admin edits it."))
        return
    may_link = allowed(actor, Entity.CUSTOMER, Action.UPDATE, customer)
    if not (may_link and allowed(actor, Entity.ACCOUNT, Action.CREATE)):
        st.caption(t("A consumer (B2C): no account."))
        return
    _link_account(actor, customer)
    st.markdown(t("**…or create its account**"))
    _account_form(actor, None, customer)


def _link_account(actor: Actor, customer: Customer) -> None:
    form_key = f"customer-{customer.id}-link"
    forms.feedback(form_key)
    search = st.text_input(t("Find an account by name"), key=f"{form_key}-search")
    if not search.strip():
        return
    with read_scope() as session:
        found = accounts.find_accounts(session, search)
    if found.empty:
        st.caption(t("No account has that in its name."))
        return
    names = {
        a["id"]: f"{a['name']} ({a['city'] or t('no city')})" for a in found.to_dict("records")
    }
    picked = st.selectbox(
        t("Account"), list(names), format_func=lambda account_id: names[account_id],
        key=f"{form_key}-pick",
    )  # fmt: skip
    if st.button(t("Link to this account"), key=f"{form_key}-v{customer.version}-go"):
        if forms.submit(
            form_key,
            lambda s: accounts.link_customer(s, actor, customer.id, customer.version, picked),
            t("Linked."),
        ):
            forms.unpin(f"customer-{customer.id}")
        st.rerun()


def _account_form(actor: Actor, account: Account | None, customer: Customer | None = None) -> None:
    if account is not None:
        form_key = f"account-{account.id}"
    else:
        assert customer is not None, "a new account is created for its customer"
        form_key = f"customer-{customer.id}-new-account"
    current = accounts.form_values(account) if account else {}
    read_version, values = forms.pinned(form_key, account.version if account else 0, current)
    forms.offer_latest(form_key)
    prefix = f"{form_key}-v{read_version}"
    with st.form(prefix):
        data: dict[str, Any] = {}
        for field, label in ACCOUNT_FIELDS.items():
            shown = values.get(field)
            data[field] = st.text_input(
                t(label), value="" if shown is None else str(shown), key=f"{prefix}-{field}"
            )
            forms.field_error(form_key, field)
        submit_label = t("Save account") if account else t("Create and link account")
        if st.form_submit_button(submit_label):
            write: Callable[[Session], object]
            if account:
                write = lambda s: accounts.update_account(s, actor, account.id, read_version, data)  # noqa: E731
            else:
                assert customer is not None, "a new account is created for its customer"
                cid, version = customer.id, customer.version
                write = lambda s: accounts.create_account_for_customer(s, actor, cid, version, data)  # noqa: E731
            if forms.submit(form_key, write, t("Account saved.")):
                forms.unpin(form_key)
                if customer is not None:
                    forms.unpin(f"customer-{customer.id}")
            st.rerun()


# Delete, restore, merge


def _manage_key(customer_id: int) -> str:
    return f"customer-{customer_id}-manage"


def manage_outcome(customer_id: int) -> None:
    """The last delete, restore or merge's message, under the header where the change shows."""
    forms.feedback(_manage_key(customer_id))


def manage(actor: Actor, customer: Customer) -> None:
    """Delete (with a tick to confirm) and merge a duplicate into this customer."""
    form_key = _manage_key(customer.id)
    if not allowed(actor, Entity.CUSTOMER, Action.DELETE, customer):
        st.caption(t("Deleting and merging customers is for managers and admins."))
        return
    sure = st.checkbox(
        t("Yes, delete this customer (a manager can restore it)"), key=f"{form_key}-sure"
    )
    if st.button(
        t("Delete customer"), key=f"{form_key}-v{customer.version}-delete", disabled=not sure
    ):
        if forms.submit(
            form_key,
            lambda s: customers.delete_customer(s, actor, customer.id, customer.version),
            t("Deleted."),
        ):
            _after_write(f"customer-{customer.id}")
            st.query_params["deleted"] = "1"
        st.rerun()
    if may(actor, Capability.MERGE_CUSTOMERS):
        _merge(actor, customer, form_key)


def _merge(actor: Actor, keep: Customer, form_key: str) -> None:
    """Pick the duplicate (from the likely ones, or by number), see both side by side, choose
    per field whose value stays, and merge."""
    st.markdown(t("**Merge a duplicate into this customer**"))
    with read_scope() as session:
        alike = duplicates.duplicates_of(session, keep)
    names = {
        m.customer_id: t("#{id} {name} ({reason})", id=m.customer_id, name=m.name,
                         reason=say(m.reason))
        for m in alike
    }  # fmt: skip
    for label in names.values():
        st.caption(plain(t("Likely duplicate: {which}", which=label)))
    picked = None
    if names:
        picked = st.selectbox(
            t("Likely duplicate to merge"), [None, *names], key=f"{form_key}-pick",
            format_func=lambda i: t("Choose…") if i is None else names[i],
            placeholder=t("Choose…"),
        )  # fmt: skip
    other_id = st.number_input(
        t("…or the customer # to merge into this one"),
        min_value=1,
        step=1,
        value=None,
        key=f"{form_key}-other",
    )
    chosen = picked or other_id
    if chosen is None:
        return
    try:
        with read_scope() as session:
            other = customers.get_customer(session, actor, int(chosen))
            rows = merging.side_by_side(session, actor, keep.id, other.id)
    except CRMError as exc:  # no such customer, deleted, or this one
        st.warning(say(exc.message))
        return
    winners = _side_by_side(keep, other, rows, f"{form_key}-{other.id}-v{other.version}")
    st.caption(
        t(
            "#{id}'s orders, tickets, touchpoints, follow-ups, leads and campaigns move here, "
            "the values chosen above are kept, and #{id} is deleted (a manager can restore it).",
            id=other.id,
        )
    )
    versions = {keep.id: keep.version, other.id: other.version}
    # The versions shown are in the key: if either changes, the click starts over on fresh data.
    go = f"{form_key}-merge-{other.id}-v{other.version}-into-v{keep.version}"
    if st.button(
        t("Merge #{other} into #{keep}", other=other.id, keep=keep.id), key=go, type="primary"
    ):
        if forms.submit(
            form_key,
            lambda s: merging.merge_customers(s, actor, keep.id, other.id, versions, winners),
            t("Merged #{id} into this customer.", id=other.id),
        ):
            _after_write(f"customer-{keep.id}", values_changed=True)
        st.rerun()


def _side_by_side(
    keep: Customer, other: Customer, rows: list[merging.FieldChoice], key: str
) -> dict[str, int]:
    """Both records field by field; a choice per field that differs. Returns field -> winner."""
    left, right = t("#{id} (this one)", id=keep.id), t("#{id}", id=other.id)
    head = st.columns([2, 3, 3])
    head[0].markdown(f"**{t('Field')}**")
    head[1].markdown(f"**{plain(left)}** · {plain(keep.name)}")
    head[2].markdown(f"**{plain(right)}** · {plain(other.name)}")
    winners: dict[str, int] = {}
    same: list[str] = []
    for row in rows:
        if not row.differs:
            if row.keep not in (None, "", [], False):
                same.append(t(row.label))
            continue
        cells = st.columns([2, 6])
        cells[0].markdown(plain(t(row.label)))
        shown = {keep.id: plain(_value(row.keep)), other.id: plain(_value(row.merge))}
        winners[row.field] = cells[1].radio(
            t(row.label), [keep.id, other.id], index=0 if row.proposed == keep.id else 1,
            format_func=lambda i, shown=shown: shown[i], horizontal=True,
            key=f"{key}-{row.field}", label_visibility="collapsed",
        )  # fmt: skip
    if same:
        st.caption(plain(t("The same in both: {fields}", fields=", ".join(same))))
    return winners


def _value(value: Any) -> str:
    """A field's value as the side-by-side shows it ("–" for nothing)."""
    if value in (None, "", []):
        return "–"
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def deleted_notice(actor: Actor, customer: Customer) -> None:
    """A deleted customer, seen by who may restore it: when, why (a merge) and Restore."""
    form_key = _manage_key(customer.id)
    gone = t("Deleted {at}.", at=when(customer.deleted_at))
    st.warning(gone if customer.merged_into_id is None else f"{gone} {t('Merged into:')}")
    if customer.merged_into_id is not None:
        target = t("Customer #{id}", id=customer.merged_into_id)
        nav.link("customer", target, id=customer.merged_into_id)
    restore = t("Restore")
    if st.button(restore, key=f"{form_key}-v{customer.version}-restore", type="primary"):
        if forms.submit(
            form_key,
            lambda s: customers.restore_customer(s, actor, customer.id, customer.version),
            t("Restored."),
        ):
            _after_write(f"customer-{customer.id}")
            st.query_params.pop("deleted", None)
        st.rerun()


def edit_account(actor: Actor, account: Account) -> None:
    """The account's form (on its own page), for who may edit it."""
    if allowed(actor, Entity.ACCOUNT, Action.UPDATE, account):
        _account_form(actor, account)
    else:
        st.caption(t("Only the account's owner, a manager or an admin edits it."))
