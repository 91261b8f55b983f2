"""Customer 360: who the customer is and the four answers (worth, loyalty, risk, still
buying) at the top, the next actions one click away (call, WhatsApp, email, log a touchpoint,
schedule a follow-up, edit), then the timeline as a feed beside open work and next best offers;
with no customer given, the form to create one (and, for managers, the recently deleted).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from app_pages.customers import _profile_form as customer_form
from app_pages.customers import _views as customer_views
from crm_core.analytics.churn import RiskBand
from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.customers import accounts, phones
from crm_core.customers import records as customers
from crm_core.customers import value as customer_value
from crm_core.customers.records import CustomerProfile
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Action, Actor, allowed, sees_amounts
from crm_core.models.enums import (
    Channel,
    Entity,
    Gender,
    LeadSource,
    LifecycleStage,
    OrderStatus,
)
from ui import cache, lists, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, long_date, money, number, percent, when, with_numbers
from ui.i18n import N_, say, t, tn
from ui.labels import option
from ui.plain import plain

BACK_TO = {"customers": N_("Customers"), "accounts": N_("Accounts"), "home": N_("My work")}
CONSENTS = {"email": N_("email"), "sms": N_("SMS/WhatsApp"), "phone": N_("phone calls")}


def render() -> None:
    actor = require_page("customer")
    customer_id = _customer_id()
    if customer_id is None:
        st.title(t("Customer 360"))
        st.caption(t("Open a customer from the Customers list, or create one here."))
        nav.link("customers", t("Go to Customers"))
        customer_form.new_customer(actor)
        _recently_deleted(actor)
        return
    try:
        with read_scope() as session:
            profile = customers.customer_profile(
                session, actor, customer_id, deleted=st.query_params.get("deleted") == "1"
            )
            values = customers.form_values(profile.customer)
    except CRMError as exc:
        st.error(say(exc.message))
        return
    customer = profile.customer
    lists.back_link(BACK_TO)
    _header(profile)
    customer_views.manage_outcome(customer.id)
    if st.session_state.get(customer_form.CREATED) == customer.id:
        st.success(t("Customer created."))
        st.session_state.pop(customer_form.CREATED)
    if customer.deleted_at is not None:
        customer_views.deleted_notice(actor, customer)
        customer_views.timeline_feed(actor, customer.id)
        return
    _contact_actions(customer)
    _value_panel(actor, customer.id, customer.owner_id)
    _work_tabs(actor, profile, values)
    feed, side = st.columns([3, 2], gap="large")
    with feed:
        customer_views.timeline_feed(actor, customer.id)
    with side:
        customer_views.follow_ups(actor, customer.id)
        customer_views.open_work(actor, customer.id)
        _recent_orders(actor, customer.id)
        _tags_and_notes(customer)
        _offers(actor, customer.id)


def _header(profile: CustomerProfile) -> None:
    """Who the customer is, in two lines: name; stage, company (one click to it), owner, place."""
    c = profile.customer
    st.title(plain(c.name))
    company = profile.account.name if profile.account else t("a consumer (B2C)")
    place = ", ".join(p for p in (c.city, c.region, c.country) if p)
    channel = option(Channel, c.preferred_channel) if c.preferred_channel else None
    who = [
        option(LifecycleStage, c.lifecycle_stage),
        t("owner {owner}", owner=profile.owner or t("nobody")),
        place,
        channel and t("prefers {channel}", channel=channel),
        c.preferred_language and t("speaks {language}", language=c.preferred_language),
        c.source and t("came from {source}", source=option(LeadSource, c.source)),
    ]
    st.markdown(" · ".join(plain(x) for x in who if x))
    a = profile.account
    if a is not None:
        size = a.employees is not None and tn("{n:n} employee", "{n:n} employees", a.employees)
        firm = [t("Company: {name}", name=company), a.industry, size, a.city]
        st.markdown(" · ".join(plain(x) for x in firm if x))
        nav.link("account", t("Open the account"), id=a.id)
    else:
        st.caption(plain(company))
    consents = [t(label) for k, label in CONSENTS.items() if getattr(c, f"consent_{k}")]
    gender = c.gender and option(Gender, c.gender)
    born = c.birth_date and t("born {day}", day=long_date(c.birth_date))
    details = [
        gender,
        born,
        t("consents to {consents}", consents=", ".join(consents) or t("nothing yet")),
        t("customer #{id} · last changed {at}", id=c.id, at=when(c.updated_at)),
    ]
    st.caption(" · ".join(plain(x) for x in details if x))


def _contact_actions(customer: Any) -> None:
    """Call, WhatsApp and email one click away; the number as people write it."""
    number = phones.phone(customer.phone)
    cells = st.columns(4)
    if number is not None:
        cells[0].link_button(
            t("Call {number}", number=number.shown), number.tel, icon=":material/call:"
        )
        if number.whatsapp:
            cells[1].link_button(t("WhatsApp"), number.whatsapp, icon=":material/chat:")
        else:
            cells[1].caption(t("No WhatsApp: {number} is a landline.", number=number.shown))
    else:
        cells[0].caption(t("No phone number yet."))
    if customer.email:
        cells[2].link_button(
            t("Email {address}", address=customer.email),
            f"mailto:{quote(customer.email, safe='@')}",
            icon=":material/mail:",
        )
    cells[3].caption(t("After a call or a message, log it below: it goes on the timeline."))


def _work_tabs(actor: Actor, profile: CustomerProfile, values: dict[str, Any]) -> None:
    """What a salesperson does next, each one click away."""
    customer = profile.customer
    log, follow_up, edit, account, manage = st.tabs(
        [
            t("Log a touchpoint"),
            t("Schedule a follow-up"),
            t("Edit profile"),
            t("Account"),
            t("Delete or merge"),
        ]
    )
    with log:
        if allowed(actor, Entity.INTERACTION, Action.CREATE):
            customer_views.log_interaction_form(actor, customer.id, customer.preferred_channel)
        else:
            st.caption(t("Your role does not log touchpoints."))
    with follow_up:
        customer_views.schedule_follow_up(actor, customer.id)
    with edit:
        if allowed(actor, Entity.CUSTOMER, Action.UPDATE, customer):
            customer_form.profile_form(actor, customer.id, customer.version, values)
        else:
            st.caption(t("Only the customer's owner, a manager or an admin edits this profile."))
    with account:
        customer_views.account_section(actor, customer, profile.account)
    with manage:
        customer_views.manage(actor, customer)


def _recent_orders(actor: Actor, customer_id: int) -> None:
    with read_scope() as session:
        recent, total = accounts.recent_orders(session, [customer_id], limit=5, actor=actor)
    st.subheader(t("Orders ({count:n})", count=total))
    if recent.empty:
        st.caption(t("No orders yet."))
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in recent.itertuples():
        status = option(OrderStatus, row.status)
        st.markdown(
            plain(
                t("#{id} · {day} · {total} · {status}", id=row.id, day=long_date(row.ordered_at),
                  total="–" if pd.isna(row.total) else money(row.total), status=status)
            )
        )  # fmt: skip


def _tags_and_notes(customer: Any) -> None:
    if not customer.tags and not customer.notes:
        return
    st.subheader(t("Tags and notes"))
    if customer.tags:
        st.markdown(" ".join(f"`{plain(tag)}`" for tag in customer.tags))
    if customer.notes:
        st.text(customer.notes)


def _value_panel(actor: Actor, customer_id: int, owner_id: int | None) -> None:
    """The four answers first (worth, loyalty, risk, still buying), every figure one click on
    (its amounts only for who the matrix lets read them)."""
    table = cache.customer_values(cache.as_of_picker(), customer_id=customer_id)
    if customer_id not in table.frame.index:
        st.info(
            t("Not in today's value figures yet (new or just restored): back within 15 minutes.")
        )
        return
    row = table.frame.loc[customer_id]
    assert isinstance(row, pd.Series)  # the index holds each customer once: one row
    v = customer_value.amounts_for(actor, owner_id, row)
    _verdicts(v)
    with st.expander(t("Value: every figure and how it is counted"), icon=":material/paid:"):
        st.caption(
            t(
                "As of {at}, over all customers; refreshed every 15 minutes, so a touchpoint "
                "logged just now counts at the next refresh.",
                at=when(table.as_of),
            )
        )
        if not sees_amounts(actor, owner_id):
            st.caption(t("Amounts are shown to the customer's owner, managers and admins."))
        _figures(v, table)


def _figures(v: pd.Series, table: Any) -> None:
    costs = cache.value_settings()
    last = v["last_order_at"]
    days = int(v["days_since_last_order"]) if pd.notna(v["days_since_last_order"]) else None
    ago = t("never") if days is None else tn("{n:n} day ago", "{n:n} days ago", days)
    serving = t(
        "discounts, {tickets:n} tickets × {per_ticket}, {touchpoints:n} touchpoints × "
        "{per_touchpoint}",
        tickets=v["tickets"],
        per_ticket=money(costs.cost_per_ticket),
        touchpoints=v["interactions"],
        per_touchpoint=money(costs.cost_per_interaction),
    )
    predicted = t(
        "margin expected in the next {days:n} days (Pareto/NBD model)",
        days=costs.clv_horizon_days,
    )
    note = say(table.clv_note) if table.clv_note else predicted
    figures = [
        (t("Revenue"), v["net_revenue"], t("sales less {x} discounts", x=money(v["discounts"]))),
        (t("Gross margin"), v["gross_margin"], t("sales less goods at {x}", x=money(v["cogs"]))),
        (t("Cost to serve"), v["cost_to_serve"], serving),
        (t("Profit"), v["profit"], t("gross margin less cost to serve")),
        (t("Average order"), v["average_order_value"], t("revenue ÷ orders")),
        (t("Orders"), number(v["orders"]), t("completed orders, all time")),
        (t("Last purchase"), long_date(last), ago),
        (t("Historical CLV"), v["historical_clv"], t("margin earned to date, net of discounts")),
        (t("Predicted CLV"), v["predicted_clv"], note),
        (t("P(alive)"), percent(v["p_alive"]), t("chance this customer still buys from us")),
    ]
    for row in (figures[:5], figures[5:]):
        for column, (label, value, reason) in zip(st.columns(5), row, strict=True):
            amount = isinstance(value, float)
            column.metric(label, compact_money(value) if amount else value)
            column.caption(f"{money(value)}: {reason}" if amount and pd.notna(value) else reason)


def _verdicts(v: pd.Series) -> None:
    band = option(RiskBand, v["risk_band"]) if isinstance(v["risk_band"], str) else "–"
    risk = f"{band} {percent(v['churn_risk'])}".removesuffix(" –")
    alive = t("chance this customer still buys from us")
    verdicts = [
        (t("Value tier"), option(ValueTier, v["value_tier"]), v["tier_reason"], None),
        (t("RFM segment"), _rfm(v), v["segment_reason"], v["segment_detail"]),
        (t("Churn risk"), risk, v["risk_reason"], v["risk_detail"]),
        (t("Still buying"), percent(v["p_alive"]), alive, None),
    ]
    for column, (label, value, reason, detail) in zip(st.columns(4), verdicts, strict=True):
        column.markdown(f"{label}  \n**{value}**")
        shown = reason if reason is alive else say(reason) if isinstance(reason, str) else "–"
        column.caption(shown)
        if isinstance(detail, str):
            column.expander(t("How it is worked out")).caption(say(detail))


def _offers(actor: Actor, customer_id: int) -> None:
    """Next best offers: product, price and margin, and why in one line; the rule's figures
    (support, confidence, lift) behind an expander."""
    offers = cache.next_best_offers(actor, customer_id)
    if offers.empty:
        return
    st.subheader(t("Next best offers"))
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in offers.itertuples():
        line = [f"**{plain(row.name)}**", plain(row.category)]
        if not pd.isna(row.margin):
            line.append(plain(t("{price} · margin {margin} a unit", price=money(row.price),
                                margin=money(row.margin))))  # fmt: skip
        elif not pd.isna(row.price):  # a salesperson reads the list price, not the cost
            line.append(plain(money(row.price)))
        st.markdown(" · ".join(line))
        st.caption(plain(say(row.why)))
    with st.expander(t("Support, confidence and lift")):
        st.dataframe(
            with_numbers(
                offers[["name", "support", "confidence", "lift", "reason"]].assign(
                    reason=offers["reason"].map(say)
                ),
                digits={"lift": 1},
                shares={"support": 1, "confidence": 1},
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "name": t("Product"),
                "support": st.column_config.Column(
                    t("Support"), help=t("share of buyers who bought both")
                ),
                "confidence": st.column_config.Column(
                    t("Confidence"), help=t("of buyers of the product they have")
                ),
                "lift": st.column_config.Column(
                    t("Lift"), help=t("how much likelier than for buyers in general")
                ),
                "reason": t("Why"),
            },
            placeholder="–",
        )


def _rfm(v: pd.Series) -> str:
    if pd.isna(v["r_score"]):
        return "–"
    segment = option(RfmSegment, v["rfm_segment"])
    return f"{segment} · R{v['r_score']:.0f} F{v['f_score']:.0f} M{v['m_score']:.0f}"


def _recently_deleted(actor: Actor) -> None:
    if not allowed(actor, Entity.CUSTOMER, Action.RESTORE):
        return
    st.subheader(t("Recently deleted"))
    with read_scope() as session:
        gone = customers.deleted_customers(session, actor, limit=20)
    if gone.empty:
        st.caption(t("No deleted customers."))
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in gone.itertuples():
        label = t(
            "#{id} {name} · deleted {at}", id=row.id, name=plain(row.name), at=when(row.deleted_at)
        )
        if pd.notna(row.merged_into_id):
            label += " · " + t("merged into #{id}", id=int(row.merged_into_id))
        nav.link("customer", label, id=row.id, deleted=1)


def _customer_id() -> int | None:
    raw = st.query_params.get("id")
    return int(raw) if raw and raw.isdigit() else None
