"""The one page registry: every page's key (its URL path), title, menu section, icon, the
module under app_pages that renders it, and what the permission matrix must grant to open
it. app.py builds the navigation from it, every page checks it first, the page tests read it."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.kernel.permissions import Access, Action, Capability, may
from crm_core.models.enums import Entity, Role

SECTIONS = ("Overview", "Customers", "Sales", "Service", "Marketing", "Team", "Admin")


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the URL path
    title: str
    section: str
    module: str  # under app_pages, e.g. "customers.customer" -> app_pages/customers/customer.py
    access: Access  # what the permission matrix must grant to open it
    icon: str = ""
    in_menu: bool = True  # False: opened from a row or a link, not from the menu
    public: bool = False  # True: served without sign-in too (the web form), nothing else shown

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(role for role in Role if may(role, self.access))


def _reads(entity: Entity) -> Access:
    return (entity, Action.READ)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "My work", "Overview", "overview.home", _reads(Entity.TASK),
             ":material/home:"),
    PageSpec("dashboard", "Business dashboard", "Overview", "overview.dashboard",
             Capability.SEE_DASHBOARD, ":material/monitoring:"),
    PageSpec("customers", "Customers", "Customers", "customers.customers",
             _reads(Entity.CUSTOMER), ":material/groups:"),
    PageSpec("customer", "Customer 360", "Customers", "customers.customer",
             _reads(Entity.CUSTOMER), ":material/person:", in_menu=False),
    PageSpec("accounts", "Accounts", "Customers", "customers.accounts", _reads(Entity.ACCOUNT),
             ":material/domain:"),
    PageSpec("account", "Account 360", "Customers", "customers.account", _reads(Entity.ACCOUNT),
             ":material/apartment:", in_menu=False),
    PageSpec("products", "Products", "Customers", "customers.products", _reads(Entity.PRODUCT),
             ":material/inventory_2:"),
    PageSpec("data-quality", "Data quality", "Customers", "customers.data_quality",
             Capability.SEE_DATA_QUALITY, ":material/rule:"),
    PageSpec("import", "Import", "Customers", "customers.import_data",
             (Entity.IMPORT, Action.CREATE), ":material/upload_file:"),
    PageSpec("pipeline", "Pipeline", "Sales", "sales.pipeline", _reads(Entity.LEAD),
             ":material/view_kanban:"),
    PageSpec("leads", "Lead funnel", "Sales", "sales.leads", _reads(Entity.LEAD),
             ":material/filter_alt:"),
    PageSpec("forecast", "Forecast", "Sales", "sales.forecast", _reads(Entity.LEAD),
             ":material/trending_up:"),
    PageSpec("lead", "Lead", "Sales", "sales.lead", _reads(Entity.LEAD), ":material/person_search:",
             in_menu=False),
    PageSpec("sales-settings", "Sales settings", "Sales", "sales.settings",
             Capability.MANAGE_SALES, ":material/tune:"),
    # Public: every role reads the settings it shows, and a visitor needs no sign-in at all.
    PageSpec("lead-form", "Lead form", "Sales", "sales.web_form", _reads(Entity.SETTING),
             ":material/contact_mail:", in_menu=False, public=True),
    PageSpec("tickets", "Ticket queue", "Service", "service.tickets", _reads(Entity.TICKET),
             ":material/support_agent:"),
    PageSpec("ticket", "Ticket", "Service", "service.ticket", _reads(Entity.TICKET),
             ":material/confirmation_number:", in_menu=False),
    PageSpec("service-dashboard", "Service dashboard", "Service", "service.dashboard",
             Capability.SEE_SERVICE_DASHBOARD, ":material/insights:"),
    PageSpec("service-articles", "Canned answers and articles", "Service", "service.articles",
             (Entity.ARTICLE, Action.CREATE), ":material/menu_book:"),
    PageSpec("service-levels", "Service levels", "Service", "service.service_levels",
             Capability.MANAGE_SERVICE, ":material/timer:"),
    # Public: a customer's survey link and the FAQ open signed in or not, and show only that.
    PageSpec("survey", "How did we do?", "Service", "service.survey", _reads(Entity.SETTING),
             ":material/star:", in_menu=False, public=True),
    PageSpec("faq", "Frequently asked questions", "Service", "service.faq",
             _reads(Entity.SETTING), ":material/help:", in_menu=False, public=True),
    # Public: the customers' support form, and their reply link to one ticket's conversation.
    PageSpec("support-request", "Contact support", "Service", "service.request_form",
             _reads(Entity.SETTING), ":material/contact_support:", in_menu=False, public=True),
    PageSpec("reply", "Your request", "Service", "service.reply", _reads(Entity.SETTING),
             ":material/forum:", in_menu=False, public=True),
    PageSpec("segments", "Segments", "Marketing", "marketing.segments", _reads(Entity.SEGMENT),
             ":material/donut_small:"),
    PageSpec("segment-builder", "Segment builder", "Marketing", "marketing.segment_builder",
             _reads(Entity.SEGMENT), ":material/tune:"),
    PageSpec("campaigns", "Campaigns", "Marketing", "marketing.campaigns",
             _reads(Entity.CAMPAIGN), ":material/campaign:"),
    PageSpec("team", "Team", "Team", "overview.team", Capability.SEE_TEAM, ":material/badge:"),
    PageSpec("users", "Users", "Admin", "admin.users", Capability.SEE_USERS,
             ":material/manage_accounts:"),
    PageSpec("audit", "Audit log", "Admin", "admin.audit", _reads(Entity.AUDIT),
             ":material/history:"),
    PageSpec("settings", "Settings", "Admin", "admin.settings", Capability.SEE_SETTINGS,
             ":material/settings:"),
    PageSpec("setup", "Set up Relasi", "Admin", "admin.setup", (Entity.SETTING, Action.UPDATE),
             ":material/rocket_launch:", in_menu=False),
    PageSpec("backup", "Backup and restore", "Admin", "admin.backup", Capability.BACKUP,
             ":material/backup:"),
)  # fmt: skip


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)


def record_page(entity: Entity | str) -> str | None:
    """The page that shows one record of `entity` (opened by ?id=), if it has one: the pages
    opened from a row, not from the menu, whose key is the entity's (customer, lead...)."""
    found = [p for p in PAGES if p.key == str(entity) and not p.in_menu and not p.public]
    return found[0].key if found else None


def can_open(role: Role | None, key: str) -> bool:
    return may(role, page(key).access)


def landing(role: Role) -> str:
    """The page a role lands on: the business dashboard for whoever may open it (managers,
    admins), else their own work."""
    return "dashboard" if can_open(role, "dashboard") else "home"


def pages_for(role: Role) -> dict[str, list[PageSpec]]:
    """The sections, in order, with the pages this role may open (empty sections left out).
    Public pages are for visitors who are not signed in, and are left out here."""
    visible = {
        s: [p for p in PAGES if p.section == s and role in p.roles and not p.public]
        for s in SECTIONS
    }
    return {s: ps for s, ps in visible.items() if ps}
