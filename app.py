"""Entry point: page config, the sign-in gate, and navigation built from the signed-in role."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import import_module

import streamlit as st

from app_pages import login
from crm_core.kernel.config import StartupRefused
from crm_core.pages import PAGES, PUBLIC_PAGES, PageSpec, PublicPage, pages_for
from ui import auth, language_switch, nav
from ui.i18n import t
from ui.plain import plain


def renderer(spec: PageSpec | PublicPage) -> Callable[[], None]:
    """The page's render(), from the module under app_pages that the registry names."""
    return import_module(f"app_pages.{spec.module}").render  # type: ignore[no-any-return]  # imported by name


st.set_page_config(page_title="Relasi", page_icon=":material/handshake:", layout="wide")

try:
    actor = auth.signed_in_actor()
except StartupRefused as refusal:
    st.error(str(refusal))  # for the operator who starts the server: English, like the logs
    st.stop()

if actor is None:
    # Before sign-in every address shows the sign-in form and nothing else; a bookmark of a
    # page keeps its address, so signing in lands on that page.
    title = t("Sign in")
    sign_in = [st.Page(login.render, title=title, url_path="login", default=True)]
    sign_in += [
        st.Page(partial(login.render), title=title, url_path=spec.key, visibility="hidden")
        for spec in PAGES
    ]
    # A customer's survey link opens its own page, and only that, without signing in.
    sign_in += [
        st.Page(renderer(p), title=t(p.title), url_path=p.key, visibility="hidden")
        for p in PUBLIC_PAGES
    ]
    navigation = st.navigation(sign_in, position="hidden")
else:
    sections = {
        t(section): [
            st.Page(
                renderer(spec),
                title=t(spec.title),
                icon=spec.icon or None,
                url_path=spec.key,
                default=spec.key == "home",
                visibility="visible" if spec.in_menu else "hidden",
            )
            for spec in specs
        ]
        for section, specs in pages_for(actor.role).items()
    }
    first = next(iter(sections.values()))
    first += [
        st.Page(renderer(p), title=t(p.title), url_path=p.key, visibility="hidden")
        for p in PUBLIC_PAGES
    ]
    # Expanded: past twelve pages Streamlit folds the menu behind "View N more", which hid the
    # whole Admin section from managers once Settings joined it.
    navigation = st.navigation(sections, expanded=True)
    nav.register({page.url_path: page for pages in sections.values() for page in pages})
    with st.sidebar:
        st.caption(t("Signed in as **{name}** ({role})", name=plain(actor.name), role=actor.role))
        language_switch.signed_in(actor)
        if st.button(t("Sign out"), key="relasi_sign_out", icon=":material/logout:"):
            auth.logout(actor)
            st.rerun()
navigation.run()
