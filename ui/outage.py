"""What a user reads when the database fails under a page: a message in their language, never
a traceback with SQL, host and port (those go to the server log only)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from ui.i18n import N_, t

log = logging.getLogger("relasi")

DATABASE_DOWN = N_(
    "The database cannot be reached just now: nothing was saved. What you typed is kept; "
    "try again in a moment."
)
SAVED_MEANWHILE = N_(
    "Someone saved the same record at the same moment: nothing was saved. Try again."
)
OUT_OF_RANGE = N_("A value is outside what can be stored: nothing was saved.")


def explain(error: DBAPIError) -> str:
    """The msgid that tells a user what happened, with nothing of the error itself."""
    if isinstance(error, IntegrityError):
        return SAVED_MEANWHILE
    if isinstance(error, DataError):
        return OUT_OF_RANGE
    return DATABASE_DOWN


@contextmanager
def shown_as_message() -> Iterator[None]:
    """Around a whole page run: a database error becomes one message; the details are
    logged for whoever runs the server."""
    try:
        yield
    except DBAPIError as error:
        log.error("database error under a page: %s", error, exc_info=error)
        st.error(t(explain(error)))
