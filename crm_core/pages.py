"""The app's pages, their sections, and which roles may open each (the navigation's rules)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.models.enums import Role

EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the URL path
    title: str
    section: str
    roles: frozenset[Role]
    icon: str = ""


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "My work", "Overview", EVERYONE, ":material/home:"),
    PageSpec("dashboard", "Business dashboard", "Overview", MANAGERS, ":material/monitoring:"),
    PageSpec("customers", "Customers", "Customers", EVERYONE, ":material/groups:"),
    PageSpec("customer", "Customer 360", "Customers", EVERYONE, ":material/person:"),
    PageSpec("data-quality", "Data quality", "Customers", MANAGERS, ":material/rule:"),
    PageSpec("import", "Import", "Customers", MANAGERS, ":material/upload_file:"),
    PageSpec(
        "leads",
        "Lead funnel",
        "Sales",
        frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
        ":material/filter_alt:",
    ),
    PageSpec(
        "tickets",
        "Ticket queue",
        "Service",
        frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT, Role.SALES}),
        ":material/support_agent:",
    ),
    PageSpec(
        "segments", "Segments", "Marketing", MANAGERS | {Role.SALES}, ":material/donut_small:"
    ),
    PageSpec("campaigns", "Campaigns", "Marketing", MANAGERS, ":material/campaign:"),
    PageSpec("team", "Team", "Team", MANAGERS, ":material/badge:"),
    PageSpec("users", "Users", "Admin", MANAGERS, ":material/manage_accounts:"),
    PageSpec("audit", "Audit log", "Admin", MANAGERS, ":material/history:"),
    PageSpec("settings", "Settings", "Admin", MANAGERS, ":material/settings:"),
)
SECTIONS = ("Overview", "Customers", "Sales", "Service", "Marketing", "Team", "Admin")


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)


def can_open(role: Role | None, key: str) -> bool:
    return role is not None and role in page(key).roles


def pages_for(role: Role) -> dict[str, list[PageSpec]]:
    """The sections, in order, with the pages this role may open (empty sections left out)."""
    visible = {s: [p for p in PAGES if p.section == s and role in p.roles] for s in SECTIONS}
    return {s: ps for s, ps in visible.items() if ps}
