"""The customer's page of one ticket, opened from their reply link: the request, our replies
(never an internal note) and their own messages, and a box to answer; nothing else of the
CRM (no sign-in: the link itself is the key)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core.models.enums import TicketStatus
from crm_core.service import public
from crm_core.service.public import Conversation
from ui import cache, forms, nav
from ui.db import read_scope
from ui.format import when
from ui.i18n import t
from ui.labels import option
from ui.plain import plain

FORM = "reply"


def render() -> None:
    st.title(t("Your request"))
    raw, token = st.query_params.get("ticket", ""), st.query_params.get("token", "")
    with read_scope() as session:
        found = public.conversation(session, int(raw), token) if raw.isdigit() else None
    if found is None:
        st.info(t("This link is no longer valid: a newer one replaced it, or it was mistyped."))
        return
    company = cache.team_settings().company_name
    st.subheader(f"#{found.ticket_id} {plain(found.subject)}")
    st.caption(t("Status: {status}", status=option(TicketStatus, found.status)))
    _messages(found, company)
    if not found.open_to_replies:
        st.info(t("This request is closed. For anything new, send us a new request."))
        nav.link("support-request", t("Contact support"))
        return
    _answer(found, raw, token)


def _messages(found: Conversation, company: str) -> None:
    if found.body:
        with st.container(border=True):
            st.caption(t("You wrote, {at}", at=when(found.created_at)))
            st.text(found.body)
    row: Any
    for row in found.messages.itertuples():
        with st.container(border=True):
            if row.from_customer:
                st.caption(t("You wrote, {at}", at=when(row.at)))
            else:
                who = t("{name} of {company}", name=row.by or "", company=company)
                st.caption(t("{who}, {at}", who=plain(who), at=when(row.at)))
            st.text(row.body or "")


def _answer(found: Conversation, raw: str, token: str) -> None:
    forms.feedback(FORM)
    if st.session_state.pop(f"{FORM}-sent", False):
        st.session_state[f"{FORM}-body"] = ""  # emptied once sent, and only then
    # not clear_on_submit: a refused message (the hourly limit, say) stays as typed
    with st.form(FORM):
        body = st.text_area(t("Your answer"), max_chars=5000, key=f"{FORM}-body")
        forms.field_error(FORM, "body")
        sent = st.form_submit_button(t("Send"), type="primary")
    if sent:
        if forms.submit(
            FORM,
            lambda s: public.reply_by_link(s, int(raw), token, body),
            t("Sent: our team sees your message."),
        ):
            st.session_state[f"{FORM}-sent"] = True
        st.rerun()
