"""One customer's touchpoints as one chronological feed, newest first, paged in SQL.

Each source (interactions, orders, tickets and their events, lead stage moves, campaign
sends, responses and conversions, changes to the customer record) is read newest first and
cut at `offset + limit` rows by its own index-backed query; the cut sources are merged in
pandas. A customer with 10,000 events therefore costs a few small queries, not a full scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.hooks import TimelineDescribe, TimelineKind, timeline_sources
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Customer
from crm_core.models.enums import Channel, Entity, SalesChannel

COLUMNS = ["at", "kind", "channel", "title", "detail", "ref_id"]
PAGE_SIZE = 50


# Interactions, tickets and campaigns speak Channel; orders speak SalesChannel ("store" is both).
CHANNELS: tuple[str, ...] = tuple(dict.fromkeys([*Channel, *SalesChannel]))


@dataclass(frozen=True)
class TimelinePage:
    rows: pd.DataFrame
    has_older: bool


def customer_timeline(
    session: Session,
    actor: Actor,
    customer_id: int,
    kinds: set[str] | None = None,
    channels: set[str] | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> pd.DataFrame:
    """Rows `offset`..`offset + limit` of the feed, newest first: at, kind, channel, title,
    detail, ref_id (the interaction, order, ticket, lead, campaign or audit entry it is about).

    `kinds` keeps only those TimelineKind values; `channels` keeps only rows on those channels
    (so lead moves and record changes, whose channel is "", drop out). None means all.
    """
    customer = writepath.load(session, Customer, customer_id, deleted=True)
    require(actor, Entity.CUSTOMER, Action.READ, customer)
    rows: list[dict[str, Any]] = []
    for rank, source in enumerate(timeline_sources()):
        wanted = kinds is None or source.kind in kinds
        stmt = source.query(actor, customer_id, channels) if wanted else None
        if stmt is not None:
            rows += _fetch(session, stmt.limit(offset + limit), source.kind, rank, source.describe)
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    feed = pd.DataFrame(rows).sort_values(
        ["at", "rank", "row_id"], ascending=[False, True, False], kind="stable"
    )
    return feed.iloc[offset : offset + limit][COLUMNS].reset_index(drop=True)


def timeline_page(
    session: Session,
    actor: Actor,
    customer_id: int,
    kinds: set[str] | None = None,
    channels: set[str] | None = None,
    page: int = 0,
    size: int = PAGE_SIZE,
) -> TimelinePage:
    """Page `page` (0 = newest) of the feed, and whether older rows remain."""
    rows = customer_timeline(session, actor, customer_id, kinds, channels, size + 1, page * size)
    return TimelinePage(rows=rows.iloc[:size], has_older=len(rows) > size)


def _fetch(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    kind: TimelineKind,
    rank: int,
    describe: TimelineDescribe,
) -> list[dict[str, Any]]:
    fetched = []
    for row in session.execute(stmt):
        title, detail = describe(row)
        channel = "" if row.channel is None else str(row.channel)
        fetched.append(
            {"at": row.at, "kind": kind.value, "channel": channel, "title": title}
            | {"detail": detail, "ref_id": row.ref_id, "rank": rank, "row_id": row.row_id}
        )
    return fetched
