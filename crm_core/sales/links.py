"""The addresses that open the Sales pages with their filters (a dashboard figure's link),
and reading them back. A hand-edited value that is not one (an owner that is not a number,
dates that are not two in order) is left out rather than refused: the page then shows more,
never an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from crm_core.kernel.addresses import owner_of, period_of

FUNNEL_KEYS = ("from", "to", "counted", "region", "owner")
PIPELINE_KEYS = ("region", "owner", "open")


@dataclass(frozen=True)
class FunnelLink:
    start: date | None = None
    end: date | None = None
    counted: str | None = None  # analysis.Counted's value
    region: str | None = None
    owner_id: int | None = None


@dataclass(frozen=True)
class PipelineLink:
    region: str | None = None
    owner_id: int | None = None
    open_only: bool = False


def funnel_address(
    start: date,
    end: date,
    region: str | None = None,
    owner_id: int | None = None,
    counted: str = "closed",
) -> dict[str, str]:
    """The Lead funnel's address for the leads closed (won or lost) on the team's local days
    [start, end] of a region and owner (the lead's own): what the dashboard's lead conversion
    counts. `counted="created"` asks for the leads created in the period instead."""
    params = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "counted": counted,
        "region": region,
        "owner": None if owner_id is None else str(owner_id),
    }
    return {k: v for k, v in params.items() if v is not None}


def pipeline_address(region: str | None = None, owner_id: int | None = None) -> dict[str, str]:
    """The Pipeline's address for the open leads of a region and owner (the lead's own), of
    every pipeline: what the dashboard's pipeline value sums at the end of a period that
    reaches today."""
    params = {"region": region, "owner": None if owner_id is None else str(owner_id)}
    return {"open": "1", **{k: v for k, v in params.items() if v is not None}}


def funnel_from_address(params: Mapping[str, str]) -> FunnelLink | None:
    """What a funnel address asks for, or None when it names nothing of the funnel."""
    if not any(name in params for name in FUNNEL_KEYS):
        return None
    start, end = period_of(params) or (None, None)
    counted = params.get("counted")
    return FunnelLink(
        start=start,
        end=end,
        counted=counted if counted in ("created", "closed") else None,
        region=params.get("region") or None,
        owner_id=owner_of(params),
    )


def pipeline_from_address(params: Mapping[str, str]) -> PipelineLink | None:
    """What a pipeline address asks for, or None when it names nothing of the pipeline."""
    if not any(name in params for name in PIPELINE_KEYS):
        return None
    return PipelineLink(
        region=params.get("region") or None,
        owner_id=owner_of(params),
        open_only=params.get("open") == "1",
    )
