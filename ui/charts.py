"""Plotly charts in the reader's language: Plotly writes numbers with its own marks (1,234.5)
and amounts with SI suffixes, and an Indonesian reads "150M" as Rp 150 miliar, a thousand
times what a 150-million axis means. `show` sets the language's marks and labels an axis of
amounts (Rp 150 jt) or of months (Des 2026) as the rest of the page writes them."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm_core.kernel import localized
from ui.format import compact_money
from ui.i18n import language, t

Axis = Literal["x", "y"]


def show(
    figure: go.Figure, *, money: Axis | None = None, months: Axis | None = None, **options: Any
) -> Any:
    """st.plotly_chart (its `options` passed on), the figure in the reader's language."""
    # Translators: Plotly's decimal mark then thousands mark, as the language writes them.
    figure.update_layout(separators=t(".,"))
    if money is not None:
        ticks = localized.nice_ticks(*_span(figure, money))
        figure.update_layout(
            {f"{money}axis": {"tickvals": ticks, "ticktext": [compact_money(v) for v in ticks]}}
        )
    if months is not None:
        shown = list(dict.fromkeys(_values(figure, months)))
        labels = [localized.short_month(_month(v), language()) for v in shown]
        figure.update_layout(
            {f"{months}axis": {"type": "category", "tickvals": shown, "ticktext": labels}}
        )
    options.setdefault("width", "stretch")
    return st.plotly_chart(figure, **options)


def _values(figure: go.Figure, axis: Axis) -> Iterable[Any]:
    for trace in figure.data:
        yield from _listed(getattr(trace, axis, None))


def _listed(values: Any) -> list[Any]:
    """A trace's values (a tuple, an array or None) as a list."""
    return [] if values is None else list(values)


def _span(figure: go.Figure, axis: Axis) -> tuple[float, float]:
    """The lowest and highest amount drawn on `axis` (a bar's base added), 0 included."""
    ends = [0.0]
    for trace in figure.data:
        values = _listed(getattr(trace, axis, None))
        base = getattr(trace, "base", None)
        bases = None if base is None or isinstance(base, numbers.Real) else _listed(base)
        for i, value in enumerate(values):
            if isinstance(value, numbers.Real) and math.isfinite(value):
                ends.append(float(value) + (float(bases[i]) if bases else 0.0))
    return min(ends), max(ends)


def _month(value: Any) -> date:
    """A month as the chart holds it ("2026-12", a Period, a date) as its first day."""
    return pd.Period(str(value)[:7], freq="M").start_time.date()
