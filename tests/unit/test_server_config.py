"""The server settings every deployment gets from .streamlit/config.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_no_full_garbage_collection_is_forced_after_each_script_run() -> None:
    # Streamlit's default collects every generation at the end of every run, holding the GIL
    # while the other sessions wait: with four sessions, a page's median went from 0.45 s to
    # 0.9 s (bench/load.py, 2026-12-01).
    settings = tomllib.loads(CONFIG.read_text())
    assert settings["runner"]["postScriptGC"] is False


def test_errors_a_page_did_not_handle_show_no_details_to_the_browser() -> None:
    settings = tomllib.loads(CONFIG.read_text())
    assert settings["client"]["showErrorDetails"] == "none"
