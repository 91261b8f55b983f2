"""Segments: the dashboard of how customers split (value tier, RFM, demographics, geography,
firm size, acquisition), how tiers moved since a date, concentration, ready-made segments,
cohorts, churn and lost customers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages.marketing import _geography, segment_builder
from app_pages.marketing import _views as marketing_views
from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel.permissions import Actor
from crm_core.marketing import amounts, cohorts, dashboard, segments
from crm_core.marketing.dashboard import DIMENSIONS
from ui import cache, charts, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, date_box_format, long_date, number, percent
from ui.i18n import t
from ui.labels import option


def render() -> None:
    actor = require_page("segments")
    st.title(t("Segments"))
    _dashboard(actor, marketing_views.stored_as_of())


def _amounts_note(actor: Actor) -> None:
    """Say whose revenue and profit the figures hold, when not everyone's."""
    if not amounts.shows_amounts(actor):
        st.caption(t("Revenue and profit are not shown to your role: counts only."))
    elif not amounts.all_amounts(actor):
        st.caption(t("Revenue and profit count only the customers you own."))


def _dashboard(actor: Actor, as_of: datetime) -> None:
    frame = marketing_views.per_customer(actor, as_of)
    if frame.empty:
        st.info(t("No customers yet: the dashboard fills in as customers and orders arrive."))
        return
    since = st.date_input(
        t("Compare with"), value=dashboard.last_quarter_end(as_of.date()),
        max_value=as_of.date() - timedelta(days=1), key="segments_since",
        format=date_box_format())  # fmt: skip
    _amounts_note(actor)
    slots = _tiers(actor, frame, since)
    _split(actor, as_of)
    later = st.container()  # the migration, drawn once the earlier figures are computed
    _concentration(actor, frame)
    _ready_made(actor, frame, as_of)
    # The figures of the earlier date are computed last (the page shows the rest meanwhile)
    # and kept for every reader of the day (ui.cache): the tiers' changes then fill in.
    with later, st.spinner(t("Computing the value tiers of {day:date}…", day=since)):
        before = cache.tiers_at(datetime.combine(since, time())).to_frame()
    _tier_changes(slots, frame, before)
    with later:
        _migration(actor, as_of, frame, before, since)
    _journey(actor, as_of)


# More Below-Zero customers is bad news (red); fewer who never bought is neither good nor bad
# news by itself (they bought, or were deleted): grey.
TIER_MOVES: dict[ValueTier, Literal["normal", "inverse", "off"]] = {
    ValueTier.MOST_VALUABLE: "normal",
    ValueTier.MOST_GROWABLE: "normal",
    ValueTier.BELOW_ZERO: "inverse",
    ValueTier.NO_PURCHASES: "off",
}


def _tier_changes(slots: dict[ValueTier, Any], frame: pd.DataFrame, before: pd.DataFrame) -> None:
    now = frame["value_tier"].value_counts()
    earlier = before["value_tier"].reindex(frame.index).value_counts()
    for tier, slot in slots.items():
        count = int(now.get(tier.value, 0))
        slot.metric(
            option(ValueTier, tier.value), number(count),
            delta=number(count - int(earlier.get(tier.value, 0))),
            delta_color=TIER_MOVES[tier],
        )  # fmt: skip


def _tiers(actor: Actor, frame: pd.DataFrame, since: date) -> dict[ValueTier, Any]:
    st.subheader(t("Value tiers"))
    settings = cache.value_settings()
    st.caption(
        t(
            "**Most Valuable**: the most profitable customers who together earn {share:.0%} of "
            "all profit; **Below-Zero**: cost more to serve than they earn; **Most Growable**: "
            "everyone else who bought; **No purchases yet**: no completed order. Profit is gross "
            "margin less the cost to serve, all time. Changes are against {since:date}.",
            share=settings.top_profit_share, since=since,
        )
    )  # fmt: skip
    table = dashboard.breakdown(frame, "value_tier").set_index("group")
    slots: dict[ValueTier, Any] = {}
    for column, tier in zip(st.columns(len(ValueTier)), ValueTier, strict=True):
        slots[tier] = column.empty()
        slots[tier].metric(option(ValueTier, tier.value),
                           number(int(table["customers"].get(tier.value, 0))))  # fmt: skip
        if amounts.shows_amounts(actor):
            profit = float(table["profit"].get(tier.value, 0.0))
            column.caption(t("profit {amount}", amount=compact_money(profit)))
    return slots


