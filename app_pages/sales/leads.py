"""Lead funnel: which sources, owners or campaigns bring leads that convert, where they drop
off, how long they stay in each stage, why they are lost; click a stage to see its leads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages.sales import _cache as sales_cache
from app_pages.sales import _views as sales_views
from crm_core.kernel.lookups import active_users
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import LeadSource
from crm_core.sales import analysis, links
from crm_core.sales.analysis import Breakdown, Counted, FunnelReport
from crm_core.sales.settings import sales_settings
from ui import charts, nav, pickers
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, money, number, percent
from ui.i18n import N_, t
from ui.labels import option

BREAKDOWNS = {
    Breakdown.NONE: N_("No breakdown"),
    Breakdown.SOURCE: N_("By source"),
    Breakdown.OWNER: N_("By owner"),
    Breakdown.CAMPAIGN: N_("By campaign"),
    Breakdown.REGION: N_("By region"),
    Breakdown.PIPELINE: N_("By pipeline"),
}
COUNTED = {
    Counted.CREATED: N_("Leads created in the period"),
    Counted.CLOSED: N_("Leads closed in the period (won or lost)"),
}
MAX_TRACES = 8


def render() -> None:
    actor = require_page("leads")
    st.title(t("Lead funnel"))
    st.caption(
        t(
            "The leads created in the period, counted at every stage they reached (a stage "
            "skipped on the way counts as reached). Conversion: leads that reached a stage of "
            "those that reached the stage before; overall: of all leads created."
        )
    )
    st.caption(
        t(
            "Or the leads closed in the period, won or lost: their win rate is the "
            "dashboard's lead conversion. Region and owner are the lead's own."
        )
    )
    mark = sales_cache.leads_mark()  # every read below is kept by it
    with read_scope() as session:
        pipelines = sales_settings(session).pipelines
        owners = dict(active_users(session))
    regions = sales_cache.lead_regions(actor, mark)
    _from_link(regions)
    start, end = sales_views.period_picker("funnel")
    counted = st.radio(
        t("Which leads"),
        list(COUNTED),
        format_func=lambda c: t(COUNTED[c]),
        key="funnel-counted",
        horizontal=True,
    )
    left, middle, right, last = st.columns(4)
    with left:
        pipeline = sales_views.pipeline_picker(pipelines, "funnel-pipeline", everything=True)
    breakdown = middle.selectbox(
        t("Breakdown"),
        list(BREAKDOWNS),
        format_func=lambda b: t(BREAKDOWNS[b]),
        key="funnel-breakdown",
    )
    region = pickers.region_picker(right, regions, "funnel-region")
    owner = pickers.owner_picker(last, owners, "funnel-owner", t("Owner"))
    report = sales_cache.funnel_report(
        actor, (start, end), breakdown, pipeline, (region, owner, counted), mark
    )
    _kpis(report)
    if not report.kpis["leads"]:
        if report.counted is Counted.CLOSED:
            st.info(t("No lead was closed in this period."))
        else:
            st.info(t("No leads were created in this period."))
        return
    namer = _group_namer(breakdown, pipelines)
    clicked = _funnel_chart(report, namer)
    _conversion_tables(report, namer)
    _stage_leads(actor, report, clicked, namer, mark)
    _trend(report)
    _time_in_stage(report)
    _lost_reasons(report)


def _from_link(regions: list[str]) -> None:
    """A link from another page (the dashboard's lead conversion: its period, region and
    owner) sets the filters it names, the others back to their first choice; the address is
    then the page's own again."""
    linked = links.funnel_from_address(st.query_params.to_dict())
    if linked is None:
        return
    if linked.start is not None and linked.end is not None:
        st.session_state["funnel-period"] = sales_views.CUSTOM
        st.session_state["funnel-dates"] = (linked.start, linked.end)
    st.session_state["funnel-counted"] = Counted(linked.counted or Counted.CREATED.value)
    # A region no lead of the reader's has: the list of choices gains it (an empty funnel).
    if linked.region is not None and linked.region not in regions:
        regions.append(linked.region)
    st.session_state["funnel-region"] = linked.region
    st.session_state["funnel-owner"] = linked.owner_id
    st.session_state["funnel-pipeline"] = None
    st.session_state["funnel-breakdown"] = Breakdown.NONE
    for name in links.FUNNEL_KEYS:
        st.query_params.pop(name, None)


