"""Sales settings (managers): the pipelines with their stages, win probabilities and usual
days, the lost reasons, how new leads are assigned, the web form's fields, and the follow-ups
for stalled leads."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages.sales import _views as sales_views
from crm_core.kernel.lookups import active_users
from crm_core.models.enums import AssignmentRule, LeadSource
from crm_core.sales import pipeline
from crm_core.sales.settings import (
    BUILT_IN,
    FORM_FIELDS,
    OPEN_STAGES,
    SalesSettings,
    read_sales_settings,
)
from crm_core.sales.settings import update_sales_settings as save
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import when
from ui.i18n import t, tn
from ui.labels import field, formatter, option

KEY = "sales-settings"


def render() -> None:
    actor = require_page("sales-settings")
    st.title(t("Sales settings"))
    with read_scope() as session:
        saved = read_sales_settings(session)
        users = dict(active_users(session))
    settings = saved.settings
    if saved.changed_at is not None:
        st.caption(
            t("Last saved {at} by {who}.", at=when(saved.changed_at), who=saved.changed_by or "–")
        )
    forms.offer_latest(KEY)
    version, _ = forms.pinned(KEY, saved.version, {})
    changed: dict[str, Any] = {}
    changed["pipelines"] = _pipelines(settings)
    changed["lost_reasons"] = _lost_reasons(settings)
    changed |= _assignment(settings, users)
    changed |= _web_form(settings)
    for name in ("pipelines", "lost_reasons", "assignment_pool", "form_fields"):
        forms.field_error(KEY, name)
    if st.button(t("Save sales settings"), type="primary", key=f"{KEY}-save"):
        if sales_views.submit(
            KEY, lambda s: save(s, actor, version, changed), t("Sales settings saved.")
        ):
            forms.unpin(KEY)
        st.rerun()
    _stalled(actor)


def _pipelines(settings: SalesSettings) -> list[dict[str, Any]]:
    st.subheader(t("Pipelines"))
    st.caption(
        t(
            "Each pipeline's open stages in the order of the Position column, the probability "
            "that a lead in the stage is won (the weighted forecast) and the days a lead "
            "usually stays in it (longer and its owner gets a follow-up). Untick a stage to "
            "skip it. Add a stage of your own in the empty last row: type its name; built-in "
            "stages keep their translated names."
        )
    )
    return [_pipeline(settings, p) for p in settings.pipelines]


def _pipeline(settings: SalesSettings, p: dict[str, Any]) -> dict[str, Any]:
    name = st.text_input(
        t("Name"),
        sales_views.pipeline_name(settings.pipelines, p["key"]),
        key=f"{KEY}-name-{p['key']}",
    )
    keys = [s["stage"] for s in p["stages"]]
    spare = [
        {"stage": s.value, "probability": s.probability, "usual_days": 14}
        for s in OPEN_STAGES
        if s.value not in keys
    ]
    frame = pd.DataFrame(
        [
            {
                "use": i < len(keys),
                "order": i + 1,
                "stage": s["stage"],
                "name": sales_views.stage_name(s["stage"], settings),
                "probability": float(s["probability"]),
                "usual_days": int(s["usual_days"]),
            }
            for i, s in enumerate([*p["stages"], *spare])
        ]
    )
    edited = st.data_editor(
        frame,
        hide_index=True,
        num_rows="dynamic",
        key=f"{KEY}-stages-{p['key']}",
        column_config={
            "use": st.column_config.CheckboxColumn(t("In the pipeline"), default=True),
            "order": st.column_config.NumberColumn(t("Position"), min_value=1, step=1),
            "stage": None,
            "name": st.column_config.TextColumn(t("Stage"), max_chars=40),
            "probability": st.column_config.NumberColumn(
                t("Win probability"), min_value=0.0, max_value=1.0, step=0.05
            ),
            "usual_days": st.column_config.NumberColumn(t("Usual days"), min_value=1, step=1),
        },
        placeholder="–",
    )
    return {"key": p["key"], "name": name, "stages": _stages(edited)}


def _stages(edited: pd.DataFrame) -> list[dict[str, Any]]:
    """The ticked rows in their order: a built-in or custom stage by its key, a new row by
    the name typed in it."""
    rows = edited.assign(position=range(len(edited)))
    rows = rows[rows["use"].fillna(True).astype(bool)]
    rows = rows.assign(order=pd.to_numeric(rows["order"], errors="coerce").fillna(10_000))
    stages = []
    for row in rows.sort_values(["order", "position"]).to_dict("records"):
        key = row["stage"] if isinstance(row["stage"], str) else ""
        typed = row["name"] if isinstance(row["name"], str) else ""
        if not key and not typed.strip():
            continue  # an empty row left by the editor
        stages.append(
            {
                "stage": key,
                "name": typed if key not in BUILT_IN else None,
                "probability": float(
                    row["probability"] if row["probability"] == row["probability"] else 0.5
                ),
                "usual_days": int(
                    row["usual_days"] if row["usual_days"] == row["usual_days"] else 14
                ),
            }
        )
    return stages


def _number(value: Any, blank: float) -> float:
    """A cell of the editor (a row just added has blanks)."""
    return blank if value is None or pd.isna(value) else float(value)


def _lost_reasons(settings: SalesSettings) -> list[str]:
    st.subheader(t("Lost reasons"))
    text = st.text_area(
        t("One reason per line"), "\n".join(settings.lost_reasons), key=f"{KEY}-reasons"
    )
    return [line.strip() for line in text.splitlines() if line.strip()]


def _assignment(settings: SalesSettings, users: dict[int, str]) -> dict[str, Any]:
    st.subheader(t("Assigning new leads"))
    st.caption(
        t(
            "A new lead without an owner (from the web form, or created without one) goes "
            "to the user its region or source names, else round robin over the pool."
        )
    )
    rules = [r.value for r in AssignmentRule]
    rule = st.selectbox(
        t("Rule"),
        rules,
        index=rules.index(settings.assignment_rule),
        format_func=formatter(AssignmentRule),
        key=f"{KEY}-rule",
    )
    pool = st.multiselect(
        t("Round-robin pool"),
        list(users),
        default=[u for u in settings.assignment_pool if u in users],
        format_func=users.__getitem__,
        key=f"{KEY}-pool",
        placeholder=t("Choose options"),
    )
    regions = st.data_editor(
        pd.DataFrame(
            {
                "region": list(settings.by_region),
                "user": [users.get(u, "") for u in settings.by_region.values()],
            },
            columns=["region", "user"],
        ),
        num_rows="dynamic",
        hide_index=True,
        key=f"{KEY}-regions",
        column_config={
            "region": t("Region"),
            "user": st.column_config.SelectboxColumn(t("Goes to"), options=list(users.values())),
        },
        placeholder="–",
    )
    by_name = {name: uid for uid, name in users.items()}
    sources = {}
    with st.expander(t("By source")):
        for source in LeadSource:
            current = settings.by_source.get(source.value)
            picked = st.selectbox(
                option(LeadSource, source.value),
                [None, *users],
                index=[None, *users].index(current) if current in users else 0,
                format_func=lambda u: "–" if u is None else users[u],
                key=f"{KEY}-source-{source.value}",
                placeholder="–",
            )
            if picked is not None:
                sources[source.value] = picked
    by_region = {
        str(r["region"]).strip(): by_name[str(r["user"])]
        for r in regions.to_dict("records")
        if isinstance(r["region"], str) and r["region"].strip() and r["user"] in by_name
    }
    return {
        "assignment_rule": rule,
        "assignment_pool": pool,
        "by_region": by_region,
        "by_source": sources,
    }


def _web_form(settings: SalesSettings) -> dict[str, Any]:
    st.subheader(t("Web form"))
    st.caption(
        t(
            "What the public lead form asks besides the name, and how many submissions "
            "one visitor may send per hour. Visitors who are not signed in open it at the "
            "address of this app followed by /lead-form."
        )
    )
    fields = st.multiselect(
        t("Fields"),
        list(FORM_FIELDS),
        default=settings.form_fields,
        format_func=field,
        key=f"{KEY}-fields",
        placeholder=t("Choose options"),
    )
    per_hour = st.number_input(
        t("Submissions per hour"), min_value=1, value=settings.form_per_hour, key=f"{KEY}-per-hour"
    )
    return {"form_fields": fields, "form_per_hour": int(per_hour)}


def _stalled(actor: Any) -> None:
    st.subheader(t("Stalled leads"))
    st.caption(
        t(
            "Give each open lead that stays in its stage longer than the stage's usual "
            "days a follow-up for its owner, due now (once: not while one is open)."
        )
    )
    forms.feedback(f"{KEY}-stalled")
    if st.button(t("Create follow-ups for stalled leads"), key=f"{KEY}-stalled"):
        made: dict[str, int] = {}

        def run(s: Any) -> None:
            made["n"] = pipeline.follow_up_stalled(s, actor)

        if sales_views.submit(f"{KEY}-stalled", run, t("Done.")):
            st.session_state[f"{KEY}-made"] = made["n"]
        st.rerun()
    if f"{KEY}-made" in st.session_state:
        n = st.session_state.pop(f"{KEY}-made")
        st.success(tn("Created {n:n} follow-up.", "Created {n:n} follow-ups.", n))
