"""Where a signed-in user lands: the first-run setup for an admin of a new team, else My work."""

from __future__ import annotations

from crm_core.admin import setup
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity
from ui.db import read_scope


def landing(actor: Actor) -> str:
    """The key of the page the menu opens by default."""
    if not allowed(actor, Entity.SETTING, Action.UPDATE):
        return "home"  # no database read for those who never see the setup
    with read_scope() as session:
        return "setup" if setup.needs_setup(session, actor) else "home"
