"""What other areas may read of Service: a customer's open tickets, ticket counts and the
ticket signals that customer value and churn risk read, when a customer last had one, and the
tickets about to breach that a work page raises; for the overview, the tickets alive in a
period with their SLA outcome and working hours, an agent's open queue, and the addresses of
the Ticket queue that list a dashboard figure's tickets."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from crm_core.kernel.frames import core_frame, count_per
from crm_core.kernel.permissions import Actor, Capability, may, read_filter
from crm_core.kernel.settings import team_settings
from crm_core.models import Customer, Ticket, User
from crm_core.models.enums import Entity, TicketStatus
from crm_core.service import links, queues, sla
from crm_core.service.figures import with_times
from crm_core.service.sla import SlaState

__all__ = [
    "TICKET_TOUCH", "SlaState", "escalations", "my_queue", "open_queue_address", "open_tickets",
    "period_queue_address", "ticket_counts", "ticket_signals", "tickets_alive", "with_times",
]  # fmt: skip

# A ticket touches its customer when it is opened: (the model, its time column), for the
# data-quality page's "last touched".
TICKET_TOUCH: tuple[type[Ticket], Any] = (Ticket, Ticket.created_at)


def open_tickets(session: Session, actor: Actor, customer_id: int) -> pd.DataFrame:
    """The customer's tickets still new, open or pending, oldest first, with their assignee."""
    still_open = [s for s in TicketStatus if s.is_open]
    stmt = (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Ticket.created_at,
            User.name.label("assignee"),
            Ticket.resolution_due,
        )
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(
            Ticket.customer_id == customer_id,
            Ticket.status.in_(still_open),
            Ticket.deleted_at.is_(None),
            read_filter(actor, Entity.TICKET, Ticket.assignee_id),
        )
        .order_by(Ticket.created_at, Ticket.id)
    )
    columns = ["id", "subject", "status", "priority", "created_at", "assignee", "resolution_due"]
    return _frame(session, stmt, columns)


def ticket_counts(
    session: Session, as_of: datetime, customer_ids: Collection[int] | None = None
) -> pd.Series:
    """Per customer: tickets opened before `as_of` (deleted ones too: the effort was spent);
    only of `customer_ids` when given."""
    return count_per(session, Ticket.customer_id, Ticket.created_at, as_of, customer_ids)


def ticket_signals(
    session: Session,
    as_of: datetime,
    window_days: int,
    customer_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """Per customer (of `customer_ids` when given): tickets in the last window and the one
    before, mean CSAT, SLA breaches."""
    start, previous = as_of - timedelta(days=window_days), as_of - timedelta(days=2 * window_days)
    breached = or_(
        Ticket.first_response_at > Ticket.first_response_due,
        Ticket.resolved_at > Ticket.resolution_due,
        and_(Ticket.resolved_at.is_(None), Ticket.resolution_due < as_of),
    )
    recent = and_(Ticket.created_at >= start, Ticket.created_at < as_of)
    stmt = (
        select(
            Ticket.customer_id,
            func.sum(case((recent, 1), else_=0)),
            func.sum(
                case((and_(Ticket.created_at >= previous, Ticket.created_at < start), 1), else_=0)
            ),
            func.avg(Ticket.csat),
            func.sum(case((and_(recent, breached), 1), else_=0)),
        )
        .where(Ticket.created_at < as_of, Ticket.deleted_at.is_(None))
        .group_by(Ticket.customer_id)
    )
    if customer_ids is not None:
        stmt = stmt.where(Ticket.customer_id.in_(list(customer_ids)))
    columns = ["customer_id", "tickets_last", "tickets_prev", "avg_csat", "sla_breaches"]
    frame = pd.DataFrame(session.connection().execute(stmt).all(), columns=columns)
    frame["avg_csat"] = frame["avg_csat"].astype("float64")
    return frame.set_index("customer_id")


def _frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(session.execute(stmt).all(), columns=columns)
    for column in ("status", "priority"):
        frame[column] = frame[column].map(str)
    return frame


def escalations(session: Session, actor: Actor, now: datetime, limit: int = 20) -> pd.DataFrame:
    """Open tickets at risk or breached that the actor must see on their work page: an agent
    their own, whoever assigns tickets (a manager) every one; most urgent first."""
    frame = queues.queue(
        session, actor, queues.Queue.AT_RISK, team_settings(session), sla.sla_policy(session), now
    )
    if not may(actor, Capability.ASSIGN_TICKETS):
        frame = frame[frame["assignee_id"] == actor.id]
    columns = ["id", "subject", "customer", "priority", "sla_state", "next_due", "assignee"]
    return frame[columns].head(limit).reset_index(drop=True)


ALIVE_COLUMNS = ["id", "customer_id", "assignee_id", "created_at", "first_response_at",
                 "first_response_due", "resolved_at", "resolution_due", "csat", "owner_id",
                 "region"]  # fmt: skip


def tickets_alive(session: Session, actor: Actor, since: datetime, until: datetime) -> pd.DataFrame:
    """Tickets the actor may read, created before `until` and not resolved before `since`:
    ALIVE_COLUMNS (owner_id and region are the customer's). `with_times` adds their working
    hours and whether each met its targets (`met`), as the service dashboard counts them."""
    stmt = (
        select(
            Ticket.id, Ticket.customer_id, Ticket.assignee_id, *_texts(Ticket.created_at,
            Ticket.first_response_at, Ticket.first_response_due, Ticket.resolved_at,
            Ticket.resolution_due), Ticket.csat, Customer.owner_id, Customer.region,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(
            Ticket.created_at < until,
            or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= since),
            Ticket.deleted_at.is_(None),
            read_filter(actor, Entity.TICKET, Ticket.assignee_id),
        )
    )  # fmt: skip
    frame = core_frame(session, stmt, ALIVE_COLUMNS)
    for column in ("created_at", "first_response_at", "first_response_due", "resolved_at",
                   "resolution_due"):  # fmt: skip
        frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[ns]")
    for column in ("assignee_id", "owner_id", "csat"):
        frame[column] = frame[column].astype("Float64").astype("Int64")
    return frame


def _texts(*columns: Any) -> list[Any]:
    """Times read as text (parsed at once by pandas, not a datetime per value on SQLite)."""
    return [type_coerce(c, String) for c in columns]


def my_queue(session: Session, actor: Actor, now: datetime, limit: int = 50) -> pd.DataFrame:
    """The actor's own open tickets, most urgent first, with their SLA state and next due."""
    frame = queues.queue(
        session, actor, queues.Queue.MINE, team_settings(session), sla.sla_policy(session), now,
        limit=limit,
    )  # fmt: skip
    columns = ["id", "subject", "customer", "priority", "sla_state", "next_due"]
    return frame[columns].reset_index(drop=True)


def open_queue_address(region: str | None, owner_id: int | None) -> dict[str, str]:
    """The Ticket queue's address for the tickets open now whose customer is of the region and
    owner: what the dashboard's open tickets counts at the end of a period that reaches today."""
    return links.queue_address(queues.Queue.OPEN.value, region, owner_id)


def period_queue_address(
    start: date, end: date, region: str | None, owner_id: int | None
) -> dict[str, str]:
    """The Ticket queue's address for every ticket created on the team's local days
    [start, end], resolved ones too, whose customer is of the region and owner: the tickets
    the dashboard's SLA attainment and CSAT are of."""
    return links.queue_address(queues.Queue.ALL.value, region, owner_id, (start, end))
