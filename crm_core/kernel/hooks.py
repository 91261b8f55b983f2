"""What an area contributes to the Customers area without being imported by it: entries of a
customer's timeline, steps of a customer merge and figures the full value refresh stores.
`crm_core.wiring` lists every area's hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import import_module
from typing import Any

from sqlalchemy import Row, Select, Table, null, select, true, update
from sqlalchemy.orm import Session

from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import ValueSettings

# (actor, customer id, wanted channels or None for all) -> the source's select, or None when
# it has nothing on the wanted channels.
TimelineQuery = Callable[[Actor, int, "set[str] | None"], "Select[Any] | None"]
# One row of the query -> (title, detail) as message codes, said in the reader's language.
TimelineDescribe = Callable[[Row[Any]], tuple[Message, Message]]
# (session, actor, kept id, merged id, now) -> ids of the rows moved, by kind.
MergeMove = Callable[[Session, Actor, int, int, datetime], dict[str, list[int]]]


class TimelineKind(StrEnum):
    INTERACTION = "interaction"
    ORDER = "order"
    TICKET = "ticket"
    LEAD = "lead"
    CAMPAIGN = "campaign"
    CHANGE = "change"  # the customer record itself: created, edited, merged, deleted, restored


@dataclass(frozen=True)
class TimelineSource:
    """One kind of row on a customer's timeline: its query, newest first, and its wording."""

    kind: TimelineKind
    query: TimelineQuery
    describe: TimelineDescribe


@dataclass(frozen=True)
class MergeStep:
    """What an area moves from a merged customer to the kept one."""

    area: str
    move: MergeMove


# (session, the moment the refresh describes, its value settings) -> the figure as JSON.
FigureCompute = Callable[[Session, datetime, ValueSettings], dict[str, Any]]


@dataclass(frozen=True)
class RefreshFigure:
    """An aggregate over every customer that an area has the full value refresh compute and
    store under `name` (its pages read the stored row instead of computing it)."""

    name: str
    compute: FigureCompute


def timeline_sources() -> tuple[TimelineSource, ...]:
    """Every area's timeline sources, in the order ties on the same time are listed."""
    return _wiring().TIMELINE_SOURCES  # type: ignore[no-any-return]  # declared in wiring


def merge_steps() -> tuple[MergeStep, ...]:
    return _wiring().MERGE_STEPS  # type: ignore[no-any-return]  # declared in wiring


def refresh_figures() -> tuple[RefreshFigure, ...]:
    """Every area's figures stored by the full value refresh."""
    return _wiring().REFRESH_FIGURES  # type: ignore[no-any-return]  # declared in wiring


def _wiring() -> Any:
    # Imported by name, at first use: the kernel imports no area, and wiring imports them all.
    return import_module("crm_core.wiring")


# --- the timeline's shape, shared by every area's sources --------------------------------


def newest_first(at: Any, channel: Any, ref_id: Any, row_id: Any, *extra: Any) -> Select[Any]:
    """A source's select in the feed's shape, newest first (ties: highest row id first)."""
    return select(
        at.label("at"),
        (null() if channel is None else channel).label("channel"),
        ref_id.label("ref_id"),
        row_id.label("row_id"),
        *extra,
    ).order_by(at.desc(), row_id.desc())


def on_channels(column: Any, vocabulary: type[StrEnum], channels: set[str] | None) -> Any:
    """The WHERE on a channel column; None when none of the wanted channels is in its vocabulary."""
    if channels is None:
        return true()
    wanted = [member for member in vocabulary if member.value in channels]
    return column.in_(wanted) if wanted else None


def joined(*parts: Any) -> Message:
    """Parts (messages, vocabulary values, or text as typed) said one after another, " · "."""
    return msg("format.joined", parts=[p for p in parts if p not in (None, "")])


def text(typed: Any) -> Message:
    """Text as a user typed it (a subject, a name): shown as it is, never translated."""
    return msg("format.text", text="" if typed is None else str(typed))


def by(name: str | None) -> Message | None:
    return msg("timeline.by", name=name) if name else None


# --- merge steps ---------------------------------------------------------------------------


def relink(
    session: Session,
    actor: Actor,
    model: type[Any],
    column: str,
    ids: tuple[int, int],
    now: datetime,
) -> list[int]:
    """Point a versioned model's customer link from the merged customer to the kept one
    (`ids` is kept, merged); the version is bumped so that a form open on a moved row sees a
    conflict. Returns the moved rows' ids."""
    keep_id, merge_id = ids
    table: Table = model.__table__
    stmt = (
        update(table)
        .where(table.c[column] == merge_id)
        .values({column: keep_id, "version": table.c.version + 1})
        .values(updated_at=now, updated_by_id=actor.id)
        .returning(table.c.id)
    )
    return sorted(session.scalars(stmt).all())
