"""The line on top of every page that says the app runs the embedded demo database."""

from __future__ import annotations

import streamlit as st

from ui.db import database_url
from ui.i18n import t


def demo_database() -> None:
    """Shown while no database URL is configured: the data lives in a file that a restart of
    the app (on Streamlit Community Cloud, every reboot) may wipe."""
    if not database_url()[1]:
        return
    st.info(
        t(
            "Demo: this app runs on its embedded demo database. Whatever you change is lost "
            "when the app restarts (on Streamlit Community Cloud, at every reboot). Set a "
            "PostgreSQL URL in the secrets to keep your team's data."
        ),
        icon=":material/science:",
    )
