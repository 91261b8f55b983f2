"""The honest page of a feature that a later issue builds: a title and one line, no fake figures."""

from __future__ import annotations

import streamlit as st

from crm_core.pages import page
from ui.auth import require_page


def not_built_yet(key: str, what: str) -> None:
    require_page(key)
    st.title(page(key).title)
    st.info(f"Not built yet: {what}")
