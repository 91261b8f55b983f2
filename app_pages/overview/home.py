"""My work, each salesperson's and agent's home: their figures against this month's target,
tickets about to breach (every one, for whoever assigns them), their open tickets or leads,
the at-risk customers they own, and follow-ups overdue or due this week; each row opens it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crm_core.customers import read as tasks
from crm_core.kernel.permissions import Actor, Capability, may
from crm_core.models import utcnow
from crm_core.models.enums import LeadStage
from crm_core.overview import home
from crm_core.overview.home import Home
from crm_core.overview.targets import Metric
from crm_core.service import read as service_read
from crm_core.service.read import SlaState
from ui import cache, forms, lists, nav
from ui import format as fmt
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times, when
from ui.i18n import t, tn
from ui.labels import option, value_words
from ui.plain import plain


def render() -> None:
    actor = require_page("home")
    st.title(t("Good to see you, {name}", name=actor.name.split()[0]))
    with read_scope() as session:
        mine = home.my_home(session, actor, utcnow(), _today())
    _progress(mine)
    _escalations(actor)
    _open_work(mine)
    _at_risk(mine)
    st.subheader(t("Follow-ups"))
    st.caption(
        t(
            "Follow-ups you own that are overdue or due in the next 7 days. "
            "Select rows and press Done when they are."
        )
    )
    with read_scope() as session:
        follow_ups = tasks.open_follow_ups(session, actor, utcnow())
    overdue = int(follow_ups["overdue"].sum())
    left, right = st.columns(2)
    left.metric(t("Overdue follow-ups"), overdue)
    right.metric(t("Due in the next 7 days"), len(follow_ups) - overdue)
    forms.feedback("home-follow-ups")
    if follow_ups.empty:
        st.success(t("Nothing due: no open follow-ups in the next 7 days."))
        return
    shown = follow_ups.assign(due=local_times(follow_ups["due_at"]))
    picked = st.dataframe(
        shown[["due", "title", "customer", "lead", "overdue"]],
        hide_index=True,
        width="stretch",
        column_config={
            "due": t("Due"),
            "title": t("Follow-up"),
            "customer": t("Customer"),
            "lead": t("Lead"),
            "overdue": st.column_config.CheckboxColumn(t("Overdue")),
        },
        on_select="rerun",
        selection_mode=["multi-row", "single-cell"],
        key="home-follow-ups-table",
        placeholder="–",
    )
    clicked = lists.clicked_cell(picked, ["customer"])  # a customer's name opens its 360
    if clicked is not None and pd.notna(follow_ups["customer_id"].iloc[clicked]):
        lists.open_record("home", "customer", int(follow_ups["customer_id"].iloc[clicked]))
    chosen = follow_ups.iloc[picked.selection.rows] if picked else follow_ups.iloc[[]]
    done_label, hint = t("Done"), t("Select rows")
    if st.button(done_label, key="home-follow-ups-done", disabled=chosen.empty, help=hint):
        done = list(zip(chosen["id"], chosen["version"], strict=True))
        forms.submit(
            "home-follow-ups",
            lambda s: [tasks.complete_follow_up(s, actor, int(i), int(v)) for i, v in done],
            tn("Marked {n:n} follow-up done.", "Marked {n:n} follow-ups done.", len(done)),
        )
        st.rerun()


def _escalations(actor: Actor) -> None:
    """Tickets about to breach or breached: an agent's own, every one for whoever assigns."""
    if not (may(actor, Capability.ANSWER_TICKETS) or may(actor, Capability.ASSIGN_TICKETS)):
        return
    with read_scope() as session:
        raised = service_read.escalations(session, actor, utcnow())
    if raised.empty:
        return
    st.subheader(tn("{n:n} ticket needs you now", "{n:n} tickets need you now", len(raised)))
    st.caption(t("At risk (under 20 % of its target left) or breached, most urgent first."))
    row: Any
    for row in raised.itertuples():
        state = option(SlaState, row.sla_state)
        label = t(
            "#{id} {subject} · {customer} · {state}, due {due}",
            id=row.id,
            subject=plain(row.subject),
            customer=plain(row.customer),
            state=state,
            due=when(row.next_due) if pd.notna(row.next_due) else "–",
        )
        nav.link("ticket", label, id=row.id)


