"""Lists people work in: a name opens its record in one click, and Back returns to the list as
it was (search, filters, sort, page).

Streamlit forgets a page's widget values once another page runs, so a list remembers them
under a key of its own on every run and puts them back when it is drawn again; the record
page it opened shows a Back link to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from ui import nav
from ui.i18n import t

_ORIGIN = "relasi_list_origin"  # the list page a record was opened from
_STATE = "relasi_list_state:"


def restore(page_key: str) -> None:
    """Put back the list's remembered widget values (before its widgets are drawn)."""
    for key, value in st.session_state.get(_STATE + page_key, {}).items():
        if key not in st.session_state:
            st.session_state[key] = value


def remember(page_key: str, keys: Iterable[str]) -> None:
    """Keep the list's widget values for the way back."""
    st.session_state[_STATE + page_key] = {
        key: st.session_state[key] for key in keys if key in st.session_state
    }


def clicked_cell(event: Any, columns: Iterable[str]) -> int | None:
    """The row position of a clicked cell in one of `columns` (a name), else None."""
    cells = list(getattr(getattr(event, "selection", None), "cells", None) or [])
    wanted = set(columns)
    for row, column in cells:
        if column in wanted:
            return int(row)
    return None


def open_record(origin: str, page: str, record_id: int) -> None:
    """Open a record's page from the list `origin` (its Back link returns there)."""
    st.session_state[_ORIGIN] = origin
    nav.open_page(page, id=record_id)


def back_link(labels: dict[str, str]) -> None:
    """A Back link to the list the record was opened from (`labels`: page key -> label)."""
    origin = st.session_state.get(_ORIGIN)
    if origin in labels:
        nav.link(origin, t("← Back to {list}", list=t(labels[origin])))