def _split(actor: Actor, as_of: datetime) -> None:
    st.subheader(t("Customers by group"))
    by = st.selectbox(
        t("Split by"), list(DIMENSIONS), format_func=lambda d: t(DIMENSIONS[d]),
        key="segments_split",
    )  # fmt: skip
    table = marketing_views.split(actor, by, as_of)
    st.caption(
        t(
            "Customers you can see, their net revenue (completed orders less discounts) and "
            "profit, all time, by {dimension}.",
            dimension=t(DIMENSIONS[by]).lower(),
        )
    )
    if by == "region":
        _geography.province_tiles(table, amounts.shows_amounts(actor))
    top = table.head(25)
    labels = [marketing_views.value_label(by, g) for g in top["group"]]
    figure = go.Figure(go.Bar(x=top["customers"], y=labels, orientation="h"))
    figure.update_layout(yaxis={"autorange": "reversed"}, height=max(250, 28 * len(top)),
                         xaxis_title=t("Customers"))  # fmt: skip
    charts.show(figure)
    shown = table.assign(
        group=[marketing_views.value_label(by, g) for g in table["group"]],
        customers=table["customers"].map(number),
        customer_share=table["customer_share"].map(percent),
        net_revenue=table["net_revenue"].map(compact_money),
        revenue_share=table["revenue_share"].map(percent),
        profit=table["profit"].map(compact_money),
        revenue_per_customer=table["revenue_per_customer"].map(compact_money),
    )
    labels_map = {
        "group": t(DIMENSIONS[by]), "customers": t("Customers"),
        "customer_share": t("Share of customers"), "net_revenue": t("Net revenue"),
        "revenue_share": t("Share of revenue"), "profit": t("Profit"),
        "revenue_per_customer": t("Revenue per customer"),
    }  # fmt: skip
    if not amounts.shows_amounts(actor):
        money = ["net_revenue", "revenue_share", "profit", "revenue_per_customer"]
        shown, table = shown.drop(columns=money), table.drop(columns=money)
    marketing_views.table_with_download(
        shown, table, labels_map, f"customers-by-{by}", "segments_split_csv"
    )


def _migration(
    actor: Actor, as_of: datetime, frame: pd.DataFrame, before: pd.DataFrame, since: date
) -> None:
    st.subheader(t("Tier migration"))
    st.caption(
        t(
            "Customers by value tier on {since:date} (rows) and now (columns); "
            "moving up means towards Most Valuable.",
            since=since,
        )
    )
    matrix, moves = marketing_views.migration(actor, as_of, frame, before, since)
    up, down = int((moves["direction"] == "up").sum()), int((moves["direction"] == "down").sum())
    first = int((moves["from"] == ValueTier.NO_PURCHASES.value).sum())
    left, middle, right = st.columns(3)
    left.metric(t("Moved up"), number(up))
    middle.metric(t("First purchases (moved up)"), number(first))
    right.metric(t("Moved down"), number(down))
    rows = [marketing_views.value_label("value_tier", r) for r in matrix.index]
    columns = [marketing_views.value_label("value_tier", c) for c in matrix.columns]
    figure = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=columns, y=rows, colorscale="Blues",
                                  text=matrix.to_numpy(), texttemplate="%{text}"))  # fmt: skip
    figure.update_layout(yaxis={"autorange": "reversed"}, height=300,
                         xaxis_title=t("now"), yaxis_title=long_date(since))  # fmt: skip
    charts.show(figure)
    shown = matrix.copy()
    shown.index, shown.columns = rows, columns
    raw = shown.rename_axis(t("from")).reset_index()
    marketing_views.table_with_download(raw, raw, {}, "tier-migration", "segments_migration_csv")
    _who_moved(actor, moves, since)


SHOWN_MOVES = 200  # the table's rows; the file has everyone


