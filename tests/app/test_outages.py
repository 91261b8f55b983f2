"""When the database fails under a page: a message in the user's language beside what they
were doing, no traceback (no SQL, host or port), and what they typed still in the form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from crm_core.customers import records as customers
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import User
from crm_core.models.enums import Role
from db.session import session_scope
from support import APP, page_as

DOWN = (
    "The database cannot be reached just now: nothing was saved. What you typed is kept; "
    "try again in a moment."
)


def test_a_database_that_cannot_be_reached_shows_a_message_not_a_traceback(
    staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://relasi@127.0.0.1:1/relasi")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == [DOWN]
    assert "127.0.0.1" not in str([e.value for e in at.error])


@contextmanager
def unreachable() -> Iterator[None]:
    raise OperationalError("INSERT INTO users ...", {}, Exception("connection refused"))
    yield  # pragma: no cover


def test_a_save_during_an_outage_keeps_the_form_and_says_so_in_indonesian(
    app_engine: Engine, staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page_as("users", staff[Role.ADMIN])
    at.session_state["relasi_language"] = "id"
    at.run()
    monkeypatch.setattr("ui.forms.write_scope", unreachable)
    at.text_input(key="new-user-n0-username").input("rina")
    at.text_input(key="new-user-n0-name").input("Rina Wijaya")
    at.text_input(key="new-user-n0-email").input("rina@example.com")
    at.text_input(key="new-user-n0-password").input("welcome-2026")
    at.button(key="FormSubmitter:new-user-n0-Buat pengguna").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Basis data tidak dapat dihubungi saat ini: tidak ada yang disimpan. Yang Anda ketik "
        "tetap ada; coba lagi sebentar lagi."
    ]
    assert at.text_input(key="new-user-n0-name").value == "Rina Wijaya"
    monkeypatch.undo()  # the database is back: the same press saves, no restart needed
    monkeypatch.setenv("CRM_DATABASE_URL", str(app_engine.url))
    at.button(key="FormSubmitter:new-user-n0-Buat pengguna").click().run()
    with session_scope(app_engine, write=False) as s:
        assert s.scalar(select(User.name).where(User.username == "rina")) == "Rina Wijaya"


def test_a_nul_byte_is_refused_by_validation_before_the_database_sees_it(
    engine: Engine, manager: Actor
) -> None:
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        customers.create_customer(s, manager, {"name": "Budi\x00Santoso"})
    assert raised.value.texts() == {"name": "contains a character that cannot be stored (NUL)"}
