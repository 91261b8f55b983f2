"""The command line acts as a named user whose role may use the import page, as the page does."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

import manage
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from db.session import session_scope


def test_the_command_line_acts_only_as_an_active_admin_or_manager(
    engine: Engine, manager: Actor, sales: Actor
) -> None:
    with session_scope(engine, write=False) as s:
        assert manage._acting(s, " Manager ") == manager
        with pytest.raises(CRMError, match="--as sales: not an active admin or manager"):
            manage._acting(s, "sales")
        with pytest.raises(CRMError, match="--as nobody: not an active admin or manager"):
            manage._acting(s, "nobody")
