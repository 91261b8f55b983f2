"""Customer 360: one customer's profile, value, timeline and open work, and the forms that
change them; with no customer given, the form to create one (and, for managers, the deleted).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crm_core.analytics.churn import RiskBand
from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.customers import records as customers
from crm_core.customers.records import CustomerProfile
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Channel, Entity, Gender
from ui import cache, customer_form, customer_views, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, long_date, money, number, percent, when
from ui.i18n import N_, say, t, tn
from ui.labels import option

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
    _header(profile)
    customer_views.manage_outcome(customer.id)
    if st.session_state.get(customer_form.CREATED) == customer.id:
        st.success(t("Customer created."))
        st.session_state.pop(customer_form.CREATED)
    if customer.deleted_at is not None:
        customer_views.deleted_notice(actor, customer)
        customer_views.timeline_feed(actor, customer.id)
        return
    _value_panel(customer.id)
    feed, side = st.columns([3, 2], gap="large")
    with feed:
        customer_views.timeline_feed(actor, customer.id)
    with side:
        if allowed(actor, Entity.INTERACTION, Action.CREATE):
            customer_views.log_interaction_form(actor, customer.id)
        customer_views.follow_ups(actor, customer.id)
        customer_views.open_work(actor, customer.id)
    edit, account, manage = st.tabs([t("Edit profile"), t("Account"), t("Delete or merge")])
    with edit:
        if allowed(actor, Entity.CUSTOMER, Action.UPDATE, customer):
            customer_form.profile_form(actor, customer.id, customer.version, values)
        else:
            st.caption(t("Only the customer's owner, a manager or an admin edits this profile."))
    with account:
        customer_views.account_section(actor, customer, profile.account)
    with manage:
        customer_views.manage(actor, customer)


def _header(profile: CustomerProfile) -> None:
    c = profile.customer
    st.title(c.name)
    st.caption(
        t(
            "Customer #{id} · last changed {at} · version {version}",
            id=c.id,
            at=when(c.updated_at),
            version=c.version,
        )
    )
    place = ", ".join(p for p in (c.address, c.city, c.region, c.country) if p)
    born = c.birth_date and t("born {day}", day=long_date(c.birth_date))
    consents = [t(label) for k, label in CONSENTS.items() if getattr(c, f"consent_{k}")]
    channel = option(Channel, c.preferred_channel) if c.preferred_channel else t("no channel given")
    language = c.preferred_language and t("speaks {language}", language=c.preferred_language)
    came = c.source and t("came from {source}", source=c.source)
    relation = [
        t("Stage: **{stage}**", stage=c.lifecycle_stage),
        " · ".join(x for x in (t("Prefers: {channel}", channel=channel), language) if x),
        " · ".join(x for x in (t("Owner: {owner}", owner=profile.owner or t("nobody")), came) if x),
        t("Consents to: {consents}", consents=", ".join(consents) or t("nothing yet")),
    ]
    gender = c.gender and option(Gender, c.gender)
    who, company, relationship = st.columns(3)
    who.markdown(_lines(t("Contact"), [c.email, c.phone, place, gender, born]))
    company.markdown(_lines(t("Account"), _account_lines(profile)))
    relationship.markdown(_lines(t("Relationship"), relation))


def _lines(heading: str, lines: list[Any]) -> str:
    return f"**{heading}**  \n" + "  \n".join(str(line) for line in lines if line)


def _account_lines(profile: CustomerProfile) -> list[Any]:
    a = profile.account
    if a is None:
        return [t("A consumer (B2C): no account.")]
    size = None
    if a.employees is not None:
        size = tn("{n:n} employee", "{n:n} employees", a.employees)
    revenue = None
    if a.annual_revenue is not None:
        revenue = t("revenue {amount} a year", amount=money(a.annual_revenue))
    place = ", ".join(p for p in (a.address, a.city, a.region, a.country) if p)
    owner = t("Account owner: {owner}", owner=profile.account_owner or t("nobody"))
    return [
        a.name,
        a.industry,
        " · ".join(x for x in (size, revenue) if x),
        place,
        a.website,
        owner,
    ]


def _value_panel(customer_id: int) -> None:
    st.subheader(t("Value"))
    table = cache.customer_values(cache.as_of_picker(), customer_id=customer_id)
    st.caption(
        t(
            "As of {at}, over all customers; refreshed every 15 minutes, so a touchpoint "
            "logged just now counts at the next refresh.",
            at=when(table.as_of),
        )
    )
    if customer_id not in table.frame.index:
        st.info(
            t("Not in today's value figures yet (new or just restored): back within 15 minutes.")
        )
        return
    v = table.frame.loc[customer_id]
    assert isinstance(v, pd.Series)  # the index holds each customer once: one row
    _figures(v, table)
    _verdicts(v)
    _offers(customer_id)


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
    verdicts = [
        (t("Value tier"), option(ValueTier, v["value_tier"]), v["tier_reason"], None),
        (t("RFM segment"), _rfm(v), v["segment_reason"], v["segment_detail"]),
        (t("Churn risk"), risk, v["risk_reason"], v["risk_detail"]),
    ]
    for column, (label, value, reason, detail) in zip(st.columns(3), verdicts, strict=True):
        column.markdown(f"{label}  \n**{value}**")
        column.caption(say(reason) if isinstance(reason, str) else "–")
        if isinstance(detail, str):
            column.expander(t("How it is worked out")).caption(say(detail))


def _offers(customer_id: int) -> None:
    offers = cache.next_best_offers(customer_id)
    if offers.empty:
        return
    st.markdown(t("**Next best offers**"))
    st.dataframe(
        offers[["name", "category", "support", "confidence", "lift", "reason"]].assign(
            reason=offers["reason"].map(say)
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "name": t("Product"),
            "category": t("Category"),
            "support": st.column_config.NumberColumn(
                t("Support"), format="percent", help=t("share of buyers who bought both")
            ),
            "confidence": st.column_config.NumberColumn(
                t("Confidence"), format="percent", help=t("of buyers of the product they have")
            ),
            "lift": st.column_config.NumberColumn(
                t("Lift"), format="%.1f", help=t("how much likelier than for buyers in general")
            ),
            "reason": t("Why"),
        },
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
        label = t("#{id} {name} · deleted {at}", id=row.id, name=row.name, at=when(row.deleted_at))
        if pd.notna(row.merged_into_id):
            label += " · " + t("merged into #{id}", id=int(row.merged_into_id))
        nav.link("customer", label, id=row.id, deleted=1)


def _customer_id() -> int | None:
    raw = st.query_params.get("id")
    return int(raw) if raw and raw.isdigit() else None
