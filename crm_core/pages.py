"""The one page registry: every page's key (its URL path), title, menu section, icon, the
module under app_pages that renders it, and which roles may open it. app.py builds the
navigation from it, every page's first line checks it, and the page tests iterate it."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.models.enums import Role

EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
SECTIONS = ("Overview", "Customers", "Sales", "Service", "Marketing", "Team", "Admin")


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the URL path
    title: str
    section: str
    module: str  # under app_pages, e.g. "customers.customer" -> app_pages/customers/customer.py
    roles: frozenset[Role]
    icon: str = ""
    in_menu: bool = True  # False: opened from a row or a link, not from the menu


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "My work", "Overview", "customers.home", EVERYONE, ":material/home:"),
    PageSpec(
        "dashboard", "Business dashboard", "Overview", "overview.dashboard", MANAGERS,
        ":material/monitoring:",
    ),
    PageSpec(
        "customers", "Customers", "Customers", "customers.customers", EVERYONE, ":material/groups:"
    ),
    PageSpec(
        "customer", "Customer 360", "Customers", "customers.customer", EVERYONE,
        ":material/person:", in_menu=False,
    ),
    PageSpec(
        "data-quality", "Data quality", "Customers", "customers.data_quality", MANAGERS,
        ":material/rule:",
    ),
    PageSpec(
        "import", "Import", "Customers", "customers.import_data", MANAGERS,
        ":material/upload_file:",
    ),
    PageSpec(
        "leads", "Lead funnel", "Sales", "sales.leads",
        frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}), ":material/filter_alt:",
    ),
    PageSpec(
        "tickets", "Ticket queue", "Service", "service.tickets",
        frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT, Role.SALES}),
        ":material/support_agent:",
    ),
    PageSpec(
        "segments", "Segments", "Marketing", "marketing.segments", MANAGERS | {Role.SALES},
        ":material/donut_small:",
    ),
    PageSpec(
        "campaigns", "Campaigns", "Marketing", "marketing.campaigns", MANAGERS,
        ":material/campaign:",
    ),
    PageSpec("team", "Team", "Team", "overview.team", MANAGERS, ":material/badge:"),
    PageSpec(
        "users", "Users", "Admin", "admin.users", MANAGERS, ":material/manage_accounts:"
    ),
    PageSpec("audit", "Audit log", "Admin", "admin.audit", MANAGERS, ":material/history:"),
)  # fmt: skip


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)


def can_open(role: Role | None, key: str) -> bool:
    return role is not None and role in page(key).roles


def pages_for(role: Role) -> dict[str, list[PageSpec]]:
    """The sections, in order, with the pages this role may open (empty sections left out)."""
    visible = {s: [p for p in PAGES if p.section == s and role in p.roles] for s in SECTIONS}
    return {s: ps for s, ps in visible.items() if ps}
