"""Sign-in page: the only page reachable before sign-in."""

from __future__ import annotations

import streamlit as st

from crm_core.admin import users
from crm_core.models.enums import Role
from ui import auth, company_sign_in, language_switch
from ui.db import read_scope
from ui.i18n import t
from ui.labels import option


def render() -> None:
    st.title("Relasi")
    st.caption(t("Customer relationships for small and medium teams."))
    language_switch.before_sign_in()
    auth.render_login_form()
    company_sign_in.render_buttons()
    if not auth.demo_mode():
        return
    with read_scope() as session:
        accounts = users.demo_accounts(session)
    if accounts:
        with st.expander(t("Demo users")):
            demo = [
                {t("Username"): name, t("Password"): "demo", t("Role"): option(Role, role)}
                for name, role in accounts
            ]
            st.dataframe(demo, hide_index=True, placeholder="–")
