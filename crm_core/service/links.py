"""The Ticket queue's address beyond its multi-choice filters: the customer's region and
owner and the local days the tickets were created on (what a dashboard figure's link
carries), and reading it back tolerantly (kernel.addresses): a hand-edited value is left
out, and the queue shows more."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from crm_core.kernel.addresses import owner_of, period_of

QUEUE_KEYS = ("region", "owner", "from", "to")


@dataclass(frozen=True)
class QueueLink:
    region: str | None = None  # the customer's region
    owner_id: int | None = None  # the customer's owner
    created: tuple[date, date] | None = None  # local days, both included


def queue_address(
    queue: str,
    region: str | None = None,
    owner_id: int | None = None,
    created: tuple[date, date] | None = None,
) -> dict[str, str]:
    """The Ticket queue's address: a queue (a `queues.Queue` value) of the tickets whose
    customer is of `region` and `owner_id`, created on the team's local days `created`."""
    params = {
        "queue": queue,
        "region": region,
        "owner": None if owner_id is None else str(owner_id),
        "from": None if created is None else created[0].isoformat(),
        "to": None if created is None else created[1].isoformat(),
    }
    return {k: v for k, v in params.items() if v is not None}


def queue_from_address(params: Mapping[str, str]) -> QueueLink | None:
    """What the address asks of region, owner and dates, or None when it names none of them."""
    if not any(name in params for name in QUEUE_KEYS):
        return None
    return QueueLink(
        region=params.get("region") or None, owner_id=owner_of(params), created=period_of(params)
    )
