"""The customer forms, drawn from the field declaration (crm_core.customers.fields): the profile
form with every editable field, and the short new-customer form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import streamlit as st

from crm_core.customers import duplicates, fields
from crm_core.customers import records as customers
from crm_core.customers.fields import CustomerField, Widget
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity
from ui import forms, nav
from ui.db import read_scope
from ui.format import date_box_format
from ui.forms import Session
from ui.i18n import N_, keep_language, say, t
from ui.labels import option

CREATED = "relasi_customer_created"  # the id just created, greeted once on its page
EARLIEST = date(1900, 1, 1)  # what the validator accepts; Streamlit's default is 10 years ago
NOBODY = N_("Nobody")


def field_input(field: CustomerField, value: Any, key: str, users: Mapping[int, str]) -> Any:
    """One declared field's widget showing `value`; returns what the user entered."""
    label = t(field.label)  # the declaration's English msgid, in the reader's language
    match field.widget:
        case Widget.TEXT | Widget.EMAIL | Widget.PHONE:
            return st.text_input(label, value=value or "", key=key)
        case Widget.LONG_TEXT:
            return st.text_area(label, value=value or "", key=key, height=80)
        case Widget.TAGS:
            shown = ", ".join(value or [])
            return st.text_input(label, value=shown, key=key, placeholder=t("vip, reseller"))
        case Widget.DATE:
            return st.date_input(
                label, value=value, key=key, min_value=EARLIEST, format=date_box_format()
            )
        case Widget.YES_NO:
            return st.checkbox(label, value=bool(value), key=key)
        case Widget.CHOICE:
            kind = field.choices
            options = [str(c) for c in kind or ()]
            said = (lambda c: option(kind, c)) if kind else str
            return _pick(field, label, options, str(value) if value else None, key, said)
        case Widget.USER:
            return _pick(field, label, list(users), value, key, lambda u: users.get(u, f"#{u}"))
    return None  # an account is linked on the Customer 360's Account tab


def _pick(
    field: CustomerField,
    label: str,
    options: list[Any],
    value: Any,
    key: str,
    name: Callable[[Any], str],
) -> Any:
    """A selectbox over `options`, with a blank first unless the field must be filled."""
    blank = t(NOBODY) if field.widget is Widget.USER else ""
    if not fields.required(field.name):
        options = [None, *options]
    index = options.index(value) if value in options else 0
    shown = keep_language(lambda o: blank if o is None else name(o))
    return st.selectbox(label, options, index=index, key=key, format_func=shown)


def _inputs(
    form_key: str, prefix: str, chosen: list[CustomerField], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Every chosen field's widget, each with its error from the last submit under it."""
    users: dict[int, str] = {}
    if any(f.widget is Widget.USER for f in chosen):
        with read_scope() as session:
            owners = [values.get(f.name) for f in chosen if f.widget is Widget.USER]
            users = customers.user_choices(session, owners)
    data: dict[str, Any] = {}
    for field in chosen:
        key = f"{prefix}-{field.name}"
        data[field.name] = field_input(field, values.get(field.name), key, users)
        forms.field_error(form_key, field.name)
    return data


def profile_form(actor: Actor, customer_id: int, version: int, current: dict[str, Any]) -> None:
    """Edit every editable field over the version the user opened (see forms.pinned)."""
    form_key = f"customer-{customer_id}"
    read_version, values = forms.pinned(form_key, version, current)
    forms.offer_latest(form_key)
    prefix = f"{form_key}-v{read_version}"
    with st.form(prefix):
        st.subheader(t("Profile"))
        data = _inputs(form_key, prefix, fields.form_fields(), values)
        if st.form_submit_button(t("Save"), type="primary"):
            if forms.submit(
                form_key,
                lambda s: customers.update_customer(s, actor, customer_id, read_version, data),
                t("Saved."),
            ):
                forms.unpin(form_key)
            st.rerun()


def new_customer(actor: Actor) -> None:
    """Create a customer. crm_core refuses a likely duplicate, naming the matches; "Create
    anyway" tries again with the user's confirmation of those matches, and only those."""
    if not allowed(actor, Entity.CUSTOMER, Action.CREATE):
        return
    st.subheader(t("New customer"))
    form_key = "new-customer"
    forms.feedback(form_key)
    alike = st.session_state.get(_alike(form_key))
    if alike:
        st.warning(say(alike["message"]))
        for match in alike["matches"]:
            opened = t("Open #{id} {name}", id=match.customer_id, name=match.name)
            nav.link("customer", opened, id=match.customer_id)
        if st.button(t("Create anyway"), key=f"{form_key}-anyway"):
            shown = frozenset(match.customer_id for match in alike["matches"])
            _create(actor, form_key, alike["data"], shown)
    with st.form(form_key):
        quick = fields.quick_fields()
        data = _inputs(form_key, form_key, quick, {f.name: fields.default(f.name) for f in quick})
        if st.form_submit_button(t("Create customer"), type="primary"):
            _create(actor, form_key, data, False)


def _alike(form_key: str) -> str:
    return f"{form_key}-alike"  # what was typed, and the likely duplicates it was refused for


def _create(
    actor: Actor, form_key: str, data: dict[str, Any], allow: bool | frozenset[int]
) -> None:
    """One try; a likely duplicate is kept for the warning above the form, not an error."""
    st.session_state.pop(_alike(form_key), None)
    created: dict[str, int] = {}

    def write(session: Session) -> None:
        try:
            customer = customers.create_customer(session, actor, data, allow_duplicate=allow)
        except duplicates.LikelyDuplicate as exc:
            alike = {"data": data, "matches": exc.matches, "message": exc.message}
            st.session_state[_alike(form_key)] = alike
            raise
        created["id"] = customer.id

    if forms.submit(form_key, write, t("Customer created.")):
        for key in [k for k in st.session_state if str(k).startswith(form_key)]:
            del st.session_state[key]
        st.session_state[CREATED] = created["id"]
        st.query_params["id"] = str(created["id"])
    elif _alike(form_key) in st.session_state:
        forms.clear(form_key)  # the warning says it, beside its "Create anyway"
    st.rerun()
