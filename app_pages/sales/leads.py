"""Leads page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.i18n import t
from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "leads",
        t(
            "a later issue adds the lead funnel: conversion by source and stage, velocity, "
            "lost reasons and a weighted forecast."
        ),
    )
