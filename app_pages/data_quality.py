"""Data quality page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "data-quality",
        "the customer-value issue adds field completeness, clusters of likely duplicates "
        "and long-untouched records, each linking to the records to fix.",
    )
