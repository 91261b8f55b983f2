"""The customer's satisfaction survey, opened from a single-use link: 1 to 5 and a comment,
and nothing else of the CRM (no sign-in: the link itself is the key)."""

from __future__ import annotations

import streamlit as st

from crm_core.service import csat
from ui import cache, forms
from ui.db import read_scope
from ui.i18n import t
from ui.plain import plain

FORM = "survey"


def render() -> None:
    st.title(t("How did we do?"))
    raw, token = st.query_params.get("ticket", ""), st.query_params.get("token", "")
    if st.session_state.get(f"{FORM}-done"):
        st.success(t("Thank you! Your rating has reached the team."))
        return
    with read_scope() as session:
        usable = raw.isdigit() and bool(token) and csat.survey_open(session, int(raw), token)
    if not usable:
        st.info(t("This survey link is no longer valid: it was used already or replaced."))
        return
    company = cache.team_settings().company_name
    st.caption(
        t(
            "{company} asks how satisfied you are with the answer to your request.",
            company=plain(company),
        )
    )
    forms.feedback(FORM)
    with st.form(FORM):
        score = st.radio(
            t("Your rating (1 = very unsatisfied, 5 = very satisfied)"),
            [1, 2, 3, 4, 5],
            index=None,
            horizontal=True,
            key=f"{FORM}-score",
        )
        forms.field_error(FORM, "csat")
        comment = st.text_area(t("Anything you want to tell us (optional)"), key=f"{FORM}-comment")
        sent = st.form_submit_button(t("Send"), type="primary")
    if sent:
        data = {"csat": score, "comment": comment}
        if forms.submit(FORM, lambda s: csat.rate_by_link(s, int(raw), token, data), t("Thanks!")):
            st.session_state[f"{FORM}-done"] = True
        st.rerun()  # either way: the outcome is drawn above the form, by the next run
