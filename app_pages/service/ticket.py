"""Ticket: the conversation and history, SLA state and why it went to its agent, the customer's
value and other open tickets; reply or note, status, priority, assignment, and the rating."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from app_pages.service import _public
from crm_core.analytics.churn import RiskBand
from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may, sees_amounts
from crm_core.models import utcnow
from crm_core.models.enums import (
    ArticleKind,
    Channel,
    Entity,
    Language,
    Priority,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)
from crm_core.service import articles, csat, detail, public, tickets
from crm_core.service.detail import TicketDetail
from crm_core.service.inputs import TICKET_CHANNELS
from crm_core.service.sla import SlaState
from crm_core.service.tickets import MOVES
from ui import cache, forms, nav
from ui.auth import require_page
from ui.db import read_scope, write_scope
from ui.format import compact_money, number, percent, when
from ui.i18n import say, t
from ui.labels import formatter, option
from ui.plain import plain

REPLY, MOVE, RATE, LINK = "ticket-reply", "ticket-move", "ticket-rate", "ticket-link"
SENDER = "ticket-sender"  # the confirmation that a public form's sender is who they say
OWN = "ticket-own-write"  # (ticket, version) this session's last save made: the edit follows
CUSTOMER_LINK, EDIT = "ticket-customer-link", "ticket-edit"
_MESSAGES = (
    TicketEventKind.REPLY,
    TicketEventKind.COMMENT,
    TicketEventKind.RATING,
    TicketEventKind.CUSTOMER,
)
_STATE_ICON = {
    SlaState.ON_TIME: "🟢",
    SlaState.PAUSED: "⏸️",
    SlaState.AT_RISK: "🟠",
    SlaState.BREACHED: "🔴",
}


def render() -> None:
    actor = require_page("ticket")
    raw = st.query_params.get("id", "")
    if not raw.isdigit():
        st.title(t("Ticket"))
        st.info(t("Open a ticket from the queue."))
        nav.link("tickets", t("Go to the ticket queue"))
        return
    try:
        with read_scope() as session:
            found = detail.ticket_detail(session, actor, int(raw), utcnow())
    except CRMError as exc:
        st.title(t("Ticket"))
        st.error(say(exc.message))
        return
    ticket = found.ticket
    st.title(f"#{ticket.id} {plain(ticket.subject)}")
    _summary(found)
    forms.feedback(SENDER)
    if ticket.sender_unverified:
        _unverified_sender(actor, found)
    talk, side = st.columns([3, 2], gap="large")
    with talk:
        _conversation(found)
        if allowed(actor, Entity.TICKET, Action.UPDATE, ticket):
            _reply(actor, found)
            _reply_link(actor, found)
    with side:
        _customer(actor, found)
        if allowed(actor, Entity.TICKET, Action.UPDATE, ticket):
            _moves(actor, found)
            _edit(actor, found)
            _merge(actor, found)
            _rating(actor, found)


def _summary(found: TicketDetail) -> None:
    ticket = found.ticket
    st.caption(
        " · ".join(
            [
                option(TicketStatus, ticket.status),
                t("priority {p}", p=option(Priority, ticket.priority)),
                option(TicketCategory, ticket.category),
                option(Channel, ticket.channel),
                t("opened {at}", at=when(ticket.created_at)),
                t("assigned to {name}", name=plain(found.assignee))
                if found.assignee
                else t("unassigned"),
            ]
        )
    )
    state = found.state
    cells = st.columns(3)
    cells[0].metric(t("SLA"), f"{_STATE_ICON[state]} {option(SlaState, state)}")
    # "due" in the label, the time alone as the value: "tenggat 6 Des 2026 09.05" was cut off
    answered, resolved = ticket.first_response_at, ticket.resolved_at
    cells[1].metric(
        t("First response") if answered else t("First response due"),
        when(answered or ticket.first_response_due),
    )
    cells[2].metric(
        t("Resolved") if resolved else t("Resolution due"),
        when(resolved or ticket.resolution_due),
    )
    st.caption(
        t(
            "Targets for this priority: first response within {fr} working hours, resolution "
            "within {res} (team hours and days off; paused while pending on the customer).",
            fr=number(found.target.first_response_minutes / 60, 1),
            res=number(found.target.resolution_minutes / 60, 1),
        )
    )
    if found.reason is not None:
        st.info(say(found.reason), icon=":material/alt_route:")


def _unverified_sender(actor: Actor, found: TicketDetail) -> None:
    ticket = found.ticket
    st.warning(
        t(
            "Sent through the public support form: anyone can type any email there, and "
            "whoever sent it reads your replies through the reply link. Confirm who writes "
            "(call the number on file, say) before you tell them anything from the "
            "customer's record."
        ),
        icon=":material/gpp_maybe:",
    )
    if not allowed(actor, Entity.TICKET, Action.UPDATE, ticket):
        return
    if st.button(t("I have confirmed who writes"), key=f"{SENDER}-confirm"):
        _saved(
            ticket,
            SENDER,
            lambda s: tickets.confirm_sender(s, actor, ticket.id, ticket.version),
            t("The sender is confirmed."),
        )
        st.rerun()


def _conversation(found: TicketDetail) -> None:
    st.subheader(t("Conversation and history"))
    if found.ticket.body:
        with st.container(border=True):
            st.caption(t("The customer wrote, {at}", at=when(found.ticket.created_at)))
            st.text(found.ticket.body)
    row: Any
    for row in found.events.itertuples():
        kind = TicketEventKind(row.kind)
        # no staff actor: the customer wrote or rated through their link; on other kinds
        # (a routing the demo data or an import made) nobody is named, not "the customer"
        by_link = kind in (TicketEventKind.CUSTOMER, TicketEventKind.RATING)
        who = row.by or (t("the customer") if by_link else "–")
        head = t(
            "{kind} · {who} · {at}",
            kind=option(TicketEventKind, kind),
            who=plain(who),
            at=when(row.at),
        )
        if kind in _MESSAGES:
            with st.container(border=True):
                st.caption(head)
                if kind is TicketEventKind.RATING:
                    st.text(t("Rating: {n} of 5", n=row.to_value))
                if row.body:
                    st.text(row.body)
        else:
            moved = f"{_value(kind, row.from_value)} → {_value(kind, row.to_value)}"
            st.caption(f"{head}: {plain(moved)}")
            if row.body:  # a merged duplicate's description
                st.text(row.body)


def _value(kind: TicketEventKind, value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    vocabulary = {
        TicketEventKind.STATUS: TicketStatus,
        TicketEventKind.PRIORITY: Priority,
        TicketEventKind.CATEGORY: TicketCategory,
    }.get(kind)
    return option(vocabulary, value) if vocabulary else str(value)


def _reply(actor: Actor, found: TicketDetail) -> None:
    ticket = found.ticket
    st.subheader(t("Answer"))
    forms.feedback(REPLY)
    if st.session_state.pop(f"{REPLY}-sent", False):
        # emptied before the box is drawn: a widget's state popped after its run came back
        # from the browser with the text still in it, ready to be sent twice
        st.session_state[f"{REPLY}-body"] = ""
    _canned(actor, found)
    with st.form(REPLY):
        body = st.text_area(t("Message"), key=f"{REPLY}-body", height=150)
        forms.field_error(REPLY, "body")
        to_customer = st.radio(
            t("Send as"),
            [True, False],
            horizontal=True,
            key=f"{REPLY}-kind",
            format_func=lambda r: t("Reply to the customer") if r else t("Internal note"),
        )
        sent = st.form_submit_button(t("Send"), type="primary")
    if sent:
        done = _saved(
            ticket,
            REPLY,
            lambda s: tickets.add_comment(
                s, actor, ticket.id, ticket.version, body, reply=bool(to_customer)
            ),
            t("Reply sent.") if to_customer else t("Note added."),
        )
        if done:
            st.session_state[f"{REPLY}-sent"] = True
        st.rerun()  # either way: the outcome is drawn above the form, by the next run


def _reply_link(actor: Actor, found: TicketDetail) -> None:
    """The customer's link to this ticket: they read the replies (not the notes) and answer."""
    ticket = found.ticket
    if ticket.status is TicketStatus.CLOSED:
        return
    with st.expander(t("The customer's reply link"), icon=":material/forum:"):
        st.caption(
            t(
                "The customer reads the replies sent to them (never an internal note) and "
                "answers; an answer reopens a pending or resolved ticket. A new link replaces "
                "the one sent before."
            )
        )
        if st.button(t("Create a reply link"), key=f"{CUSTOMER_LINK}-make"):
            try:
                with write_scope() as session:
                    token = public.reply_token(session, actor, ticket.id, ticket.version)
                st.session_state[f"{CUSTOMER_LINK}-token"] = (ticket.id, token)
                _own(ticket)
            except CRMError as exc:
                st.error(say(exc.message))
        made = st.session_state.get(f"{CUSTOMER_LINK}-token")
        if made and made[0] == ticket.id:
            url = _public.link("reply", ticket.id, made[1])
            st.code(url, language=None)
            text = quote(t("Our reply to your request #{id}: {url}", id=ticket.id, url=url))
            left, right = st.columns(2)
            left.link_button(t("Send by WhatsApp"), f"https://wa.me/?text={text}")
            subject = quote(t("Your request #{id}", id=ticket.id))
            right.link_button(t("Send by email"), f"mailto:?subject={subject}&body={text}")


