"""Tickets page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "tickets",
        "a later issue adds the ticket queue: priorities, SLA targets and breaches, "
        "routing to the most suitable agent, and CSAT.",
    )
