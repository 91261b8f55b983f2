"""The region split on a tile grid of Indonesia's provinces (one equal square each, coloured
by customers), with the regions that are no province listed beneath."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages.marketing._views import value_label
from crm_core.marketing.geography import on_tiles
from ui import charts
from ui.format import compact_money, number
from ui.i18n import t
from ui.plain import plain


def province_tiles(by_region: pd.DataFrame, with_amounts: bool) -> None:
    placed, elsewhere = on_tiles(by_region)
    hover = [
        f"{plain(p)}<br>{t('Customers')}: {number(int(c))}"
        + (f"<br>{t('Net revenue')}: {compact_money(r)}" if with_amounts else "")
        for p, c, r in zip(placed["province"], placed["customers"],
                           placed.get("net_revenue", placed["customers"] * 0), strict=True)
    ]  # fmt: skip
    figure = go.Figure(go.Scatter(
        x=placed["col"], y=placed["row"], mode="markers+text", text=placed["abbr"],
        textfont={"size": 9}, hovertext=hover, hoverinfo="text",
        marker={"symbol": "square", "size": 44, "color": placed["customers"],
                "colorscale": "Blues", "showscale": True, "line": {"width": 1, "color": "#999"},
                "colorbar": {"title": t("Customers")}},
    ))  # fmt: skip
    figure.update_layout(
        height=360, xaxis={"visible": False}, yaxis={"visible": False, "autorange": "reversed"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="rgba(0,0,0,0)",
    )  # fmt: skip
    charts.show(figure)
    st.caption(
        t("Each square is one of Indonesia's 38 provinces, placed roughly where it lies and "
          "shaded by customers; point at one for its figures. A tile grid, not a map: every "
          "province the same size, so small ones read as clearly as large ones.")
    )  # fmt: skip
    if not elsewhere.empty:
        st.caption(
            t("Not a province of Indonesia (shown in the ranking below only): {regions}",
              regions=plain(", ".join(value_label("region", g) for g in elsewhere["group"])))
        )  # fmt: skip
