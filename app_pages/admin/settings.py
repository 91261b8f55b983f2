"""Admin › Settings: company, currency, time zone, language, working hours, public holidays and
the customer value settings; an admin edits them, a manager reads them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from crm_core.admin import settings as admin_settings
from crm_core.admin.inputs import IMPORT_MAX_MEGABYTES, IMPORT_MAX_ROWS
from crm_core.admin.settings import WEEKDAYS, DayOffKind, Saved
from crm_core.kernel.messages import Message
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.kernel.settings import TeamSettings, ValueSettings
from crm_core.models.enums import Entity, Language
from ui import cache, forms
from ui import format as fmt
from ui.auth import require_page
from ui.db import read_scope
from ui.format import date_box_format, weekday, when
from ui.i18n import LANGUAGE_NAMES, N_, language, t
from ui.labels import option

TEAM_FORM, VALUE_FORM = "settings-team", "settings-value"
DAY_OFF_FORM, WORK_DAY_FORM = "settings-day-off", "settings-work-day"
LANGUAGES = LANGUAGE_NAMES
KINDS = {
    DayOffKind.PUBLIC: N_("public holiday"),
    DayOffKind.COMPANY: N_("company day off"),
    DayOffKind.REMOVED: N_("public holiday, worked"),
}
VALUE_LABELS = {
    "top_profit_share": N_("Most Valuable: customers making this share of all profit (0 to 1)"),
    "cost_per_ticket": N_("Cost to serve one support ticket"),
    "cost_per_interaction": N_("Cost of one logged touchpoint"),
    "clv_horizon_days": N_("Predicted lifetime value looks ahead (days)"),
    "discount_rate_annual": N_("Discount rate a year for future value (0.10 = 10%)"),
    "churn_window_days": N_("Churn window: no purchase for (days)"),
}
PICK_DAY = N_("pick a day off from the list")


def render() -> None:
    actor = require_page("settings")
    st.title(t("Settings"))
    st.caption(
        t(
            "How the team works: every page shows times in this time zone and amounts in "
            "this currency, and service deadlines count only working hours."
        )
    )
    with read_scope() as session:
        team = admin_settings.read_team(session, actor)
        value = admin_settings.read_value(session, actor)
    if not allowed(actor, Entity.SETTING, Action.UPDATE):
        st.info(t("Only an admin changes settings; here they are read-only."))
        _read_only(team.settings, value.settings)
        return
    _team_form(actor, team)
    _holidays(actor, team)
    _value_form(actor, value)


def _saved_note(saved: Saved[Any]) -> None:
    if saved.version == 0:
        st.caption(t("Never saved: these are the defaults."))
    else:  # a user's name is plain text, never markdown
        who = saved.changed_by or t("someone")
        st.text(t("Last saved by {who}, {at}", who=who, at=when(saved.changed_at)))


# Company and working hours (one form: a mistake in one keeps what was typed in both)


def _team_form(actor: Actor, team: Saved[TeamSettings]) -> None:
    st.subheader(t("Company and working hours"))
    version, values = forms.pinned(TEAM_FORM, team.version, _team_values(team.settings))
    forms.offer_latest(TEAM_FORM)
    prefix = f"{TEAM_FORM}-v{version}"
    with st.form(prefix):
        data = _company_fields(prefix, values)
        st.markdown(t("**Working hours**"))
        data["working_hours"] = _hours_fields(prefix, values["working_hours"])
        if st.form_submit_button(t("Save company and hours"), type="primary"):
            write = lambda s: admin_settings.update_team_settings(s, actor, version, data)  # noqa: E731
            if forms.submit(TEAM_FORM, write, t("Settings saved: pages now use them.")):
                _after_team_save()
            st.rerun()
    _saved_note(team)


def _team_values(settings: TeamSettings) -> dict[str, Any]:
    return {
        "company_name": settings.company_name,
        "currency": settings.currency,
        "time_zone": settings.time_zone,
        "default_language": settings.default_language,
        "working_hours": dict(settings.working_hours),
        "import_max_megabytes": settings.import_max_megabytes,
        "import_max_rows": settings.import_max_rows,
        "dashboard_refresh_seconds": settings.dashboard_refresh_seconds,
    }


def _company_fields(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    data["company_name"] = st.text_input(
        t("Company name"), value=values["company_name"], key=f"{prefix}-company_name"
    )
    forms.field_error(TEAM_FORM, "company_name")
    left, right = st.columns(2)
    with left:
        data["currency"] = st.text_input(
            t("Currency"), value=values["currency"], key=f"{prefix}-currency",
            help=t("Three-letter ISO code: IDR, USD, SGD, MYR..."),
        )  # fmt: skip
        forms.field_error(TEAM_FORM, "currency")
    with right:
        data["time_zone"] = st.text_input(
            t("Time zone"), value=values["time_zone"], key=f"{prefix}-time_zone",
            help=t(
                "Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT), or any IANA name"
            ),
        )  # fmt: skip
        forms.field_error(TEAM_FORM, "time_zone")
    languages: list[str] = list(LANGUAGES)
    data["default_language"] = st.selectbox(
        t("Default language (each user may pick their own)"),
        languages,
        index=languages.index(values["default_language"]),
        format_func=lambda code: LANGUAGES[code],
        key=f"{prefix}-default_language",
    )
    forms.field_error(TEAM_FORM, "default_language")
    data |= _import_limits(prefix, values)
    return data


def _import_limits(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    left, right = st.columns(2)
    with left:
        data["import_max_megabytes"] = st.number_input(
            t("Largest import file (MB)"), min_value=1, max_value=IMPORT_MAX_MEGABYTES, step=1,
            value=values["import_max_megabytes"], key=f"{prefix}-import_max_megabytes",
        )  # fmt: skip
        forms.field_error(TEAM_FORM, "import_max_megabytes")
    with right:
        data["import_max_rows"] = st.number_input(
            t("Most rows in one import"), min_value=1, max_value=IMPORT_MAX_ROWS, step=1000,
            value=values["import_max_rows"], key=f"{prefix}-import_max_rows",
        )  # fmt: skip
        forms.field_error(TEAM_FORM, "import_max_rows")
    data["dashboard_refresh_seconds"] = st.number_input(
        t("Business dashboard refreshes every (seconds)"), min_value=2, max_value=3600, step=10,
        value=values["dashboard_refresh_seconds"], key=f"{prefix}-dashboard_refresh_seconds",
    )  # fmt: skip
    forms.field_error(TEAM_FORM, "dashboard_refresh_seconds")
    return data


def _hours_fields(prefix: str, hours: dict[str, list[str]]) -> dict[int, Any]:
    chosen: dict[int, Any] = {}
    for number in range(1, len(WEEKDAYS) + 1):
        span = hours.get(str(number))
        opens, closes = (span or ["08:00", "17:00"])[:2]
        day, is_open, start, end = st.columns([2, 1, 2, 2], vertical_alignment="bottom")
        day.write(weekday(number))
        ticked = is_open.checkbox(t("Open"), value=bool(span), key=f"{prefix}-open-{number}")
        # One header row for the week.
        shown: Literal["visible", "collapsed"] = "visible" if number == 1 else "collapsed"
        start_at = start.time_input(
            t("Opens"), value=time.fromisoformat(opens), key=f"{prefix}-start-{number}",
            label_visibility=shown,
        )  # fmt: skip
        end_at = end.time_input(
            t("Closes"), value=time.fromisoformat(closes), key=f"{prefix}-end-{number}",
            label_visibility=shown,
        )  # fmt: skip
        forms.field_error(TEAM_FORM, f"working_hours.{number}")
        chosen[number] = (start_at, end_at) if ticked else None
    forms.field_error(TEAM_FORM, "working_hours")
    return chosen


def _after_team_save() -> None:
    forms.unpin(TEAM_FORM)
    cache.clear_settings_caches()


# Public holidays


def _holidays(actor: Actor, team: Saved[TeamSettings]) -> None:
    st.subheader(t("Public holidays and days off"))
    this_year = datetime.now(ZoneInfo(team.settings.time_zone)).year
    year = st.selectbox(
        t("Year"), list(range(this_year - 1, this_year + 3)), index=1, key="settings-year"
    )
    listed = admin_settings.days_off(team.settings, year, language())
    _holiday_table(listed)
    st.caption(
        t(
            "Public holidays of {country} from the holidays package. Joint leave days (cuti "
            "bersama) are not among them: add the ones the team takes as days off.",
            country=team.settings.holiday_country or t("no country"),
        )
    )
    add, remove = st.columns(2)
    with add:
        _add_day_off(actor, team.version, year)
    with remove:
        closed = [d.day for d in listed if d.kind is not DayOffKind.REMOVED]
        _remove_day_off(actor, team.version, closed)


def _holiday_table(listed: list[admin_settings.DayOff]) -> None:
    table = pd.DataFrame(
        {
            "date": [d.day.isoformat() for d in listed],
            "day": [weekday(d.day.isoweekday()) for d in listed],
            "name": [d.name for d in listed],
            "kind": [t(KINDS[d.kind]) for d in listed],
        }
    )
    columns = {"date": t("Date"), "day": t("Day"), "name": t("Name"), "kind": t("Kind")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=columns, placeholder="–")


def _add_day_off(actor: Actor, version: int, year: int) -> None:
    forms.feedback(DAY_OFF_FORM)
    with st.form(DAY_OFF_FORM, clear_on_submit=False):
        st.markdown(t("**Add a day off**"))
        day = st.date_input(
            t("Date"), value=None, min_value=date(year - 1, 1, 1), key=f"{DAY_OFF_FORM}-day",
            format=date_box_format(),
        )  # fmt: skip
        forms.field_error(DAY_OFF_FORM, "day")
        name = st.text_input(t("Name"), key=f"{DAY_OFF_FORM}-name", placeholder=t("Company outing"))
        forms.field_error(DAY_OFF_FORM, "name")
        if st.form_submit_button(t("Add day off")):
            write = lambda s: admin_settings.add_day_off(s, actor, version, day, name)  # noqa: E731
            if forms.submit(DAY_OFF_FORM, write, t("Day off added.")):
                _after_team_save()
            st.rerun()


def _remove_day_off(actor: Actor, version: int, closed: list[date]) -> None:
    forms.feedback(WORK_DAY_FORM)
    with st.form(WORK_DAY_FORM):
        st.markdown(t("**Work on a day off**"))
        day = st.selectbox(
            t("Date"), closed, index=None, key=f"{WORK_DAY_FORM}-day",
            format_func=date.isoformat, placeholder=t("Pick a day from the list"),
        )  # fmt: skip
        forms.field_error(WORK_DAY_FORM, "day")
        if st.form_submit_button(t("Make it a working day"), disabled=not closed):
            if day is None:
                forms.reject(WORK_DAY_FORM, {"day": Message(PICK_DAY)})
            else:
                write = lambda s: admin_settings.remove_day_off(s, actor, version, day)  # noqa: E731
                if forms.submit(WORK_DAY_FORM, write, t("It is a working day now.")):
                    _after_team_save()
            st.rerun()


# Customer value


def _value_form(actor: Actor, value: Saved[ValueSettings]) -> None:
    st.subheader(t("Customer value"))
    st.caption(
        t(
            "How the value tiers, cost to serve, lifetime value and churn risk of every "
            "customer are measured. Amounts are in the team's currency."
        )
    )
    current = {f: getattr(value.settings, f) for f in VALUE_LABELS}
    version, values = forms.pinned(VALUE_FORM, value.version, current)
    forms.offer_latest(VALUE_FORM)
    prefix = f"{VALUE_FORM}-v{version}"
    with st.form(prefix):
        data = {field: _value_input(prefix, field, values[field]) for field in VALUE_LABELS}
        if st.form_submit_button(t("Save customer value settings"), type="primary"):
            write = lambda s: admin_settings.update_value_settings(s, actor, version, data)  # noqa: E731
            if forms.submit(VALUE_FORM, write, t("Saved: the value figures are recomputed.")):
                forms.unpin(VALUE_FORM)
            st.rerun()
    _saved_note(value)


def _value_input(prefix: str, field: str, shown: float | int) -> float | int | None:
    key, label = f"{prefix}-{field}", t(VALUE_LABELS[field])
    typed: float | int
    if field.endswith("_days"):
        typed = st.number_input(label, value=int(shown), step=1, key=key)
    elif field.startswith("cost_"):
        typed = st.number_input(label, value=float(shown), step=1000.0, format="%.0f", key=key)
    else:
        typed = st.number_input(label, value=float(shown), step=0.05, format="%.2f", key=key)
    forms.field_error(VALUE_FORM, field)
    return typed


# Read-only (a manager)


def _read_only(team: TeamSettings, value: ValueSettings) -> None:
    st.subheader(t("Company"))
    company = {
        t("Company name"): team.company_name,
        t("Currency"): team.currency,
        t("Time zone"): team.time_zone,
        t("Default language"): option(Language, team.default_language),  # Bahasa Inggris
        t("Largest import file (MB)"): fmt.number(team.import_max_megabytes),
        t("Most rows in one import"): fmt.number(team.import_max_rows),
    }
    _pairs(company)
    st.subheader(t("Working hours"))
    hours = {
        weekday(number): " – ".join(team.working_hours.get(str(number)) or []) or t("closed")
        for number in range(1, len(WEEKDAYS) + 1)
    }
    _pairs(hours)
    st.subheader(t("Public holidays and days off"))
    year = datetime.now(ZoneInfo(team.time_zone)).year
    _holiday_table(admin_settings.days_off(team, year, language()))
    st.subheader(t("Customer value"))
    _pairs({t(label): getattr(value, f) for f, label in VALUE_LABELS.items()})


def _pairs(pairs: dict[str, Any]) -> None:
    table = pd.DataFrame({"setting": list(pairs), "value": [str(v) for v in pairs.values()]})
    columns = {"setting": t("Setting"), "value": t("Value")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=columns, placeholder="–")
