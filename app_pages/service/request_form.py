"""The public support form: no sign-in; a customer writes who they are and their request, it
becomes a ticket from the web, and they get the link to follow it and answer our replies."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.service import _public
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.models.enums import TicketCategory
from crm_core.service import public
from ui import cache
from ui.db import write_scope
from ui.i18n import N_, language, say, t
from ui.labels import formatter
from ui.plain import plain

KEY = "support-form"
SENT = f"{KEY}-sent"
LABELS = {
    "name": N_("Your name"), "email": N_("Email"), "phone": N_("Phone (optional)"),
    "category": N_("About"), "subject": N_("Subject"), "body": N_("Your message"),
}  # fmt: skip


def render() -> None:
    company = cache.team_settings().company_name
    st.title(t("Contact {company} support", company=plain(company)))
    sent = st.session_state.get(SENT)
    if sent:
        _sent(*sent)
        return
    st.caption(t("Tell us what happened; someone from our team replies, in working hours."))
    with st.form(KEY):
        data: dict[str, Any] = {
            "name": st.text_input(_label("name"), max_chars=120, key=f"{KEY}-name"),
            "email": st.text_input(_label("email"), max_chars=254, key=f"{KEY}-email"),
            "phone": st.text_input(_label("phone"), max_chars=40, key=f"{KEY}-phone"),
            "category": st.selectbox(
                _label("category"),
                [c.value for c in TicketCategory],
                index=[c.value for c in TicketCategory].index(TicketCategory.OTHER.value),
                format_func=formatter(TicketCategory),
                key=f"{KEY}-category",
            ),
            "subject": st.text_input(_label("subject"), max_chars=200, key=f"{KEY}-subject"),
            "body": st.text_area(_label("body"), max_chars=5000, key=f"{KEY}-body"),
        }
        data["language"] = language()  # the customer writes in the page's language
        with st.container(key=f"{KEY}-trap"):  # hidden from people by the CSS below
            data[public.HONEYPOT] = st.text_input(t("Website"), key=f"{KEY}-{public.HONEYPOT}")
        clicked = st.form_submit_button(t("Send"), type="primary")
    st.html(f"<style>.st-key-{KEY}-trap {{display: none;}}</style>")
    for field, problem in (st.session_state.get(f"{KEY}-problems") or {}).items():
        name = _label(field) if field in LABELS else field
        st.caption(f":red[{plain(name)}: {plain(problem)}]")
    if clicked:
        _send(data)


def _label(field: str) -> str:
    return t(LABELS[field])


def _send(data: dict[str, Any]) -> None:
    sender = st.context.ip_address or "unknown"
    try:
        with write_scope() as session:
            made = public.submit_request(session, data, _public.sent_last_hour(sender))
    except ValidationError as exc:
        st.session_state[f"{KEY}-problems"] = {f: say(m) for f, m in exc.field_errors.items()}
        st.rerun()
    except CRMError as exc:
        st.error(say(exc.message))
        return
    _public.note_sent(sender)
    st.session_state.pop(f"{KEY}-problems", None)
    # A bot (the honeypot filled) is thanked like anyone, and gets no link.
    st.session_state[SENT] = (made.ticket_id, made.token) if made else (None, None)
    st.rerun()


def _sent(ticket_id: int | None, token: str | None) -> None:
    st.success(t("Thank you: your request has reached our team."))
    if ticket_id is not None and token is not None:
        url = _public.link("reply", ticket_id, token)
        st.write(t("Your request number is #{id}.", id=ticket_id))
        st.caption(t("Keep this link: it shows our replies and takes your answers."))
        st.code(url, language=None)
        st.link_button(t("Open your request"), url)
    if st.button(t("Send another request"), key=f"{KEY}-again"):
        st.session_state.pop(SENT)
        st.rerun()
