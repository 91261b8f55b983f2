"""Customer satisfaction (CSAT): a single-use survey link for a resolved ticket, the rating it
brings back (or one taken by phone), and the figures: average, distribution, by agent."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.frames import core_frame
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, read_filter, require
from crm_core.models import Ticket, TicketEvent, User, utcnow
from crm_core.models.enums import AuditAction, Entity, TicketEventKind, TicketStatus
from crm_core.service.inputs import RatingIn

E = Entity.TICKET
_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class SurveyRefused(CRMError):
    """The link is wrong, used already, or its ticket is not resolved."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_token(session: Session, actor: Actor, ticket_id: int, expected_version: int) -> str:
    """A new survey link's secret for a resolved ticket (any earlier link stops working);
    only its hash is kept. The link is `survey?ticket=<id>&token=<this>`."""
    ticket = writepath.load(session, Ticket, ticket_id)
    require(actor, E, Action.UPDATE, ticket)
    if ticket.status not in _DONE:
        raise ValidationError({"status": msg("csat.not_resolved")})
    if ticket.csat is not None:
        raise ValidationError({"csat": msg("csat.already_rated")})
    token = secrets.token_urlsafe(24)
    writepath.update(
        session, actor, E, ticket, expected_version, {"survey_token_hash": _digest(token)}
    )
    return token


def survey_open(session: Session, ticket_id: int, token: str) -> bool:
    """Whether a survey link still takes a rating (a right token, not used yet)."""
    stored = session.scalar(
        select(Ticket.survey_token_hash).where(Ticket.id == ticket_id, Ticket.deleted_at.is_(None))
    )
    return stored is not None and hmac.compare_digest(stored, _digest(token))


def rate_by_link(
    session: Session,
    ticket_id: int,
    token: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """The customer's rating through the link: written as the system (no staff acted),
    audited, and the link closed for good."""
    now = now or utcnow()
    held = validate(RatingIn, data)
    if not survey_open(session, ticket_id, token):
        raise SurveyRefused(msg("csat.link_closed"))
    ticket = session.get_one(Ticket, ticket_id)
    values = {
        "csat": held.csat,
        "csat_comment": held.comment,
        "csat_at": now,
        "survey_token_hash": None,
    }
    changes = {f: (getattr(ticket, f), v) for f, v in values.items() if getattr(ticket, f) != v}
    for field, value in values.items():
        setattr(ticket, field, value)
    ticket.updated_at = now
    session.flush()  # the version moves on: a form open on the ticket sees the rating
    changes.pop("survey_token_hash", None)
    writepath.record_event(session, None, E, ticket.id, AuditAction.UPDATE, changes)
    _rating_event(session, ticket.id, None, held.csat, held.comment, now)


def record_rating(
    session: Session,
    actor: Actor,
    ticket_id: int,
    expected_version: int,
    data: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """A rating the customer gave by phone, typed in by the agent."""
    now = now or utcnow()
    held = validate(RatingIn, data)
    ticket = writepath.load(session, Ticket, ticket_id)
    require(actor, E, Action.UPDATE, ticket)
    if ticket.status not in _DONE:
        raise ValidationError({"csat": msg("csat.not_resolved")})
    values = {
        "csat": held.csat,
        "csat_comment": held.comment,
        "csat_at": now,
        "survey_token_hash": None,
    }
    changes = writepath.update(session, actor, E, ticket, expected_version, values)
    _rating_event(session, ticket.id, actor.id, held.csat, held.comment, now)
    return changes


def _rating_event(
    session: Session,
    ticket_id: int,
    actor_id: int | None,
    csat: int,
    comment: str | None,
    now: datetime,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            at=now,
            actor_id=actor_id,
            kind=TicketEventKind.RATING,
            to_value=str(csat),
            body=comment,
        )
    )


@dataclass(frozen=True)
class CsatFigures:
    """Ratings of tickets resolved in [start, end): how many, the mean (None: none), the
    share of 4 and 5 ("satisfied"), the count of each score, and the same per agent."""

    ratings: int
    average: float | None
    satisfied_share: float | None
    distribution: pd.Series  # index 1..5 -> count
    by_agent: pd.DataFrame  # agent, ratings, average, satisfied_share


def csat_figures(session: Session, actor: Actor, start: datetime, end: datetime) -> CsatFigures:
    stmt = (
        select(Ticket.csat, func.coalesce(User.name, "").label("agent"))
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(
            Ticket.csat.is_not(None),
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
            Ticket.deleted_at.is_(None),
            read_filter(actor, E, Ticket.assignee_id),
        )
    )
    frame = core_frame(session, stmt, ["csat", "agent"])  # no ORM rows: a month is 10,000
    frame["csat"] = frame["csat"].astype("int64")
    distribution = frame["csat"].value_counts().reindex(range(1, 6), fill_value=0)
    distribution.index.name = "score"
    if frame.empty:
        empty = pd.DataFrame(columns=["agent", "ratings", "average", "satisfied_share"])
        return CsatFigures(0, None, None, distribution, empty)
    frame["satisfied"] = frame["csat"] >= 4
    by_agent = (
        frame.groupby("agent")
        .agg(
            ratings=("csat", "size"),
            average=("csat", "mean"),
            satisfied_share=("satisfied", "mean"),
        )
        .reset_index()
        .sort_values(["average", "ratings"], ascending=[False, False])
    )
    return CsatFigures(
        len(frame),
        float(frame["csat"].mean()),
        float(frame["satisfied"].mean()),
        distribution,
        by_agent.reset_index(drop=True),
    )
