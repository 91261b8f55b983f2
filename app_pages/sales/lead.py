"""One lead: its details and edit form, the stage move, lost with a reason, reopen, convert
into a customer (or link to the likely duplicate), its history, touchpoints and follow-ups."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import streamlit as st

from app_pages.sales import _views as sales_views
from crm_core.kernel.errors import CRMError
from crm_core.kernel.lookups import active_users, user_name
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may, sees_amounts
from crm_core.models import Lead
from crm_core.models.enums import Channel, Direction, Entity, LeadSource, LeadStage
from crm_core.sales import leads, pipeline
from crm_core.sales.settings import SalesSettings, is_open, sales_settings
from ui import forms, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import date_box_format, local_times, money
from ui.i18n import say, t
from ui.labels import formatter, option
from ui.plain import plain


def render() -> None:
    actor = require_page("lead")
    raw = st.query_params.get("id")
    if not raw or not raw.isdigit():
        st.title(t("Lead"))
        st.info(t("Open a lead from the Pipeline or the Lead funnel."))
        nav.link("pipeline", t("Go to Pipeline"))
        return
    try:
        with read_scope() as session:
            lead = leads.get_lead(session, actor, int(raw))
            settings = sales_settings(session)
            owner = user_name(session, lead.owner_id)
            history = pipeline.history(session, lead.id)
            follow_ups = pipeline.follow_ups(session, actor, lead.id)
            touches = pipeline.touchpoints(session, lead)
            owners = dict(active_users(session))
            session.expunge(lead)
    except CRMError as exc:
        st.error(say(exc.message))
        return
    st.title(plain(lead.name))
    st.caption(
        t(
            "{stage} · {value} · owner {owner} · {pipeline}",
            stage=sales_views.stage_name(lead.stage, settings),
            value=money(lead.value) if sees_amounts(actor, lead.owner_id) else "–",
            owner=plain(owner or "–"),
            pipeline=sales_views.pipeline_name(settings.pipelines, lead.pipeline),
        )
    )
    forms.offer_latest(f"lead-{lead.id}")
    may_edit = allowed(actor, Entity.LEAD, Action.UPDATE, lead)
    if may_edit:
        _stage_actions(actor, lead, settings)
    left, right = st.columns([3, 2], gap="large")
    with left:
        _details(actor, lead, settings, owners, may_edit)
    with right:
        _history(history)
        _follow_ups(actor, lead, follow_ups, may_edit)
        _touchpoints(touches)


def _stage_actions(actor: Actor, lead: Lead, settings: SalesSettings) -> None:
    key = f"lead-{lead.id}"
    if is_open(lead.stage):
        stages = [s for s in settings.stages(lead.pipeline) if s != lead.stage]
        following = settings.next_stage(lead.pipeline, lead.stage)
        left, middle, right = st.columns(3, vertical_alignment="bottom")
        to = left.selectbox(
            t("Move to stage"),
            stages,
            index=stages.index(following) if following in stages else 0,
            format_func=lambda s: sales_views.stage_name(s, settings),
            key=f"{key}-to",
        )
        if middle.button(t("Move"), type="primary", key=f"{key}-move"):
            sales_views.submit(
                key,
                lambda s: leads.move_stage(s, actor, lead.id, lead.version, to),
                t("Moved to {stage}.", stage=plain(sales_views.stage_name(to, settings))),
            )
            st.rerun()
        with right.popover(t("Mark lost")):
            reason = st.selectbox(
                t("Lost reason"), settings.lost_reasons, format_func=t, key=f"{key}-reason"
            )
            note = st.text_area(t("What happened (optional)"), key=f"{key}-note")
            if st.button(t("Mark lost"), key=f"{key}-lost"):
                sales_views.submit(
                    key,
                    lambda s: leads.mark_lost(s, actor, lead.id, lead.version, reason, note),
                    t("Marked lost."),
                )
                st.rerun()
        return
    if lead.stage == LeadStage.LOST:
        st.info(t("Lost: {reason}", reason=t(lead.lost_reason or "No reason given")))
        if lead.lost_note:
            st.text(lead.lost_note)
    if lead.converted_customer_id is not None:
        st.success(t("Converted into a customer."))
        nav.link("customer", t("Open the customer's 360"), id=lead.converted_customer_id)
        return
    left, right = st.columns(2)
    if left.button(t("Reopen"), key=f"{key}-reopen"):
        sales_views.submit(
            key, lambda s: leads.reopen(s, actor, lead.id, lead.version), t("Reopened.")
        )
        st.rerun()
    if lead.stage == LeadStage.WON:
        _convert(actor, lead, right)


def _convert(actor: Actor, lead: Lead, cell: Any) -> None:
    key = f"lead-{lead.id}"
    duplicates = st.session_state.get(f"{key}-duplicates") or []
    if cell.button(t("Convert into a customer"), type="primary", key=f"{key}-convert"):
        outcome: dict[str, Any] = {}

        def convert(s: Any) -> None:
            try:
                outcome["id"] = leads.convert_lead(s, actor, lead.id, lead.version)
            except CRMError as exc:
                matches = getattr(exc, "matches", None)
                if matches:
                    st.session_state[f"{key}-duplicates"] = [
                        (m.customer_id, m.name) for m in matches
                    ]
                raise

        if sales_views.submit(key, convert, t("Converted into a customer.")):
            nav.open_page("customer", id=outcome["id"])
        st.rerun()
    if duplicates:
        st.warning(t("A customer like this one exists already: link the lead to it instead."))
        chosen = st.selectbox(
            t("Customer"), duplicates, key=f"{key}-match", format_func=lambda m: f"#{m[0]} {m[1]}"
        )
        if st.button(t("Link to this customer"), key=f"{key}-link"):
            done = sales_views.submit(
                key,
                lambda s: leads.convert_lead(
                    s, actor, lead.id, lead.version, customer_id=int(chosen[0])
                ),
                t("Linked to the customer."),
            )
            if done:
                st.session_state.pop(f"{key}-duplicates", None)
                nav.open_page("customer", id=int(chosen[0]))
            st.rerun()


def _details(
    actor: Actor, lead: Lead, settings: SalesSettings, owners: dict[int, str], may_edit: bool
) -> None:
    st.subheader(t("Details"))
    key = f"lead-{lead.id}-form"
    version, values = forms.pinned(key, lead.version, leads.form_values(lead))
    prefix = f"lead-{lead.id}-v{version}"
    if lead.owner_id is not None and lead.owner_id not in owners:
        owners = {**owners, lead.owner_id: "#" + str(lead.owner_id)}
    form_key = f"lead-{lead.id}"
    with st.form(prefix):
        data = _detail_boxes(actor, lead, values, owners, form_key, prefix)
        saved = st.form_submit_button(t("Save"), disabled=not may_edit)
    sales_views.other_errors(form_key, list(data))
    if saved:
        if "value" in data:
            data["value"] = str(data["value"])
        if sales_views.submit(
            form_key,
            lambda s: leads.update_lead(s, actor, lead.id, version, data),
            t("Lead saved."),
        ):
            forms.unpin(key)
        st.rerun()
    st.caption(t("Created {d:date}", d=lead.created_at))


def _detail_boxes(
    actor: Actor,
    lead: Lead,
    values: dict[str, Any],
    owners: dict[int, str],
    form_key: str,
    prefix: str,
) -> dict[str, Any]:
    """The lead's fields as typed, each box with the last save's message for it under it."""

    def error(name: str) -> None:
        forms.field_error(form_key, name)

    sources = [s.value for s in LeadSource]
    data: dict[str, Any] = {}
    left, right = st.columns(2)
    with left:
        data["name"] = st.text_input(t("Name"), values["name"], key=f"{prefix}-name")
        error("name")
        data["email"] = st.text_input(t("Email"), values["email"] or "", key=f"{prefix}-email")
        error("email")
        data["source"] = st.selectbox(
            t("Source"),
            sources,
            index=sources.index(str(values["source"])),
            format_func=formatter(LeadSource),
            key=f"{prefix}-source",
        )
        error("source")
        data["expected_close"] = st.date_input(
            t("Expected close"),
            values["expected_close"],
            key=f"{prefix}-expected_close",
            format=date_box_format(),
        )
        error("expected_close")
        if may(actor, Capability.ASSIGN_LEADS):
            ids = list(owners)
            data["owner_id"] = st.selectbox(
                t("Owner"),
                ids,
                index=ids.index(values["owner_id"]) if values["owner_id"] in ids else 0,
                format_func=owners.__getitem__,
                key=f"{prefix}-owner_id",
            )
            error("owner_id")
    with right:
        data["company"] = st.text_input(
            t("Company"), values["company"] or "", key=f"{prefix}-company"
        )
        error("company")
        data["phone"] = st.text_input(t("Phone"), values["phone"] or "", key=f"{prefix}-phone")
        error("phone")
        data["region"] = st.text_input(t("Region"), values["region"] or "", key=f"{prefix}-region")
        error("region")
        if sees_amounts(actor, lead.owner_id):  # who may not read the value keeps it as it is
            data["value"] = st.number_input(
                t("Value"),
                min_value=0.0,
                value=float(values["value"]),
                step=100_000.0,
                key=f"{prefix}-value",
            )
            error("value")
    data["notes"] = st.text_area(t("Notes"), values["notes"] or "", key=f"{prefix}-notes")
    error("notes")
    return data


def _history(history: Any) -> None:
    st.subheader(t("Stage history"))
    shown = history.assign(
        at=local_times(history["at"]),
        **{c: history[c].map(sales_views.stage_name) for c in ("from", "to")},
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={"at": t("When"), "from": t("From"), "to": t("To"), "by": t("By")},
        placeholder="–",
    )


def _follow_ups(actor: Actor, lead: Lead, frame: Any, may_edit: bool) -> None:
    st.subheader(t("Follow-ups"))
    if frame.empty:
        st.caption(t("No follow-ups yet."))
    else:
        shown = frame.assign(due_at=local_times(frame["due_at"]), done=frame["done_at"].notna())
        st.dataframe(
            shown[["due_at", "title", "owner", "done"]],
            hide_index=True,
            width="stretch",
            column_config={
                "due_at": t("Due"),
                "title": t("Follow-up"),
                "owner": t("Owner"),
                "done": t("Done"),
            },
            placeholder="–",
        )
    if not may_edit:
        return
    key = f"lead-{lead.id}-follow-up"
    prefix = forms.fresh(key)
    forms.feedback(key)
    with st.form(prefix):
        title = st.text_input(t("Follow-up"), key=f"{prefix}-title")
        forms.field_error(key, "title")
        day = st.date_input(
            t("Due"),
            value=sales_views.today() + timedelta(days=1),
            key=f"{prefix}-day",
            format=date_box_format(),
        )
        forms.field_error(key, "due_at")
        added = st.form_submit_button(t("Add follow-up"))
    sales_views.other_errors(key, ["title", "due_at"])
    if added:
        due = datetime.combine(day, time(9, 0))
        data = {"lead_id": lead.id, "title": title, "due_at": sales_views.local_to_utc(due)}
        if sales_views.submit(
            key, lambda s: pipeline.add_follow_up(s, actor, data), t("Follow-up added.")
        ):
            forms.renew(key)
        st.rerun()


def _touchpoints(frame: Any) -> None:
    st.subheader(t("Touchpoints"))
    if frame.empty:
        st.caption(t("Touchpoints appear here once the lead is linked to a customer."))
        return
    shown = frame.assign(
        occurred_at=local_times(frame["occurred_at"]),
        channel=frame["channel"].map(lambda c: option(Channel, c)),
        direction=frame["direction"].map(lambda d: option(Direction, d)),
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "occurred_at": t("When"),
            "channel": t("Channel"),
            "direction": t("Direction"),
            "subject": t("Subject"),
            "by": t("By"),
        },
        placeholder="–",
    )
