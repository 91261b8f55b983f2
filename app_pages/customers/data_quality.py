"""Data quality page: field completeness, likely duplicates, untouched records; rows open them."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.express as px
import streamlit as st

from crm_core.customers import data_quality, fields
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from ui import nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times

THRESHOLDS = {180: "6 months", 365: "1 year", 730: "2 years"}
SUMMARY_DAYS = 365
CLUSTER_LIMIT = 200
UNTOUCHED_LIMIT = 500


def render() -> None:
    actor = require_page("data-quality")
    st.title("Data quality")
    as_of = utcnow()
    with read_scope() as session:
        report = data_quality.quality_report(
            session, actor, as_of, SUMMARY_DAYS, cluster_limit=CLUSTER_LIMIT
        )
    _metrics(report.summary)
    _completeness(report.completeness)
    _clusters(report.clusters, report.summary)
    _untouched(actor, as_of, report.summary.untouched)


def _metrics(summary: data_quality.QualitySummary) -> None:
    share = summary.key_fields_share
    first, second, third, fourth = st.columns(4)
    first.metric("Key fields filled", "n/a" if share is None else f"{share:.0%}")
    second.metric("Duplicate clusters", f"{summary.duplicate_clusters:,}")
    third.metric("Customers in clusters", f"{summary.customers_in_clusters:,}")
    fourth.metric("Untouched for a year", f"{summary.untouched:,}")
    *others, last = [f.label.lower() for f in fields.key_fields()]
    definitions = [
        f"Over the {summary.customers:,} customers you can see, deleted ones left out, as of now.",
        f"**Key fields filled**: of the {', '.join(others)} and {last} of these customers, "
        "the share filled in.",
        "**Duplicate clusters**: groups of customers sharing an email, a phone number, or a "
        "name at the same company, however typed; groups linked by a member count as one.",
        "**Customers in clusters**: the customers in those groups.",
        f"**Untouched for a year**: customers whose record, interactions, orders and tickets "
        f"have all had no change for more than {SUMMARY_DAYS} days.",
    ]
    st.caption("  \n".join(definitions))


def _completeness(table: pd.DataFrame) -> None:
    st.subheader("Completeness of each field")
    st.caption("Share of customers with the field filled in; for a consent, the share who gave it.")
    ordered = table.sort_values("share")
    figure = px.bar(ordered, x="share", y="label", orientation="h", range_x=[0, 1], text_auto=".0%")
    figure.update_layout(
        xaxis_tickformat=".0%",
        xaxis_title="Share filled",
        yaxis_title=None,
        height=80 + 28 * len(ordered),
    )
    st.plotly_chart(figure, width="stretch")
    st.dataframe(
        table.drop(columns=["field"]),
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Field",
            "share": st.column_config.ProgressColumn(
                "Share filled", min_value=0, max_value=1, format="percent"
            ),
        },
    )
    st.download_button(
        "Download completeness as CSV",
        safe_csv(table),
        "relasi-field-completeness.csv",
        "text/csv",
        key="dq_completeness_csv",
    )


@st.fragment
def _clusters(clusters: pd.DataFrame, summary: data_quality.QualitySummary) -> None:
    st.subheader("Likely duplicates")
    shown = clusters["cluster_id"].nunique()
    more = f" (the {shown:,} biggest shown)" if shown < summary.duplicate_clusters else ""
    st.caption(
        f"{summary.duplicate_clusters:,} clusters{more}. Each line is a customer; the "
        "reason says what the cluster shares. Select a row to open that customer and fix it."
    )
    table = _local_times(clusters, "updated_at")
    _table_opening_customers(table, "dq_clusters")
    st.download_button(
        "Download these clusters as CSV",
        safe_csv(table),
        "relasi-duplicate-clusters.csv",
        "text/csv",
        key="dq_clusters_csv",
    )


@st.fragment
def _untouched(actor: Actor, as_of: datetime, untouched_a_year: int) -> None:
    st.subheader("Untouched records")
    days = st.select_slider(
        "Untouched for more than",
        list(THRESHOLDS),
        value=SUMMARY_DAYS,
        format_func=THRESHOLDS.get,
        key="dq_untouched_days",
    )
    with read_scope() as session:
        rows = data_quality.untouched_customers(session, actor, as_of, days, UNTOUCHED_LIMIT)
        total = (
            untouched_a_year
            if days == SUMMARY_DAYS
            else data_quality.count_untouched(session, actor, as_of, days)
        )
    shown = "all shown" if total <= UNTOUCHED_LIMIT else f"the {UNTOUCHED_LIMIT:,} oldest shown"
    st.caption(
        f"{total:,} customers with no change to their record and no interaction, order or "
        f"ticket for more than {days} days ({shown}). Last touch is the latest of those. "
        "Select a row to open the customer."
    )
    table = _local_times(rows, "last_touch")
    _table_opening_customers(table, "dq_untouched")
    st.download_button(
        "Download this list as CSV",
        safe_csv(table),
        "relasi-untouched-customers.csv",
        "text/csv",
        key="dq_untouched_csv",
    )


def _local_times(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.assign(**{column: local_times(frame[column])})


def _table_opening_customers(table: pd.DataFrame, key: str) -> None:
    picked = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        width="stretch",
        column_config={"customer_id": st.column_config.NumberColumn("Customer", format="%d")},
    )
    if picked and picked.selection.rows:
        nav.open_page("customer", id=int(table.iloc[picked.selection.rows[0]]["customer_id"]))
