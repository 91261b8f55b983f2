"""Campaigns page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "campaigns",
        "a later issue adds campaigns aimed at segments by rules, measured with A/B tests.",
    )