def _today() -> Any:
    zone = cache.team_settings().time_zone
    return pd.Timestamp(utcnow()).tz_localize("UTC").tz_convert(zone).date()


def _progress(mine: Home) -> None:
    """This month's targets against what is done so far."""
    if mine.progress.empty:
        return
    st.subheader(t("This month against your targets"))
    columns = st.columns(min(len(mine.progress), 4))
    row: Any
    for index, row in enumerate(mine.progress.itertuples()):
        metric = str(row.metric)
        shown = _metric_value(metric, row.actual)
        goal = _metric_value(metric, row.target)
        share = "–" if row.share is None or pd.isna(row.share) else fmt.percent(float(row.share))
        columns[index % len(columns)].metric(
            option(Metric, metric), shown, t("{share} of {goal}", share=share, goal=goal),
            delta_color="off", delta_arrow="off", border=True,  # progress, not a move
        )  # fmt: skip


def _metric_value(metric: str, value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    if metric == Metric.REVENUE_WON:
        return fmt.compact_money(value)
    if metric == Metric.SLA_ATTAINMENT:
        return fmt.percent(value)
    return fmt.number(value, 2 if metric == Metric.CSAT else 0)


def _open_work(mine: Home) -> None:
    if not mine.leads.empty:
        st.subheader(tn("{n:n} open lead", "{n:n} open leads", len(mine.leads)))
        st.caption(t("Yours, those expected to close first on top. Select one to open it."))
        leads = mine.leads.assign(due=mine.leads["due"].map(_due), stage=mine.leads["stage"].map(
            lambda s: option(LeadStage, s)))  # fmt: skip
        _opening(fmt.with_money(leads, ["value"]), leads, "lead", "id", "home-leads")
    if not mine.tickets.empty:
        st.subheader(tn("{n:n} open ticket", "{n:n} open tickets", len(mine.tickets)))
        st.caption(t("Assigned to you, most urgent first. Select one to open it."))
        tickets = mine.tickets.assign(
            sla_state=mine.tickets["sla_state"].map(lambda s: option(SlaState, s)),
            next_due=local_times(mine.tickets["next_due"]),
        )
        _opening(tickets, tickets, "ticket", "id", "home-tickets")


def _due(value: str) -> str:
    return {"overdue": t("Overdue"), "today": t("Due today")}.get(value, "")


def _at_risk(mine: Home) -> None:
    if mine.at_risk.empty:
        return
    st.subheader(tn("{n:n} customer of yours at high churn risk",
                    "{n:n} customers of yours at high churn risk", len(mine.at_risk)))  # fmt: skip
    st.caption(t("From the stored value figures, riskiest first. Select one to open it."))
    shown = value_words(mine.at_risk).assign(
        last_order_at=local_times(mine.at_risk["last_order_at"])
    )
    shown = shown.drop(columns=["owner_id", "risk_band"])
    money = [c for c in ("net_revenue", "profit") if c in shown]
    bars = fmt.percent_points(shown, ["churn_risk"])
    _opening(fmt.with_money(bars, money), shown, "customer", "customer_id", "home-at-risk")


def _opening(shown: Any, rows: pd.DataFrame, page: str, column: str, key: str) -> None:
    picked = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=key, column_config=_LABELS(),
        placeholder="–",
    )  # fmt: skip
    if picked and picked.selection.rows:
        nav.open_page(page, id=int(rows.iloc[picked.selection.rows[0]][column]))


def _LABELS() -> dict[str, Any]:  # noqa: N802 - read like a constant
    return {
        "id": st.column_config.NumberColumn(t("Number"), format="%d"),
        "customer_id": st.column_config.NumberColumn(t("Customer"), format="%d"),
        "name": t("Name"), "stage": t("Stage"), "value": t("Value"),
        "expected_close": t("Expected close"), "due": t("Due"), "subject": t("Subject"),
        "customer": t("Customer"), "priority": t("Priority"), "sla_state": t("SLA"),
        "next_due": t("Next due"), "value_tier": t("Value tier"), "net_revenue": t("Revenue"),
        "profit": t("Profit"), "churn_risk": fmt.share_bar(t("Churn risk")),
        "last_order_at": t("Last order"),
    }  # fmt: skip
