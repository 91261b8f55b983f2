"""Saved views of the ticket queue on SQLite and PostgreSQL: saved under a name through the
write path (audited), replaced by the same name, listed with the team's shared ones, shared
by a manager only, deleted by their owner only."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, TicketView
from crm_core.service import views
from crm_core.service.queues import Filters, Queue
from db.session import session_scope

URGENT_BILLING = Filters(priorities=("urgent",), categories=("billing",))


def test_views_are_saved_listed_shared_and_deleted_through_the_write_path(
    engine: Engine, support: Actor, manager: Actor
) -> None:
    with session_scope(engine) as s:
        views.save_view(s, support, "Urgent billing", Queue.MINE, URGENT_BILLING)
        # The same name again replaces it: one view, with the new filters.
        views.save_view(s, support, "Urgent billing", Queue.OPEN, URGENT_BILLING)
        views.save_view(s, manager, "Team backlog", Queue.UNASSIGNED, Filters(), shared=True)
        views.save_view(s, manager, "Mine only", Queue.OPEN, Filters(search="refund"))
    with session_scope(engine, write=False) as s:
        seen = views.saved_views(s, support)
        audited = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "view")
        )
    assert list(zip(seen["name"], seen["mine"], seen["shared"], strict=True)) == [
        ("Urgent billing", True, False),
        ("Team backlog", False, True),
    ]
    assert audited == 4  # three created, one replaced
    kept = views.view_of(dict(seen.loc[0, "filters"]))
    assert kept == views.View(Queue.OPEN, URGENT_BILLING)
    # Values no longer known (a renamed category) are dropped, an unknown queue is All open.
    odd = views.view_of({"queue": "old", "categories": ["billing", "gone"], "search": "x"})
    assert odd == views.View(Queue.OPEN, Filters(categories=("billing",), search="x"))
    mine, theirs = (int(seen.loc[i, "id"]) for i in (0, 1))
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        views.save_view(s, support, "For all", Queue.OPEN, Filters(), shared=True)
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        views.delete_view(s, support, theirs, 1)
    with session_scope(engine) as s, pytest.raises(ValidationError) as refused:
        views.save_view(s, support, " ", Queue.OPEN, Filters())
    assert set(refused.value.field_errors) == {"name"}
    with session_scope(engine) as s:
        views.share_view(s, manager, theirs, 1, False)
        views.delete_view(s, support, mine, 2)
    with session_scope(engine, write=False) as s:
        assert views.saved_views(s, support).empty
        assert s.scalar(select(func.count()).select_from(TicketView)) == 2
