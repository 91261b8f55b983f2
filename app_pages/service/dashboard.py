"""Service dashboard: backlog, created vs resolved, response and resolution times in working
hours, SLA attainment and CSAT, by agent, category, channel and tier; and the SLA what-if."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages.service import _cache
from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel.csv_files import safe_csv
from crm_core.models.enums import Channel, Priority, TicketCategory
from crm_core.service import csat, figures, sla
from crm_core.service.figures import ServiceFigures
from ui import cache, charts
from ui.auth import deferred, require_page
from ui.db import read_scope
from ui.format import local_times, number, percent, weekday, with_numbers
from ui.i18n import N_, t, tn
from ui.labels import formatter, option, options

PERIODS = {7: N_("Last 7 days"), 30: N_("Last 30 days"), 90: N_("Last 90 days")}
BY = {
    "agent": N_("Agent"),
    "category": N_("Category"),
    "channel": N_("Channel"),
    "tier": N_("Customer tier"),
}


def render() -> None:
    actor = require_page("service-dashboard")
    st.title(t("Service dashboard"))
    days = (
        st.segmented_control(
            t("Period"),
            list(PERIODS),
            default=30,
            format_func=lambda d: t(PERIODS[d]),
            key="svc-period",
        )
        or 30
    )
    end = _cache.moment()
    settings, mark = cache.team_settings(), _cache.mark()
    now, frame, prev, rated, grid = _cache.period(actor, settings, days, end, mark)
    asked: _cache.Asked = (actor, settings, days, end, mark)
    with read_scope() as session:
        policy = sla.sla_policy(session)
    st.caption(
        t(
            "Tickets created in the period. **First response** and **resolution**: working hours "
            "from creation (team hours, days off excluded), median and 90th percentile. **SLA "
            "attainment**: of tickets whose clocks are decided (answered and resolved, or past "
            "due), the share that met both targets. **CSAT**: mean rating (1-5) of tickets "
            "resolved in the period. Changes compare with the {days:n} days before.",
            days=days,
        )
    )
    _kpis(now, prev, rated.average)
    _per_day(now)
    _breakdowns(frame)
    _csat(rated)
    _heatmap(grid)
    _staffing(asked, policy)
    _what_if(asked, policy)
    _likely(asked, policy)


def _csv(frame: pd.DataFrame) -> Callable[[], str]:
    """A table's CSV, built only when downloaded, and then only for a session still valid
    (the build runs on Streamlit's download thread, outside the page's gate)."""
    return deferred(partial(safe_csv, frame))


def _delta(new: float | None, old: float | None, digits: int = 1) -> str | None:
    if new is None or old is None:
        return None
    return number(new - old, digits)


def _hours(value: float | None) -> str:
    return "–" if value is None else t("{h} h", h=number(value, 1))


def _kpis(now: ServiceFigures, prev: ServiceFigures, csat_average: float | None) -> None:
    # Two rows, the volumes and then the quality: six figures in one row cut the longer ones
    # off ("Respons pertama (…", "0,0 ja…" in Bahasa Indonesia); one time per figure, the
    # 90th percentiles in the line beneath
    volumes = st.columns(3)
    volumes[0].metric(
        t("Backlog (open)"), number(now.backlog), _delta(now.backlog, prev.backlog, 0)
    )
    volumes[1].metric(t("Created"), number(now.created), _delta(now.created, prev.created, 0))
    volumes[2].metric(t("Resolved"), number(now.resolved), _delta(now.resolved, prev.resolved, 0))
    quality = st.columns(4)
    quality[0].metric(
        t("First response (median)"),
        _hours(now.frt_median_hours),
        _delta(now.frt_median_hours, prev.frt_median_hours),
        delta_color="inverse",
    )
    quality[1].metric(
        t("Resolution (median)"),
        _hours(now.resolution_median_hours),
        _delta(now.resolution_median_hours, prev.resolution_median_hours),
        delta_color="inverse",
    )
    quality[2].metric(
        t("SLA attainment"),
        percent(now.sla_attainment),
        _pp(now.sla_attainment, prev.sla_attainment),
    )
    quality[3].metric(t("CSAT average"), "–" if csat_average is None else number(csat_average, 2))
    st.caption(
        t(
            "90th percentile (nine tickets in ten within): first response {frt}, resolution "
            "{resolution}.",
            frt=_hours(now.frt_p90_hours),
            resolution=_hours(now.resolution_p90_hours),
        )
    )


def _pp(new: float | None, old: float | None) -> str | None:
    if new is None or old is None:
        return None
    return t("{n} pts", n=number((new - old) * 100, 1))


def _per_day(now: ServiceFigures) -> None:
    st.subheader(t("Created and resolved per day"))
    data = now.per_day.rename(
        columns={"day": t("Day"), "created": t("Created"), "resolved": t("Resolved")}
    )
    # graph_objects: st.line_chart's Altair spec took 0.1 s of every run to build
    chart = go.Figure(
        [
            go.Scatter(x=data[t("Day")], y=data[name], name=name, mode="lines")
            for name in (t("Created"), t("Resolved"))
        ]
    )
    peak = int(data[[t("Created"), t("Resolved")]].to_numpy().max(initial=0))
    chart.update_layout(
        xaxis_title=t("Day"),
        # day/month, in either language (plotly's own month names are English only)
        xaxis_tickformat="%d/%m",
        xaxis_hoverformat="%d/%m/%Y",
        # whole tickets: no 0.5 ticks, no English thousands separator
        yaxis={"tickformat": "d", "rangemode": "tozero", "dtick": 1 if peak < 8 else None},
        height=320,
        margin={"t": 10, "b": 10},
    )
    charts.show(chart)
    st.download_button(t("Download CSV"), _csv(data), "created_resolved.csv", key="svc-d1")


def _breakdowns(frame: pd.DataFrame) -> None:
    st.subheader(t("By agent, category, channel and tier"))
    by = (
        st.segmented_control(
            t("Group by"), list(BY), default="agent", format_func=lambda b: t(BY[b]), key="svc-by"
        )
        or "agent"
    )
    table = figures.breakdown(frame, by)
    vocab = {"category": TicketCategory, "channel": Channel, "tier": ValueTier}.get(by)
    if vocab is not None:
        table[by] = table[by].map(lambda v: option(vocab, v))
    hours = ("frt_median", "frt_p90", "resolution_median", "resolution_p90")
    st.dataframe(
        with_numbers(
            table, digits={**dict.fromkeys(hours, 1), "csat": 2}, shares={"sla_attainment": 1}
        ),
        hide_index=True,
        width="stretch",
        column_config={
            by: t(BY[by]),
            "tickets": t("Tickets"),
            "frt_median": t("First response, median (h)"),
            "frt_p90": t("First response, p90 (h)"),
            "resolution_median": t("Resolution, median (h)"),
            "resolution_p90": t("Resolution, p90 (h)"),
            "sla_attainment": t("SLA attainment"),
            "csat": t("CSAT"),
        },
        placeholder="–",
    )
    st.download_button(t("Download CSV"), _csv(table), f"service_by_{by}.csv", key="svc-d2")


def _csat(rated: csat.CsatFigures) -> None:
    st.subheader(t("Customer satisfaction"))
    left, right = st.columns(2)
    left.metric(t("Ratings"), number(rated.ratings))
    right.metric(t("Satisfied (4 or 5)"), percent(rated.satisfied_share))
    data = (
        rated.distribution.rename(t("Ratings")).reset_index().rename(columns={"score": t("Score")})
    )
    st.bar_chart(data, x=t("Score"), y=t("Ratings"))
    st.dataframe(
        with_numbers(rated.by_agent, digits={"average": 2}, shares={"satisfied_share": 0}),
        hide_index=True,
        width="stretch",
        column_config={
            "agent": t("Agent"),
            "ratings": t("Ratings"),
            "average": t("Average"),
            "satisfied_share": t("Satisfied"),
        },
        placeholder="–",
    )


def _heatmap(grid: pd.DataFrame) -> None:
    st.subheader(t("Tickets by weekday and hour"))
    if not grid.to_numpy().any():
        st.caption(t("No tickets in the period."))
        return
    grid = grid.set_axis([weekday(int(d)) for d in grid.index], axis=0)
    # graph_objects, not plotly.express: px.imshow cost most of the 80 ms this drew in
    chart = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=list(grid.index),
            colorscale="Blues",
            colorbar={"title": {"text": t("Tickets")}},
        )
    )
    chart.update_layout(xaxis_title=t("Hour"), yaxis_title=t("Weekday"), yaxis_autorange="reversed")
    charts.show(chart)
    st.download_button(
        t("Download CSV"),
        _csv(grid.reset_index()),
        "tickets_by_hour.csv",
        key="svc-d3",
    )


def _staffing(asked: _cache.Asked, policy: sla.SlaPolicy) -> None:
    st.subheader(t("Agents needed per hour"))
    st.caption(
        t(
            "Erlang C: the fewest agents that answer the share you choose of an hour's tickets "
            "within the first-response target of a priority, from the period's mean tickets "
            "that hour and the minutes one answer takes. Rostered: the active agents, in the "
            "team's open hours."
        )
    )
    left, middle, right = st.columns(3)
    handle = left.number_input(t("Minutes one answer takes"), 1.0, 240.0, 10.0, 1.0, key="svc-aht")
    priority = Priority(
        middle.selectbox(
            t("Answer within the first-response target of"),
            [p.value for p in Priority],
            index=2,
            format_func=formatter(Priority),
            key="svc-erl-p",
        )
    )
    share = right.slider(t("Share answered in time"), 0.5, 0.99, 0.8, 0.01, key="svc-erl-share")
    target = policy[priority].first_response_minutes
    grid = _cache.staffing(*asked, (handle, target, share))
    if grid.empty:
        st.caption(t("No tickets in the period."))
        return
    shown = grid.assign(weekday=grid["weekday"].map(lambda d: weekday(int(d))))
    st.dataframe(
        with_numbers(shown, digits={"tickets_per_hour": 2}),
        hide_index=True,
        width="stretch",
        column_config={
            "weekday": t("Weekday"),
            "hour": t("Hour"),
            "tickets_per_hour": t("Tickets an hour"),
            "needed": t("Agents needed"),
            "rostered": t("Agents rostered"),
            "gap": t("Rostered less needed"),
        },
        placeholder="–",
    )
    short = int((grid["gap"] < 0).sum())
    if short:
        st.warning(tn("{n:n} hour is short of agents.", "{n:n} hours are short of agents.", short))
    st.download_button(t("Download CSV"), _csv(shown), "staffing.csv", key="svc-d4")


def _what_if(asked: _cache.Asked, policy: sla.SlaPolicy) -> None:
    st.subheader(t("What if the targets were different?"))
    st.caption(
        t(
            "Replays the period's tickets of one priority: the working time each took to its "
            "first response, and to its resolution less the time paused, against the target it "
            "follows today and yours. For every customer: the default changes, and a tier with "
            "its own target keeps it; for a tier: that tier's tickets only."
        )
    )
    left, scope, middle, right = st.columns(4)
    priority = Priority(
        left.selectbox(
            t("Priority"),
            [p.value for p in Priority],
            index=1,
            format_func=formatter(Priority),
            key="svc-wi-p",
        )
    )
    tier = scope.selectbox(
        t("Targets for"),
        ["", *[v.value for v in ValueTier]],
        format_func=lambda v: t("Every customer (the defaults)") if not v else option(ValueTier, v),
        key="svc-wi-tier",
    )
    current = policy.target(priority, tier or None)
    fr = middle.number_input(
        t("First response within (working hours)"),
        0.25,
        24.0 * 30,
        current.first_response_minutes / 60,
        0.25,
        key=f"svc-wi-fr-{priority}-{tier}",
    )
    res = right.number_input(
        t("Resolution within (working hours)"),
        0.25,
        24.0 * 60,
        current.resolution_minutes / 60,
        0.25,
        key=f"svc-wi-res-{priority}-{tier}",
    )
    changed = sla.Target(round(fr * 60), round(res * 60))
    replay = _cache.what_if(
        *asked,
        policy,
        (priority, tier or None, changed),
    )
    if replay.tickets == 0:
        st.caption(t("No tickets of this priority in the period."))
        return
    st.write(
        t(
            "{n:n} tickets. First response breaches: {a} → {b}. Resolution breaches: {c} → {d}.",
            n=replay.tickets,
            a=percent(replay.first_response_now, 1),
            b=percent(replay.first_response_then, 1),
            c=percent(replay.resolution_now, 1),
            d=percent(replay.resolution_then, 1),
        )
    )


def _likely(asked: _cache.Asked, policy: sla.SlaPolicy) -> None:
    st.subheader(t("Likely to breach in the next hours"))
    st.caption(
        t(
            "Open tickets due within the hours you choose whose agent, answering their "
            "tickets in queue order at the minutes per answer set above, will reach them too "
            "late; unassigned ones wait for the next free agent."
        )
    )
    hours = st.slider(t("Within (working hours)"), 1, 24, 4, key="svc-horizon")
    handle = float(st.session_state.get("svc-aht", 10.0))
    found = _cache.likely(asked[0], asked[1], policy, asked[3], asked[4], (handle, hours))
    if found.empty:
        st.success(t("No open ticket looks likely to breach in that time."))
        return
    st.dataframe(
        found.assign(
            due=local_times(found["next_due"]),
            priority=options(Priority, found["priority"]),
            wait=(found["wait"] / 3600).round(1),
            left=(found["working_left"] / 3600).round(1),
        )[["id", "subject", "customer", "priority", "assignee", "due", "left", "wait"]],
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("#", format="%d"),
            "subject": t("Subject"),
            "customer": t("Customer"),
            "priority": t("Priority"),
            "assignee": t("Assignee"),
            "due": t("Next due"),
            "left": t("Working hours left"),
            "wait": t("Expected wait (working hours)"),
        },
        placeholder="–",
    )
