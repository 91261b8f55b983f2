"""Saved views of the Customers list (own, shared by a manager, "My customers" ready) through
the write path, and the whole filtered result a bulk edit changes (every page)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from crm_core.customers import listing, views
from crm_core.customers.listing import CustomerFilter
from crm_core.kernel.errors import PermissionDenied, ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry
from db.session import session_scope
from support import a_customer


def test_views_are_saved_shared_by_a_manager_and_my_customers_is_ready(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    prospects = CustomerFilter(lifecycle_stages=("prospect",), regions=("Bali",))
    with session_scope(engine) as s:
        views.save_view(s, sales, "Bali prospects", prospects, "city", True)
        views.save_view(s, manager, "Top profit", CustomerFilter(), "profit", True, shared=True)
        with pytest.raises(PermissionDenied):
            views.save_view(s, sales, "Mine for all", prospects, "name", False, shared=True)
        with pytest.raises(ValidationError):  # a salesperson may not sort by profit
            views.save_view(s, sales, "By profit", prospects, "profit", False)
    with session_scope(engine, write=False) as s:
        seen = {v.key: v for v in views.views_for(s, sales)}
        audited = s.scalar(select(func.count()).where(AuditEntry.entity == "setting"))
    assert list(seen) == ["builtin:my-customers", "own:Bali prospects", "shared:Top profit"]
    assert seen["builtin:my-customers"].flt == CustomerFilter(owner_ids=(sales.id,))
    own = seen["own:Bali prospects"]
    assert (own.flt, own.sort_by, own.descending) == (prospects, "city", True)
    # shared, sorted by an amount the salesperson may not sort by: it opens by name
    assert seen["shared:Top profit"].sort_by == "name"
    assert audited == 2  # each save through the write path
    with session_scope(engine) as s:
        views.delete_view(s, sales, "Bali prospects")
    with session_scope(engine, write=False) as s:
        assert [v.key for v in views.views_for(s, manager)] == [
            "builtin:my-customers", "shared:Top profit",
        ]  # fmt: skip


def test_the_whole_filtered_result_is_every_page_of_it_with_the_versions_read(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    ids = [a_customer(engine, manager, name=f"Pelanggan {i:02d}", city="Bandung")
           for i in range(3)]  # fmt: skip
    other = a_customer(engine, manager, name="Jakarta", city="Jakarta")
    with session_scope(engine, write=False) as s:
        found = listing.matching_versions(s, manager, CustomerFilter(cities=("Bandung",)))
        page = listing.search_customers(s, manager, CustomerFilter(cities=("Bandung",)), limit=1)
    assert found == [(i, 1) for i in ids]  # all three, though a page shows one
    assert page.total == 3 and other not in [i for i, _ in found]
