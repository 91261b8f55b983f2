"""Roles and what each may do: read and write each entity, down to the record (owner /
assignee), and the capabilities that are no one action on one entity (merge, assign, the
managers' pages). The one place a role rule lives: pages, the command line and crm_core ask
`may`, `allowed` or `require`, never a role by name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import QueryableAttribute

from crm_core.kernel.errors import PermissionDenied
from crm_core.kernel.messages import Message, label
from crm_core.models.enums import Entity, Role


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"


class Scope(StrEnum):
    NONE = "none"
    OWN = "own"  # records the user owns (owner_id) or is assigned (assignee_id)
    ALL = "all"


@dataclass(frozen=True)
class Actor:
    """The signed-in user acting; a plain value, safe to keep across requests."""

    id: int
    username: str
    name: str
    role: Role


class Capability(StrEnum):
    """What a role may do beyond one action on one entity; the value completes the refusal
    "Your role (sales) cannot ..."."""

    MERGE_CUSTOMERS = "merge customers"
    ASSIGN_FOLLOW_UPS = "assign follow-ups to others"
    SEE_DASHBOARD = "see the business dashboard"
    SEE_DATA_QUALITY = "see data quality"
    SEE_TEAM = "see the team page"
    SEE_USERS = "see the users list"
    SEE_SETTINGS = "see the team settings"
    MANAGE_SALES = "manage the sales settings"  # pipelines, lost reasons, assignment, web form
    ASSIGN_LEADS = "give leads to others"
    ANSWER_TICKETS = "answer tickets as a support agent"  # who routing assigns tickets to
    ASSIGN_TICKETS = "assign tickets to others"  # override routing (audited)
    MANAGE_SERVICE = "change the service levels, canned answers and articles"
    SEE_SERVICE_DASHBOARD = "see the service dashboard"
    SHARE_VIEWS = "share saved views with the team"
    BACKUP = "back up and restore the whole database"
    WORK_LEADS = "work leads as a salesperson"  # whose sales figures and targets Team shows


# What a page, a button or a command asks for: a capability, or an action on an entity.
Access = Capability | tuple[Entity, Action]

A, OWN, N = Scope.ALL, Scope.OWN, Scope.NONE
# entity -> role -> (read, create, update, delete, restore)
_MATRIX: dict[Entity, dict[Role, tuple[Scope, Scope, Scope, Scope, Scope]]] = {
    Entity.USER: {
        Role.ADMIN: (A, A, A, N, N),
        Role.MANAGER: (A, N, N, N, N),
        Role.SALES: (OWN, N, N, N, N),
        Role.SUPPORT: (OWN, N, N, N, N),
    },
    Entity.CUSTOMER: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, N, N),
        Role.SUPPORT: (A, A, N, N, N),
    },
    Entity.ACCOUNT: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    Entity.PRODUCT: {  # retiring is an update; delete: only reverting the import that made it
        Role.ADMIN: (A, A, A, A, N),
        Role.MANAGER: (A, A, A, A, N),
        Role.SALES: (A, N, N, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    Entity.INTERACTION: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, OWN, N),
        Role.SUPPORT: (A, A, OWN, OWN, N),
    },
    Entity.TASK: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (OWN, A, OWN, OWN, N),
        Role.SUPPORT: (OWN, A, OWN, OWN, N),
    },
    Entity.LEAD: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (OWN, A, OWN, N, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
    Entity.TICKET: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, N, N, N),
        Role.SUPPORT: (A, A, A, N, N),
    },
    Entity.ORDER: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, N, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    Entity.SEGMENT: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, OWN, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
    Entity.CAMPAIGN: {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (N, N, N, N, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
    Entity.SETTING: {  # a settings row is created by its first save
        Role.ADMIN: (A, A, A, N, N),
        Role.MANAGER: (A, N, N, N, N),
        Role.SALES: (A, N, N, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    Entity.AUDIT: {
        Role.ADMIN: (A, N, N, N, N),
        Role.MANAGER: (A, N, N, N, N),
        Role.SALES: (N, N, N, N, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
    Entity.ARTICLE: {  # canned answers and knowledge-base articles
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, N, N, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    Entity.VIEW: {  # saved views of the ticket queue: each user's own (sharing: MANAGE_SERVICE)
        Role.ADMIN: (OWN, A, OWN, OWN, N),
        Role.MANAGER: (OWN, A, OWN, OWN, N),
        Role.SALES: (OWN, A, OWN, OWN, N),
        Role.SUPPORT: (OWN, A, OWN, OWN, N),
    },
    Entity.TARGET: {  # a person's monthly target: set by a manager, read by its person
        Role.ADMIN: (A, A, A, A, N),
        Role.MANAGER: (A, A, A, A, N),
        Role.SALES: (OWN, N, N, N, N),
        Role.SUPPORT: (OWN, N, N, N, N),
    },
    Entity.IMPORT: {  # read: see past imports; create: import a file; delete: revert one
        Role.ADMIN: (A, A, N, A, N),
        Role.MANAGER: (A, A, N, A, N),
        Role.SALES: (N, N, N, N, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
}
_ACTIONS = list(Action)
_MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
_CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.MERGE_CUSTOMERS: _MANAGERS,
    Capability.ASSIGN_FOLLOW_UPS: _MANAGERS,
    Capability.SEE_DASHBOARD: _MANAGERS,
    Capability.SEE_DATA_QUALITY: _MANAGERS,
    Capability.SEE_TEAM: _MANAGERS,
    Capability.SEE_USERS: _MANAGERS,
    Capability.SEE_SETTINGS: _MANAGERS,
    Capability.MANAGE_SALES: _MANAGERS,
    Capability.ASSIGN_LEADS: _MANAGERS,
    Capability.ANSWER_TICKETS: frozenset({Role.SUPPORT}),
    Capability.ASSIGN_TICKETS: _MANAGERS,
    Capability.MANAGE_SERVICE: _MANAGERS,
    Capability.SEE_SERVICE_DASHBOARD: _MANAGERS,
    Capability.SHARE_VIEWS: _MANAGERS,
    Capability.BACKUP: frozenset({Role.ADMIN}),  # a restore replaces every record
    Capability.WORK_LEADS: frozenset({Role.SALES}),
}


# Who reads the amounts of a customer (revenue, margin, cost to serve, profit, CLV, order
# values, prices and costs): the others see the value tier and the answers without them.
_AMOUNTS: dict[Role, Scope] = {
    Role.ADMIN: A,
    Role.MANAGER: A,
    Role.SALES: OWN,  # of the customers the salesperson owns
    Role.SUPPORT: N,
}


def sees_amounts(actor: Actor, owner_id: int | None) -> bool:
    """Whether the actor reads the amounts of a customer owned by `owner_id`."""
    granted = _AMOUNTS[actor.role]
    return granted is Scope.ALL or (granted is Scope.OWN and owner_id == actor.id)


def amounts_scope(actor: Actor) -> Scope:
    """ALL, OWN (only where the actor is the owner) or NONE, for a whole list at once."""
    return _AMOUNTS[actor.role]


# The catalogue's amounts follow the same rule, as far as a product can: its list price is
# what a salesperson quotes to every customer it may own, so whoever reads some customers'
# amounts reads it; its unit cost and margin (price less cost) are the company's, no
# customer's, so only the roles reading every customer's amounts do. Support reads neither.
PRODUCT_PRICES = ("price",)
PRODUCT_COSTS = ("unit_cost", "margin")


def hidden_product_amounts(actor: Actor) -> tuple[str, ...]:
    """The product amounts (of PRODUCT_PRICES and PRODUCT_COSTS) this actor may not read."""
    granted = _AMOUNTS[actor.role]
    if granted is Scope.ALL:
        return ()
    return PRODUCT_COSTS if granted is Scope.OWN else PRODUCT_PRICES + PRODUCT_COSTS


def scope(actor: Actor, entity: Entity, action: Action) -> Scope:
    return _role_scope(actor.role, entity, action)


def _role_scope(role: Role, entity: Entity, action: Action) -> Scope:
    return _MATRIX[entity][role][_ACTIONS.index(action)]


def may(who: Actor | Role | None, access: Access) -> bool:
    """Whether a role may do this at all: a capability it has, or an action on an entity in
    any scope (OWN counts: a salesperson may open the leads page, to see its own leads)."""
    role = who.role if isinstance(who, Actor) else who
    if role is None:
        return False
    if isinstance(access, Capability):
        return role in _CAPABILITIES[access]
    entity, action = access
    return _role_scope(role, entity, action) is not Scope.NONE


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles granted a capability (to find, say, who may be routed tickets)."""
    return _CAPABILITIES[capability]


