"""Sign-in, role gating and sign-out through the real app.py (streamlit AppTest)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from crm_core.admin import sign_in, users
from crm_core.kernel.permissions import Actor
from crm_core.models import RememberedSignIn, utcnow
from crm_core.models.enums import Role
from db.session import session_scope
from support import APP, page_as, signed_in

STRONG_KEY = "Vt4q-9ZxR2mLw_8bKc1Ne7Ys0HfJu3Dp5GaQ"
WRONG = "Username or password is incorrect. After 5 failed tries an account waits 15 minutes."


def test_an_anonymous_visitor_sees_only_the_sign_in_form(staff: dict[Role, Actor]) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "relasi_actor" not in at.session_state
    assert len(at.sidebar.button) == 0


def test_a_wrong_password_is_refused_and_counted_against_that_account(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input[0].input("sales")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [WRONG]
    assert "relasi_actor" not in at.session_state
    with session_scope(app_engine, write=False) as s:
        assert sign_in.failed_tries(s, "sales", utcnow()) == 1


def test_an_unknown_username_and_a_locked_account_answer_like_a_wrong_password(
    staff: dict[Role, Actor],
) -> None:
    for username in ("nobody", "sales"):
        at = AppTest.from_file(APP, default_timeout=30).run()
        for _ in range(6):
            at.text_input[0].input(username)
            at.text_input[1].input("not the password")
            at.button[0].click().run()
            assert [e.value for e in at.error] == [WRONG]
    at = signed_in("sales")  # locked now: the right password waits too, with the same words
    assert "relasi_actor" not in at.session_state
    assert [e.value for e in at.error] == [WRONG]


def test_a_user_whose_password_an_admin_set_chooses_their_own_before_any_page(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    with session_scope(app_engine) as s:
        users.reset_password(s, staff[Role.ADMIN], staff[Role.SALES].id, 1, "admin-chose-it")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input[0].input("sales")
    at.text_input[1].input("admin-chose-it")
    at.button[0].click().run()
    assert at.title[0].value == "Choose your own password"
    assert len(at.sidebar.button) == 0  # no menu, no other page
    at.text_input[0].input("my own secret")
    at.text_input[1].input("my own secret, mistyped")
    at.button[0].click().run()
    assert any("the two passwords differ" in c.value for c in at.caption)
    at.text_input[0].input("my own secret")
    at.text_input[1].input("my own secret")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Good to see you")
    assert "relasi_actor" in at.session_state


def test_demo_passwords_are_offered_only_where_the_demo_users_exist(
    staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert [e.label for e in at.expander] == []  # these staff are real accounts, not demo ones


def test_the_manager_gets_every_section_and_support_gets_no_admin_or_sales_pages(
    staff: dict[Role, Actor],
) -> None:
    manager = signed_in("manager")
    assert not manager.exception
    assert manager.title[0].value.startswith("Good to see you")
    assert {"users", "audit", "leads", "customers"} <= set(manager.session_state["relasi_pages"])
    support = signed_in("support")
    pages = set(support.session_state["relasi_pages"])
    assert "tickets" in pages and "users" not in pages and "leads" not in pages


def test_a_page_reached_directly_refuses_an_anonymous_visitor_and_a_role_without_access(
    staff: dict[Role, Actor],
) -> None:
    for actor in (None, staff[Role.SUPPORT]):
        at = page_as("users", actor).run()
        assert at.error[0].value.startswith("You do not have access to Users")
        assert len(at.dataframe) == 0


def test_signing_out_ends_every_open_session_of_that_user(staff: dict[Role, Actor]) -> None:
    laptop, phone = signed_in("sales"), signed_in("sales")
    assert "relasi_actor" in phone.session_state
    laptop.sidebar.button[0].click().run()
    assert [t.label for t in laptop.text_input] == ["Username", "Password"]
    phone.run()
    assert "relasi_actor" not in phone.session_state
    assert "session has ended" in phone.info[0].value


def test_a_deactivated_user_is_signed_out_on_their_next_click(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = signed_in("support")
    with session_scope(app_engine) as s:
        users.update_user(s, staff[Role.ADMIN], staff[Role.SUPPORT].id, 1, {"active": False})
    at.run()
    assert "relasi_actor" not in at.session_state


def test_outside_demo_mode_the_app_refuses_to_start_without_a_cookie_key(
    staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_COOKIE_KEY")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "will not start without a secret cookie key" in at.error[0].value
    assert len(at.text_input) == 0  # no sign-in form, nothing else


def test_the_cookie_key_is_read_from_the_sign_in_table_of_the_secrets(
    staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_COOKIE_KEY")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["sign_in"] = {"cookie_key": STRONG_KEY, "cookie_expiry_days": 7}
    at.run()
    assert not at.error
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_a_cookie_key_under_st_login_s_auth_table_is_not_taken_for_ours(
    staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_COOKIE_KEY")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {"cookie_key": STRONG_KEY}
    at.run()
    assert "[sign_in]" in at.error[0].value
    assert len(at.text_input) == 0


def test_the_remembered_sign_in_is_offered_again_until_the_browser_says_it_holds_it(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    # A menu click right after sign-in reruns before the browser ran the cookie component
    # (AppTest's browser never answers it): the next run must offer the same cookie again,
    # recorded once on the server, or the sign-in is not remembered at the next visit.
    at = signed_in("sales")
    offered = at.session_state["relasi_set_cookie"]
    at.run()
    assert at.session_state["relasi_set_cookie"] == offered
    expires = datetime.fromtimestamp(offered["expires"], UTC).replace(tzinfo=None)
    with session_scope(app_engine, write=False) as s:
        assert sign_in.remembered(s, "sales", expires, utcnow())
        records = s.scalar(select(func.count()).select_from(RememberedSignIn))
    assert records == 1