def _canned(actor: Actor, found: TicketDetail) -> None:
    """Canned answers and articles of the ticket's category, inserted into the reply."""
    ticket = found.ticket
    with read_scope() as session:
        offered = articles.for_ticket(session, actor, ticket.category, ticket.language)
    if offered.empty:
        return
    titles = {
        int(i): f"{option(ArticleKind, kind)} · {title}"
        for i, kind, title in zip(offered["id"], offered["kind"], offered["title"], strict=True)
    }
    pick, go = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick.selectbox(
        t("Canned answers and articles"),
        list(titles),
        format_func=lambda i: titles[i],
        key=f"{REPLY}-canned",
    )
    if go.button(t("Insert"), key=f"{REPLY}-insert") and chosen is not None:
        text = str(offered.loc[offered["id"] == chosen, "body"].iloc[0])
        typed = st.session_state.get(f"{REPLY}-body", "")
        st.session_state[f"{REPLY}-body"] = f"{typed}\n\n{text}".strip() if typed else text
        st.rerun()


def _customer(actor: Actor, found: TicketDetail) -> None:
    ticket = found.ticket
    st.subheader(t("Customer"))
    nav.link(
        "customer", t("Customer 360: {name}", name=plain(found.customer)), id=ticket.customer_id
    )
    table = cache.customer_values(customer_id=ticket.customer_id).frame  # this one's row
    if ticket.customer_id in table.index:
        v: Any = table.loc[ticket.customer_id]
        # the tier as a badge, the two figures beside each other: three metrics side by side
        # in this column cut "Paling Berharga" and an amount off after three letters, and a
        # tier's name is too long for a metric's large type even alone ("Berpotensi Tumbuh")
        st.badge(
            plain(t("Tier: {tier}", tier=option(ValueTier, v["value_tier"]))),
            icon=":material/workspace_premium:",
        )
        money, risk_cell = st.columns(2)
        if sees_amounts(actor, found.customer_owner_id):  # the amounts rule: not for support
            money.metric(t("Historical CLV"), compact_money(v["historical_clv"]))
        risk = v["churn_risk"]
        if pd.notna(risk):
            risk_cell.metric(t("Churn risk"), percent(risk))
        else:  # a band's name ("Belum pernah membeli") is too long for half a column's metric
            risk_cell.caption(t("Churn risk"))
            risk_cell.text(option(RiskBand, v["risk_band"]))
    if not found.other_open.empty:
        st.caption(t("Other open tickets of this customer"))
        row: Any
        for row in found.other_open.itertuples():
            label = f"#{row.id} {row.subject} · {option(TicketStatus, row.status)}"
            nav.link("ticket", plain(label), id=row.id)