def require_capability(actor: Actor, capability: Capability) -> None:
    if not may(actor, capability):
        raise PermissionDenied("error.role_cannot", role=label(actor.role), what=label(capability))


def owns(actor: Actor, record: Any) -> bool:
    """Ownership: a record's owner or assignee is the actor (a user record: the user itself)."""
    if getattr(record, "ENTITY", None) is Entity.USER:
        return bool(record.id == actor.id)
    for field in ("owner_id", "assignee_id", "user_id"):
        if getattr(record, field, None) == actor.id:
            return True
    return False


def allowed(actor: Actor, entity: Entity, action: Action, record: Any = None) -> bool:
    granted = scope(actor, entity, action)
    if granted is Scope.ALL:
        return True
    if granted is Scope.OWN:
        return record is None or owns(actor, record)
    return False


def require(actor: Actor, entity: Entity, action: Action, record: Any = None) -> None:
    """Raise PermissionDenied, with the reason, unless the actor may do this."""
    if allowed(actor, entity, action, record):
        return
    granted = scope(actor, entity, action)
    role, verb, things = label(actor.role), label(action), Message(f"entities.{entity}")
    if granted is Scope.OWN:
        raise PermissionDenied("error.permission.own", role=role, action=verb, entities=things)
    raise PermissionDenied("error.permission", role=role, action=verb, entities=things)


def read_filter(
    actor: Actor, entity: Entity, owner_column: QueryableAttribute[int | None]
) -> ColumnElement[bool]:
    """The WHERE clause that applies the actor's read scope inside the query itself."""
    granted = scope(actor, entity, Action.READ)
    if granted is Scope.ALL:
        return true()
    if granted is Scope.OWN:
        return owner_column == actor.id
    return false()
