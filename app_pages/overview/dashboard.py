"""Business dashboard page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "dashboard",
        "a later issue adds the managers' live dashboard: revenue, pipeline, service "
        "level and customer-value KPIs, each against the previous period.",
    )
