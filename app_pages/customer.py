"""Customer 360: one customer's profile, and the form to edit it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core import customers
from crm_core.errors import CRMError
from crm_core.models.enums import Channel, Gender, Language, LeadSource, LifecycleStage
from crm_core.permissions import Action, Actor, allowed
from ui import forms, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_time

TEXT_FIELDS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "address": "Address",
    "city": "City",
    "region": "Region / province",
    "country": "Country",
}
CHOICE_FIELDS: dict[str, tuple[str, list[str]]] = {
    "gender": ("Gender", [g.value for g in Gender]),
    "preferred_channel": ("Preferred channel", [c.value for c in Channel]),
    "preferred_language": ("Preferred language", [lang.value for lang in Language]),
    "lifecycle_stage": ("Lifecycle stage", [s.value for s in LifecycleStage]),
    "source": ("Source", [s.value for s in LeadSource]),
}


def render() -> None:
    actor = require_page("customer")
    customer_id = _customer_id()
    if customer_id is None:
        st.title("Customer 360")
        st.info("Open a customer from the Customers list.")
        nav.link("customers", "Go to Customers")
        return
    try:
        with read_scope() as session:
            customer = customers.get_customer(session, actor, customer_id)
            values = customers.form_values(customer)
    except CRMError as exc:
        st.error(str(exc))
        return
    st.title(customer.name)
    st.caption(
        f"Customer #{customer.id} · last changed {local_time(customer.updated_at)} "
        f"· version {customer.version}"
    )
    if allowed(actor, "customer", Action.UPDATE, customer):
        _edit_form(actor, customer.id, customer.version, values)
    else:
        st.dataframe([values], hide_index=True)


def _customer_id() -> int | None:
    raw = st.query_params.get("id")
    return int(raw) if raw and raw.isdigit() else None


def _edit_form(actor: Actor, customer_id: int, version: int, current: dict[str, Any]) -> None:
    form_key = f"customer-{customer_id}"
    read_version, values = forms.pinned(form_key, version, current)
    if forms.feedback(form_key) and st.button("Load the latest version", key=f"{form_key}-reload"):
        forms.unpin(form_key)
        forms.clear(form_key)
        st.rerun()
    prefix = f"{form_key}-v{read_version}"
    with st.form(prefix):
        st.subheader("Profile")
        data: dict[str, Any] = {}
        for field, label in TEXT_FIELDS.items():
            data[field] = st.text_input(
                label, value=values.get(field) or "", key=f"{prefix}-{field}"
            )
            forms.field_error(form_key, field)
        for field, (label, options) in CHOICE_FIELDS.items():
            current_value = values.get(field)
            choices = ["", *options]
            data[field] = st.selectbox(
                label,
                choices,
                index=choices.index(str(current_value)) if current_value else 0,
                key=f"{prefix}-{field}",
            )
            forms.field_error(form_key, field)
        data["birth_date"] = st.date_input(
            "Birth date",
            value=values.get("birth_date"),
            key=f"{prefix}-birth_date",
            min_value=None,
            format="YYYY-MM-DD",
        )
        forms.field_error(form_key, "birth_date")
        for consent in ("consent_email", "consent_sms", "consent_phone"):
            label = "Consents to " + consent.removeprefix("consent_").replace("sms", "SMS/WhatsApp")
            data[consent] = st.checkbox(
                label, value=bool(values.get(consent)), key=f"{prefix}-{consent}"
            )
        if st.form_submit_button("Save", type="primary"):
            if forms.submit(
                form_key,
                lambda s: customers.update_customer(s, actor, customer_id, read_version, data),
                "Saved.",
            ):
                forms.unpin(form_key)
            st.rerun()
