"""A session that has ended gets nothing more: not even from a download button shown before
the user was deactivated or signed out everywhere."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from sqlalchemy import Engine, event
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner
from streamlit.util import calc_hash

from crm_core.admin import users
from crm_core.kernel.errors import PermissionDenied
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.service import tickets
from db.session import session_scope
from support import a_customer, page_as, signed_in


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


def _end_session(engine: Engine, staff: dict[Role, Actor], user: Actor, ended_by: str) -> None:
    with session_scope(engine) as s:
        if ended_by == "deactivation":
            users.update_user(s, staff[Role.ADMIN], user.id, 1, {"active": False})
        else:
            users.logout(s, user)


@pytest.mark.parametrize("ended_by", ["deactivation", "sign-out everywhere"])
def test_every_service_dashboard_download_is_refused_after_the_session_ended(
    ended_by: str, app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    manager, agent = staff[Role.MANAGER], staff[Role.SUPPORT]
    with session_scope(app_engine) as s:
        values = {"customer_id": a_customer(app_engine, agent), "subject": "Paket belum sampai"}
        tickets.create_ticket(s, agent, values)
    at = page_as("service-dashboard", manager)
    at.session_state["relasi_session_version"] = 1
    at.run()
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    # per day, by agent, by weekday and hour, staffing (and the likely breaches, if any)
    assert len(buttons) >= 4
    builds = [deferred_download(b.proto.deferred_file_id) for b in buttons]
    assert all(build() for build in builds)  # while signed in, every file is built
    _end_session(app_engine, staff, manager, ended_by)
    for build in builds:
        with pytest.raises(PermissionDenied, match="session has ended"):
            build()


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process sends meanwhile (the app's engine is
    its own, not the test's)."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def rerun_fragments_only(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a browser asks when a widget inside a fragment changes (or a fragment's timer
    fires): a rerun of the page's fragments only, without app.py and its gate. AppTest only
    reruns whole scripts, so its rerun request is given the fragments' ids."""
    ids = list(at._fragment_storage._fragments)
    assert ids  # the page has fragments to rerun
    with monkeypatch.context() as m:
        m.setattr(local_script_runner, "RerunData", partial(RerunData, fragment_id_queue=ids))
        at.run()


def test_a_fragment_rerun_after_sign_out_everywhere_queries_nothing_and_asks_to_sign_in(
    app_engine: Engine, staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    a_customer(app_engine, staff[Role.SALES], name="Budi Santoso")
    at = signed_in("manager")
    at._page_hash = calc_hash("data-quality")  # the page's address, as a menu click opens it
    at.run()
    assert [s.value for s in at.subheader][1:] == ["Likely duplicates", "Untouched records"]
    with session_scope(app_engine) as s:
        users.logout(s, staff[Role.MANAGER])  # on another device
    with statements_sent() as sent:
        rerun_fragments_only(at, monkeypatch)
    assert not at.exception
    assert [s for s in sent if "customers" in s] == []  # only the session check, of users
    assert "Likely duplicates" not in [s.value for s in at.subheader]
    assert "Your session has ended" in at.info[0].value
    assert [i.label for i in at.text_input] == ["Username", "Password"]
