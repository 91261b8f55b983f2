"""A visitor (a customer, not signed in) reads a public page in their own language: the page
has the language switch, as the sign-in page does, and the team's default is only where it
starts."""

from __future__ import annotations

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role


def as_visitor(module: str) -> AppTest:
    """A public page as app.py serves it to someone not signed in."""
    return AppTest.from_string(
        "from ui.language_switch import for_visitors\n"
        f"from app_pages.{module} import render\n"
        "for_visitors(render)()\n",
        default_timeout=30,
    )


def test_a_visitor_switches_the_support_form_to_bahasa_indonesia(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = as_visitor("service.request_form").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Contact Relasi support"  # the team's default: English
    at.selectbox(key="relasi_language_switch_login").set_value("id").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Hubungi layanan pelanggan Relasi"


def test_the_web_form_offers_the_switch_and_nothing_else_of_the_app(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = as_visitor("sales.web_form").run()
    assert at.title[0].value == "Talk to Relasi"
    assert [s.label for s in at.selectbox] == ["Language"]
    assert not at.sidebar.button  # no menu, no sign-out: a visitor's page
