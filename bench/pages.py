"""A page's first view and warm reruns through AppTest, as the area benchmarks time them."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from db.session import session_scope
from ui.i18n import TEAM_KEY


def page_times(
    engine: Any,
    module: str,
    actor: Actor,
    runs: int,
    name: str,
    timeout: float = 300,
    query: dict[str, str] | None = None,
) -> dict[str, float]:
    """Run app_pages.<module>'s render() once cold and `runs` times warm, as `actor`, at the
    address's `query` (a record's id)."""
    from streamlit.testing.v1 import AppTest

    os.environ["CRM_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    os.environ.setdefault("CRM_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)
    os.environ["RELASI_VALUE_REFRESH"] = "off"
    at = AppTest.from_string(
        f"from app_pages.{module} import render\nrender()\n", default_timeout=timeout
    )
    at.session_state["relasi_actor"] = actor
    # As app.py's gate does before every page: the team's settings read once per run, not
    # by each translated text (a page run alone would read them for every one).
    with session_scope(engine, write=False) as session:
        at.session_state[TEAM_KEY] = team_settings(session)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    assert not at.exception, at.exception
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    out = {
        f"{name}, first view (AppTest)": cold,
        f"{name}, warm rerun (AppTest, median)": statistics.median(warm),
    }
    for label, seconds in out.items():
        print(f"  {label:<64} {seconds:8.3f} s", flush=True)
    return out
