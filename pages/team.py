"""Team page: built by a later issue; says so honestly until then."""

from __future__ import annotations

import streamlit as st

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "team",
        "a later issue adds team performance: each person's pipeline, tickets, response "
        "times and follow-ups.",
    )


if __name__ == "__main__":
    st.switch_page("app.py")