_ROW = [2, 1]  # a choice and its button, in the side column


def _moves(actor: Actor, found: TicketDetail) -> None:
    ticket = found.ticket
    st.subheader(t("Status, priority and agent"))
    forms.feedback(MOVE)
    moves = [s.value for s in MOVES[ticket.status]]
    # the buttons' column is a third of the row: at a quarter "Pindahkan" and "Tugaskan" were
    # cut off in Bahasa Indonesia (and "Change" in English)
    status_col, go = st.columns(_ROW, vertical_alignment="bottom")
    new_status = status_col.selectbox(
        t("Move to"), moves, format_func=formatter(TicketStatus), key=f"{MOVE}-status"
    )
    if go.button(t("Move"), key=f"{MOVE}-status-go"):
        _submit(
            ticket,
            lambda s: tickets.change_status(s, actor, ticket.id, ticket.version, new_status),
            t("Status changed."),
        )
    priority_col, go = st.columns(_ROW, vertical_alignment="bottom")
    priorities = [p.value for p in Priority]
    new_priority = priority_col.selectbox(
        t("Priority"),
        priorities,
        index=priorities.index(ticket.priority.value),
        format_func=formatter(Priority),
        key=f"{MOVE}-priority",
    )
    if go.button(t("Change"), key=f"{MOVE}-priority-go"):
        _submit(
            ticket,
            lambda s: tickets.set_priority(s, actor, ticket.id, ticket.version, new_priority),
            t("Priority changed; the due times moved with it."),
        )
    mine = ticket.assignee_id == actor.id
    if (
        may(actor, Capability.ANSWER_TICKETS)
        and not mine
        and st.button(t("Take this ticket"), key=f"{MOVE}-take")
    ):
        _submit(
            ticket, lambda s: tickets.take(s, actor, ticket.id, ticket.version), t("It is yours.")
        )
    if may(actor, Capability.ASSIGN_TICKETS):
        with read_scope() as session:
            agents = detail.assignable_agents(session, actor)
        names = {
            int(i): f"{name} ({load})"
            for i, name, load in zip(agents["id"], agents["name"], agents["open_load"], strict=True)
        }
        agent_col, go = st.columns(_ROW, vertical_alignment="bottom")
        chosen = agent_col.selectbox(
            t("Assign to (open tickets)"),
            list(names),
            format_func=lambda i: names[i],
            index=list(names).index(ticket.assignee_id) if ticket.assignee_id in names else None,
            key=f"{MOVE}-agent",
        )
        if go.button(t("Assign"), key=f"{MOVE}-agent-go") and chosen is not None:
            _submit(
                ticket,
                lambda s: tickets.assign(s, actor, ticket.id, ticket.version, int(chosen)),
                t("Assigned; the override is in the audit log."),
            )


