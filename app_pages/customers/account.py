"""Account 360: a company's own page. Who it is (firmographics), what it is worth (its
contacts' value figures rolled up), its contacts (each one click from their 360), its recent
orders and touchpoints, its open tickets and leads, and the form that edits it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages.customers import _views as customer_views
from crm_core.customers import accounts, phones
from crm_core.customers.accounts import AccountOverview
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Channel, LifecycleStage, OrderStatus, SalesChannel
from crm_core.sales import read as sales_read
from crm_core.service import read as service_read
from ui import cache, lists, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, local_times, long_date, money, number, when
from ui.i18n import N_, say, t, tn
from ui.labels import option
from ui.plain import plain

CONTACTS_WITH_WORK = 50  # open tickets and leads are read for this many contacts at most


def render() -> None:
    actor = require_page("account")
    raw = st.query_params.get("id")
    if not raw or not raw.isdigit():
        st.title(t("Account 360"))
        st.caption(t("Open an account from the Accounts list or from one of its contacts."))
        nav.link("accounts", t("Go to Accounts"))
        return
    try:
        with read_scope() as session:
            found = accounts.account_overview(session, actor, int(raw))
    except CRMError as exc:
        st.error(say(exc.message))
        return
    lists.back_link({"accounts": N_("Accounts")})
    _header(found)
    _value(found)
    contacts, work, edit = st.tabs(
        [
            tn("{n:n} contact", "{n:n} contacts", len(found.contacts)),
            t("Orders and touchpoints"),
            t("Edit account"),
        ]
    )
    with contacts:
        _contacts(found)
        _open_work(actor, found)
    with work:
        _orders(found)
        _touchpoints(found)
    with edit:
        customer_views.edit_account(actor, found.account)


def _header(found: AccountOverview) -> None:
    a = found.account
    st.title(plain(a.name))
    size = a.employees is not None and tn("{n:n} employee", "{n:n} employees", a.employees)
    revenue = a.annual_revenue is not None and t(
        "revenue {amount} a year", amount=compact_money(a.annual_revenue)
    )
    place = ", ".join(p for p in (a.address, a.city, a.region, a.country) if p)
    firm = [a.industry, size, revenue, place, a.website]
    st.markdown(" · ".join(plain(x) for x in firm if x) or t("No company details yet."))
    owner = t("Account owner: {owner}", owner=found.owner or t("nobody"))
    st.caption(plain(f"{owner} · " + t("account #{id} · last changed {at}", id=a.id,
                                         at=when(a.updated_at))))  # fmt: skip


def _value(found: AccountOverview) -> None:
    """Its contacts' figures summed, from the same value table as each customer's 360."""
    ids = [int(i) for i in found.contacts["id"]]
    # its contacts' rows only: the whole table was 100,000 rows read on every run (2.7 s)
    table = cache.customer_values(customer_ids=ids)
    v = accounts.rolled_up(table.frame, ids, amounts=found.amounts)
    last = v["last_order_at"]
    figures = [
        (t("Revenue"), _money(v["net_revenue"]), t("its contacts' sales less discounts")),
        (t("Gross margin"), _money(v["gross_margin"]), t("sales less the goods' cost")),
        (t("Profit"), _money(v["profit"]), t("gross margin less cost to serve")),
        (t("Predicted CLV"), _money(v["predicted_clv"]), t("margin expected from its contacts")),
        (t("Orders"), number(v["orders"]), t("completed orders, all time")),
        (
            t("Last purchase"),
            long_date(last) if last is not None else t("never"),
            t("{buyers:n} of {contacts:n} contacts have bought",
              buyers=v["buyers"], contacts=v["contacts"]),
        ),
    ]  # fmt: skip
    for row in (figures[:3], figures[3:]):
        for column, (label, value, reason) in zip(st.columns(3), row, strict=True):
            column.metric(label, value)
            column.caption(reason)
    st.caption(t("Summed over its contacts' value figures as of {at}.", at=when(table.as_of)))
    if not found.amounts:
        st.caption(t("Amounts are shown to who may read those of every contact of the account."))


def _amount(amount: float | None) -> str:
    """An order's total, or a dash where the actor may not read it."""
    return "–" if amount is None or pd.isna(amount) else money(amount)


def _money(amount: float | None) -> str:
    return "–" if amount is None or pd.isna(amount) else compact_money(amount)


def _contacts(found: AccountOverview) -> None:
    if found.contacts.empty:
        st.info(t("No contacts yet: link a customer to this account from its Account tab."))
        return
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in found.contacts.itertuples():
        stage = option(LifecycleStage, row.lifecycle_stage)
        number = phones.phone(row.phone)
        said = [row.name, stage, row.email, number.shown if number else None]
        label = " · ".join(x for x in said if isinstance(x, str) and x)
        nav.link("customer", plain(label), id=row.id)


def _open_work(actor: Actor, found: AccountOverview) -> None:
    ids = [int(i) for i in found.contacts["id"]][:CONTACTS_WITH_WORK]
    with read_scope() as session:
        tickets = [service_read.open_tickets(session, actor, i) for i in ids]
        leads = [sales_read.open_leads(session, actor, i) for i in ids]
    tickets_found = pd.concat(tickets) if tickets else pd.DataFrame()
    leads_found = pd.concat(leads).drop_duplicates("id") if leads else pd.DataFrame()
    st.subheader(t("Open tickets ({count:n})", count=len(tickets_found)))
    row: Any
    for row in tickets_found.itertuples():
        nav.link("ticket", plain(f"#{row.id} {row.subject}"), id=row.id)
    st.subheader(t("Open leads ({count:n})", count=len(leads_found)))
    for row in leads_found.itertuples():
        customer_views.lead_link(row)


def _orders(found: AccountOverview) -> None:
    st.subheader(
        t("Recent orders ({shown:n} of {total:n})", shown=len(found.orders),
          total=found.orders_total)
    )  # fmt: skip
    if found.orders.empty:
        st.caption(t("No orders yet."))
        return
    orders = found.orders.assign(
        ordered_at=local_times(found.orders["ordered_at"]),
        channel=found.orders["channel"].map(lambda c: option(SalesChannel, c)),
        status=found.orders["status"].map(lambda s: option(OrderStatus, s)),
        total=found.orders["total"].map(_amount),
    ).drop(columns=["customer_id"])
    st.dataframe(
        orders, hide_index=True, width="stretch",
        column_config={"id": t("Order"), "ordered_at": t("When"), "customer": t("Contact"),
                       "channel": t("Channel"), "status": t("Status"), "total": t("Total")},
        placeholder="–",
    )  # fmt: skip


def _touchpoints(found: AccountOverview) -> None:
    st.subheader(t("Recent touchpoints"))
    if found.touchpoints.empty:
        st.caption(t("No touchpoints yet."))
        return
    shown = found.touchpoints.assign(
        occurred_at=local_times(found.touchpoints["occurred_at"]),
        channel=found.touchpoints["channel"].map(lambda c: option(Channel, c)),
    ).drop(columns=["id", "customer_id"])
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_config={"occurred_at": t("When"), "customer": t("Contact"),
                       "channel": t("Channel"), "subject": t("Subject"), "by": t("By")},
        placeholder="–",
    )  # fmt: skip
