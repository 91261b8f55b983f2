"""Entry point: page config, the sign-in gate, and navigation built from the signed-in role."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from app_pages import (
    audit,
    campaigns,
    customer,
    customers,
    dashboard,
    data_quality,
    home,
    import_data,
    leads,
    login,
    segments,
    team,
    tickets,
)
from app_pages import settings as settings_page
from app_pages import users as users_page
from crm_core.kernel.config import StartupRefused
from crm_core.pages import PAGES, pages_for
from ui import auth, nav

RENDERERS: dict[str, Callable[[], None]] = {
    "home": home.render,
    "dashboard": dashboard.render,
    "customers": customers.render,
    "customer": customer.render,
    "data-quality": data_quality.render,
    "import": import_data.render,
    "leads": leads.render,
    "tickets": tickets.render,
    "segments": segments.render,
    "campaigns": campaigns.render,
    "team": team.render,
    "users": users_page.render,
    "audit": audit.render,
    "settings": settings_page.render,
}
HIDDEN_PAGES = {"customer"}  # opened from a row or a link, not from the menu

st.set_page_config(page_title="Relasi", page_icon=":material/handshake:", layout="wide")

try:
    actor = auth.signed_in_actor()
except StartupRefused as refusal:
    st.error(str(refusal))
    st.stop()

if actor is None:
    # Before sign-in every address shows the sign-in form and nothing else; a bookmark of a
    # page keeps its address, so signing in lands on that page.
    sign_in = [st.Page(login.render, title="Sign in", url_path="login", default=True)]
    sign_in += [
        st.Page(partial(login.render), title="Sign in", url_path=spec.key, visibility="hidden")
        for spec in PAGES
    ]
    navigation = st.navigation(sign_in, position="hidden")
else:
    sections = {
        section: [
            st.Page(
                RENDERERS[spec.key],
                title=spec.title,
                icon=spec.icon or None,
                url_path=spec.key,
                default=spec.key == "home",
                visibility="hidden" if spec.key in HIDDEN_PAGES else "visible",
            )
            for spec in specs
        ]
        for section, specs in pages_for(actor.role).items()
    }
    navigation = st.navigation(sections)
    nav.register({page.url_path: page for pages in sections.values() for page in pages})
    with st.sidebar:
        st.caption(f"Signed in as **{actor.name}** ({actor.role.value})")
        if st.button("Sign out", key="relasi_sign_out", icon=":material/logout:"):
            auth.logout(actor)
            st.rerun()
navigation.run()
