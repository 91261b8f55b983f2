"""Admin › Users: list staff, create users, edit role and skills, reset passwords, deactivate."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core.admin import users
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity, Language, Role, TicketCategory
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times

LANGUAGE_LABELS = {
    Language.ENGLISH.value: "English",
    Language.BAHASA_INDONESIA.value: "Bahasa Indonesia",
}


def render() -> None:
    actor = require_page("users")
    st.title("Users")
    st.caption("Staff who sign in to Relasi, their role, and the ticket skills used for routing.")
    with read_scope() as session:
        table = users.list_users(session, actor)
    table["last_login_at"] = local_times(table["last_login_at"])
    picked = st.dataframe(
        table.drop(columns=["version"]),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="users_table",
        width="stretch",
    )
    if not allowed(actor, Entity.USER, Action.UPDATE):
        st.caption("Only an admin can change users.")
        return
    rows = picked.selection.rows if picked else []
    edit_tab, new_tab = st.tabs(["Edit selected user", "New user"])
    with edit_tab:
        if rows:
            _edit_user(actor, int(table.iloc[rows[0]]["id"]))
        else:
            st.info("Select a user in the table to edit them.")
    with new_tab:
        _new_user(actor)


def _user_fields(prefix: str, values: dict[str, Any], form_key: str) -> dict[str, Any]:
    name = st.text_input("Name", value=values.get("name") or "", key=f"{prefix}-name")
    forms.field_error(form_key, "name")
    email = st.text_input("Email", value=values.get("email") or "", key=f"{prefix}-email")
    forms.field_error(form_key, "email")
    roles = [r.value for r in Role]
    role = st.selectbox(
        "Role", roles, index=roles.index(str(values.get("role") or "sales")), key=f"{prefix}-role"
    )
    forms.field_error(form_key, "role")
    skills = st.multiselect(
        "Ticket skills",
        [c.value for c in TicketCategory],
        default=list(values.get("skills") or []),
        key=f"{prefix}-skills",
    )
    languages = st.multiselect(
        "Languages",
        list(LANGUAGE_LABELS),
        default=list(values.get("languages") or []),
        format_func=lambda language: LANGUAGE_LABELS[language],
        key=f"{prefix}-languages",
    )
    return {"name": name, "email": email, "role": role, "skills": skills, "languages": languages}


def _edit_user(actor: Actor, user_id: int) -> None:
    form_key = f"user-{user_id}"
    with read_scope() as session:
        user = users.get_user(session, actor, user_id)
        current = {
            f: getattr(user, f) for f in ("name", "email", "role", "skills", "languages", "active")
        }
        version, values = forms.pinned(form_key, user.version, current)
    forms.offer_latest(form_key)
    st.subheader(f"{user.username}")
    with st.form(f"{form_key}-v{version}"):
        data = _user_fields(f"{form_key}-v{version}", values, form_key)
        data["active"] = st.checkbox(
            "Active (unticking deactivates the user and ends their sessions)",
            value=bool(values["active"]),
            key=f"{form_key}-v{version}-active",
        )
        forms.field_error(form_key, "active")
        if st.form_submit_button("Save changes", type="primary"):
            if forms.submit(
                form_key,
                lambda s: users.update_user(s, actor, user_id, version, data),
                f"Saved {user.username}.",
            ):
                forms.unpin(form_key)
            st.rerun()
    _reset_password(actor, user_id, version, user.username)


def _reset_password(actor: Actor, user_id: int, version: int, username: str) -> None:
    form_key = f"password-{user_id}"
    with st.form(form_key, clear_on_submit=True):
        st.markdown("**Reset password** (ends the user's open sessions)")
        forms.feedback(form_key)
        password = st.text_input("New password", type="password", key=f"{form_key}-password")
        forms.field_error(form_key, "password")
        confirm = st.text_input("Repeat new password", type="password", key=f"{form_key}-confirm")
        forms.field_error(form_key, "confirm")
        if st.form_submit_button("Reset password"):
            if password != confirm:
                forms.reject(
                    form_key, {"confirm": "differs from the new password; nothing changed"}
                )
            elif forms.submit(
                form_key,
                lambda s: users.reset_password(s, actor, user_id, version, password),
                f"Password of {username} reset; their sessions have ended.",
            ):
                forms.unpin(f"user-{user_id}")
            st.rerun()


def _new_user(actor: Actor) -> None:
    form_key = "new-user"
    forms.feedback(form_key)
    with st.form(form_key):
        username = st.text_input("Username", key=f"{form_key}-username")
        forms.field_error(form_key, "username")
        data = _user_fields(form_key, {}, form_key)
        password = st.text_input(
            "Initial password (at least 8 characters)", type="password", key=f"{form_key}-password"
        )
        forms.field_error(form_key, "password")
        if st.form_submit_button("Create user", type="primary"):
            forms.submit(
                form_key,
                lambda s: users.create_user(
                    s, actor, {**data, "username": username, "password": password}
                ),
                f"Created {username}.",
            )
            st.rerun()