def _who_moved(actor: Actor, moves: pd.DataFrame, since: date) -> None:
    st.markdown(t("**Who moved**"))
    if moves.empty:
        st.caption(t("Nobody changed tier since {since:date}.", since=since))
        return
    st.caption(
        t(
            "Customers of both dates whose tier changed, those who moved up first. No "
            "purchases yet ranks below every tier: a first purchase is a move up.",
        )
    )
    with read_scope() as session:
        first = dashboard.moved_customers(session, actor, moves, limit=SHOWN_MOVES)
    tiers = {tier: marketing_views.value_label("value_tier", tier) for tier in dashboard.TIER_RANK}
    ways = {"up": t("up"), "down": t("down")}
    labels = {"customer_id": "ID", "name": t("Name"), "from": t("Tier on {day:date}", day=since),
              "to": t("Tier now"), "direction": t("Moved")}  # fmt: skip

    def worded(rows: pd.DataFrame) -> pd.DataFrame:  # said now: the file is built later
        out = rows.copy()
        out["from"], out["to"] = rows["from"].map(tiers), rows["to"].map(tiers)
        out["direction"] = rows["direction"].map(ways)
        return out[list(labels)]

    if len(moves) > SHOWN_MOVES:
        st.caption(t("The first {n:n} of {total:n}; the file has them all.", n=len(first),
                     total=len(moves)))  # fmt: skip
    shown = worded(first)[["name", "from", "to"]].rename(columns=labels)
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="–")

    def everyone() -> pd.DataFrame:
        with read_scope() as session:
            rows = dashboard.moved_customers(session, actor, moves)
        return worded(rows).rename(columns=labels)

    marketing_views.deferred_download(
        t("Download who moved as CSV"), everyone, "tier-moves", "segments_moved_csv"
    )


def _concentration(actor: Actor, frame: pd.DataFrame) -> None:
    st.subheader(t("Concentration"))
    held = {"tickets": dashboard.concentration(frame, "tickets")}
    if amounts.shows_amounts(actor):
        held = {"revenue": dashboard.concentration(frame, "net_revenue"), **held}
    st.caption(
        t(
            "What share of all net revenue, and of all tickets, the top 20 % of customers by "
            "each hold (all time). The curve adds customers from the largest down."
        )
    )
    names = {"revenue": t("Revenue held by the top 20 %"),
             "tickets": t("Tickets held by the top 20 %")}  # fmt: skip
    for column, (what, result) in zip(st.columns(len(held)), held.items(), strict=True):
        column.metric(names[what], percent(result["share"]))
    curve = pd.DataFrame({"customers": [k / 10 for k in range(1, 11)]})
    for what, result in held.items():
        if not result["curve"].empty:
            curve[what] = result["curve"]["held"].to_numpy()
    if len(curve.columns) == 1:
        return
    lines = {"revenue": t("Net revenue"), "tickets": t("Tickets")}
    figure = _lines({lines[what]: (curve["customers"], curve[what]) for what in held
                     if what in curve}, markers=True)  # fmt: skip
    figure.update_layout(xaxis_tickformat=".0%", yaxis_tickformat=".0%", height=300,
                         xaxis_title=t("Share of customers"),
                         yaxis_title=t("Share held"))  # fmt: skip
    charts.show(figure)
    shown = curve.assign(**{c: curve[c].map(percent) for c in curve.columns})
    labels = {"customers": t("Share of customers"), "revenue": t("Share of revenue"),
              "tickets": t("Share of tickets")}  # fmt: skip
    marketing_views.table_with_download(
        shown, curve, labels, "concentration", "segments_concentration_csv"
    )


def _ready_made(actor: Actor, frame: pd.DataFrame, as_of: datetime) -> None:
    st.subheader(t("Ready-made segments"))
    members = marketing_views.ready_made_members(actor, as_of)
    counts = dashboard.ready_made_counts(frame, members).set_index("key").to_dict("index")
    for key, (title, why, _rule) in segments.READY_MADE.items():
        with st.container(border=True):
            left, right = st.columns([3, 1])
            left.markdown(f"**{t(title)}**")
            left.caption(t(why))
            right.metric(t("Customers"), number(int(counts[key]["customers"])))
            if amounts.shows_amounts(actor):
                right.caption(t("profit {amount}",
                                amount=compact_money(counts[key]["profit"])))  # fmt: skip
            if left.button(t("Open in the builder"), key=f"segments_ready_{key}"):
                segment_builder.load_rule(segments.READY_MADE[key][2], name=t(title))
                nav.open_page("segment-builder")


