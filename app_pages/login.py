"""Sign-in page: the only page reachable before sign-in."""

from __future__ import annotations

import streamlit as st

from ui import auth

DEMO_USERS = [
    {"username": u, "password": "demo", "role": u} for u in ("admin", "manager", "sales", "support")
]


def render() -> None:
    st.title("Relasi")
    st.caption("Customer relationships for small and medium teams.")
    auth.render_login_form()
    if auth.demo_mode():
        with st.expander("Demo users"):
            st.dataframe(DEMO_USERS, hide_index=True)
