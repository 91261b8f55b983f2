"""Roles and what each may read and write, down to the record (owner / assignee)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import QueryableAttribute

from crm_core.kernel.errors import PermissionDenied
from crm_core.models.enums import Role


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


A, OWN, N = Scope.ALL, Scope.OWN, Scope.NONE
# entity -> role -> (read, create, update, delete, restore)
_MATRIX: dict[str, dict[Role, tuple[Scope, Scope, Scope, Scope, Scope]]] = {
    "user": {
        Role.ADMIN: (A, A, A, N, N),
        Role.MANAGER: (A, N, N, N, N),
        Role.SALES: (OWN, N, N, N, N),
        Role.SUPPORT: (OWN, N, N, N, N),
    },
    "customer": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, N, N),
        Role.SUPPORT: (A, A, N, N, N),
    },
    "account": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    "interaction": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, OWN, OWN, N),
        Role.SUPPORT: (A, A, OWN, OWN, N),
    },
    "task": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (OWN, A, OWN, OWN, N),
        Role.SUPPORT: (OWN, A, OWN, OWN, N),
    },
    "lead": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (OWN, A, OWN, N, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
    "ticket": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, N, N, N),
        Role.SUPPORT: (A, A, A, N, N),
    },
    "order": {
        Role.ADMIN: (A, A, A, A, A),
        Role.MANAGER: (A, A, A, A, A),
        Role.SALES: (A, A, N, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    "setting": {
        Role.ADMIN: (A, N, A, N, N),
        Role.MANAGER: (A, N, N, N, N),
        Role.SALES: (A, N, N, N, N),
        Role.SUPPORT: (A, N, N, N, N),
    },
    "audit": {
        Role.ADMIN: (A, N, N, N, N),
        Role.MANAGER: (A, N, N, N, N),
        Role.SALES: (N, N, N, N, N),
        Role.SUPPORT: (N, N, N, N, N),
    },
}
_ACTIONS = list(Action)


def scope(actor: Actor, entity: str, action: Action) -> Scope:
    return _MATRIX[entity][actor.role][_ACTIONS.index(action)]


def owns(actor: Actor, record: Any) -> bool:
    """Ownership: a record's owner or assignee is the actor (a user record: the user itself)."""
    if getattr(record, "__tablename__", None) == "users":
        return bool(record.id == actor.id)
    for field in ("owner_id", "assignee_id", "user_id"):
        if getattr(record, field, None) == actor.id:
            return True
    return False


def allowed(actor: Actor, entity: str, action: Action, record: Any = None) -> bool:
    granted = scope(actor, entity, action)
    if granted is Scope.ALL:
        return True
    if granted is Scope.OWN:
        return record is None or owns(actor, record)
    return False


def require(actor: Actor, entity: str, action: Action, record: Any = None) -> None:
    """Raise PermissionDenied, with the reason, unless the actor may do this."""
    if allowed(actor, entity, action, record):
        return
    granted = scope(actor, entity, action)
    if granted is Scope.OWN:
        raise PermissionDenied(
            f"As {actor.role.value}, you can {action.value} only {entity}s you own "
            "or are assigned to."
        )
    raise PermissionDenied(f"Your role ({actor.role.value}) cannot {action.value} {entity}s.")


def read_filter(
    actor: Actor, entity: str, owner_column: QueryableAttribute[int | None]
) -> ColumnElement[bool]:
    """The WHERE clause that applies the actor's read scope inside the query itself."""
    granted = scope(actor, entity, Action.READ)
    if granted is Scope.ALL:
        return true()
    if granted is Scope.OWN:
        return owner_column == actor.id
    return false()
