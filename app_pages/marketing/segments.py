"""Segments page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "segments",
        "a later issue adds segment dashboards: value tiers, RFM, demographics, geography"
        " and firm size, with rule-based segments.",
    )
