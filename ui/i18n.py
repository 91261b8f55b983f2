"""Translation lookup for pages: `t("msgid", **params)`, `tn(...)` for counts, `say(message)`
for crm_core's message codes, all in the language this session reads (st.session_state).

The language in force: the signed-in user's own choice, else the one picked on the sign-in
page for this browser session, else the team's default (TeamSettings.default_language).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.exc import DBAPIError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from crm_core.kernel.messages import DEFAULT_LANGUAGE, LANGUAGES, Message, Renderer
from crm_core.kernel.settings import TeamSettings

LANGUAGE_KEY = "relasi_language"  # the language this session reads
PICKED_KEY = "relasi_language_picked"  # picked on the sign-in page: this session only
TEAM_KEY = "relasi_team_settings"  # TeamSettings, put here by the gate on every run
LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia"}  # each in its own language
_KEPT: ContextVar[str | None] = ContextVar("relasi_kept_language", default=None)
Fn = TypeVar("Fn", bound=Callable[..., Any])


def N_(msgid: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Marks a msgid for extraction where it is translated later (a table of labels)."""
    return msgid


def _state() -> Mapping[str, Any]:
    try:
        return st.session_state  # type: ignore[return-value]  # a MutableMapping at run time
    except Exception:  # noqa: BLE001 - outside a Streamlit run (a unit test): defaults
        return {}


def team() -> TeamSettings:
    """The team's settings (currency, time zone...): as the gate read them for this run, else
    from ui.cache (a page run on its own, in a test), else the defaults outside a run."""
    settings = _state().get(TEAM_KEY)
    if isinstance(settings, TeamSettings):
        return settings
    if get_script_run_ctx(suppress_warning=True) is None:
        return TeamSettings()
    from ui import cache  # here, not at the top: ui.cache itself says its spinner with t()

    try:
        return cache.team_settings()
    except DBAPIError:  # the database is down: the message saying so needs no settings
        return TeamSettings()


def language() -> str:
    kept = _KEPT.get()
    if kept is not None:
        return kept
    chosen = _state().get(LANGUAGE_KEY)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def keep_language(fn: Fn) -> Fn:
    """A widget's format_func, saying labels in this run's language even when called outside
    the run (AppTest formats a widget's value after the script has run)."""
    kept = language()

    def call(*args: Any, **kwargs: Any) -> Any:
        token = _KEPT.set(kept)
        try:
            return fn(*args, **kwargs)
        finally:
            _KEPT.reset(token)

    return call  # type: ignore[return-value]  # same signature as fn


def settle(own_choice: str | None, team_default: str | None) -> str:
    """Run by the gate on every run: the language this session reads from now on."""
    picked = _state().get(PICKED_KEY)
    for candidate in (own_choice, picked, team_default):
        if candidate in LANGUAGES:
            st.session_state[LANGUAGE_KEY] = candidate
            return candidate
    st.session_state[LANGUAGE_KEY] = DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def renderer(language_code: str | None = None) -> Renderer:
    settings = team()
    return Renderer(language_code or language(), settings.currency, settings.time_zone)


def t(msgid: str, /, **params: Any) -> str:
    """The translation of `msgid` with its `{placeholders}` filled (see Renderer for specs)."""
    return renderer().gettext(msgid, params)


def tn(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """A sentence with a count: `{n:n}` is the count, written as the language writes numbers."""
    return renderer().ngettext(singular, plural, n, params)


def say(message: Message | tuple[str, Mapping[str, Any]] | str | None) -> str:
    """A crm_core message (a Message, a pair, or the JSON text a frame holds) for this reader."""
    if message is None or (isinstance(message, float) and message != message):
        return "–"
    return renderer().render(message)
