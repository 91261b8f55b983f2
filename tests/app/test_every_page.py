"""Every page renders for a role that may open it, and refuses one that may not."""

from __future__ import annotations

from importlib import import_module

import pytest

from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.pages import PAGES
from support import page_as


def test_every_page_in_the_registry_has_a_module_with_render() -> None:
    for spec in PAGES:
        assert callable(import_module(f"app_pages.{spec.module}").render), spec.key


@pytest.mark.parametrize("key", [spec.key for spec in PAGES])
def test_the_page_renders_for_a_role_that_may_open_it_and_refuses_others(
    key: str, staff: dict[Role, Actor]
) -> None:
    spec = next(p for p in PAGES if p.key == key)
    allowed = next(role for role in Role if role in spec.roles)
    at = page_as(key, staff[allowed]).run()
    assert not at.exception, at.exception
    assert at.title and at.title[0].value
    refused = [role for role in Role if role not in spec.roles]
    if refused:
        at = page_as(key, staff[refused[0]]).run()
        assert at.error[0].value.startswith("You do not have access")
