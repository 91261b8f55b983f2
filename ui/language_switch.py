"""The language switch, always at hand: on the sign-in page (this browser session only) and in
the sidebar once signed in (saved as the user's own choice, through the audited write path)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from crm_core.admin import users
from crm_core.kernel.messages import LANGUAGES
from crm_core.kernel.permissions import Actor
from ui import i18n
from ui.db import write_scope
from ui.i18n import t

_WIDGET = "relasi_language_switch"


def _switch(key: str, apply: Callable[[str], None]) -> None:
    # The widget shows the language in force, also when the gate has just changed it; a pick
    # is applied in the callback, which runs before the rerun draws anything.
    st.session_state[key] = i18n.language()
    languages: list[str] = list(LANGUAGES)
    st.selectbox(
        t("Language"),
        languages,
        format_func=lambda code: i18n.LANGUAGE_NAMES[code],
        key=key,
        on_change=lambda: apply(st.session_state[key]),
    )


def _for_this_session(chosen: str) -> None:
    st.session_state[i18n.PICKED_KEY] = chosen
    st.session_state[i18n.LANGUAGE_KEY] = chosen


def before_sign_in() -> None:
    """Applies to this browser session; after sign-in a user's own saved choice wins."""
    _switch(f"{_WIDGET}_login", _for_this_session)


def for_visitors(render: Callable[[], None]) -> Callable[[], None]:
    """A public page (the web form, a survey, the FAQ) as a visitor opens it: the language
    switch at the top right, for this browser session, then the page. A customer who reads
    Bahasa Indonesia is not left with the team's default language."""

    def page() -> None:
        _, corner = st.columns([4, 1])
        with corner:
            before_sign_in()
        render()

    return page


def signed_in(actor: Actor) -> None:
    """Saves the choice as this user's own language (audited)."""

    def save(chosen: str) -> None:
        with write_scope() as session:
            users.set_ui_language(session, actor, actor.id, chosen)
        _for_this_session(chosen)

    _switch(_WIDGET, save)
