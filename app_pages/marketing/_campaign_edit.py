"""The campaign page's edit form: every field of a draft; once launched, only the name, the
budget and (while it runs) the end date, the rest shown but locked, with why."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core.kernel.permissions import Actor
from crm_core.marketing import segments
from crm_core.marketing.campaign_edits import edit_campaign, edit_form, editable
from crm_core.models.enums import CampaignStatus, Channel
from ui import forms
from ui.db import read_scope
from ui.format import date_box_format
from ui.i18n import t
from ui.labels import formatter

EDIT_FORM = "campaign-edit"


def edit(actor: Actor, campaign_id: int) -> None:
    """An expander with the campaign's edit form, pinned to the version first read."""
    key = f"{EDIT_FORM}-{campaign_id}"
    with read_scope() as session:
        current, status, version = edit_form(session, actor, campaign_id)
        saved = segments.list_segments(session, actor)
    version, values = forms.pinned(key, version, current)
    free = editable(status)
    with st.expander(t("Edit campaign")):
        if free is not None:
            st.caption(
                t("Launched: the segment, channel, variants, start and test design stay as "
                  "they were, so the test measures what it was planned to.")
                if status is CampaignStatus.RUNNING else
                t("Finished: only the name and the budget (what was spent) can change.")
            )  # fmt: skip
        forms.offer_latest(key)
        typed = _widgets(campaign_id, values, saved, free)
        pressed = st.button(t("Save changes"), key=f"ce_{campaign_id}_save", type="primary")
    if pressed:
        data = typed if free is None else {k: v for k, v in typed.items() if k in free}
        if forms.submit(key, lambda s: edit_campaign(s, actor, campaign_id, version, data),
                        t("Campaign saved.")):  # fmt: skip
            forms.unpin(key)
        st.rerun()


def _widgets(
    campaign_id: int, values: dict[str, Any], saved: Any, free: frozenset[str] | None
) -> dict[str, Any]:
    def locked(field: str) -> bool:
        return free is not None and field not in free

    key = f"{EDIT_FORM}-{campaign_id}"
    prefix = f"ce_{campaign_id}_"
    names = dict(zip(saved["id"], saved["name"], strict=True))
    if values["segment_id"] not in names:
        names[values["segment_id"]] = "–"
    typed: dict[str, Any] = {}
    typed["name"] = st.text_input(t("Campaign name"), values["name"], key=prefix + "name")
    forms.field_error(key, "name")
    typed["segment_id"] = st.selectbox(
        t("Segment"), list(names), index=list(names).index(values["segment_id"]),
        format_func=names.__getitem__, disabled=locked("segment_id"), key=prefix + "segment",
    )  # fmt: skip
    forms.field_error(key, "segment_id")
    channels = list(Channel)
    typed["channel"] = st.selectbox(
        t("Channel"), channels, index=channels.index(Channel(values["channel"])),
        format_func=formatter(Channel), disabled=locked("channel"), key=prefix + "channel",
    )  # fmt: skip
    typed["variants"] = st.text_input(
        t("Variants, separated by commas"), ", ".join(values["variants"]),
        disabled=locked("variants"), key=prefix + "variants",
    )  # fmt: skip
    forms.field_error(key, "variants")
    typed["starts_on"] = st.date_input(
        t("Starts on"),
        values["starts_on"],
        disabled=locked("starts_on"),
        key=prefix + "start",
        format=date_box_format(),
    )
    typed["ends_on"] = st.date_input(t("Ends on"), values["ends_on"], disabled=locked("ends_on"),
                                     key=prefix + "end", format=date_box_format())  # fmt: skip
    forms.field_error(key, "ends_on")
    typed["budget"] = str(round(st.number_input(
        t("Budget"), 0.0, 1e12, float(values["budget"]), step=100_000.0, key=prefix + "budget"
    ), 2))  # fmt: skip
    forms.field_error(key, "budget")
    typed["attribution_days"] = st.number_input(
        t("Orders count as the campaign's up to this many days after it ends"), 0, 365,
        int(values.get("attribution_days", 14)), disabled=locked("attribution_days"),
        key=prefix + "days",
    )  # fmt: skip
    forms.field_error(key, "attribution_days")
    return typed
