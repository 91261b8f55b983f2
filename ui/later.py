"""The honest page of a feature that a later issue builds: a title and one line, no fake figures."""

from __future__ import annotations

import streamlit as st

from crm_core.pages import page
from ui.auth import require_page
from ui.i18n import t


def not_built_yet(key: str, what: str) -> None:
    """`what` is the page's translated sentence of what a later issue adds."""
    require_page(key)
    st.title(t(page(key).title))
    st.info(t("Not built yet: {what}", what=what))
