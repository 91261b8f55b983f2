"""The first-run setup (crm_core/admin/setup.py): who lands on it; it does not come back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crm_core.admin import setup
from crm_core.kernel.errors import PermissionDenied
from crm_core.kernel.permissions import Actor
from db.session import read_scope, session_scope
from support import a_customer


def needs(engine: Engine, actor: Actor) -> bool:
    with read_scope(engine) as session:
        return setup.needs_setup(session, actor)


def test_the_first_admin_of_an_empty_database_is_set_up_once_step_by_step(
    engine: Engine, admin: Actor, manager: Actor
) -> None:
    assert needs(engine, admin) and not needs(engine, manager)
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        setup.step_behind(session, manager, 0, "company")
    for version, step in enumerate(setup.STEPS):
        with session_scope(engine) as session:
            assert setup.state(session) == setup.SetupState(step, version)
            setup.step_behind(session, admin, version, step)
        if step == "team":  # customers imported during the setup do not end it
            a_customer(engine, admin)
            assert needs(engine, admin)
    with read_scope(engine) as session:
        assert setup.state(session) == setup.SetupState(setup.DONE, 3)
    assert not needs(engine, admin)


def test_a_database_with_customers_or_a_skipped_setup_lands_on_my_work(
    engine: Engine, admin: Actor, sales: Actor
) -> None:
    a_customer(engine, sales)
    assert not needs(engine, admin)  # the demo, or a team at work
    with session_scope(engine) as session:
        setup.skip_all(session, admin, 0)
        assert setup.state(session).step == setup.DONE