def _edit(actor: Actor, found: TicketDetail) -> None:
    """Correct the subject, the description, the channel, the category or the language,
    over the version the form was opened at: a save after someone else's is a conflict
    (with the version read in the same run as the save, it overwrote theirs unseen)."""
    ticket = found.ticket
    key = f"{EDIT}-{ticket.id}"
    shown = {
        "subject": ticket.subject,
        "body": ticket.body or "",
        "channel": ticket.channel.value,
        "category": ticket.category.value,
        "language": ticket.language or "",
    }
    version, held = forms.pinned(key, ticket.version, shown)
    if version != ticket.version and st.session_state.get(OWN) == (ticket.id, ticket.version):
        forms.unpin(key)  # this session's own reply or move made it: no conflict with itself
        version, held = forms.pinned(key, ticket.version, held)
    prefix = f"{EDIT}-{ticket.id}"
    with st.expander(t("Edit the ticket"), icon=":material/edit:"):
        if forms.feedback(key) and st.button(
            t("Load the latest version"), key=f"{key}-reload"
        ):  # drops what was typed: the user's choice, never automatic
            forms.unpin(key)
            forms.clear(key)
            for stale in [k for k in st.session_state if str(k).startswith(f"{prefix}-")]:
                del st.session_state[stale]
            st.rerun()
        with st.form(EDIT):
            data = _edit_fields(key, prefix, held)
            sent = st.form_submit_button(t("Save changes"))
    if sent:
        if forms.submit(
            key,
            lambda s: tickets.edit_ticket(s, actor, ticket.id, version, data),
            t("Saved."),
        ):
            forms.unpin(key)
        st.rerun()


def _edit_fields(key: str, prefix: str, held: dict[str, Any]) -> dict[str, Any]:
    subject = st.text_input(t("Subject"), held["subject"], max_chars=200, key=f"{prefix}-subject")
    forms.field_error(key, "subject")
    body = st.text_area(t("What the customer wrote"), held["body"], key=f"{prefix}-body")
    forms.field_error(key, "body")
    channels = [c.value for c in TICKET_CHANNELS]
    channel = st.selectbox(
        t("Channel"),
        channels,
        index=channels.index(held["channel"]) if held["channel"] in channels else 0,
        format_func=formatter(Channel),
        key=f"{prefix}-channel",
    )
    categories = [c.value for c in TicketCategory]
    category = st.selectbox(
        t("Category"),
        categories,
        index=categories.index(held["category"]),
        format_func=formatter(TicketCategory),
        key=f"{prefix}-category",
    )
    languages = ["", *[lang.value for lang in Language]]
    language = st.selectbox(
        t("Language"),
        languages,
        index=languages.index(held["language"]) if held["language"] in languages else 0,
        format_func=formatter(Language, t("(not known)")),
        key=f"{prefix}-language",
    )
    return {
        "subject": subject,
        "body": body,
        "channel": channel,
        "category": category,
        "language": language or None,
    }