def _kpis(report: FunnelReport) -> None:
    now, before = report.kpis, report.previous
    st.caption(
        t(
            "Each figure against the period of the same length just before. Win rate: won "
            "of the leads closed (won or lost). Sales cycle: median days from created to won. "
            "Velocity: open leads x win rate x average won value / sales cycle, per day."
        )
    )
    cells = st.columns(5)

    def metric(
        i: int, label: str, key: str, shown: Callable[[Any], str], *, lower_is_better: bool = False
    ) -> None:
        value = now[key]
        cells[i].metric(
            label,
            t("n/a") if value is None else shown(value),
            sales_views.delta(analysis.change(value, before[key])),
            delta_color="inverse" if lower_is_better else "normal",
        )

    leads_label = t("Leads closed") if report.counted is Counted.CLOSED else t("Leads created")
    metric(0, leads_label, "leads", number)
    metric(1, t("Won"), "won", number)
    metric(2, t("Win rate"), "win_rate", percent)
    metric(3, t("Sales cycle (days)"), "cycle_days", lambda v: number(v, 1), lower_is_better=True)
    metric(4, t("Velocity per day"), "velocity", compact_money)


def _group_namer(breakdown: Breakdown, pipelines: list[dict[str, Any]]) -> Callable[[str], str]:
    if breakdown is Breakdown.NONE:
        return lambda _g: t("All leads")
    if breakdown is Breakdown.SOURCE:
        return lambda g: option(LeadSource, g)
    if breakdown is Breakdown.PIPELINE:
        return lambda g: sales_views.pipeline_name(pipelines, g)
    return lambda g: g


def _stage(value: str) -> str:
    return sales_views.stage_name(value)


def _funnel_chart(report: FunnelReport, namer: Callable[[str], str]) -> str | None:
    st.subheader(t("Funnel"))
    groups = report.groups["group"].tolist()[:MAX_TRACES]
    figure = go.Figure()
    for group in groups:
        part = report.funnel[report.funnel["group"] == group]
        figure.add_trace(
            go.Funnel(
                name=namer(group),
                y=[_stage(s) for s in part["stage"]],
                x=part["reached"],
                textinfo="value+percent initial",
                customdata=part["stage"],
            )
        )
    if len(report.groups) > MAX_TRACES:
        st.caption(
            t("The chart shows the {n:n} largest groups; the table lists all.", n=MAX_TRACES)
        )
    figure.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=380)
    event = charts.show(figure, on_select="rerun", selection_mode="points", key="funnel-chart")
    selection: Any = event.get("selection") if isinstance(event, dict) else None
    points: list[Any] = list((selection or {}).get("points", []))
    if points:
        return str(points[0].get("customdata") or "") or None
    return None


def _conversion_tables(report: FunnelReport, namer: Callable[[str], str]) -> None:
    if report.by is not None:
        st.subheader(t("Which group converts best"))
        st.caption(
            t(
                "Conversion: leads that reached Won of the leads created, per group. "
                "Biggest drop: the stage most of the group's leads never reached."
            )
        )
        groups = report.groups.assign(
            group=report.groups["group"].map(namer),
            biggest_drop_before=report.groups["biggest_drop_before"].map(
                lambda s: "–" if s is None else _stage(s)
            ),
            conversion=report.groups["conversion"].map(percent),
        )
        sales_views.table(
            groups,
            "funnel-groups",
            "funnel-groups",
            group=t("Group"),
            leads=t("Leads"),
            won=t("Won"),
            conversion=t("Conversion"),
            biggest_drop_before=t("Biggest drop before"),
            biggest_drop=t("Leads lost there"),
        )
    st.subheader(t("Conversion by stage"))
    shown = report.funnel.assign(
        group=report.funnel["group"].map(namer),
        stage=report.funnel["stage"].map(_stage),
        step_rate=report.funnel["step_rate"].map(percent),
        overall_rate=report.funnel["overall_rate"].map(percent),
    )
    if report.by is None:
        shown = shown.drop(columns=["group"])
    sales_views.table(
        shown,
        "funnel",
        "funnel-table",
        group=t("Group"),
        stage=t("Stage"),
        reached=t("Reached"),
        dropped=t("Lost before this stage"),
        step_rate=t("From the stage before"),
        overall_rate=t("Of all leads"),
    )


