"""Forms that keep what the user typed: write-path errors shown beside their fields, a pinned
read version for optimistic locking, and one transaction per submit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as Session  # re-exported: pages type their writes with it

from crm_core.kernel.errors import (
    ConflictError,
    CRMError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crm_core.kernel.messages import Message
from ui import outage
from ui.db import write_scope
from ui.i18n import N_, say, t
from ui.plain import plain

_CORRECT = N_("Please correct the fields marked below.")


def _state_key(form_key: str) -> str:
    return f"relasi_form:{form_key}"


def submit(form_key: str, action: Callable[[Session], object], success: str) -> bool:
    """Run one write in its own transaction; on any write-path error keep the form as typed.

    Errors are kept as message codes and translated when shown, in the reader's language.
    """
    outcome: dict[str, Any]
    try:
        with write_scope() as session:
            action(session)
    except ValidationError as exc:
        outcome = {"errors": exc.field_errors, "error": Message(_CORRECT)}
    except (ConflictError, PermissionDenied, NotFound) as exc:
        conflict = isinstance(exc, ConflictError)
        outcome = {"errors": {}, "error": exc.message, "conflict": conflict}
    except CRMError as exc:
        outcome = {"errors": {}, "error": exc.message}
    except DBAPIError as exc:  # an outage, a race on a unique key: a message, the form kept
        outage.log.error("database error on a save: %s", exc, exc_info=exc)
        outcome = {"errors": {}, "error": Message(outage.explain(exc))}
    else:
        st.session_state[_state_key(form_key)] = {"success": success}
        return True
    st.session_state[_state_key(form_key)] = outcome
    return False


def reject(form_key: str, field_errors: dict[str, Message]) -> None:
    """A check the page itself makes (two passwords that differ): shown like the write path's."""
    st.session_state[_state_key(form_key)] = {"errors": field_errors, "error": Message(_CORRECT)}


def feedback(form_key: str) -> bool:
    """Show the last submit's outcome above the form; True when it was an edit conflict."""
    outcome = st.session_state.get(_state_key(form_key)) or {}
    if outcome.get("error"):
        st.error(say(outcome["error"]))
    elif outcome.get("success"):
        st.success(outcome["success"])
        st.session_state.pop(_state_key(form_key), None)
    return bool(outcome.get("conflict"))


def field_error(form_key: str, field: str) -> None:
    """The message for one field, shown right under it."""
    errors = (st.session_state.get(_state_key(form_key)) or {}).get("errors") or {}
    if field in errors:
        st.caption(f":red[{plain(say(errors[field]))}]")  # a message may quote what was typed


def fresh(form_key: str) -> str:
    """The prefix of the form's widget keys for now. It changes only after `renew`, so a
    refused try keeps everything typed (clear_on_submit would empty the form either way) and
    the next one after a success starts empty."""
    return f"{form_key}-n{st.session_state.get(f'{form_key}-forms', 0)}"


def renew(form_key: str) -> None:
    """After a successful save: the next run draws the form empty (new widget keys)."""
    st.session_state[f"{form_key}-forms"] = st.session_state.get(f"{form_key}-forms", 0) + 1


def clear(form_key: str) -> None:
    st.session_state.pop(_state_key(form_key), None)


def pinned(form_key: str, version: int, values: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The version and values the user opened the record at, kept until saved or reloaded.

    A rerun after someone else's save must not swap the form's contents (or its expected
    version) under the user: that is how an edit would be silently lost.
    """
    snapshot = st.session_state.setdefault(
        f"relasi_pinned:{form_key}", {"version": version, "values": values}
    )
    return snapshot["version"], snapshot["values"]


def unpin(form_key: str) -> None:
    """Forget the pinned version (after a save, or when the user loads the latest)."""
    st.session_state.pop(f"relasi_pinned:{form_key}", None)


def offer_latest(form_key: str) -> None:
    """Show the last outcome; after a conflict, a button that loads the latest version.

    Loading it drops what the user typed, so it is the user's choice, never automatic.
    """
    if feedback(form_key) and st.button(t("Load the latest version"), key=f"{form_key}-reload"):
        unpin(form_key)
        clear(form_key)
        st.rerun()
