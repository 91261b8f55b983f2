"""Choose your own password: the only page a user sees after signing in with a password an
admin set (a new account, a reset), until they have replaced it."""

from __future__ import annotations

import streamlit as st

from crm_core.admin import users
from crm_core.kernel.messages import Message
from crm_core.kernel.permissions import Actor
from ui import auth, forms
from ui.i18n import N_, t

FORM = "own-password"
DIFFERS = N_("the two passwords differ; nothing changed")


def render() -> None:
    actor: Actor = st.session_state[auth.ACTOR]
    st.title(t("Choose your own password"))
    st.caption(
        t(
            "An admin set the password you signed in with, so two people know it. Choose one "
            "only you know (at least 8 characters); your other sessions end."
        )
    )
    forms.feedback(FORM)
    with st.form(FORM, clear_on_submit=True):
        password = st.text_input(t("New password"), type="password", key=f"{FORM}-password")
        forms.field_error(FORM, "password")
        confirm = st.text_input(t("Repeat new password"), type="password", key=f"{FORM}-confirm")
        forms.field_error(FORM, "confirm")
        if not st.form_submit_button(t("Save my password"), type="primary"):
            return
    if password != confirm:
        forms.reject(FORM, {"confirm": Message(DIFFERS)})
        st.rerun()
    chosen: list[int] = []
    if forms.submit(
        FORM,
        lambda s: chosen.append(users.change_own_password(s, actor, password)),
        t("Your password is saved."),
    ):
        auth.password_changed(chosen[0])
    st.rerun()
