"""Forecast: the open pipeline's revenue per month as P10/P50/P90 bands (Monte Carlo), the
weighted pipeline, last quarter's forecast against what closed, and how well each stage's set
probability matches what happened."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages.sales import _views as sales_views
from crm_core.sales import analysis
from crm_core.sales.settings import sales_settings
from ui import charts
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, money, number, percent
from ui.i18n import t

MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}


def render() -> None:
    actor = require_page("forecast")
    st.title(t("Forecast"))
    with read_scope() as session:
        pipelines = sales_settings(session).pipelines
    pipeline = sales_views.pipeline_picker(pipelines, "forecast-pipeline", everything=True)
    with st.spinner(t("Simulating the open pipeline...")):
        report = sales_views.forecast_report(actor, pipeline)
    if report.amounts:
        _bands(report)
        _weighted(report)
        _last_quarter(report)
    else:
        st.info(
            t(
                "Your role does not see deal values: the revenue bands, the weighted pipeline "
                "and last quarter's forecast are amounts. The calibration below counts leads."
            )
        )
    _calibration(report)


def _money_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    return frame.assign(**{c: frame[c].map(money) for c in columns})


def _bands(report: analysis.ForecastReport) -> None:
    st.subheader(t("Revenue bands by month"))
    st.caption(
        t(
            "2,000 simulated futures of the {n:n} open leads, each won with the probability that "
            "leads closed in the last two years had at its stage and time in stage: in 8 of 10 "
            "futures the month's won value lies between P10 and P90; P50 is the middle one. A lead "
            "whose expected close has passed counts in this month.",
            n=report.open_leads,
        )
    )
    bands = report.bands
    if bands.empty:
        st.info(t("No open leads to forecast."))
        return
    following = str(pd.Timestamp(sales_views.now()).to_period("M") + 1)
    row = bands[bands["month"] == following]
    cells = st.columns(3)
    for cell, band, label in zip(
        cells, ("p10", "p50", "p90"), (t("P10 next month"), t("P50 next month"),
                                        t("P90 next month")), strict=True
    ):  # fmt: skip
        # No open lead expected to close next month: nothing is forecast for it.
        cell.metric(label, compact_money(float(row[band].iloc[0]) if not row.empty else 0))
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=bands["month"],
            y=bands["p90"] - bands["p10"],
            base=bands["p10"],
            name=t("P10 – P90"),
            opacity=0.35,
        )
    )
    figure.add_trace(
        go.Scatter(x=bands["month"], y=bands["p50"], name=t("P50"), mode="lines+markers")
    )
    figure.update_layout(height=320, margin=MARGIN)
    charts.show(figure, money="y", months="x")
    sales_views.table(
        _money_columns(bands, "p10", "p50", "p90", "mean"),
        "forecast-bands",
        "forecast-bands",
        month=t("Month"),
        leads=t("Open leads"),
        p10=t("P10"),
        p50=t("P50"),
        p90=t("P90"),
        mean=t("Mean"),
    )


def _weighted(report: analysis.ForecastReport) -> None:
    st.subheader(t("Weighted pipeline"))
    st.caption(
        t(
            "Open leads by expected close month: their value, and their value times the "
            "set probability of their stage. Won and lost leads are never counted."
        )
    )
    frame = report.weighted
    if frame.empty:
        return
    figure = go.Figure(go.Bar(x=frame["month"], y=frame["weighted"], name=t("Weighted")))
    figure.update_layout(height=280, margin=MARGIN)
    charts.show(figure, money="y", months="x")
    sales_views.table(
        _money_columns(frame, "value", "weighted"),
        "weighted-pipeline",
        "forecast-weighted",
        month=t("Month"),
        leads=t("Open leads"),
        value=t("Value"),
        weighted=t("Weighted"),
    )


def _last_quarter(report: analysis.ForecastReport) -> None:
    start, end = report.quarter
    st.subheader(t("Last quarter: forecast against won"))
    st.caption(
        t(
            "The weighted forecast as it stood on {start:date} (the leads open then, expected to "
            "close in each month, value x their stage's probability then) against the value won in "
            "the month.",
            start=start,
        )
    )
    frame = report.last_quarter
    forecast, actual = float(frame["forecast"].sum()), float(frame["actual"].sum())
    cells = st.columns(3)
    cells[0].metric(t("Forecast"), compact_money(forecast))
    cells[1].metric(t("Won"), compact_money(actual))
    cells[2].metric(t("Won of forecast"), "–" if not forecast else percent(actual / forecast))
    figure = go.Figure(
        [
            go.Bar(x=frame["month"], y=frame["forecast"], name=t("Forecast")),
            go.Bar(x=frame["month"], y=frame["actual"], name=t("Won")),
        ]
    )
    figure.update_layout(barmode="group", height=280, margin=MARGIN)
    charts.show(figure, money="y", months="x")
    sales_views.table(
        _money_columns(frame, "forecast", "actual"),
        "forecast-vs-won",
        "forecast-quarter",
        month=t("Month"),
        forecast=t("Forecast"),
        forecast_leads=t("Leads forecast"),
        actual=t("Won"),
        actual_leads=t("Leads won"),
    )
    st.caption(
        t("Quarter: {start:date} to {end:date}", start=start, end=end - pd.Timedelta(days=1))
    )


def _calibration(report: analysis.ForecastReport) -> None:
    st.subheader(t("Calibration of the stage probabilities"))
    st.caption(
        t(
            "Each stage's set probability against the share of the closed leads that "
            "reached it and were won; the gap is observed minus set. A manager changes the "
            "set probabilities in the sales settings."
        )
    )
    frame = report.calibration
    names = frame["stage"].map(sales_views.stage_name)
    figure = go.Figure(
        [
            go.Bar(x=names, y=frame["set_probability"], name=t("Set")),
            go.Bar(x=names, y=frame["observed"], name=t("Observed")),
        ]
    )
    figure.update_layout(barmode="group", height=280, margin=MARGIN, yaxis={"tickformat": ".0%"})
    charts.show(figure)

    def share(value: float | None) -> str:
        return "–" if value is None or pd.isna(value) else percent(value)

    def gap(value: float | None) -> str:
        if value is None or pd.isna(value):
            return "–"
        return t("{gap} points", gap=("+" if value >= 0 else "") + number(value * 100, 0))

    shown = frame.assign(
        stage=names,
        set_probability=frame["set_probability"].map(share),
        observed=frame["observed"].map(share),
        gap=frame["gap"].map(gap),
    )
    sales_views.table(
        shown,
        "calibration",
        "forecast-calibration",
        stage=t("Stage"),
        set_probability=t("Set probability"),
        closed=t("Closed leads"),
        won=t("Won"),
        observed=t("Observed win rate"),
        gap=t("Gap"),
    )
