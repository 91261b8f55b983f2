"""The filters several pages share: a region and a person, each with "all" as its first
choice (None)."""

from __future__ import annotations

from typing import Any

from ui.i18n import t


def region_picker(where: Any, regions: list[str], key: str) -> str | None:
    """A region of `regions` in the container `where`, or None for all of them."""
    chosen: str | None = where.selectbox(
        t("Region"),
        [None, *regions],
        format_func=lambda r: t("All regions") if r is None else r,
        key=key,
        placeholder=t("All regions"),
    )
    return chosen


def owner_picker(where: Any, owners: dict[int, str], key: str, label: str) -> int | None:
    """One of `owners` (id -> name) in the container `where`, or None for anyone; `label`
    is already translated (whose owner it is)."""
    chosen: int | None = where.selectbox(
        label,
        [None, *owners],
        format_func=lambda o: t("Anyone") if o is None else owners.get(o, str(o)),
        key=key,
        placeholder=t("Anyone"),
    )
    return chosen
