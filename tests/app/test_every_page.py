"""Every page renders for a role that may open it, and refuses one that may not."""

from __future__ import annotations

import pytest

from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.pages import PAGES
from support import page_as

MODULES = {
    "home": "home", "dashboard": "dashboard", "customers": "customers", "customer": "customer",
    "data-quality": "data_quality", "import": "import_data", "leads": "leads",
    "tickets": "tickets", "segments": "segments", "campaigns": "campaigns", "team": "team",
    "users": "users", "audit": "audit", "settings": "settings",
}  # fmt: skip


def test_every_page_in_the_navigation_has_a_module() -> None:
    assert {spec.key for spec in PAGES} == set(MODULES)


@pytest.mark.parametrize("key", sorted(MODULES))
def test_the_page_renders_for_a_role_that_may_open_it_and_refuses_others(
    key: str, staff: dict[Role, Actor]
) -> None:
    spec = next(p for p in PAGES if p.key == key)
    allowed = next(role for role in Role if role in spec.roles)
    at = page_as(MODULES[key], staff[allowed]).run()
    assert not at.exception, at.exception
    assert at.title and at.title[0].value
    refused = [role for role in Role if role not in spec.roles]
    if refused:
        at = page_as(MODULES[key], staff[refused[0]]).run()
        assert at.error[0].value.startswith("You do not have access")
