"""Admin › Users as an admin uses it: create, see errors beside the field, edit, reset password."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from crm_core.kernel.permissions import Actor
from crm_core.models import User
from crm_core.models.enums import Role
from db.session import session_scope
from support import page_as


def user_count(engine: Engine) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(User)) or 0


def fill_new_user(at: AppTest, email: str) -> None:
    at.text_input(key="new-user-n0-username").input("rina")
    at.text_input(key="new-user-n0-name").input("Rina Wijaya")
    at.text_input(key="new-user-n0-email").input(email)
    at.selectbox(key="new-user-n0-role").select("support")
    at.text_input(key="new-user-n0-password").input("welcome-2026")


def test_a_bad_email_is_shown_beside_the_field_and_no_user_is_created(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = page_as("users", staff[Role.ADMIN]).run()
    before = user_count(app_engine)
    fill_new_user(at, "rina-at-example")
    at.button(key="FormSubmitter:new-user-n0-Create user").click().run()
    assert not at.exception
    assert any("not a valid email address" in c.value for c in at.caption)
    assert at.text_input(key="new-user-n0-email").value == "rina-at-example"  # kept as typed
    assert user_count(app_engine) == before


def test_an_admin_creates_a_support_agent(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    at = page_as("users", staff[Role.ADMIN]).run()
    fill_new_user(at, "rina@example.com")
    at.button(key="FormSubmitter:new-user-n0-Create user").click().run()
    assert [s.value for s in at.success] == ["Created rina."]
    assert at.text_input(key="new-user-n1-username").value == ""  # ready for the next one
    with session_scope(app_engine, write=False) as s:
        role = s.scalar(select(User.role).where(User.username == "rina"))
    assert role is Role.SUPPORT


def test_a_manager_sees_the_list_but_no_forms(staff: dict[Role, Actor]) -> None:
    at = page_as("users", staff[Role.MANAGER]).run()
    assert len(at.dataframe) == 1
    assert len(at.text_input) == 0
    assert "Only an admin can change users." in [c.value for c in at.caption]
