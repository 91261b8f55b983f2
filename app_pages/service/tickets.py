"""Ticket queue: My tickets, Unassigned, All open, At risk and breached, most urgent first;
All tickets of a period with their outcome; filters (the customer's region and owner, the
created dates among them), quick actions on the selected tickets, and the form for a new
ticket."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.service import _cache, _views
from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may
from crm_core.models.enums import Channel, Entity, Priority, TicketCategory, TicketStatus
from crm_core.service import detail, links, queues, sla, tickets
from crm_core.service.inputs import TICKET_CHANNELS
from crm_core.service.queues import Filters, Queue
from ui import forms, nav, pickers
from ui.auth import require_page
from ui.db import read_scope
from ui.format import date_box_format, local_times, number, percent
from ui.i18n import t, tn
from ui.labels import formatter, option, options
from ui.plain import plain

FORM = "tickets-new"
PERIOD_ROWS = 500  # All tickets lists the newest; its figures count every one
ACTIONS = "tickets-actions"


def render() -> None:
    actor = require_page("tickets")
    st.title(t("Ticket queue"))
    about = st.empty()  # what the queue chosen below lists
    _views.picker(actor)
    queue = _choose_queue(actor)
    about.caption(_about(queue))
    with read_scope() as session:
        regions, owners = queues.filter_choices(session)
    filters = _filters(regions, owners)
    _to_address(queue, filters)
    note, save = st.columns([3, 1], vertical_alignment="center")
    note.caption(t("This view is in the page's address: bookmark it, or save it under a name."))
    with save:
        _views.save_form(actor, queue, filters)
    with read_scope() as session:
        policy = sla.sla_policy(session)
    frame = _cache.queue(actor, queue, filters, policy)
    if queue.open_only:
        _counts(frame)
    else:
        _outcomes(frame, filters)
    forms.feedback(ACTIONS)
    picked = _table(frame) if queue.open_only else _period_table(frame)
    if not picked.empty:
        _open_buttons(picked)
        if allowed(actor, Entity.TICKET, Action.UPDATE):
            _quick_actions(actor, picked)
    if allowed(actor, Entity.TICKET, Action.CREATE):
        _new_ticket(actor)


def _about(queue: Queue) -> str:
    if queue.open_only:
        return t(
            "Open tickets (new, open, pending), most urgent first: breached, then the nearest "
            "due time in working hours, then the higher priority. **At risk**: less than 20 % "
            "of its target left; **paused**: pending on the customer, the clock stands still."
        )
    return t(
        "Every ticket created in the period, resolved and closed ones too, newest first. "
        "**SLA**: met when answered and resolved within its targets, missed when either was "
        "late or is past due, running until then. SLA attainment and CSAT are counted as on "
        "the dashboards: met of the decided ones, and the mean rating (1-5) given."
    )


def _choose_queue(actor: Actor) -> Queue:
    choices = (
        list(Queue)
        if may(actor, Capability.ANSWER_TICKETS)
        else [q for q in Queue if q is not Queue.MINE]
    )
    wanted = st.query_params.get("queue")
    start = next((q for q in choices if q.value == wanted), choices[0])
    chosen = st.segmented_control(
        t("Queue"),
        choices,
        default=start,
        format_func=lambda q: option(Queue, q),
        key="tickets-queue",
    )
    return Queue(chosen or choices[0])


# A view is the page's address: the queue and filters are kept in the URL, so a bookmark
# saves a view and a shared link opens the same one; saved views (_views.py) fill it too.
VIEW_KEYS = {
    "tickets-f-priority": "priority",
    "tickets-f-category": "category",
    "tickets-f-channel": "channel",
    "tickets-f-tier": "tier",
}


def _from_address(options: dict[str, list[str]], regions: list[str]) -> None:
    """Before the widgets exist: their starting values from the address, once per session."""
    for key, param in VIEW_KEYS.items():
        if key not in st.session_state and param in st.query_params:
            picked = [v for v in st.query_params.get_all(param) if v in options[param]]
            st.session_state[key] = picked
    if "tickets-f-search" not in st.session_state and "q" in st.query_params:
        st.session_state["tickets-f-search"] = st.query_params["q"]
    linked = links.queue_from_address(st.query_params.to_dict())
    if linked is None or "tickets-f-region" in st.session_state:
        return
    # A region no customer has (a hand-edited address): the choices gain it, the queue is empty.
    if linked.region is not None and linked.region not in regions:
        regions.append(linked.region)
    st.session_state["tickets-f-region"] = linked.region
    st.session_state["tickets-f-owner"] = linked.owner_id
    st.session_state["tickets-f-created"] = linked.created or ()


def _to_address(queue: Queue, filters: Filters) -> None:
    kept = {k: v for k, v in st.query_params.items() if k in ("customer",)}
    view: dict[str, str | list[str]] = {**_views.address(queue, filters), **kept}
    if dict(st.query_params.to_dict()) != {
        k: v if isinstance(v, str) else v[-1] for k, v in view.items()
    }:
        st.query_params.from_dict(view)


def _filters(regions: list[str], owners: dict[int, str]) -> Filters:
    _from_address(
        {
            "priority": [p.value for p in Priority],
            "category": [c.value for c in TicketCategory],
            "channel": [c.value for c in TICKET_CHANNELS],
            "tier": [v.value for v in ValueTier],
        },
        regions,
    )
    linked = any(st.session_state.get(key) for key in _views.LINKED)  # a link's: show them
    with st.expander(t("Filters"), icon=":material/filter_list:", expanded=linked):
        left, middle, right, last = st.columns(4)
        priorities = left.multiselect(
            t("Priority"),
            [p.value for p in Priority],
            format_func=formatter(Priority),
            key="tickets-f-priority",
            placeholder=t("All"),
        )
        categories = middle.multiselect(
            t("Category"),
            [c.value for c in TicketCategory],
            format_func=formatter(TicketCategory),
            key="tickets-f-category",
            placeholder=t("All"),
        )
        channels = right.multiselect(
            t("Channel"),
            [c.value for c in TICKET_CHANNELS],
            format_func=formatter(Channel),
            key="tickets-f-channel",
            placeholder=t("All"),
        )
        tiers = last.multiselect(
            t("Customer tier"),
            [v.value for v in ValueTier],
            format_func=formatter(ValueTier),
            key="tickets-f-tier",
            placeholder=t("All"),
        )
        search = st.text_input(t("Search subject or customer"), key="tickets-f-search")
        region_cell, owner_cell, created_cell = st.columns([1, 1, 2])
        region = pickers.region_picker(region_cell, regions, "tickets-f-region")
        owner = pickers.owner_picker(owner_cell, owners, "tickets-f-owner", t("Customer's owner"))
        picked = created_cell.date_input(
            t("Created between"),
            value=[],
            format=date_box_format(),
            key="tickets-f-created",
            help=t("Local days, both included. All tickets without dates: the last 30 days."),
        )
    created = (picked[0], picked[1]) if isinstance(picked, tuple) and len(picked) == 2 else None
    return Filters(
        tuple(priorities), tuple(categories), tuple(channels), tuple(tiers), search,
        region=region, owner_id=owner, created=created,
    )  # fmt: skip


def _counts(frame: pd.DataFrame) -> None:
    found = queues.counts(frame)
    cells = st.columns(4)
    for cell, state in zip(cells, list(sla.SlaState), strict=True):
        cell.metric(option(sla.SlaState, state), number(found[state.value]))


def _outcomes(frame: pd.DataFrame, filters: Filters) -> None:
    """All tickets' figures, as the dashboards count them (SLA attainment of the decided)."""
    found = queues.outcomes(frame)
    cells = st.columns(4)
    cells[0].metric(t("Tickets created"), number(found.tickets))
    cells[1].metric(t("Resolved"), number(found.resolved))
    cells[2].metric(t("SLA attainment"), percent(found.sla_attainment))
    cells[3].metric(t("CSAT average"), "–" if found.csat is None else number(found.csat, 2))
    if filters.created is None:
        st.caption(t("No dates chosen: the tickets created in the last 30 days."))


