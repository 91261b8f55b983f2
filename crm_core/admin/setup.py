"""First run of a real team: the short setup an admin lands on while the database holds no
customers (no demo): company and working hours, invite the team, bring the data. Each step
is saved or skipped; once the last is behind, the setup does not come back.

The step reached is one settings row (`setup`), written through the settings' write path, so
it is versioned and audited like any setting; the steps' own writes are the admin settings'
and users' functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.admin.settings import Changes, save_setting
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.kernel.settings import stored_value
from crm_core.models import Customer, Setting
from crm_core.models.enums import Entity

SETUP_KEY = "setup"
STEPS = ("company", "team", "data")
DONE = "done"


@dataclass(frozen=True)
class SetupState:
    step: str  # one of STEPS, or DONE
    version: int  # of the settings row; 0: never saved


def state(session: Session) -> SetupState:
    version = session.scalar(select(Setting.version).where(Setting.key == SETUP_KEY))
    step = stored_value(session, SETUP_KEY).get("step", STEPS[0])
    return SetupState(step if step in (*STEPS, DONE) else DONE, version or 0)


def needs_setup(session: Session, actor: Actor) -> bool:
    """Whether this user lands on the setup: an admin, the setup not finished, and either
    begun or the database without customers (a demo or a team at work has them)."""
    if not allowed(actor, Entity.SETTING, Action.UPDATE):
        return False
    current = state(session)
    if current.step == DONE:
        return False
    return current.version > 0 or session.scalar(select(Customer.id).limit(1)) is None


def step_behind(session: Session, actor: Actor, expected_version: int, step: str) -> Changes:
    """The step is done or skipped: the setup moves to the next one (after the last: done)."""
    following = STEPS.index(step) + 1
    upcoming = STEPS[following] if following < len(STEPS) else DONE
    old = {"step": state(session).step}
    return save_setting(session, actor, SETUP_KEY, expected_version, old, {"step": upcoming})


def skip_all(session: Session, actor: Actor, expected_version: int) -> Changes:
    old = {"step": state(session).step}
    return save_setting(session, actor, SETUP_KEY, expected_version, old, {"step": DONE})
