"""Look-ups every area makes of the staff: whether a user is active, a user's name, who is."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import User


def is_active_user(session: Session, user_id: int | None) -> bool:
    """True for an existing, active user; False for none, an unknown id or a deactivated one."""
    if user_id is None:
        return False
    return bool(session.scalar(select(User.active).where(User.id == user_id)))


def user_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(User.name).where(User.id == user_id))


def active_users(session: Session, only_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the active users by name; `only_id` keeps just that one (if active)."""
    stmt = select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
    if only_id is not None:
        stmt = stmt.where(User.id == only_id)
    return [(row.id, row.name) for row in session.execute(stmt)]
