"""Data quality page: field completeness, likely duplicates, untouched records; rows open them."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.express as px
import streamlit as st

from crm_core.customers import data_quality, fields
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.permissions import Actor
from ui import auth, cache, charts, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times, number, percent, percent_points, share_bar
from ui.i18n import N_, keep_language, say, t, tn

THRESHOLDS = {180: N_("6 months"), 365: N_("1 year"), 730: N_("2 years")}
SUMMARY_DAYS = 365
CLUSTER_LIMIT = 200
UNTOUCHED_LIMIT = 500


def render() -> None:
    actor = require_page("data-quality")
    st.title(t("Data quality"))
    # Computed once per refresh period (15 minutes), not on every rerun; a save clears it.
    report, as_of = cache.quality_report(actor, SUMMARY_DAYS, CLUSTER_LIMIT)
    _metrics(report.summary)
    _completeness(report.completeness)
    _clusters(report.clusters, report.summary)
    _untouched(actor, as_of, report.summary.untouched)


def _metrics(summary: data_quality.QualitySummary) -> None:
    share = summary.key_fields_share
    first, second, third, fourth = st.columns(4)
    first.metric(t("Key fields filled"), t("n/a") if share is None else percent(share))
    second.metric(t("Duplicate clusters"), number(summary.duplicate_clusters))
    third.metric(t("Customers in clusters"), number(summary.customers_in_clusters))
    fourth.metric(t("Untouched for a year"), number(summary.untouched))
    *others, last = [t(f.label).lower() for f in fields.key_fields()]
    definitions = [
        t(
            "Over the {n:n} customers you can see, deleted ones left out, as of now.",
            n=summary.customers,
        ),
        t(
            "**Key fields filled**: of the {fields} and {last} of these customers, "
            "the share filled in.",
            fields=", ".join(others),
            last=last,
        ),
        t(
            "**Duplicate clusters**: groups of customers sharing an email, a phone number, or a "
            "name at the same company, however typed; groups linked by a member count as one."
        ),
        t("**Customers in clusters**: the customers in those groups."),
        t(
            "**Untouched for a year**: customers whose record, interactions, orders and tickets "
            "have all had no change for more than {days:n} days.",
            days=SUMMARY_DAYS,
        ),
    ]
    st.caption("  \n".join(definitions))


def _completeness(table: pd.DataFrame) -> None:
    st.subheader(t("Completeness of each field"))
    st.caption(
        t("Share of customers with the field filled in; for a consent, the share who gave it.")
    )
    table = table.assign(label=table["label"].map(t))
    ordered = table.sort_values("share")
    figure = px.bar(ordered, x="share", y="label", orientation="h", range_x=[0, 1], text_auto=".0%")
    figure.update_layout(
        xaxis_tickformat=".0%",
        xaxis_title=t("Share filled"),
        yaxis_title=None,
        height=80 + 28 * len(ordered),
    )
    charts.show(figure)
    columns = {
        "label": t("Field"),
        "filled": t("Filled"),
        "total": t("Customers"),
        "share": t("Share filled"),
    }
    st.dataframe(
        percent_points(table.drop(columns=["field"]), ["share"]),
        hide_index=True,
        width="stretch",
        column_config={**columns, "share": share_bar(columns["share"])},
        placeholder="–",
    )
    st.download_button(
        t("Download completeness as CSV"),
        safe_csv(table.drop(columns=["field"]).rename(columns=columns)),
        "relasi-field-completeness.csv",
        "text/csv",
        key="dq_completeness_csv",
    )


@st.fragment
def _clusters(clusters: pd.DataFrame, summary: data_quality.QualitySummary) -> None:
    auth.recheck()
    st.subheader(t("Likely duplicates"))
    shown = clusters["cluster_id"].nunique()
    count = tn("{n:n} cluster", "{n:n} clusters", summary.duplicate_clusters)
    if shown < summary.duplicate_clusters:
        count += " " + t("(the {n:n} biggest shown)", n=shown)
    st.caption(
        t(
            "{clusters}. Each line is a customer; the reason says what the cluster shares. "
            "Select a row to open that customer and fix it.",
            clusters=count,
        )
    )
    table = _local_times(clusters, "updated_at").assign(reason=clusters["reason"].map(say))
    _table_opening_customers(table, "dq_clusters")
    st.download_button(
        t("Download these clusters as CSV"),
        safe_csv(table.rename(columns=_column_labels())),
        "relasi-duplicate-clusters.csv",
        "text/csv",
        key="dq_clusters_csv",
    )


@st.fragment
def _untouched(actor: Actor, as_of: datetime, untouched_a_year: int) -> None:
    auth.recheck()
    st.subheader(t("Untouched records"))
    days = st.select_slider(
        t("Untouched for more than"),
        list(THRESHOLDS),
        value=SUMMARY_DAYS,
        format_func=keep_language(lambda d: t(THRESHOLDS[d])),
        key="dq_untouched_days",
    )
    with read_scope() as session:
        rows = data_quality.untouched_customers(session, actor, as_of, days, UNTOUCHED_LIMIT)
        total = (
            untouched_a_year
            if days == SUMMARY_DAYS
            else data_quality.count_untouched(session, actor, as_of, days)
        )
    if total <= UNTOUCHED_LIMIT:
        shown = t("all shown")
    else:
        shown = t("the {n:n} oldest shown", n=UNTOUCHED_LIMIT)
    st.caption(
        t(
            "{n:n} customers with no change to their record and no interaction, order or "
            "ticket for more than {days:n} days ({shown}). Last touch is the latest of those. "
            "Select a row to open the customer.",
            n=total,
            days=days,
            shown=shown,
        )
    )
    table = _local_times(rows, "last_touch").assign(
        last_touch_kind=rows["last_touch_kind"].map(lambda kind: t(f"touch.{kind}"))
    )
    _table_opening_customers(table, "dq_untouched")
    st.download_button(
        t("Download this list as CSV"),
        safe_csv(table.rename(columns=_column_labels())),
        "relasi-untouched-customers.csv",
        "text/csv",
        key="dq_untouched_csv",
    )


def _column_labels() -> dict[str, str]:
    return {
        "cluster_id": t("Cluster"),
        "reason": t("Shared"),
        "customer_id": t("Customer"),
        "name": t("Name"),
        "email": t("Email"),
        "phone": t("Phone"),
        "company": t("Company"),
        "owner": t("Owner"),
        "updated_at": t("Last changed"),
        "last_touch": t("Last touch"),
        "last_touch_kind": t("What it was"),
        "days_untouched": t("Days untouched"),
    }


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
        column_config={
            **_column_labels(),
            "customer_id": st.column_config.NumberColumn(t("Customer"), format="%d"),
        },
        placeholder="–",
    )
    if picked and picked.selection.rows:
        nav.open_page("customer", id=int(table.iloc[picked.selection.rows[0]]["customer_id"]))
