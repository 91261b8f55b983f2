"""Leads page: built by a later issue; says so honestly until then."""

from __future__ import annotations

from ui.later import not_built_yet


def render() -> None:
    not_built_yet(
        "leads",
        "a later issue adds the lead funnel: conversion by source and stage, velocity, "
        "lost reasons and a weighted forecast.",
    )
