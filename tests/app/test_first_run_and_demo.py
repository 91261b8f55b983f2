"""The first admin of a new team lands on the setup; the embedded demo says it is one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import team_settings
from crm_core.models import User
from crm_core.models.enums import Role
from db.session import read_scope
from support import red, shown_under, signed_in

SETUP = "Set up Relasi for your team"


def test_the_first_admin_lands_on_the_setup_saves_the_company_and_skips_the_rest(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = signed_in("admin")
    assert at.title[0].value == SETUP
    assert not at.info  # a configured database: no demo banner
    at.text_input[0].set_value("Toko Maju Jaya")
    at.text_input[1].set_value("USD")
    next(b for b in at.button if b.label == "Save and continue").click()
    at.run()
    assert not at.exception and not at.error, at.error
    assert at.subheader[0].value == "Invite your team"
    with read_scope(app_engine) as session:
        saved = team_settings(session)
    assert (saved.company_name, saved.currency) == ("Toko Maju Jaya", "USD")
    next(b for b in at.button if b.label == "Skip the whole setup").click()
    at.run()
    assert at.title[0].value != SETUP
    assert signed_in("admin").title[0].value != SETUP  # it does not come back


def test_a_colleague_refused_at_the_invite_step_stays_typed_and_one_added_empties_the_form(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = signed_in("admin")
    at.text_input[0].set_value("Toko Maju Jaya")
    next(b for b in at.button if b.label == "Save and continue").click()
    at.run()
    box = "setup-invite-n0"
    at.text_input(key=f"{box}-name").input("Rina Wati")
    at.text_input(key=f"{box}-username").input("rina")
    at.text_input(key=f"{box}-email").input("rina at toko")
    at.text_input(key=f"{box}-password").input("rahasia-rina-2026")
    at.button(key=f"FormSubmitter:{box}-Add to the team").click().run()
    assert shown_under(at, f"{box}-email") == red(
        "is not a valid email address: an email address must have an @-sign."
    )
    assert at.text_input(key=f"{box}-name").value == "Rina Wati"  # nothing typed is lost
    at.text_input(key=f"{box}-email").input("rina@tokomaju.id")
    at.button(key=f"FormSubmitter:{box}-Add to the team").click().run()
    assert "Added rina." in [s.value for s in at.success]
    assert at.text_input(key="setup-invite-n1-name").value == ""  # ready for the next one
    with read_scope(app_engine) as session:
        assert session.scalar(select(User.email).where(User.username == "rina")) == (
            "rina@tokomaju.id"
        )


def test_without_a_database_url_the_demo_banner_says_the_data_resets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = "from ui import banner\nbanner.demo_database()\n"
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    at = AppTest.from_string(script, default_timeout=30).run()
    assert "lost when the app restarts" in at.info[0].value
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://relasi@db.example.com/relasi")
    assert not AppTest.from_string(script, default_timeout=30).run().info
