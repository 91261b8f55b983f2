"""The public lead form: no sign-in, nothing but the form the manager chose; each submission
becomes a New lead from the web form, assigned by the rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages.sales import _views as sales_views
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.sales import webform
from ui.db import read_scope, write_scope
from ui.i18n import say, t
from ui.plain import plain

KEY = "web-form"
SENT = f"{KEY}-sent"


def render() -> None:
    with read_scope() as session:
        asked = webform.form_fields(session)
        company = sales_views.company_name()
    st.title(t("Talk to {company}", company=company))
    if st.session_state.get(SENT):
        st.success(t("Thank you: we will be in touch soon."))
        if st.button(t("Send another"), key=f"{KEY}-again"):
            st.session_state.pop(SENT)
            st.rerun()
        return
    st.caption(t("Tell us who you are and what you need; someone from our team replies."))
    boxes: dict[str, Callable[[], Any]] = {
        "company": lambda: st.text_input(t("Company"), key=f"{KEY}-company"),
        "email": lambda: st.text_input(t("Email"), key=f"{KEY}-email"),
        "phone": lambda: st.text_input(t("Phone"), key=f"{KEY}-phone"),
        "value": lambda: st.number_input(
            t("Budget"), min_value=0.0, value=None, step=100_000.0, key=f"{KEY}-value"
        ),
        "region": lambda: st.text_input(t("Region"), key=f"{KEY}-region"),
        "notes": lambda: st.text_area(t("What do you need?"), key=f"{KEY}-notes"),
    }
    problems: dict[str, str] = st.session_state.get(f"{KEY}-problems") or {}

    def problem(name: str) -> None:  # right under the box it is about
        if name in problems:
            st.caption(f":red[{plain(problems[name])}]")

    with st.form(KEY):
        data: dict[str, Any] = {"name": st.text_input(t("Your name"), key=f"{KEY}-name")}
        problem("name")
        for name in (n for n in asked if n in boxes):
            data[name] = boxes[name]()
            problem(name)
        with st.container(key=f"{KEY}-trap"):  # hidden from people by the CSS below
            data[webform.HONEYPOT] = st.text_input(t("Website"), key=f"{KEY}-{webform.HONEYPOT}")
        sent = st.form_submit_button(t("Send"), type="primary")
    st.html(f"<style>.st-key-{KEY}-trap {{display: none;}}</style>")
    for field in (f for f in problems if f not in data):  # a field the form has no box for
        st.caption(f":red[{plain(sales_views.field_label(field))}: {plain(problems[field])}]")
    if sent:
        _send(data)


def _send(data: dict[str, Any]) -> None:
    sender = st.context.ip_address or "unknown"
    if data.get("value") is not None:
        data["value"] = str(data["value"])
    try:
        with write_scope() as session:
            webform.submit_web_form(session, data, sales_views.sent_last_hour(sender))
    except ValidationError as exc:
        st.session_state[f"{KEY}-problems"] = {f: say(m) for f, m in exc.field_errors.items()}
        st.rerun()
    except CRMError as exc:
        st.error(say(exc.message))
        return
    sales_views.note_sent(sender)
    sales_views.clear_caches()
    st.session_state.pop(f"{KEY}-problems", None)
    st.session_state[SENT] = True
    st.rerun()
