"""Business dashboard: the period's figures against the period before, each with a sparkline,
refreshing itself live (the team's interval, pausable); the rows behind any figure below."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import pandas as pd
import streamlit as st

from app_pages.overview import _live
from app_pages.overview._texts import DEFINITIONS, TITLES
from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.overview import dashboard
from crm_core.overview.dashboard import MONEY, SHARES, Code, Figure, Filters, Tone
from ui import auth, cache, nav
from ui import format as fmt
from ui.auth import require_page
from ui.db import read_scope, report_scope
from ui.format import date_box_format, local_time, local_times
from ui.i18n import t
from ui.plain import plain

LAST = "dashboard-last"  # (filters, figures, refreshed at, mark) of the last live run
CHANGES = "dashboard-changes"  # (at, [(code, difference)]) of the last refresh that moved
TONE_COLOURS: dict[Tone, Literal["green", "red", "gray"]] = {
    "good": "green",
    "bad": "red",
    "neutral": "gray",
}


def render() -> None:
    actor = require_page("dashboard")
    st.title(t("Business dashboard"))
    filters = _filters()
    every = cache.team_settings().dashboard_refresh_seconds
    paused = st.toggle(t("Pause live refresh"), key="dashboard-paused")
    st.caption(
        t("Paused: the figures stay as they are.")
        if paused
        else t("Live: the figures refresh every {n:n} seconds.", n=every)
    )
    live = st.fragment(run_every=None if paused else every)(_tiles)
    live(actor, filters)
    _rows_behind(actor, filters)


def _filters() -> Filters:
    today = pd.Timestamp(utcnow()).tz_localize("UTC").tz_convert(cache.team_settings().time_zone)
    last = today.date()
    with read_scope() as session:
        regions, owners = dashboard.choices(session)
    left, middle, right = st.columns([2, 1, 1])
    picked = left.date_input(
        t("Period"),
        (last - timedelta(days=29), last),
        format=date_box_format(),
        key="dashboard-period",
    )
    start, end = _span(picked, last)
    region = middle.selectbox(
        t("Region"), [None, *regions], key="dashboard-region",
        format_func=lambda r: t("All regions") if r is None else plain(r),
        placeholder=t("All regions"),
    )  # fmt: skip
    owner = right.selectbox(
        t("Owner"), [None, *owners], key="dashboard-owner",
        format_func=lambda o: t("Everyone") if o is None else plain(owners[o]),
        placeholder=t("Everyone"),
    )  # fmt: skip
    st.caption(
        t(
            "{start:date} to {end:date}, against the {n:n} days before. Region and owner are "
            "the customer's (a lead's own).",
            start=start, end=end, n=(end - start).days + 1,
        )
    )  # fmt: skip
    return Filters(start, end, region, owner)


def _span(picked: Any, last: date) -> tuple[date, date]:
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return picked[0], picked[1]
    if isinstance(picked, tuple | list) and len(picked) == 1:
        return picked[0], picked[0]
    return last - timedelta(days=29), last


def _tiles(actor: Actor, filters: Filters) -> None:
    """The live part: the figures, when they were refreshed and what moved since."""
    auth.recheck()
    mark = _live.mark()
    found, _frames = _live.figures(actor, filters, mark)
    now = utcnow()
    last = st.session_state.get(LAST)
    if last is not None and last[0] == filters and last[3] != mark:
        moved = dashboard.what_changed(last[1], found)
        if moved:
            st.session_state[CHANGES] = (now, moved)
    if last is None or last[0] != filters:
        st.session_state.pop(CHANGES, None)
    st.session_state[LAST] = (filters, found, now, mark)
    columns = st.columns(4)
    for index, figure in enumerate(found):
        with columns[index % 4]:
            _tile(figure, filters)
    _refreshed(now)


def _tile(figure: Figure, filters: Filters) -> None:
    spark = [v for v in figure.spark if v is not None]
    # Arrow and colour from the figure itself: Streamlit reads a fall only from a leading
    # "-", and the change is written with the typographic minus (−).
    arrow, tone = figure.trend
    st.metric(
        t(TITLES[figure.code]),
        _shown(figure.code, figure.value),
        _delta(figure),
        delta_color=TONE_COLOURS[tone],
        delta_arrow=arrow,
        help=t(DEFINITIONS[figure.code]),
        border=True,
        chart_data=spark or None,
        chart_type="area" if figure.code in MONEY else "line",
    )
    page, params = dashboard.page_of(figure.code, filters)
    nav.link(page, t("Open the page behind it"), **params)


def _shown(code: Code, value: float | None) -> str:
    if value is None:
        return "–"
    if code in MONEY:
        return fmt.compact_money(value)
    if code in SHARES:
        return fmt.percent(value, 1)
    if code is Code.CSAT:
        return fmt.number(value, 2)
    return fmt.number(value)


def _delta(figure: Figure) -> str | None:
    change = figure.change
    if change is None:
        return None
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    if figure.code in SHARES:
        return t("{sign}{n} pts", sign=sign, n=fmt.number(abs(change) * 100, 1))
    if figure.code in MONEY:
        amount = fmt.compact_money(abs(change))
        relative = figure.relative
        if relative is None:
            return f"{sign}{amount}"
        return f"{sign}{amount} ({fmt.percent(abs(relative))})"
    return f"{sign}{fmt.number(abs(change), 2 if figure.code is Code.CSAT else 0)}"


def _refreshed(now: Any) -> None:
    line = t("Last refreshed {time}.", time=local_time(now))
    changes = st.session_state.get(CHANGES)
    if changes is None:
        st.caption(line + " " + t("Nothing changed since the page opened."))
        return
    at, moved = changes
    said = ", ".join(
        f"{t(TITLES[code])} {_delta(Figure(code, diff, 0.0, ()))}" for code, diff in moved
    )
    st.caption(line + " " + t("Changed at {time}: {what}.", time=local_time(at), what=said))


def _columns() -> dict[str, Any]:
    return {
        "customer_id": st.column_config.NumberColumn(t("Customer"), format="%d"),
        "id": st.column_config.NumberColumn(t("Number"), format="%d"),
        "customer": t("Name"), "name": t("Name"), "order_id": t("Order"),
        "ordered_at": t("Ordered"), "net": t("Revenue"), "margin": t("Gross margin"),
        "created_at": t("Created"), "orders": t("Orders"), "last_order_at": t("Last order"),
        "stage": t("Stage"), "value": t("Value"), "closed_at": t("Closed"),
        "expected_close": t("Expected close"), "met": t("Met both targets"), "csat": t("CSAT"),
    }  # fmt: skip


def _rows_behind(actor: Actor, filters: Filters) -> None:
    st.subheader(t("The rows behind a figure"))
    code = Code(
        st.selectbox(
            t("Figure"), list(Code), format_func=lambda c: t(TITLES[c]), key="dashboard-rows-of"
        )
        or Code.REVENUE
    )
    _found, frames = _live.figures(actor, filters, _live.mark())
    with report_scope() as session:  # as the figures it lists: from the replica, if one is set
        rows = dashboard.rows_table(session, frames, code)
    st.caption(t(DEFINITIONS[code]))
    for column in ("ordered_at", "created_at", "last_order_at", "closed_at"):
        if column in rows:
            rows[column] = local_times(rows[column])
    picked = st.dataframe(
        fmt.with_money(rows, ["net", "margin", "value"]), hide_index=True, width="stretch",
        on_select="rerun", selection_mode="single-row", key=f"dashboard-rows-{code.value}",
        column_config=_columns(),
        placeholder="–",
    )  # fmt: skip
    if picked and picked.selection.rows:
        row = rows.iloc[picked.selection.rows[0]]
        record = dashboard.record_of(code)
        nav.open_page(record, id=int(row["customer_id" if record == "customer" else "id"]))
