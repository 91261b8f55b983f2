"""The value figures' refresher: a background thread of the app server, never a page run.

Started once per server process and database (from `ui.db`): at start-up it fills an empty
`customer_values` table, then refreshes it every period (incremental, full once a day; the
decision is crm_core's). Several app replicas may run one each: the refresh takes a
database lock, so one computes while the others find it busy and wait for the next tick.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import Engine

from crm_core.customers import value_store
from crm_core.models import utcnow
from db.session import session_scope

log = logging.getLogger("relasi.values")
OFF = "RELASI_VALUE_REFRESH"  # "off": no background refresh (tests, one-off scripts)


@dataclass
class State:
    """What this server's refresher is doing, for a page to say (never waited for)."""

    running: bool = False
    step: str = ""
    started_at: datetime | None = None
    last_error: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


_states: dict[str, State] = {}
_lock = threading.Lock()


def state(url: str) -> State:
    with _lock:
        return _states.setdefault(url, State())


def start(url: str, engine: Engine, every_seconds: float | None = None) -> None:
    """Start the background refresher for `url` once (idempotent); off when RELASI_VALUE_REFRESH
    is "off"."""
    if os.environ.get(OFF, "").lower() == "off":
        return
    period = every_seconds or value_store.REFRESH_EVERY.total_seconds()
    with _lock:
        current = _states.setdefault(url, State())
        if current.thread is not None:
            return
        thread = threading.Thread(
            target=_loop, args=(current, engine, period), name="relasi-values", daemon=True
        )
        current.thread = thread
    thread.start()


def run_once(current: State, engine: Engine) -> value_store.RefreshResult | None:
    """One refresh (what the timer does each period); errors are logged, not raised."""
    current.running, current.started_at, current.step = True, utcnow(), ""

    def progress(step: str) -> None:
        current.step = step

    try:
        result = value_store.refresh(partial(session_scope, engine), progress=progress)
        current.last_error = None
        log.info("value refresh: %s, %s customers in %.1f s", result.kind, result.customers,
                 result.seconds)  # fmt: skip
        return result
    except Exception as exc:  # a refresh that fails must not stop the next one
        current.last_error = repr(exc)
        log.exception("value refresh failed")
        return None
    finally:
        current.running = False


def _loop(current: State, engine: Engine, period: float) -> None:
    while not current.stop.is_set():
        run_once(current, engine)
        current.stop.wait(period)
