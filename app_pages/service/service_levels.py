"""Service levels: the first-response and resolution targets per priority, in working hours,
that every new ticket's due times are set from, and a value tier's own targets where a manager
wants them (the others of that tier follow the defaults); a manager changes them."""

from __future__ import annotations

import streamlit as st

from crm_core.analytics.value_tiers import ValueTier
from crm_core.models.enums import Priority
from crm_core.service import sla
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.i18n import t
from ui.labels import option

FORM = "service-levels"
DEFAULTS = ""  # the scope picker's choice for the targets every customer follows


def render() -> None:
    actor = require_page("service-levels")
    st.title(t("Service levels"))
    st.caption(
        t(
            "Targets in working hours: only the team's open hours count, and no public holiday or "
            "company day off. A new ticket's due times are set from its priority's targets; a "
            "priority change moves them. Tickets already open keep theirs until then."
        )
    )
    with read_scope() as session:
        policy, version = sla.sla_policy(session), sla.policy_version(session)
    tier = st.selectbox(
        t("Targets for"),
        [DEFAULTS, *[v.value for v in ValueTier]],
        format_func=lambda v: t("Every customer (the defaults)") if not v else option(ValueTier, v),
        key=f"{FORM}-tier",
    )
    if tier:
        st.caption(
            t(
                "A tier's own targets apply to the tickets of customers in that tier when the "
                "ticket is created; a priority without its own target follows the default."
            )
        )
    forms.feedback(FORM)
    with st.form(f"{FORM}{_slug(tier)}"):
        data = _rows(policy, tier or None)
        sent = st.form_submit_button(t("Save"), type="primary")
    if sent:
        forms.submit(
            FORM, lambda s: sla.save_policy(s, actor, version, data, tier or None), t("Saved.")
        )
        st.rerun()


def _rows(policy: sla.SlaPolicy, tier: str | None) -> dict[Priority, dict[str, int] | None]:
    """One row per priority (the most urgent first): its two targets in hours, and for a
    tier whether it has its own. Returns what to save, in working minutes."""
    typed: dict[Priority, dict[str, int] | None] = {}
    scope = _slug(tier)
    for priority in reversed(list(Priority)):
        target = policy.target(priority, tier)
        label, own, fr, res = st.columns([2, 2, 3, 3], vertical_alignment="bottom")
        label.markdown(f"**{option(Priority, priority)}**")
        keep = True
        if tier:
            keep = own.checkbox(
                t("Own target"),
                value=policy.has_own(priority, tier),
                key=f"{FORM}{scope}-{priority}-own",
            )
        first = fr.number_input(
            t("First response (hours)"),
            0.25,
            720.0,
            target.first_response_minutes / 60,
            0.25,
            key=f"{FORM}{scope}-{priority}-fr",
        )
        resolution = res.number_input(
            t("Resolution (hours)"),
            0.25,
            1440.0,
            target.resolution_minutes / 60,
            0.25,
            key=f"{FORM}{scope}-{priority}-res",
        )
        typed[priority] = (
            {
                "first_response_minutes": round(first * 60),
                "resolution_minutes": round(resolution * 60),
            }
            if keep
            else None
        )
    return typed


def _slug(tier: str | None) -> str:
    """The widget keys' part naming the scope: none for the defaults, "-most-valuable"..."""
    return "" if not tier else "-" + tier.lower().replace(" ", "-")
