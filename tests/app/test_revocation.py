"""A session that has ended gets nothing more: not even from a download button shown before
the user was deactivated or signed out everywhere."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from streamlit.runtime.media_file_manager import MediaFileManager

from crm_core.admin import users
from crm_core.kernel.errors import PermissionDenied
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from db.session import session_scope
from support import a_customer, page_as


def deferred_download(file_id: str) -> Callable[[], object]:
    """The builder Streamlit runs when the browser asks for a deferred download's file."""
    for manager in (o for o in gc.get_objects() if isinstance(o, MediaFileManager)):
        entry = manager._deferred_callables.get(file_id)
        if entry is not None:
            return entry["callable"]
    raise LookupError(file_id)


@pytest.mark.parametrize("ended_by", ["deactivation", "sign-out everywhere"])
def test_the_customers_download_is_refused_after_the_session_ended(
    ended_by: str, app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    manager = staff[Role.MANAGER]
    a_customer(app_engine, manager, name="Budi Santoso")
    at = page_as("customers", manager)
    at.session_state["relasi_session_version"] = 1
    at.run()
    button = at.get("download_button")[0].proto
    build = deferred_download(button.deferred_file_id)
    assert "Budi Santoso" in str(build())  # while signed in, the file is built
    with session_scope(app_engine) as s:
        if ended_by == "deactivation":
            users.update_user(s, staff[Role.ADMIN], manager.id, 1, {"active": False})
        else:
            users.logout(s, manager)
    with pytest.raises(PermissionDenied, match="session has ended"):
        build()