def _merge(actor: Actor, found: TicketDetail) -> None:
    """Merge one of the customer's other open tickets, a duplicate, into this one."""
    ticket = found.ticket
    if found.other_open.empty or not ticket.status.is_open:
        return
    ids = [int(i) for i in found.other_open["id"]]
    subjects = dict(zip(ids, found.other_open["subject"], strict=True))
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    duplicate = pick.selectbox(
        t("Merge a duplicate into this ticket"),
        ids,
        format_func=lambda i: f"#{i} {subjects[i]}",
        index=None,
        key=f"{MOVE}-merge",
        placeholder=t("Choose a ticket"),
    )
    if go.button(t("Merge"), key=f"{MOVE}-merge-go") and duplicate is not None:
        read = dict(zip(ids, found.other_open["version"], strict=True))
        versions = {ticket.id: ticket.version, duplicate: int(read[duplicate])}
        _submit(
            ticket,
            lambda s: tickets.merge_ticket(s, actor, ticket.id, duplicate, versions),
            t("Merged: the duplicate is closed and points here."),
        )


def _submit(ticket: Any, action: Any, success: str) -> None:
    """One quick move; the next run draws its outcome (its error too) above the buttons."""
    _saved(ticket, MOVE, action, success)
    st.rerun()


def _saved(ticket: Any, form_key: str, action: Any, success: str) -> bool:
    """forms.submit, remembering the version this session's save gave the ticket."""
    done = forms.submit(form_key, action, success)
    if done:
        _own(ticket)
    return done


def _own(ticket: Any) -> None:
    st.session_state[OWN] = (ticket.id, ticket.version + 1)  # a save moves it on by one


def _rating(actor: Actor, found: TicketDetail) -> None:
    ticket = found.ticket
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return
    st.subheader(t("Customer satisfaction"))
    if ticket.csat is not None:
        st.metric(t("Rating"), t("{n} of 5", n=ticket.csat))
        if ticket.csat_comment:
            st.text(ticket.csat_comment)
        return
    forms.feedback(LINK)
    if st.button(t("Create a survey link"), key=f"{LINK}-make"):
        try:
            with write_scope() as session:
                token = csat.survey_token(session, actor, ticket.id, ticket.version)
            st.session_state[f"{LINK}-token"] = (ticket.id, token)
            _own(ticket)
        except CRMError as exc:
            st.error(say(exc.message))
    made = st.session_state.get(f"{LINK}-token")
    if made and made[0] == ticket.id:
        url = _public.link("survey", ticket.id, made[1])
        st.caption(t("Send this link once; it takes one rating and then closes."))
        st.code(url, language=None)
        text = quote(t("How did we do with your request #{id}? {url}", id=ticket.id, url=url))
        left, right = st.columns(2)
        left.link_button(t("Send by WhatsApp"), f"https://wa.me/?text={text}")
        subject = quote(t("Your request #{id}", id=ticket.id))
        right.link_button(t("Send by email"), f"mailto:?subject={subject}&body={text}")
    forms.feedback(RATE)
    with st.form(RATE):
        st.caption(t("Or record the rating the customer gave by phone."))
        score = st.radio(
            t("Rating"), [1, 2, 3, 4, 5], index=None, horizontal=True, key=f"{RATE}-score"
        )
        forms.field_error(RATE, "csat")
        comment = st.text_input(t("Their comment"), key=f"{RATE}-comment")
        sent = st.form_submit_button(t("Record rating"))
    if sent:
        data = {"csat": score, "comment": comment}
        _saved(
            ticket,
            RATE,
            lambda s: csat.record_rating(s, actor, ticket.id, ticket.version, data),
            t("Rating recorded."),
        )
        st.rerun()
