"""Team: each salesperson's and support agent's figures for a month, their targets and progress,
the trend per month, and a salesperson's portfolio so that a manager can rebalance accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models import utcnow
from crm_core.models.enums import Entity
from crm_core.overview import targets, team
from crm_core.overview.targets import Metric
from ui import format as fmt
from ui import forms, nav
from ui.auth import require_page
from ui.db import database_url, read_scope
from ui.i18n import t
from ui.labels import option, value_words
from ui.plain import plain

TARGET_FORM = "team-target"
MONTHS = 6


def render() -> None:
    actor = require_page("team")
    st.title(t("Team"))
    month = _month()
    with read_scope() as session:
        mark = team.mark(session)
    found = _figures(database_url()[0], actor, month, _minute(), mark)
    sales, support, progress, trend, book = (
        found.sales,
        found.support,
        found.progress,
        found.trend,
        found.portfolio,
    )
    tabs = st.tabs([t("Sales"), t("Support"), t("Targets"), t("Trend"), t("Portfolio")])
    with tabs[0]:
        _sales(sales)
    with tabs[1]:
        _support(support)
    with tabs[2]:
        _targets(actor, month, progress, sales, support)
    with tabs[3]:
        _trend(trend)
    with tabs[4]:
        _portfolio(actor, book)


def _minute() -> datetime:
    """Now, to the minute: open tickets' SLA states move with time, so the kept figures do."""
    return utcnow().replace(second=0, microsecond=0)


# Kept per reader (scope and amounts differ), month, minute and the data's change mark: the
# figures took 3-4 s at bench scale and were computed again on every rerun (a tab, a person
# picked, a target typed); a lead, ticket, touchpoint, target or refresh saved anywhere
# shows at the next rerun.
@st.cache_data(ttl=120, max_entries=16, show_spinner=False)
def _figures(
    url: str, actor: Actor, month: date, minute: datetime, mark: tuple[Any, ...]
) -> team.TeamFigures:
    with read_scope() as session:
        return team.team_figures(session, actor, month, minute, MONTHS)


def _month() -> date:
    today = date.today()
    months = [(today.replace(day=1) - pd.DateOffset(months=n)).date() for n in range(12)]
    picked = st.selectbox(t("Month"), months, format_func=fmt.month,
                          key="team-month")  # fmt: skip
    return picked or months[0]


def _sales(frame: pd.DataFrame) -> None:
    st.caption(
        t(
            "Leads worked: leads with a stage move in the month. Win rate: won of the leads "
            "closed in it. Revenue won: the value of the leads won. Average cycle: days from "
            "a won lead's creation to its win. Touchpoints: logged by the person."
        )
    )
    st.dataframe(
        fmt.with_numbers(
            frame.drop(columns=["user_id"]), money=["revenue_won"],
            digits={"average_cycle_days": 1}, shares={"win_rate": 0},
        ),
        hide_index=True, width="stretch",
        column_config={
            "name": t("Salesperson"), "leads_worked": t("Leads worked"), "won": t("Won"),
            "lost": t("Lost"),
            "win_rate": t("Win rate"),
            "revenue_won": t("Revenue won"),
            "average_cycle_days": t("Average cycle (days)"),
            "touchpoints": t("Touchpoints"),
        },
        placeholder="–",
    )  # fmt: skip


def _support(frame: pd.DataFrame) -> None:
    st.caption(
        t(
            "Resolved: tickets resolved in the month. Of the tickets created in it: median "
            "working hours to the first response and to resolution, SLA attainment (met both "
            "targets, of those decided) and average CSAT."
        )
    )
    st.dataframe(
        fmt.with_numbers(
            frame.drop(columns=["user_id"]),
            digits={"first_response_hours": 1, "resolution_hours": 1, "csat": 2},
            shares={"sla_attainment": 1},
        ),
        hide_index=True, width="stretch",
        column_config={
            "name": t("Agent"), "tickets_resolved": t("Resolved"),
            "first_response_hours": t("First response (h)"),
            "resolution_hours": t("Resolution (h)"),
            "sla_attainment": t("SLA attainment"),
            "csat": t("CSAT"),
        },
        placeholder="–",
    )  # fmt: skip


def _targets(
    actor: Actor, month: date, progress: pd.DataFrame, sales: pd.DataFrame, support: pd.DataFrame
) -> None:
    st.caption(t("Each person's targets for the month against what is done so far."))
    if progress.empty:
        st.info(t("No targets set for this month yet."))
    else:
        shown = progress.assign(metric=progress["metric"].map(lambda m: option(Metric, m)))
        st.dataframe(
            fmt.percent_points(shown[["name", "metric", "target", "actual", "share"]], ["share"]),
            hide_index=True,
            width="stretch",
            column_config={
                "name": t("Person"), "metric": t("Figure"), "target": t("Target"),
                "actual": t("So far"),
                "share": fmt.share_bar(t("Progress")),
            },
            placeholder="–",
        )  # fmt: skip
    if allowed(actor, Entity.TARGET, Action.CREATE):
        _target_form(actor, month, progress, sales, support)


