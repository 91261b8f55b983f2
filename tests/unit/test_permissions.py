"""The permission matrix is the one source of role rules: entities, capabilities, page access."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from crm_core.kernel.permissions import (
    Access,
    Action,
    Actor,
    Capability,
    may,
    scope,
    sees_amounts,
)
from crm_core.models import AuditEntry, Customer, ImportBatch, OrderItem, User
from crm_core.models.base import model_of
from crm_core.models.enums import Entity, Role
from crm_core.pages import PAGES

ROOT = Path(__file__).resolve().parents[2]
ADMIN, MANAGER, SALES, SUPPORT = Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT
MANAGERS = {ADMIN, MANAGER}


def test_every_entity_has_a_rule_for_every_role_and_action() -> None:
    for entity in Entity:
        for role in Role:
            actor = Actor(id=1, username="x", name="X", role=role)
            for action in Action:
                scope(actor, entity, action)  # raises KeyError when a rule is missing


def test_entity_values_are_the_strings_stored_in_the_audit_trail() -> None:
    # Changing a value would orphan every audit entry already written under the old one.
    stored = {"user", "customer", "account", "interaction", "task", "lead", "ticket", "order"}
    assert stored | {"setting", "audit", "import"} <= {e.value for e in Entity}


def test_models_declare_which_entity_they_are() -> None:
    assert model_of(Entity.CUSTOMER) is Customer
    assert model_of(Entity.USER) is User
    assert model_of(Entity.AUDIT) is AuditEntry
    assert model_of(Entity.IMPORT) is ImportBatch
    assert OrderItem.ENTITY is None  # a part of an order, covered by the order's rules


# Hand-checked: who may open each page today, and what the page registry names for it.
PAGE_ACCESS: dict[str, tuple[Access, set[Role]]] = {
    "home": ((Entity.TASK, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "dashboard": (Capability.SEE_DASHBOARD, MANAGERS),
    "customers": ((Entity.CUSTOMER, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "customer": ((Entity.CUSTOMER, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "accounts": ((Entity.ACCOUNT, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "account": ((Entity.ACCOUNT, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "products": ((Entity.PRODUCT, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "data-quality": (Capability.SEE_DATA_QUALITY, MANAGERS),
    "import": ((Entity.IMPORT, Action.CREATE), MANAGERS),
    "leads": ((Entity.LEAD, Action.READ), {ADMIN, MANAGER, SALES}),
    "pipeline": ((Entity.LEAD, Action.READ), {ADMIN, MANAGER, SALES}),
    "forecast": ((Entity.LEAD, Action.READ), {ADMIN, MANAGER, SALES}),
    "lead": ((Entity.LEAD, Action.READ), {ADMIN, MANAGER, SALES}),
    "sales-settings": (Capability.MANAGE_SALES, MANAGERS),
    "lead-form": ((Entity.SETTING, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),  # public
    "survey": ((Entity.SETTING, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),  # public
    "faq": ((Entity.SETTING, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),  # public
    "support-request": ((Entity.SETTING, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),  # public
    "reply": ((Entity.SETTING, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),  # public
    "tickets": ((Entity.TICKET, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "ticket": ((Entity.TICKET, Action.READ), {ADMIN, MANAGER, SALES, SUPPORT}),
    "service-dashboard": (Capability.SEE_SERVICE_DASHBOARD, MANAGERS),
    "service-levels": (Capability.MANAGE_SERVICE, MANAGERS),
    "service-articles": ((Entity.ARTICLE, Action.CREATE), MANAGERS),
    "segments": ((Entity.SEGMENT, Action.READ), {ADMIN, MANAGER, SALES}),
    "segment-builder": ((Entity.SEGMENT, Action.READ), {ADMIN, MANAGER, SALES}),
    "campaigns": ((Entity.CAMPAIGN, Action.READ), MANAGERS),
    "team": (Capability.SEE_TEAM, MANAGERS),
    "users": (Capability.SEE_USERS, MANAGERS),
    "audit": ((Entity.AUDIT, Action.READ), MANAGERS),
    "settings": (Capability.SEE_SETTINGS, MANAGERS),  # a manager reads them, an admin edits
    "backup": (Capability.BACKUP, {ADMIN}),
    "setup": (
        (Entity.SETTING, Action.UPDATE),
        {ADMIN},
    ),  # the first run of a real team  # a restore replaces every record
}


@pytest.mark.parametrize("key", sorted(PAGE_ACCESS))
def test_page_access_derived_from_the_matrix_is_who_may_open_each_page(key: str) -> None:
    access, roles = PAGE_ACCESS[key]
    assert {role for role in Role if may(role, access)} == roles


def test_the_page_registry_names_each_page_s_access_and_its_roles_follow_from_the_matrix() -> None:
    for spec in PAGES:
        assert (spec.access, spec.roles) == PAGE_ACCESS[spec.key], spec.key


def test_may_takes_an_actor_or_a_role_and_nobody_signed_in_may_nothing() -> None:
    manager = Actor(id=2, username="m", name="M", role=MANAGER)
    assert may(manager, Capability.MERGE_CUSTOMERS)
    assert not may(SALES, Capability.MERGE_CUSTOMERS)
    assert not may(SALES, Capability.ASSIGN_FOLLOW_UPS)
    assert may(SALES, (Entity.LEAD, Action.READ))  # its own leads
    assert not may(None, (Entity.TASK, Action.READ))


def _role_names_outside_permissions() -> list[str]:
    """Every `Role.<name>` outside the matrix: a role rule written somewhere else. (The
    last-admin rule in users.py is about the admin role itself, not about a right.)"""
    exempt = {"crm_core/kernel/permissions.py", "crm_core/admin/users.py"}
    paths = [ROOT / "manage.py", ROOT / "app.py"]
    paths += [p for layer in ("crm_core", "ui", "app_pages") for p in (ROOT / layer).rglob("*.py")]
    found = []
    for path in paths:
        name = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                name not in exempt
                and isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Role"
                and node.attr in Role.__members__
            ):
                found.append(f"{name}:{node.lineno} Role.{node.attr}")
    return found


def test_no_role_rule_is_written_outside_the_permission_matrix() -> None:
    assert _role_names_outside_permissions() == []


def test_amounts_are_read_by_managers_and_admins_and_by_sales_for_their_own_customers() -> None:
    people = {role: Actor(id=n, username=role.value, name=role.value, role=role)
              for n, role in enumerate(Role, start=1)}  # fmt: skip
    seen = {
        role: tuple(sees_amounts(actor, owner) for owner in (actor.id, 999, None))
        for role, actor in people.items()
    }
    assert seen == {
        Role.ADMIN: (True, True, True),
        Role.MANAGER: (True, True, True),
        Role.SALES: (True, False, False),  # their own customers only
        Role.SUPPORT: (False, False, False),
    }


def test_a_record_page_is_found_by_its_entity_and_a_list_page_is_not() -> None:
    from crm_core.pages import record_page

    assert [record_page(e) for e in ("customer", "account", "lead", "ticket")] == [
        "customer",
        "account",
        "lead",
        "ticket",
    ]
    assert record_page("product") is None and record_page("setting") is None
