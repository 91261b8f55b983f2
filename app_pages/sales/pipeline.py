"""Pipeline: the board by stage (move a lead without leaving it), the list with filters,
search, sort and bulk changes, and the form for a new lead."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import streamlit as st

from app_pages.sales import _cache as sales_cache
from app_pages.sales import _views as sales_views
from crm_core.kernel.lookups import active_users
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may
from crm_core.models.enums import Entity, LeadSource, LeadStage
from crm_core.sales import leads, links, views
from crm_core.sales.pipeline import LeadFilter
from crm_core.sales.settings import SalesSettings, sales_settings
from ui import forms, nav, pickers
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, date_box_format, local_time, local_times, money, number
from ui.i18n import N_, t, tn
from ui.labels import formatter, option
from ui.plain import plain

PER_PAGE = 50
SORTS = {
    "created_at": N_("Created"),
    "value": N_("Value"),
    "expected_close": N_("Expected close"),
    "name": N_("Name"),
    "stage": N_("Stage"),
    "in_stage_since": N_("In stage since"),
}


def render() -> None:
    actor = require_page("pipeline")
    st.title(t("Pipeline"))
    mark = sales_cache.pipeline_mark()  # the total, board and list below are kept by it
    with read_scope() as session:
        settings = sales_settings(session)
        owners = dict(active_users(session))
    regions = sales_cache.lead_regions(actor, mark)
    _from_link(regions)
    left, middle, right = st.columns(3)
    with left:
        chosen = sales_views.pipeline_picker(
            settings.pipelines, "pipeline-pipeline", everything=True, everything_last=True
        )
    region = pickers.region_picker(middle, regions, "pipeline-region")
    owner = pickers.owner_picker(right, owners, "leads-owner", t("Owner"))
    whose = LeadFilter(pipeline=chosen, region=region, owner_id=owner)
    count, value = sales_cache.open_total(actor, whose, mark)
    st.caption(
        tn("{n:n} open lead", "{n:n} open leads", count)
        + " · "
        + t("open value {value}", value="–" if value is None else money(value))
    )
    forms.feedback("pipeline")
    board_tab, list_tab, new_tab = st.tabs([t("Board"), t("List"), t("New lead")])
    with board_tab:
        if chosen is None:
            st.info(t("Pick a pipeline to see its board; the list shows them all."))
        else:
            _board(actor, settings, whose, chosen, mark)
    with list_tab:
        _list(actor, settings, whose, owners, mark)
    with new_tab:
        _new_lead(actor, settings, owners)


def _from_link(regions: list[str]) -> None:
    """A link from another page (the dashboard's pipeline value: its region and owner) shows
    the open leads of every pipeline with those filters; the address is then the page's own."""
    linked = links.pipeline_from_address(st.query_params.to_dict())
    if linked is None:
        return
    if linked.region is not None and linked.region not in regions:
        regions.append(linked.region)
    st.session_state.update(
        {
            "pipeline-pipeline": None,
            "pipeline-region": linked.region,
            "leads-owner": linked.owner_id,
            "leads-open-only": linked.open_only,
            "leads-view": None,
            "leads-search": "",
            "leads-stages": [],
            "leads-sources": [],
            "leads-page": 1,
        }
    )
    for name in links.PIPELINE_KEYS:
        st.query_params.pop(name, None)


def _board(
    actor: Actor, settings: SalesSettings, whose: LeadFilter, key: str, mark: sales_cache.Mark
) -> None:
    st.caption(
        t(
            "The open leads of the pipeline by stage, biggest value first: days in the "
            "stage, owner and the next follow-up. Move one with its menu."
        )
    )
    columns = sales_cache.board(actor, key, whose, mark)
    stages = settings.stages(key)
    cells = st.columns(len(columns))
    for cell, (stage, column) in zip(cells, columns.items(), strict=True):
        cell.markdown(f"**{plain(sales_views.stage_name(stage, settings))}**")
        cell.caption(
            t("{n:n} leads · {value}", n=column["count"], value=compact_money(column["value"]))
        )
        for card in column["cards"].itertuples():
            box = cell.container(border=True)
            box.markdown(f"**{plain(card.name)}**")
            days = "–" if card.days_in_stage is None else number(card.days_in_stage)
            box.caption(
                t("{value} · {days} days in stage", value=compact_money(card.value), days=days)
            )
            box.caption(plain(card.owner or "–"))
            if card.next_follow_up is not None and card.next_follow_up == card.next_follow_up:
                box.caption(t("Next follow-up: {at}", at=local_time(card.next_follow_up)))
            if allowed(actor, Entity.LEAD, Action.UPDATE, SimpleNamespace(owner_id=card.owner_id)):
                targets = [s for s in stages if s != stage]
                to = box.selectbox(
                    t("Move to"),
                    [None, *targets],
                    key=f"board-{card.id}-{card.version}",
                    format_func=lambda s: sales_views.stage_name(s, settings),
                    label_visibility="collapsed",
                    placeholder="–",
                )
                if to is not None:
                    lead_id, version = int(card.id), int(card.version)

                    def move(s: Any, i: int = lead_id, v: int = version, to: str = to) -> None:
                        leads.move_stage(s, actor, i, v, to)

                    sales_views.submit(
                        "pipeline",
                        move,
                        t(
                            "Moved {name} to {stage}.",
                            name=plain(card.name),
                            stage=plain(sales_views.stage_name(to, settings)),
                        ),
                    )
                    st.rerun()
            if box.button(t("Open"), key=f"board-open-{card.id}"):
                nav.open_page("lead", id=int(card.id))
        if column["count"] > len(column["cards"]):
            cell.caption(t("and {n:n} more in the list", n=column["count"] - len(column["cards"])))


def _list(
    actor: Actor,
    settings: SalesSettings,
    whose: LeadFilter,
    owners: dict[int, str],
    mark: sales_cache.Mark,
) -> None:
    with read_scope() as session:
        saved = views.saved_views(session, actor)
    name = _views_bar(saved)
    search = st.text_input(
        t("Search"), placeholder=t("Part of a name, company, email or phone"), key="leads-search"
    )
    left, middle, right = st.columns(3)
    stages = left.multiselect(
        t("Stage"),
        [*(s.value for s in LeadStage), *settings.stage_names()],
        format_func=lambda s: sales_views.stage_name(s, settings),
        key="leads-stages",
        placeholder=t("All"),
    )
    sources = middle.multiselect(
        t("Source"),
        [s.value for s in LeadSource],
        format_func=formatter(LeadSource),
        key="leads-sources",
        placeholder=t("All"),
    )
    open_only = right.toggle(t("Open leads only"), key="leads-open-only")
    sort_left, sort_right, page_cell = st.columns(3)
    sort = sort_left.selectbox(
        t("Sort by"), list(SORTS), format_func=lambda s: t(SORTS[s]), key="leads-sort"
    )
    descending = sort_right.toggle(t("Largest / newest first"), value=True, key="leads-desc")
    chosen = replace(
        whose, stages=tuple(stages), sources=tuple(sources), search=search, open_only=open_only
    )
    page = int(page_cell.number_input(t("Page"), min_value=1, value=1, key="leads-page")) - 1
    _save_view(actor, name, chosen, sort, descending)
    found, total = sales_cache.lead_list(actor, chosen, (sort, descending), (page, PER_PAGE), mark)
    st.caption(tn("{n:n} lead matches.", "{n:n} leads match.", total))
    shown = found.assign(
        stage=found["stage"].map(lambda s: sales_views.stage_name(s, settings)),
        source=found["source"].map(lambda s: option(LeadSource, s)),
        value=found["value"].map(money),
        in_stage_since=local_times(found["in_stage_since"]),
        pipeline=found["pipeline"].map(lambda p: sales_views.pipeline_name(settings.pipelines, p)),
    )
    picked = st.dataframe(
        shown[
            [
                "name",
                "company",
                "stage",
                "source",
                "value",
                "expected_close",
                "owner",
                "in_stage_since",
                "pipeline",
            ]
        ],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=f"leads-table-{page}",
        column_config={
            "name": t("Lead"),
            "company": t("Company"),
            "stage": t("Stage"),
            "source": t("Source"),
            "value": t("Value"),
            "expected_close": t("Expected close"),
            "owner": t("Owner"),
            "in_stage_since": t("In stage since"),
            "pipeline": t("Pipeline"),
        },
        placeholder="–",
    )
    rows = found.iloc[picked.selection.rows] if picked else found.iloc[[]]
    if len(rows) == 1 and st.button(t("Open lead"), type="primary", key="leads-open"):
        nav.open_page("lead", id=int(rows["id"].iloc[0]))
    if len(rows) >= 1:
        _bulk(actor, settings, rows, owners)


def _apply_view(saved: dict[str, dict[str, Any]]) -> None:
    """Put the chosen view's filters into the widgets before they are drawn."""
    name = st.session_state.get("leads-view")
    if name not in saved:
        return
    chosen, sort, descending = views.view_filter(saved[name])
    st.session_state.update(
        {
            "leads-search": chosen.search,
            "leads-stages": list(chosen.stages),
            "leads-sources": list(chosen.sources),
            "leads-owner": chosen.owner_id,
            "pipeline-region": chosen.region,
            "leads-open-only": chosen.open_only,
            "leads-sort": sort,
            "leads-desc": descending,
            "leads-page": 1,
        }
    )


def _views_bar(saved: dict[str, dict[str, Any]]) -> str | None:
    left, _right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.selectbox(
        t("Saved view"),
        [None, *sorted(saved)],
        key="leads-view",
        format_func=lambda v: t("(none)") if v is None else v,
        on_change=_apply_view,
        args=(saved,),
        placeholder=t("(none)"),
    )
    return name


def _save_view(
    actor: Actor, current: str | None, chosen: LeadFilter, sort: str, desc: bool
) -> None:
    forms.feedback("leads-views")
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    name = left.text_input(t("Name of the view"), value=current or "", key="leads-view-name")
    if middle.button(t("Save view"), key="leads-view-save"):
        sales_views.submit(
            "leads-views",
            lambda s: views.save_view(s, actor, name, chosen, sort, desc),
            t("View saved."),
        )
        st.rerun()
    if current and right.button(t("Delete view"), key="leads-view-delete"):
        sales_views.submit(
            "leads-views", lambda s: views.delete_view(s, actor, current), t("View deleted.")
        )
        st.session_state.pop("leads-view", None)
        st.rerun()


def _bulk(actor: Actor, settings: SalesSettings, rows: Any, owners: dict[int, str]) -> None:
    st.markdown(tn("**Change {n:n} selected lead**", "**Change {n:n} selected leads**", len(rows)))
    picked = list(zip(rows["id"].astype(int), rows["version"].astype(int), strict=True))
    what = {"stage": t("Move to stage"), "lost": t("Mark lost")}
    if may(actor, Capability.ASSIGN_LEADS):
        what = {"owner": t("Give to owner"), **what}
    left, right, go = st.columns([1, 1, 1], vertical_alignment="bottom")
    action = left.selectbox(
        t("Change"), list(what), format_func=what.__getitem__, key="leads-bulk-what"
    )
    change: dict[str, Any]
    if action == "owner":
        change = {
            "owner_id": right.selectbox(
                t("Owner"), list(owners), format_func=owners.__getitem__, key="leads-bulk-owner"
            )
        }
    elif action == "stage":
        stage = right.selectbox(
            t("Stage"),
            [
                *(s.value for s in LeadStage if s is not LeadStage.LOST),
                *sales_views.stage_names(),
            ],
            format_func=sales_views.stage_name,
            key="leads-bulk-stage",
        )
        change = {"stage": stage}
    else:
        change = {
            "lost_reason": right.selectbox(
                t("Lost reason"), settings.lost_reasons, format_func=t, key="leads-bulk-reason"
            )
        }
    if go.button(t("Apply"), key="leads-bulk-apply"):
        sales_views.submit(
            "pipeline",
            lambda s: leads.bulk_change(s, actor, picked, **change),
            tn("Changed {n:n} lead.", "Changed {n:n} leads.", len(picked)),
        )
        st.rerun()


def _new_lead_boxes(
    actor: Actor, settings: SalesSettings, owners: dict[int, str], form_key: str, box: str
) -> dict[str, Any]:
    """The new lead's fields as typed, each box with the last try's message for it under it."""

    def error(name: str) -> None:
        forms.field_error(form_key, name)

    data: dict[str, Any] = {}
    left, right = st.columns(2)
    with left:
        data["name"] = st.text_input(t("Name"), key=f"{box}-name")
        error("name")
        data["email"] = st.text_input(t("Email"), key=f"{box}-email")
        error("email")
        data["source"] = st.selectbox(
            t("Source"),
            [s.value for s in LeadSource],
            format_func=formatter(LeadSource),
            key=f"{box}-source",
        )
        error("source")
        data["expected_close"] = st.date_input(
            t("Expected close"),
            value=None,
            key=f"{box}-expected_close",
            format=date_box_format(),
        )
        error("expected_close")
        data["pipeline"] = st.selectbox(
            t("Pipeline"),
            [p["key"] for p in settings.pipelines],
            format_func=lambda k: sales_views.pipeline_name(settings.pipelines, k),
            key=f"{box}-pipeline",
        )
        error("pipeline")
    with right:
        data["company"] = st.text_input(t("Company"), key=f"{box}-company")
        error("company")
        data["phone"] = st.text_input(t("Phone"), key=f"{box}-phone")
        error("phone")
        data["value"] = st.number_input(
            t("Value"), min_value=0.0, step=100_000.0, key=f"{box}-value"
        )
        error("value")
        data["region"] = st.text_input(t("Region"), key=f"{box}-region")
        error("region")
        if may(actor, Capability.ASSIGN_LEADS):
            data["owner_id"] = st.selectbox(
                t("Owner"),
                [None, *owners],
                format_func=lambda o: t("By the assignment rules") if o is None else owners[o],
                key=f"{box}-owner_id",
                placeholder=t("By the assignment rules"),
            )
            error("owner_id")
    data["notes"] = st.text_area(t("Notes"), key=f"{box}-notes")
    error("notes")
    return data


def _new_lead(actor: Actor, settings: SalesSettings, owners: dict[int, str]) -> None:
    form_key = "new-lead"
    forms.feedback(form_key)
    box = forms.fresh(form_key)  # a refused lead stays typed; a created one empties the form
    with st.form(box):
        data = _new_lead_boxes(actor, settings, owners, form_key, box)
        submitted = st.form_submit_button(t("Create lead"), type="primary")
    sales_views.other_errors(form_key, list(data))
    if submitted:
        data["value"] = str(data["value"])
        if sales_views.submit(
            form_key, lambda s: leads.create_lead(s, actor, data), t("Lead created.")
        ):
            forms.renew(form_key)
        st.rerun()
