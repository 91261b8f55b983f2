"""Routing: the most suitable active support agent for a new ticket, and why.

Agents who know the category come first, then those who speak the customer's language. A
Most Valuable customer goes to the most experienced of them (most tickets resolved), the
open load breaking ties; everyone else goes to the least loaded, sparing the seniors.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.kernel.messages import Message, msg, to_json
from crm_core.kernel.permissions import Capability, roles_with
from crm_core.models import Ticket, User
from crm_core.models.enums import TicketCategory, TicketStatus

MOST_VALUABLE = "Most Valuable"  # the value tier that goes to the seniors (analytics' name)
_OPEN = [s for s in TicketStatus if s.is_open]
_DONE = [TicketStatus.RESOLVED, TicketStatus.CLOSED]


@dataclass(frozen=True)
class Routed:
    agent_id: int
    agent: str
    reason: Message

    @property
    def reason_json(self) -> str:
        return to_json(self.reason)


def agents(session: Session) -> pd.DataFrame:
    """Active agents (who may be routed tickets) with skills, languages, open load and
    experience (tickets they resolved), by name."""
    load = (
        select(Ticket.assignee_id, func.count().label("n"))
        .where(Ticket.status.in_(_OPEN), Ticket.deleted_at.is_(None))
        .group_by(Ticket.assignee_id)
        .subquery()
    )
    done = (
        select(Ticket.assignee_id, func.count().label("n"))
        .where(Ticket.status.in_(_DONE), Ticket.deleted_at.is_(None))
        .group_by(Ticket.assignee_id)
        .subquery()
    )
    stmt = (
        select(
            User.id,
            User.name,
            User.skills,
            User.languages,
            func.coalesce(load.c.n, 0),
            func.coalesce(done.c.n, 0),
        )
        .outerjoin(load, load.c.assignee_id == User.id)
        .outerjoin(done, done.c.assignee_id == User.id)
        .where(User.active.is_(True), User.role.in_(roles_with(Capability.ANSWER_TICKETS)))
        .order_by(User.name, User.id)
    )
    columns = ["id", "name", "skills", "languages", "open_load", "resolved"]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    frame["open_load"] = frame["open_load"].astype("int64")
    frame["resolved"] = frame["resolved"].astype("int64")
    return frame


def choose(
    candidates: pd.DataFrame,
    category: TicketCategory,
    language: str | None,
    tier: str | None,
) -> Routed | None:
    """The agent for a ticket among `candidates` (the frame of `agents`); None: no agent."""
    if candidates.empty:
        return None
    frame = candidates.copy()
    frame["skilled"] = frame["skills"].map(lambda s: category.value in (s or []))
    frame["speaks"] = frame["languages"].map(lambda s: bool(language) and language in (s or []))
    senior = tier == MOST_VALUABLE
    order = (
        ["skilled", "speaks", "resolved", "open_load"]
        if senior
        else ["skilled", "speaks", "open_load", "resolved"]
    )
    ascending = [False, False, False, True] if senior else [False, False, True, True]
    best = frame.sort_values([*order, "id"], ascending=[*ascending, True], kind="stable").iloc[0]
    return Routed(int(best["id"]), str(best["name"]), _reason(best, category, language, senior))


def _reason(
    best: pd.Series, category: TicketCategory, language: str | None, senior: bool
) -> Message:
    parts: list[Message] = []
    if best["skilled"]:
        parts.append(msg("routing.skill", category=category))
    if best["speaks"] and language:
        parts.append(msg("routing.language", language=Message(f"language.{language}")))
    if senior:
        parts.append(msg("routing.senior", resolved=int(best["resolved"])))
    parts.append(msg("routing.load", count=int(best["open_load"])))
    return msg("routing.reason", parts=parts)


def route(
    session: Session, category: TicketCategory, language: str | None, tier: str | None
) -> Routed | None:
    return choose(agents(session), category, language, tier)