def _journey(actor: Actor, as_of: datetime) -> None:
    window = cache.value_settings().churn_window_days
    journey = marketing_views.journey(actor, as_of, window)
    cohort, churn = journey.cohorts, journey.churn
    st.subheader(t("Acquisition cohorts"))
    if journey.as_of != as_of:
        st.caption(
            t(
                "Cohorts, churn and lost customers as of {at:time}: computed with the daily "
                "full refresh of the value figures.",
                at=journey.as_of,
            )
        )
    st.caption(
        t(
            "Customers by the month of their first completed order (rows) and the share of "
            "them who ordered again 0, 1, 2... months later (columns), over the last 12 "
            "months."
        )
    )
    if cohort.empty:
        st.info(t("No completed orders yet."))
    else:
        heat = cohort.pivot(index="cohort", columns="month", values="share")
        figure = go.Figure(go.Heatmap(z=heat.to_numpy(), x=list(heat.columns), y=list(heat.index),
                                      colorscale="Greens", zmin=0, zmax=1))  # fmt: skip
        figure.update_layout(xaxis_title=t("Months since the first order"), height=380)
        charts.show(figure)
        later = cohort[cohort["month"] > 0]
        curves = _lines({str(name): (rows["month"], rows["share"])
                         for name, rows in later.groupby("cohort", sort=True)})  # fmt: skip
        curves.update_layout(yaxis_tickformat=".0%", height=320, legend_title_text=t("Cohort"),
                             xaxis_title=t("Months since the first order"),
                             yaxis_title=t("Still ordering"))  # fmt: skip
        charts.show(curves)
        shown = cohort.assign(share=cohort["share"].map(percent))
        labels = {"cohort": t("Cohort"), "month": t("Month"), "customers": t("Customers"),
                  "size": t("Cohort size"), "share": t("Share")}  # fmt: skip
        marketing_views.table_with_download(
            shown, cohort, labels, "cohorts", "segments_cohorts_csv"
        )
    st.subheader(t("Churn per month"))
    st.caption(
        t(
            "Customers who had ordered within {days:n} days before the month began and let "
            "that window run out during it, out of all who had.",
            days=window,
        )
    )
    if not churn.empty:
        figure = go.Figure(go.Bar(x=churn["month"], y=churn["rate"]))
        figure.update_layout(yaxis_tickformat=".0%", height=300, yaxis_title=t("Churn rate"))
        charts.show(figure, months="x")
        shown = churn.assign(rate=churn["rate"].map(percent))
        labels = {"month": t("Month"), "active": t("Active at the start"),
                  "churned": t("Churned"), "rate": t("Churn rate")}  # fmt: skip
        marketing_views.table_with_download(shown, churn, labels, "churn", "segments_churn_csv")
    _lost(journey, window)


def _lines(series: dict[str, tuple[Any, Any]], *, markers: bool = False) -> go.Figure:
    """One line per name: plotly's graph objects, not plotly express (which took a tenth of a
    second per chart to build its figure, most of this page's warm rerun)."""
    mode = "lines+markers" if markers else "lines"
    return go.Figure([go.Scatter(x=list(x), y=list(y), mode=mode, name=name)
                      for name, (x, y) in series.items()])  # fmt: skip


def _lost(journey: cohorts.Journey, window: int) -> None:
    st.subheader(t("Lost customers"))
    summary = journey.lost
    st.caption(
        t(
            "Customers whose last completed order is more than {days:n} days old; tickets "
            "count from {days:n} days before that order until they lapsed.",
            days=window,
        )
    )
    first, second, third = st.columns(3)
    first.metric(t("Lost customers"), number(summary["lost"]))
    second.metric(t("Had a ticket before leaving"), percent(summary["ticket_share"]))
    csat = summary["avg_csat"]
    third.metric(t("Their mean CSAT"), "–" if csat is None else number(csat, 1))
    channels = journey.lost_channels
    if channels.empty:
        return
    shown = pd.DataFrame({
        "channel": [marketing_views.value_label("preferred_channel", c) for c in channels.index],
        "customers": channels.to_numpy(),
    })  # fmt: skip
    labels = {"channel": t("Last touchpoint's channel"), "customers": t("Lost customers")}
    marketing_views.table_with_download(shown, shown, labels, "lost-customers", "segments_lost_csv")
