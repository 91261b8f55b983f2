"""Admin › Users: list staff, create users, edit role and skills, reset passwords, deactivate."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core.admin import users
from crm_core.kernel.messages import Message
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity, Language, Role, TicketCategory
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times
from ui.i18n import LANGUAGE_NAMES, N_, keep_language, t
from ui.labels import formatter, option
from ui.plain import plain


def render() -> None:
    actor = require_page("users")
    st.title(t("Users"))
    st.caption(
        t("Staff who sign in to Relasi, their role, and the ticket skills used for routing.")
    )
    with read_scope() as session:
        table = users.list_users(session, actor)
    picked = st.dataframe(
        _shown(table),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="users_table",
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("ID", format="%d"),
            "username": t("Username"),
            "name": t("Name"),
            "email": t("Email"),
            "role": t("Role"),
            "skills": t("Ticket skills"),
            "languages": t("Languages"),
            "active": t("Active"),
            "last_login_at": t("Last sign-in"),
        },
        placeholder="–",
    )
    if not allowed(actor, Entity.USER, Action.UPDATE):
        st.caption(t("Only an admin can change users."))
        return
    rows = picked.selection.rows if picked else []
    edit_tab, new_tab = st.tabs([t("Edit selected user"), t("New user")])
    with edit_tab:
        if rows:
            _edit_user(actor, int(table.iloc[rows[0]]["id"]))
        else:
            st.info(t("Select a user in the table to edit them."))
    with new_tab:
        _new_user(actor)


def _shown(table: Any) -> Any:
    """The users table as read: vocabulary values in the reader's words, times in the zone."""
    return table.drop(columns=["version"]).assign(
        role=table["role"].map(lambda r: option(Role, r)),
        skills=table["skills"].map(lambda s: ", ".join(option(TicketCategory, c) for c in s or [])),
        languages=table["languages"].map(lambda s: ", ".join(option(Language, c) for c in s or [])),
        last_login_at=local_times(table["last_login_at"]),
    )


def _user_fields(prefix: str, values: dict[str, Any], form_key: str) -> dict[str, Any]:
    name = st.text_input(t("Name"), value=values.get("name") or "", key=f"{prefix}-name")
    forms.field_error(form_key, "name")
    email = st.text_input(t("Email"), value=values.get("email") or "", key=f"{prefix}-email")
    forms.field_error(form_key, "email")
    roles = [r.value for r in Role]
    role = st.selectbox(
        t("Role"),
        roles,
        index=roles.index(str(values.get("role") or "sales")),
        format_func=formatter(Role),
        key=f"{prefix}-role",
    )
    forms.field_error(form_key, "role")
    skills = st.multiselect(
        t("Ticket skills"),
        [c.value for c in TicketCategory],
        default=list(values.get("skills") or []),
        format_func=formatter(TicketCategory),
        key=f"{prefix}-skills",
        placeholder=t("Choose options"),
    )
    languages = st.multiselect(
        t("Languages spoken with customers"),
        [lang.value for lang in Language],
        default=list(values.get("languages") or []),
        format_func=formatter(Language),
        key=f"{prefix}-languages",
        placeholder=t("Choose options"),
    )
    choices = ["", *LANGUAGE_NAMES]
    current = str(values.get("ui_language") or "")
    ui_language = st.selectbox(
        t("Language of Relasi for this user"),
        choices,
        index=choices.index(current) if current in choices else 0,
        format_func=keep_language(lambda c: LANGUAGE_NAMES.get(c) or t("The team's default")),
        key=f"{prefix}-ui_language",
    )
    forms.field_error(form_key, "ui_language")
    return {
        "name": name,
        "email": email,
        "role": role,
        "skills": skills,
        "languages": languages,
        "ui_language": ui_language or None,
    }


DIFFERS = N_("differs from the new password; nothing changed")


def _edit_user(actor: Actor, user_id: int) -> None:
    form_key = f"user-{user_id}"
    with read_scope() as session:
        user = users.get_user(session, actor, user_id)
        fields = ("name", "email", "role", "skills", "languages", "ui_language", "active")
        current = {f: getattr(user, f) for f in fields}
        version, values = forms.pinned(form_key, user.version, current)
    forms.offer_latest(form_key)
    st.subheader(plain(user.username))
    with st.form(f"{form_key}-v{version}"):
        data = _user_fields(f"{form_key}-v{version}", values, form_key)
        data["active"] = st.checkbox(
            t("Active (unticking deactivates the user and ends their sessions)"),
            value=bool(values["active"]),
            key=f"{form_key}-v{version}-active",
        )
        forms.field_error(form_key, "active")
        if st.form_submit_button(t("Save changes"), type="primary"):
            if forms.submit(
                form_key,
                lambda s: users.update_user(s, actor, user_id, version, data),
                t("Saved {username}.", username=user.username),
            ):
                forms.unpin(form_key)
            st.rerun()
    _reset_password(actor, user_id, version, user.username)


def _reset_password(actor: Actor, user_id: int, version: int, username: str) -> None:
    form_key = f"password-{user_id}"
    with st.form(form_key, clear_on_submit=True):
        st.markdown(t("**Reset password** (ends the user's open sessions)"))
        forms.feedback(form_key)
        password = st.text_input(t("New password"), type="password", key=f"{form_key}-password")
        forms.field_error(form_key, "password")
        confirm = st.text_input(
            t("Repeat new password"), type="password", key=f"{form_key}-confirm"
        )
        forms.field_error(form_key, "confirm")
        if st.form_submit_button(t("Reset password")):
            if password != confirm:
                forms.reject(form_key, {"confirm": Message(DIFFERS)})
            elif forms.submit(
                form_key,
                lambda s: users.reset_password(s, actor, user_id, version, password),
                t("Password of {username} reset; their sessions have ended.", username=username),
            ):
                forms.unpin(f"user-{user_id}")
            st.rerun()


def _new_user(actor: Actor) -> None:
    form_key = "new-user"
    forms.feedback(form_key)
    box = forms.fresh(form_key)  # a refused user stays typed; a created one empties the form
    with st.form(box):
        username = st.text_input(t("Username"), key=f"{box}-username")
        forms.field_error(form_key, "username")
        data = _user_fields(box, {}, form_key)
        password = st.text_input(
            t("Initial password (at least 8 characters)"),
            type="password",
            key=f"{box}-password",
        )
        forms.field_error(form_key, "password")
        if st.form_submit_button(t("Create user"), type="primary"):
            if forms.submit(
                form_key,
                lambda s: users.create_user(
                    s, actor, {**data, "username": username, "password": password}
                ),
                t("Created {username}.", username=username),
            ):
                forms.renew(form_key)
            st.rerun()