def _met(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return t("running")
    return t("met") if bool(value) else t("missed")


def _period_table(frame: pd.DataFrame) -> pd.DataFrame:
    """All tickets, newest first: its outcome beside what a queue shows; the first 500."""
    if frame.empty:
        st.info(t("No ticket was created in this period."))
        return frame
    listed = frame.head(PERIOD_ROWS)
    shown = pd.DataFrame(
        {
            "id": listed["id"],
            "created": local_times(listed["created_at"]),
            "status": options(TicketStatus, listed["status"]),
            "met": listed["met"].map(_met),
            "csat": pd.to_numeric(listed["csat"], errors="coerce"),
            "priority": options(Priority, listed["priority"]),
            "subject": listed["subject"],
            "customer": listed["customer"],
            "assignee": listed["assignee"].fillna("–"),
            "state": options(sla.SlaState, listed["sla_state"]),
        }
    )
    rows = _selectable(
        shown,
        "tickets-period-table",
        {
            "created": t("Created"),
            "status": t("Status"),
            "met": t("SLA"),
            "csat": st.column_config.NumberColumn(t("CSAT"), format="%d"),
            "priority": t("Priority"),
            "subject": t("Subject"),
            "customer": t("Customer"),
            "assignee": t("Assignee"),
            "state": t("While open"),
        },
    )
    if len(frame) > PERIOD_ROWS:
        st.caption(
            t("The newest {shown:n} of {n:n} tickets; narrow the dates to see the others.",
              shown=PERIOD_ROWS, n=len(frame))
        )  # fmt: skip
    return listed.iloc[rows]


def _hours(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "–"
    value = float(seconds)
    sign = "-" if value < 0 else ""
    minutes = round(abs(value) / 60)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        st.success(t("Nothing waiting in this queue."))
        return frame
    shown = pd.DataFrame(
        {
            "id": frame["id"],
            "state": options(sla.SlaState, frame["sla_state"]),
            "due": local_times(frame["next_due"]),
            "left": frame["working_left"].map(_hours),
            "priority": options(Priority, frame["priority"]),
            "subject": frame["subject"],
            "customer": frame["customer"],
            "tier": options(ValueTier, frame["tier"]),
            "assignee": frame["assignee"].fillna("–"),
            "status": options(TicketStatus, frame["status"]),
            "category": options(TicketCategory, frame["category"]),
        }
    )
    rows = _selectable(
        shown,
        "tickets-table",
        {
            "state": t("SLA"),
            "due": t("Next due"),
            "left": t("Working time left (h:mm)"),
            "priority": t("Priority"),
            "subject": t("Subject"),
            "customer": t("Customer"),
            "tier": t("Tier"),
            "assignee": t("Assignee"),
            "status": t("Status"),
            "category": t("Category"),
        },
    )
    st.caption(tn("{n:n} ticket in this queue.", "{n:n} tickets in this queue.", len(frame)))
    return frame.iloc[rows]


def _selectable(shown: pd.DataFrame, key: str, columns: dict[str, Any]) -> list[int]:
    """The tickets as a table whose rows can be ticked (the quick actions' selection);
    returns the ticked rows' positions."""
    picked = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={"id": st.column_config.NumberColumn("#", format="%d"), **columns},
        on_select="rerun",
        selection_mode="multi-row",
        key=key,
        placeholder="–",
    )
    return list(picked.selection.rows) if picked else []


def _open_buttons(picked: pd.DataFrame) -> None:
    first = picked.iloc[0]
    left, right = st.columns(2)
    if left.button(t("Open ticket #{id}", id=int(first["id"])), key="tickets-open"):
        nav.open_page("ticket", id=int(first["id"]))
    if right.button(t("Customer 360: {name}", name=plain(first["customer"])), key="tickets-360"):
        nav.open_page("customer", id=int(first["customer_id"]))


def _quick_actions(actor: Actor, picked: pd.DataFrame) -> None:
    versions = dict(zip(picked["id"].astype(int), picked["version"].astype(int), strict=True))
    st.subheader(tn("{n:n} selected ticket", "{n:n} selected tickets", len(versions)))
    keep = ""
    with read_scope() as session:
        agents = detail.assignable_agents(session, actor)
    names = {
        int(i): f"{name} ({load})"
        for i, name, load in zip(agents["id"], agents["name"], agents["open_load"], strict=True)
    }
    take, assign, status, priority, go = st.columns([1, 2, 2, 2, 1], vertical_alignment="bottom")
    taking = may(actor, Capability.ANSWER_TICKETS) and take.button(t("Take"), key="tickets-take")
    assignee: Any = keep
    if may(actor, Capability.ASSIGN_TICKETS):
        assignee = assign.selectbox(
            t("Assign to"),
            [keep, *names],
            format_func=lambda i: names.get(i, t("(no change)")) if i != keep else t("(no change)"),
            key="tickets-assign",
        )
    new_status = status.selectbox(
        t("Status"),
        [keep, *[s.value for s in TicketStatus]],
        format_func=formatter(TicketStatus, t("(no change)")),
        key="tickets-status",
    )
    new_priority = priority.selectbox(
        t("Priority"),
        [keep, *[p.value for p in Priority]],
        format_func=formatter(Priority, t("(no change)")),
        key="tickets-priority",
    )
    apply = go.button(t("Apply"), key="tickets-apply", type="primary")
    if taking:
        forms.submit(
            ACTIONS,
            lambda s: tickets.bulk(s, actor, versions, assignee_id=actor.id),
            tn("Took {n:n} ticket.", "Took {n:n} tickets.", len(versions)),
        )
        st.rerun()
    if apply:
        forms.submit(
            ACTIONS,
            lambda s: tickets.bulk(
                s,
                actor,
                versions,
                status=new_status or None,
                priority=new_priority or None,
                assignee_id="keep" if assignee == keep else int(assignee),
            ),
            tn("Updated {n:n} ticket.", "Updated {n:n} tickets.", len(versions)),
        )
        st.rerun()


def _new_ticket(actor: Actor) -> None:
    preset = st.query_params.get("customer")
    forms.feedback(FORM)  # above: after a save the expander may be drawn closed again
    with st.expander(t("New ticket"), icon=":material/add:", expanded=preset is not None):
        customer_id = _pick_customer(preset)
        forms.field_error(FORM, "customer_id")  # under the search it is about
        box = forms.fresh(FORM)  # a refused ticket stays typed; a created one empties the form
        with st.form(box):
            subject = st.text_input(t("Subject"), max_chars=200, key=f"{box}-subject")
            forms.field_error(FORM, "subject")
            body = st.text_area(t("What the customer wrote"), key=f"{box}-body")
            left, middle, right = st.columns(3)
            channel = left.selectbox(
                t("Channel"),
                [c.value for c in TICKET_CHANNELS],
                format_func=formatter(Channel),
                key=f"{box}-channel",
            )
            category = middle.selectbox(
                t("Category"),
                [c.value for c in TicketCategory],
                format_func=formatter(TicketCategory),
                key=f"{box}-category",
            )
            priority = right.selectbox(
                t("Priority"),
                [p.value for p in Priority],
                index=1,
                format_func=formatter(Priority),
                key=f"{box}-priority",
            )
            sent = st.form_submit_button(t("Create ticket"), type="primary")
        if sent:
            data = {
                "customer_id": customer_id,
                "subject": subject,
                "body": body,
                "channel": channel,
                "category": category,
                "priority": priority,
            }
            if forms.submit(
                FORM,
                lambda s: tickets.create_ticket(s, actor, data),
                t("Ticket created and routed."),
            ):
                forms.renew(FORM)
            st.rerun()


def _pick_customer(preset: str | None) -> int | None:
    if preset is not None and preset.isdigit():
        return int(preset)
    text = st.text_input(
        t("Find the customer"), placeholder=t("Part of a name, email or phone"), key=f"{FORM}-find"
    )
    if not text.strip():
        return None
    with read_scope() as session:
        found = detail.customer_choices(session, text)
    if found.empty:
        st.caption(t("No customer matches."))
        return None
    names = {
        int(i): f"{name} · {email or '–'}"
        for i, name, email in zip(found["id"], found["name"], found["email"], strict=True)
    }
    chosen: int = st.selectbox(
        t("Customer"), list(names), format_func=lambda i: names[i], key=f"{FORM}-customer"
    )
    return chosen