def _target_form(
    actor: Actor, month: date, progress: pd.DataFrame, sales: pd.DataFrame, support: pd.DataFrame
) -> None:
    people = {int(i): str(n) for i, n in zip(sales["user_id"], sales["name"], strict=True)}
    people |= {int(i): str(n) for i, n in zip(support["user_id"], support["name"], strict=True)}
    forms.feedback(TARGET_FORM)
    if not people:
        return
    with st.form(TARGET_FORM):
        st.markdown(t("**Set a target for {month}**", month=fmt.month(month)))
        who = st.selectbox(t("Person"), list(people), format_func=lambda i: plain(people[i]),
                           key=f"{TARGET_FORM}-user")  # fmt: skip
        metric = st.selectbox(t("Figure"), list(Metric), key=f"{TARGET_FORM}-metric",
                              format_func=lambda m: option(Metric, m))  # fmt: skip
        forms.field_error(TARGET_FORM, "metric")
        value = st.number_input(t("Target"), min_value=0.0, step=1.0, key=f"{TARGET_FORM}-value")
        forms.field_error(TARGET_FORM, "value")
        if st.form_submit_button(t("Save target"), type="primary"):
            version = _version(progress, who, metric)
            data = {"user_id": who, "metric": metric, "month": month, "value": value}
            forms.submit(
                TARGET_FORM, lambda s: targets.set_target(s, actor, data, version),
                t("Target saved."),
            )  # fmt: skip
            st.rerun()


def _version(progress: pd.DataFrame, who: Any, metric: Any) -> int:
    same = progress[(progress["user_id"] == who) & (progress["metric"] == str(metric))]
    return 0 if same.empty else int(same["version"].iloc[0])


def _trend(trend: pd.DataFrame) -> None:
    st.caption(t("Leads won per salesperson and tickets resolved per agent, month by month."))
    for kind, column in ((team.SALES, "won"), (team.SUPPORT, "tickets_resolved")):
        part = trend[trend["role"] == kind]
        if part.empty:
            continue
        table = part.pivot_table(index="month", columns="name", values=column, aggfunc="sum")
        table.index = [m.strftime("%Y-%m") for m in table.index]
        st.markdown(t("**Leads won**") if kind == team.SALES else t("**Tickets resolved**"))
        st.line_chart(table)
        st.dataframe(table, width="stretch", placeholder="–")


def _portfolio(actor: Actor, book: pd.DataFrame) -> None:
    st.caption(
        t(
            "Customers each salesperson owns, their revenue and profit to date and how many "
            "are at high churn risk, from the stored value figures. Pick a person to see "
            "their customers, riskiest first."
        )
    )
    st.dataframe(
        fmt.with_money(book.drop(columns=["user_id"]), ["net_revenue", "profit"]),
        hide_index=True, width="stretch",
        column_config={"name": t("Salesperson"), "customers": t("Customers"),
                       "net_revenue": t("Revenue"), "profit": t("Profit"),
                       "at_risk": t("At high risk")},
        placeholder="–",
    )  # fmt: skip
    if book.empty:
        return
    names = dict(zip(book["user_id"].astype(int), book["name"], strict=True))
    who = st.selectbox(t("Salesperson"), list(names), format_func=lambda i: plain(names[i]),
                       key="team-portfolio-person")  # fmt: skip
    person = int(who or next(iter(names)))
    page = _portfolio_page(book, person)
    with read_scope() as session:
        owned = team.portfolio_customers(session, actor, person, page - 1)
    worded = value_words(owned.drop(columns=["owner_id"])).assign(
        last_order_at=fmt.local_times(owned["last_order_at"])
    )
    picked = st.dataframe(
        fmt.with_money(
            fmt.percent_points(worded, ["churn_risk"]), ["net_revenue", "profit"]
        ),
        hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key=f"team-portfolio-customers-{person}-{page}",
        column_config={
            "customer_id": st.column_config.NumberColumn(t("Customer"), format="%d"),
            "name": t("Name"), "value_tier": t("Value tier"), "net_revenue": t("Revenue"),
            "profit": t("Profit"), "risk_band": t("Risk"), "last_order_at": t("Last order"),
            "churn_risk": fmt.share_bar(t("Churn risk")),
        },
        placeholder="–",
    )  # fmt: skip
    if picked and picked.selection.rows:
        nav.open_page("customer", id=int(owned.iloc[picked.selection.rows[0]]["customer_id"]))


def _portfolio_page(book: pd.DataFrame, person: int) -> int:
    """The page of the person's customers asked for (from 1), offered when there are more."""
    owned = int(book.loc[book["user_id"] == person, "customers"].sum())
    pages = max(1, -(-owned // team.PORTFOLIO_PAGE))
    if pages == 1:
        return 1
    st.caption(t("{n:n} customers, {size:n} per page.", n=owned, size=team.PORTFOLIO_PAGE))
    label = t("Page (of {pages:n})", pages=pages)
    key = f"team-portfolio-page-{person}"
    return int(st.number_input(label, min_value=1, max_value=pages, key=key))
