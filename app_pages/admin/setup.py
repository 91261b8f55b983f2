"""First run: company and hours, invite the team, bring the data; each step skippable.

An admin lands here while the database holds no customers and the setup is not behind
(crm_core/admin/setup.py decides); once finished or skipped it does not come back.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import streamlit as st

from crm_core.admin import settings as admin_settings
from crm_core.admin import setup, users
from crm_core.admin.settings import WEEKDAYS
from crm_core.exchange.registry import importer, kinds
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import TeamSettings
from crm_core.models.enums import Role
from ui import cache, forms, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import weekday
from ui.i18n import LANGUAGE_NAMES, N_, t
from ui.labels import formatter, label

FORM, INVITE = "setup-company", "setup-invite"
TITLES = {
    "company": N_("Your company and working hours"),
    "team": N_("Invite your team"),
    "data": N_("Bring your data"),
}


def render() -> None:
    actor = require_page("setup")
    st.title(t("Set up Relasi for your team"))
    with read_scope() as session:
        current = setup.state(session)
        team = admin_settings.read_team(session, actor)
    if current.step == setup.DONE:
        st.success(t("The setup is done. Everything it asked is on Settings, Users and Import."))
        nav.link("home", t("Go to My work"))
        return
    number = setup.STEPS.index(current.step) + 1
    st.caption(t("Step {n} of {total}: {title}", n=number, total=len(setup.STEPS),
                 title=t(TITLES[current.step])))  # fmt: skip
    st.progress(number / len(setup.STEPS))
    if current.step == "company":
        _company(actor, current.version, team.version, team.settings)
    elif current.step == "team":
        _team(actor, current.version)
    else:
        _data(actor, current.version)
    if st.button(t("Skip the whole setup"), key="setup-skip-all"):
        _move(lambda s: setup.skip_all(s, actor, current.version), last=True)


def _move(write: Any, *, last: bool = False) -> None:
    if forms.submit("setup-step", write, t("Saved.")):
        forms.clear("setup-step")
        if last:  # the setup is behind: on to the page everyone lands on
            nav.open_page("home")
        st.rerun()
    forms.feedback("setup-step")


def _company(actor: Actor, version: int, team_version: int, team: TeamSettings) -> None:
    st.subheader(t(TITLES[setup.STEPS[0]]))
    forms.feedback(FORM)
    with st.form(FORM):
        data = _company_fields(team)
        left, right = st.columns(2)
        saved = left.form_submit_button(t("Save and continue"), type="primary")
        skipped = right.form_submit_button(t("Skip this step"))
    if saved:

        def write(session: forms.Session) -> None:
            admin_settings.update_team_settings(session, actor, team_version, data)
            setup.step_behind(session, actor, version, "company")

        if forms.submit(FORM, write, t("Settings saved: pages now use them.")):
            cache.clear_settings_caches()
        st.rerun()
    if skipped:
        _move(lambda s: setup.step_behind(s, actor, version, "company"))


def _company_fields(team: TeamSettings) -> dict[str, Any]:
    data: dict[str, Any] = {"company_name": st.text_input(t("Company name"), team.company_name)}
    forms.field_error(FORM, "company_name")
    left, middle, right = st.columns(3)
    iso = t("Three-letter ISO code: IDR, USD, SGD, MYR...")
    data["currency"] = left.text_input(t("Currency"), team.currency, help=iso)
    data["time_zone"] = middle.text_input(t("Time zone"), team.time_zone)
    languages = list(LANGUAGE_NAMES)
    data["default_language"] = right.selectbox(
        t("Default language (each user may pick their own)"),
        languages,
        index=languages.index(team.default_language),
        format_func=lambda code: LANGUAGE_NAMES[code],
    )
    for field in ("currency", "time_zone", "default_language"):
        forms.field_error(FORM, field)
    data["working_hours"] = _hours(team)
    return data


def _hours(team: TeamSettings) -> dict[int, tuple[time, time] | None]:
    days = list(range(1, len(WEEKDAYS) + 1))
    open_days = [int(d) for d in team.working_hours]
    first = team.working_hours.get(str(open_days[0])) if open_days else None
    opens, closes = (first or ["08:00", "17:00"])[:2]
    chosen = st.multiselect(
        t("Open on"), days, default=open_days, format_func=weekday, placeholder=t("Choose options")
    )
    left, right = st.columns(2)
    start = left.time_input(t("Opens"), time.fromisoformat(opens))
    end = right.time_input(t("Closes"), time.fromisoformat(closes))
    forms.field_error(FORM, "working_hours")
    return {day: (start, end) if day in chosen else None for day in days}


def _team(actor: Actor, version: int) -> None:
    st.subheader(t(TITLES[setup.STEPS[1]]))
    st.caption(t("Each one signs in with the password you give and then chooses their own."))
    forms.feedback(INVITE)
    prefix = forms.fresh(INVITE)  # a refused colleague stays typed; one added empties the form
    with st.form(prefix):
        data = _invite_fields(prefix)
        if st.form_submit_button(t("Add to the team")):
            if forms.submit(INVITE, lambda s: users.create_user(s, actor, data),
                            t("Added {username}.", username=data["username"])):  # fmt: skip
                forms.renew(INVITE)
            st.rerun()
    with read_scope() as session:
        team = users.list_users(session, actor)
    st.dataframe(
        team[["username", "name", "role"]].assign(role=team["role"].map(lambda r: label(Role(r)))),
        hide_index=True,
        placeholder="–",
    )
    if st.button(t("Continue"), type="primary", key="setup-team-next"):
        _move(lambda s: setup.step_behind(s, actor, version, "team"))


def _invite_fields(prefix: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    left, right = st.columns(2)
    with left:
        data["name"] = st.text_input(t("Name"), key=f"{prefix}-name")
        forms.field_error(INVITE, "name")
        data["email"] = st.text_input(t("Email"), key=f"{prefix}-email")
        forms.field_error(INVITE, "email")
    with right:
        data["username"] = st.text_input(t("Username"), key=f"{prefix}-username")
        forms.field_error(INVITE, "username")
        roles = [r.value for r in Role]
        data["role"] = st.selectbox(t("Role"), roles, index=roles.index("sales"),
                                    format_func=formatter(Role), key=f"{prefix}-role")  # fmt: skip
    data["password"] = st.text_input(
        t("First password (8 characters or more)"), type="password", key=f"{prefix}-password"
    )
    forms.field_error(INVITE, "password")
    return data


def _data(actor: Actor, version: int) -> None:
    st.subheader(t(TITLES[setup.STEPS[2]]))
    st.caption(
        t(
            "From CSV files (a spreadsheet saved as CSV): customers, then the catalogue before "
            "the orders, then leads and tickets. Each import shows a preview before it writes "
            "anything."
        )
    )
    for kind in kinds():  # in the wiring's order: the catalogue before the orders
        nav.link("import", t("Import {kind}", kind=t(importer(kind).label)), kind=kind)
    if st.button(t("Finish the setup"), type="primary", key="setup-finish"):
        _move(lambda s: setup.step_behind(s, actor, version, "data"), last=True)
