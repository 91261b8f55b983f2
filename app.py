"""Entry point: page config, the sign-in gate, and navigation built from the signed-in role."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import import_module

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from app_pages.admin import login, password
from crm_core.kernel.config import StartupRefused
from crm_core.kernel.permissions import Actor
from crm_core.pages import PAGES, PageSpec, pages_for
from ui import auth, banner, first_run, language_switch, nav, outage
from ui.i18n import t
from ui.plain import plain


def renderer(spec: PageSpec) -> Callable[[], None]:
    """The page's render(), from the module under app_pages that the registry names."""
    return import_module(f"app_pages.{spec.module}").render  # type: ignore[no-any-return]  # imported by name


def before_sign_in() -> StreamlitPage:
    # Every address shows the sign-in form and nothing else; a bookmark of a page keeps its
    # address, so signing in lands on that page.
    title = t("Sign in")
    pages = [st.Page(login.render, title=title, url_path="login", default=True)]
    pages += [
        st.Page(partial(login.render), title=title, url_path=spec.key, visibility="hidden")
        for spec in PAGES
        if not spec.public
    ]
    return st.navigation([*pages, *public_pages(visitor=True)], position="hidden")


def public_pages(visitor: bool = False) -> list[StreamlitPage]:
    """The pages anyone with the link opens, signed in or not (the web form, a survey, the
    FAQ): each shows only itself, and a visitor's has the language switch (a user signed in
    has the sidebar's)."""
    shown = language_switch.for_visitors if visitor else (lambda render: render)
    return [
        st.Page(shown(renderer(spec)), title=t(spec.title), url_path=spec.key, visibility="hidden")
        for spec in PAGES
        if spec.public
    ]


def own_password_first() -> StreamlitPage:
    own = st.Page(password.render, title=t("Choose your own password"), url_path="password")
    return st.navigation([own], position="hidden")


def menu(actor: Actor) -> StreamlitPage:
    landing = first_run.landing(actor)  # the setup, for the first admin of a new team
    sections = {
        t(section): [
            st.Page(
                renderer(spec),
                title=t(spec.title),
                icon=spec.icon or None,
                url_path=spec.key,
                visibility="visible" if spec.in_menu else "hidden",
            )
            for spec in specs
        ]
        for section, specs in pages_for(actor.role).items()
    }
    # The app's root opens the landing page at its own address. Streamlit serves its default
    # page only at the root: as the default, the landing page's address (a bookmark of
    # /dashboard) showed "Page not found" before the same page.
    title = next(spec.title for spec in PAGES if spec.key == landing)
    start = st.Page(partial(nav.open_page, landing), title=t(title), url_path="start",
                    default=True, visibility="hidden")  # fmt: skip
    next(iter(sections.values())).extend([start, *public_pages()])  # hidden: opened by links
    # Expanded: past twelve pages Streamlit folds the menu behind "View N more", which hid the
    # whole Admin section from managers once Settings joined it.
    chosen = st.navigation(sections, expanded=True)
    nav.register({page.url_path: page for pages in sections.values() for page in pages})
    with st.sidebar:
        st.caption(t("Signed in as **{name}** ({role})", name=plain(actor.name), role=actor.role))
        language_switch.signed_in(actor)
        if st.button(t("Sign out"), key="relasi_sign_out", icon=":material/logout:"):
            auth.logout(actor)  # ends the run
    return chosen


def main() -> None:
    try:
        actor = auth.signed_in_actor()
    except StartupRefused as refusal:
        st.error(str(refusal))  # for the operator who starts the server: English, like the logs
        st.stop()
    if actor is None:
        chosen = before_sign_in()
    elif auth.must_change_password():
        chosen = own_password_first()
    else:
        chosen = menu(actor)
    banner.demo_database()
    chosen.run()


st.set_page_config(page_title="Relasi", page_icon=":material/handshake:", layout="wide")
with outage.shown_as_message():
    main()
