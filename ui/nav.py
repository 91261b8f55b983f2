"""Links between pages by key (`customer`, `tickets`...), with query parameters for deep links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from ui.i18n import t

_PAGES = "relasi_pages"


def register(pages: Mapping[str, Any]) -> None:
    """Called by app.py on every run with the st.Page objects this user may open."""
    st.session_state[_PAGES] = dict(pages)


def open_page(key: str, **params: str | int) -> None:
    page = st.session_state.get(_PAGES, {}).get(key)
    if page is None:
        st.error(t("You do not have access to that page."))
        return
    st.switch_page(page, query_params={k: str(v) for k, v in params.items()})


def link(key: str, label: str, **params: str | int) -> None:
    page = st.session_state.get(_PAGES, {}).get(key)
    if page is not None:
        st.page_link(page, label=label, query_params={k: str(v) for k, v in params.items()})