def _stage_leads(
    actor: Actor,
    report: FunnelReport,
    clicked: str | None,
    namer: Callable[[str], str],
    mark: sales_cache.Mark,
) -> None:
    st.subheader(t("Leads of a stage"))
    left, right = st.columns(2)
    stages = report.stages
    # A new click on the chart picks its stage; the box keeps its own state otherwise (its
    # `index` counts only at its first run, so a click after that changed nothing).
    if clicked in stages and clicked != st.session_state.get("funnel-clicked"):
        st.session_state["funnel-stage"] = clicked
    st.session_state["funnel-clicked"] = clicked
    stage = left.selectbox(t("Leads that reached"), stages, format_func=_stage, key="funnel-stage")
    group = None
    if report.by is not None:
        group = right.selectbox(
            t("Group"),
            [None, *report.groups["group"]],
            key="funnel-group",
            format_func=lambda g: t("All groups") if g is None else namer(g),
            placeholder=t("All groups"),
        )
    picked = sales_cache.reached_stage(actor, report, stage, group, mark)
    reached = report.funnel[report.funnel["stage"] == stage]
    if group is not None:
        reached = reached[reached["group"] == group]
    st.caption(
        t(
            "{n:n} leads reached {stage}. Select one to open it.",
            n=int(reached["reached"].sum()),
            stage=_stage(stage),
        )
    )
    shown = picked.head(500).assign(
        stage=picked["stage"].map(_stage),
        source=picked["source"].map(lambda s: option(LeadSource, s)),
        value=picked["value"].map(money),
    )[["id", "name", "stage", "source", "owner", "value", "created_at"]]
    chosen = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="funnel-leads",
        column_config={
            "id": None,
            "name": t("Lead"),
            "stage": t("Stage now"),
            "source": t("Source"),
            "owner": t("Owner"),
            "value": t("Value"),
            "created_at": t("Created"),
        },
        placeholder="–",
    )
    rows = chosen.selection.rows if chosen else []
    if rows and st.button(t("Open lead"), type="primary", key="funnel-open"):
        nav.open_page("lead", id=int(shown["id"].iloc[rows[0]]))


def _trend(report: FunnelReport) -> None:
    st.subheader(t("Monthly trend"))
    if report.counted is Counted.CLOSED:
        st.caption(
            t("Per month the leads were closed in: how many, and the share that reached Won.")
        )
    else:
        st.caption(
            t("Per month the leads were created in: how many, and the share that reached Won.")
        )
    trend = report.trend
    figure = go.Figure(go.Bar(x=trend["month"], y=trend["leads"], name=t("Leads")))
    figure.add_trace(
        go.Scatter(x=trend["month"], y=trend["conversion"], name=t("Conversion"), yaxis="y2")
    )
    figure.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%"},
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    charts.show(figure, months="x")
    sales_views.table(
        trend.assign(conversion=trend["conversion"].map(percent)),
        "funnel-trend",
        "funnel-trend",
        month=t("Month"),
        leads=t("Leads"),
        won=t("Won"),
        conversion=t("Conversion"),
    )


def _time_in_stage(report: FunnelReport) -> None:
    st.subheader(t("Time in each stage"))
    st.caption(
        t(
            "Days a lead stayed in a stage before it moved on or was lost: the median and "
            "the 90th percentile (9 in 10 stays were shorter). Stays still going are "
            "left out."
        )
    )
    frame = report.time_in_stage
    shown = frame.assign(
        stage=frame["stage"].map(_stage),
        median_days=frame["median_days"].map(lambda v: "–" if pd.isna(v) else number(v, 1)),
        p90_days=frame["p90_days"].map(lambda v: "–" if pd.isna(v) else number(v, 1)),
    )
    sales_views.table(
        shown,
        "time-in-stage",
        "funnel-time",
        stage=t("Stage"),
        stays=t("Stays"),
        median_days=t("Median days"),
        p90_days=t("90th percentile days"),
    )
    if not report.stalled.empty:
        st.warning(
            t(
                "{n:n} open leads stay in their stage longer than its usual days.",
                n=len(report.stalled),
            )
        )


def _lost_reasons(report: FunnelReport) -> None:
    st.subheader(t("Why leads are lost"))
    st.caption(
        t(
            "The lost leads of the period by reason, most frequent first, with the "
            "running share (a Pareto chart)."
        )
    )
    frame = report.lost_reasons
    if frame.empty:
        st.info(t("No lead of this period was lost."))
        return
    names = frame["reason"].map(lambda r: t("No reason given") if r is None else t(str(r)))
    figure = go.Figure(go.Bar(x=names, y=frame["leads"], name=t("Lost leads")))
    figure.add_trace(
        go.Scatter(x=names, y=frame["cumulative_share"], name=t("Running share"), yaxis="y2")
    )
    figure.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05]},
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    charts.show(figure)
    shown = frame.assign(
        reason=names,
        share=frame["share"].map(percent),
        cumulative_share=frame["cumulative_share"].map(percent),
    )
    sales_views.table(
        shown,
        "lost-reasons",
        "funnel-lost",
        reason=t("Reason"),
        leads=t("Lost leads"),
        share=t("Share"),
        cumulative_share=t("Running share"),
    )
