"""Customer 360: one customer's profile, value, timeline and open work, and the forms that
change them; with no customer given, the form to create one (and, for managers, the deleted).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crm_core.customers import records as customers
from crm_core.customers.records import CustomerProfile
from crm_core.kernel.errors import CRMError
from crm_core.kernel.money import compact_money
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity
from ui import cache, customer_form, customer_views, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_time, money

CONSENTS = {"email": "email", "sms": "SMS/WhatsApp", "phone": "phone calls"}


def render() -> None:
    actor = require_page("customer")
    customer_id = _customer_id()
    if customer_id is None:
        st.title("Customer 360")
        st.caption("Open a customer from the Customers list, or create one here.")
        nav.link("customers", "Go to Customers")
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
        st.error(str(exc))
        return
    customer = profile.customer
    _header(profile)
    customer_views.manage_outcome(customer.id)
    if st.session_state.get(customer_form.CREATED) == customer.id:
        st.success("Customer created.")
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
    edit, account, manage = st.tabs(["Edit profile", "Account", "Delete or merge"])
    with edit:
        if allowed(actor, Entity.CUSTOMER, Action.UPDATE, customer):
            customer_form.profile_form(actor, customer.id, customer.version, values)
        else:
            st.caption("Only the customer's owner, a manager or an admin edits this profile.")
    with account:
        customer_views.account_section(actor, customer, profile.account)
    with manage:
        customer_views.manage(actor, customer)


def _header(profile: CustomerProfile) -> None:
    c = profile.customer
    st.title(c.name)
    st.caption(f"Customer #{c.id} · last changed {local_time(c.updated_at)} · version {c.version}")
    place = ", ".join(p for p in (c.address, c.city, c.region, c.country) if p)
    born = c.birth_date and f"born {c.birth_date}"
    consents = [label for k, label in CONSENTS.items() if getattr(c, f"consent_{k}")]
    language = f" · speaks {c.preferred_language}" if c.preferred_language else ""
    relation = [
        f"Stage: **{c.lifecycle_stage}**",
        f"Prefers: {c.preferred_channel or 'no channel given'}{language}",
        f"Owner: {profile.owner or 'nobody'}" + (f" · came from {c.source}" if c.source else ""),
        "Consents to: " + (", ".join(consents) or "nothing yet"),
    ]
    who, company, relationship = st.columns(3)
    who.markdown(_lines("Contact", [c.email, c.phone, place, c.gender, born]))
    company.markdown(_lines("Account", _account_lines(profile)))
    relationship.markdown(_lines("Relationship", relation))


def _lines(heading: str, lines: list[Any]) -> str:
    return f"**{heading}**  \n" + "  \n".join(str(line) for line in lines if line)


def _account_lines(profile: CustomerProfile) -> list[Any]:
    a = profile.account
    if a is None:
        return ["A consumer (B2C): no account."]
    size = f"{a.employees:,} employees" if a.employees is not None else None
    revenue = f"revenue {money(a.annual_revenue)} a year" if a.annual_revenue is not None else None
    place = ", ".join(p for p in (a.address, a.city, a.region, a.country) if p)
    owner = f"Account owner: {profile.account_owner or 'nobody'}"
    return [
        a.name,
        a.industry,
        " · ".join(x for x in (size, revenue) if x),
        place,
        a.website,
        owner,
    ]


def _value_panel(customer_id: int) -> None:
    st.subheader("Value")
    table = cache.customer_values()
    st.caption(
        f"As of {local_time(table.as_of)}, over all customers; refreshed every "
        "15 minutes, so a touchpoint logged just now counts at the next refresh."
    )
    if customer_id not in table.frame.index:
        st.info("Not in today's value figures yet (new or just restored): back within 15 minutes.")
        return
    v, costs = table.frame.loc[customer_id], cache.value_settings()
    assert isinstance(v, pd.Series)  # the index holds each customer once: one row
    last = v["last_order_at"]
    days = (table.as_of.date() - last.date()).days if pd.notna(last) else None
    ago = "never" if days is None else f"{days} days ago"
    serving = (
        f"discounts, {v['tickets']} tickets × {money(costs.cost_per_ticket)}, "
        f"{v['interactions']} touchpoints × {money(costs.cost_per_interaction)}"
    )
    predicted = f"margin expected in the next {costs.clv_horizon_days} days (BG/NBD model)"
    figures = [
        ("Revenue", v["net_revenue"], f"sales less {money(v['discounts'])} discounts"),
        ("Gross margin", v["gross_margin"], f"sales less goods at {money(v['cogs'])}"),
        ("Cost to serve", v["cost_to_serve"], serving),
        ("Profit", v["profit"], "gross margin less cost to serve"),
        ("Average order", v["average_order_value"], "revenue ÷ orders"),
        ("Orders", f"{v['orders']:,}", "completed orders, all time"),
        ("Last purchase", local_time(last)[:10] if pd.notna(last) else "–", ago),
        ("Historical CLV", v["historical_clv"], "gross margin earned to date"),
        ("Predicted CLV", v["predicted_clv"], table.clv_note or predicted),
        ("P(alive)", _percent(v["p_alive"]), "chance this customer still buys from us"),
    ]
    for row in (figures[:5], figures[5:]):
        for column, (label, value, reason) in zip(st.columns(5), row, strict=True):
            amount = isinstance(value, float)
            column.metric(label, _short(value) if amount else value)
            column.caption(f"{money(value)}: {reason}" if amount and pd.notna(value) else reason)
    risk = f"{v['risk_band']} {_percent(v['churn_risk'])}".removesuffix(" –")
    verdicts = [
        ("Value tier", v["value_tier"], v["tier_reason"]),
        ("RFM segment", _rfm(v), v["segment_reason"]),
        ("Churn risk", risk, v["risk_reason"]),
    ]
    for column, (label, value, reason) in zip(st.columns(3), verdicts, strict=True):
        column.markdown(f"{label}  \n**{value if isinstance(value, str) else '–'}**")
        column.caption(reason if isinstance(reason, str) else "–")
    offers = cache.next_best_offers(customer_id)
    if not offers.empty:
        st.markdown("**Next best offers**")
        st.dataframe(
            offers[["name", "category", "support", "confidence", "lift", "reason"]],
            hide_index=True,
            width="stretch",
            column_config={
                "support": st.column_config.NumberColumn(
                    "Support", format="percent", help="share of buyers who bought both"
                ),
                "confidence": st.column_config.NumberColumn(
                    "Confidence", format="percent", help="of buyers of the product they have"
                ),
                "lift": st.column_config.NumberColumn(
                    "Lift", format="%.1f", help="how much likelier than for buyers in general"
                ),
            },
        )


def _short(amount: float) -> str:
    return "–" if pd.isna(amount) else compact_money(amount, cache.team_settings().currency)


def _percent(share: float) -> str:
    return "–" if pd.isna(share) else f"{share:.0%}"


def _rfm(v: pd.Series) -> str:
    if pd.isna(v["r_score"]):
        return "–"
    return f"{v['rfm_segment']} · R{v['r_score']:.0f} F{v['f_score']:.0f} M{v['m_score']:.0f}"


def _recently_deleted(actor: Actor) -> None:
    if not allowed(actor, Entity.CUSTOMER, Action.RESTORE):
        return
    st.subheader("Recently deleted")
    with read_scope() as session:
        gone = customers.deleted_customers(session, actor, limit=20)
    if gone.empty:
        st.caption("No deleted customers.")
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in gone.itertuples():
        merged = f" · merged into #{row.merged_into_id:.0f}" if pd.notna(row.merged_into_id) else ""
        label = f"#{row.id} {row.name} · deleted {local_time(row.deleted_at)}{merged}"
        nav.link("customer", label, id=row.id, deleted=1)


def _customer_id() -> int | None:
    raw = st.query_params.get("id")
    return int(raw) if raw and raw.isdigit() else None
