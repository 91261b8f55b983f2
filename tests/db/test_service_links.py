"""The Overview's ticket figures open the Ticket queue with the dashboard's filters, and the
queue behind each link holds the very tickets the figure counts (on the Overview's hand-made
business, SQLite and PostgreSQL); the address is read tolerantly and a saved view keeps it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest
from overview_data import MARCH, NOW, business
from sqlalchemy.orm import Session

from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from crm_core.models import Ticket
from crm_core.models.enums import Channel, TicketCategory, TicketStatus
from crm_core.overview import dashboard
from crm_core.overview.dashboard import Code
from crm_core.service import links, queues, sla, views
from crm_core.service.queues import Filters, Queue


def test_the_ticket_figures_open_the_queue_with_the_dashboards_filters() -> None:
    march = replace(MARCH, region="Jawa Barat", owner_id=4)
    assert dashboard.page_of(Code.OPEN_TICKETS, march) == (
        "tickets", {"queue": "open", "region": "Jawa Barat", "owner": "4"},
    )  # fmt: skip
    period = {"queue": "all", "from": "2026-03-01", "to": "2026-03-31"}
    assert dashboard.page_of(Code.SLA_ATTAINMENT, MARCH) == ("tickets", period)
    assert dashboard.page_of(Code.CSAT, march) == (
        "tickets", {**period, "region": "Jawa Barat", "owner": "4"},
    )  # fmt: skip


def linked_queue(
    session: Session, actor: Actor, code: Code, flt: dashboard.Filters
) -> pd.DataFrame:
    params = dashboard.page_of(code, flt)[1]
    linked = links.queue_from_address(params)
    assert linked is not None
    filters = Filters(region=linked.region, owner_id=linked.owner_id, created=linked.created)
    return queues.queue(
        session, actor, Queue(params["queue"]), team_settings(session), sla.sla_policy(session),
        NOW, filters,
    )  # fmt: skip


def test_the_queue_behind_each_ticket_figure_holds_the_tickets_it_counts(
    session: Session, manager: Actor, sales: Actor, support: Actor
) -> None:
    business(session, manager, sales, support)
    ani = replace(MARCH, region="Jawa Barat", owner_id=sales.id)  # all four tickets are Ani's
    found, _frames = dashboard.dashboard(session, manager, ani, NOW)
    shown = {f.code: f.value for f in found}
    period = linked_queue(session, manager, Code.SLA_ATTAINMENT, ani)
    outcome = queues.outcomes(period)
    # March's T1 (met), T2 (answered late), T3 (open, past due): newest first; T4 is February's.
    assert period["subject"].size == 3
    assert period["met"].tolist() == [False, False, True]
    assert (outcome.tickets, outcome.resolved) == (3, 2)
    assert outcome.sla_attainment == pytest.approx(1 / 3) == shown[Code.SLA_ATTAINMENT]
    assert outcome.csat == 4.0 == shown[Code.CSAT]  # (5 + 3) / 2
    open_now = linked_queue(session, manager, Code.OPEN_TICKETS, ani)
    assert len(open_now) == 1 == shown[Code.OPEN_TICKETS]
    elsewhere = replace(ani, region="Bali")
    assert linked_queue(session, manager, Code.CSAT, elsewhere).empty


def test_the_period_is_the_teams_local_days(
    session: Session, manager: Actor, sales: Actor, support: Actor
) -> None:
    ids = business(session, manager, sales, support)
    for created in (datetime(2026, 2, 28, 17, 30), datetime(2026, 3, 31, 17, 30)):
        session.add(Ticket(customer_id=ids["budi"], subject=f"{created:%d %b}", created_at=created,
                           channel=Channel.EMAIL, category=TicketCategory.DELIVERY,
                           status=TicketStatus.NEW))  # fmt: skip
    session.flush()
    flt = Filters(region="Bali", created=(date(2026, 3, 1), date(2026, 3, 31)))
    frame = queues.queue(
        session, manager, Queue.ALL, team_settings(session), sla.sla_policy(session), NOW, flt
    )
    # 28 Feb 17:30 UTC is 1 March 00:30 in Jakarta: March's; 31 March 17:30 is 1 April's.
    assert frame["subject"].tolist() == ["28 Feb"]
    assert frame["sla_state"].notna().all()  # still open: its SLA state shows


def test_all_tickets_without_dates_are_the_last_30_local_days() -> None:
    # 14 April 20:00 UTC is 15 April 03:00 in Jakarta: 17 March to 15 April.
    assert queues.last_days(datetime(2026, 4, 14, 20, 0), "Asia/Jakarta") == (
        date(2026, 3, 17), date(2026, 4, 15),
    )  # fmt: skip


def test_a_hand_edited_address_shows_more_never_an_error() -> None:
    assert links.queue_from_address({"queue": "open"}) is None
    odd = links.queue_from_address({"owner": "4'; --", "from": "2026-03-31", "to": "2026-03-01"})
    assert odd == links.QueueLink()
    half = links.queue_from_address({"region": "Bali", "from": "yesterday", "to": "2026-03-01"})
    assert half == links.QueueLink(region="Bali")


def test_a_saved_view_keeps_the_region_owner_and_dates() -> None:
    chosen = Filters(priorities=("urgent",), region="Bali", owner_id=3,
                     created=(date(2026, 3, 1), date(2026, 3, 31)))  # fmt: skip
    assert views.view_of(views.document(Queue.ALL, chosen)) == views.View(Queue.ALL, chosen)
    older = {"queue": "open", "priorities": ["urgent"], "search": ""}  # saved before them
    assert views.view_of(older) == views.View(Queue.OPEN, Filters(priorities=("urgent",)))
