"""Team page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "team",
        "a later issue adds team performance: each person's pipeline, tickets, response "
        "times and follow-ups.",
    )
