"""The public web form: a submission becomes a New web-form lead assigned by the rules; a bot
that fills the honeypot is dropped; a sender past the hourly limit is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from crm_core.kernel.errors import ValidationError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Lead, LeadStageChange
from crm_core.models.enums import Role
from crm_core.sales import webform
from crm_core.sales.settings import update_sales_settings
from db.session import session_scope
from support import make_user


def test_a_visitor_s_form_becomes_a_new_web_form_lead_for_the_round_robin_owner(
    engine: Engine, manager: Actor
) -> None:
    ana = make_user(engine, Role.SALES, "ana")
    with session_scope(engine) as s:
        update_sales_settings(s, manager, 0, {"assignment_rule": "round robin",
                                              "assignment_pool": [ana.id],
                                              "form_fields": ["company", "phone"]})  # fmt: skip
    with session_scope(engine) as s:
        lead = webform.submit_web_form(
            s, {"name": "Dewi Lestari", "company": "Kopi Dewi", "phone": "0812 1111 2222",
                "email": "not asked@x", "website": ""}, sent_last_hour=0,
        )  # fmt: skip
        assert lead is not None
        lead_id = lead.id
    with session_scope(engine, write=False) as s:
        stored = s.get_one(Lead, lead_id)
        assert (stored.name, stored.company, stored.phone, stored.email) == (
            "Dewi Lestari",
            "Kopi Dewi",
            "+6281211112222",
            None,
        )  # email was not asked
        assert (stored.source, stored.stage, stored.owner_id) == ("web form", "new", ana.id)
        assert s.scalars(select(LeadStageChange.to_stage)).all() == ["new"]
        assert s.scalars(select(AuditEntry.entity_id).where(AuditEntry.entity == "lead")).all() == [
            lead_id
        ]


def test_without_rules_a_manager_receives_the_lead(engine: Engine, manager: Actor) -> None:
    make_user(engine, Role.SALES, "ana")
    with session_scope(engine) as s:
        lead = webform.submit_web_form(s, {"name": "Dewi"}, sent_last_hour=0)
        assert lead is not None and lead.owner_id == manager.id


def test_a_bot_filling_the_honeypot_writes_nothing_and_a_flood_is_refused(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine) as s:
        assert webform.submit_web_form(s, {"name": "Bot", "website": "http://spam"}, 0) is None
    with pytest.raises(webform.TooManySubmissions), session_scope(engine) as s:
        webform.submit_web_form(s, {"name": "Dewi"}, sent_last_hour=20)
    with pytest.raises(ValidationError) as bad, session_scope(engine) as s:
        webform.submit_web_form(s, {"name": "", "phone": "12"}, sent_last_hour=0)
    assert set(bad.value.field_errors) == {"name", "phone"}
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(Lead.id)) is None
