"""Streamlit pieces the Sales pages share: the period and pipeline pickers, a KPI with its
change against the previous period, and a table with its CSV download."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from app_pages.sales import _cache as sales_cache
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.models.enums import LeadStage, Role
from crm_core.sales import analysis
from crm_core.sales.analysis import Period, period_dates
from crm_core.sales.settings import BUILT_IN, DEFAULT_NAMES, SalesSettings, sales_settings
from ui import forms
from ui.db import database_url, read_scope
from ui.format import date_box_format, percent
from ui.forms import Session
from ui.i18n import N_, say, t, team
from ui.labels import option
from ui.plain import plain

PERIODS = {
    Period.LAST_QUARTER: N_("Last quarter"),
    Period.THIS_QUARTER: N_("This quarter"),
    Period.LAST_30_DAYS: N_("Last 30 days"),
    Period.LAST_90_DAYS: N_("Last 90 days"),
    Period.THIS_YEAR: N_("This year"),
}
CUSTOM = "custom"


def today() -> date:
    """Today in the team's time zone."""
    return utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(team().time_zone)).date()


def now() -> datetime:
    return utcnow()


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def _forecast(
    url: str, actor: tuple[int, str, str, str], hour: datetime, pipeline: str | None
) -> analysis.ForecastReport:
    with read_scope() as session:
        who = Actor(actor[0], actor[1], actor[2], Role(actor[3]))
        return analysis.forecast_report(session, who, hour, pipeline)


def forecast_report(actor: Actor, pipeline: str | None) -> analysis.ForecastReport:
    """The forecast as of this hour, cached for five minutes per reader (role and scope are
    in the key) and cleared by every Sales write of this server."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    who = (actor.id, actor.username, actor.name, actor.role.value)
    return _forecast(database_url()[0], who, hour, pipeline)


def submit(form_key: str, action: Callable[[Session], object], success: str) -> bool:
    """forms.submit, and the Sales caches cleared when the write went through."""
    done = forms.submit(form_key, action, success)
    if done:
        clear_caches()
    return done


def clear_caches() -> None:
    """After any write to leads or the sales settings."""
    sales_cache.clear()
    _forecast.clear()
    _stage_names.clear()


@st.cache_data(ttl=60, show_spinner=False)
def _stage_names(url: str) -> dict[str, str]:
    with read_scope() as session:
        return sales_settings(session).stage_names()


def stage_names() -> dict[str, str]:
    """Every pipeline's own stages: key -> the name a manager typed."""
    return _stage_names(database_url()[0])


def stage_name(key: str | None, settings: SalesSettings | None = None) -> str:
    """A stage as the user reads it: a built-in one translated, a pipeline's own by the name
    a manager typed (text: put it in markdown through ui.plain)."""
    if key is None or key == "":
        return "–"
    if key in BUILT_IN:
        return option(LeadStage, key)
    names = settings.stage_names() if settings else _stage_names(database_url()[0])
    return names.get(key, key)


def local_to_utc(moment: datetime) -> datetime:
    """A time the user picked in the team's zone, as stored (naive UTC)."""
    aware = moment.replace(tzinfo=ZoneInfo(team().time_zone))
    return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def period_picker(key: str) -> tuple[date, date]:
    """A named period (or custom dates); returns its first and last day."""
    choices = [*PERIODS, CUSTOM]
    left, right = st.columns([1, 2])
    chosen = left.selectbox(
        t("Period"),
        choices,
        key=f"{key}-period",
        format_func=lambda p: t("Custom dates") if p == CUSTOM else t(PERIODS[Period(p)]),
    )
    if chosen == CUSTOM:
        default = period_dates(Period.LAST_QUARTER, today())
        picked = right.date_input(
            t("From – to"), value=default, key=f"{key}-dates", format=date_box_format()
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            return picked[0], picked[1]
        return default
    start, end = period_dates(Period(chosen), today())
    right.caption(t("From {start:date} to {end:date}", start=start, end=end))
    return start, end


def pipeline_name(pipelines: list[dict[str, object]], key: str | None) -> str:
    for p in pipelines:
        if p["key"] == key:
            name = str(p["name"])
            return t(name) if name in DEFAULT_NAMES.values() else name
    return str(key or "")


def pipeline_picker(
    pipelines: list[dict[str, object]], key: str, *, everything: bool, everything_last: bool = False
) -> str | None:
    """A pipeline, or None for all of them when `everything` (first, or last if asked)."""
    keys: list[str | None] = [None] if everything and not everything_last else []
    keys += [str(p["key"]) for p in pipelines]
    keys += [None] if everything and everything_last else []
    return st.selectbox(
        t("Pipeline"),
        keys,
        key=key,
        format_func=lambda k: t("All pipelines") if k is None else pipeline_name(pipelines, k),
    )


FIELD_LABELS = {
    "name": N_("Name"), "company": N_("Company"), "email": N_("Email"), "phone": N_("Phone"),
    "source": N_("Source"), "value": N_("Value"), "expected_close": N_("Expected close"),
    "region": N_("Region"), "pipeline": N_("Pipeline"), "owner_id": N_("Owner"),
    "notes": N_("Notes"), "campaign_id": N_("Campaign"), "stage": N_("Stage"),
    "reason": N_("Lost reason"), "customer_id": N_("Customer"), "website": N_("Website"),
}  # fmt: skip


def field_label(name: str) -> str:
    return t(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def company_name() -> str:
    return team().company_name


@st.cache_resource(show_spinner=False)
def _sent() -> dict[str, list[datetime]]:
    """Web-form submissions per sender address in this server process (the rate limit)."""
    return {}


def sent_last_hour(sender: str) -> int:
    cutoff = utcnow() - timedelta(hours=1)
    kept = [at for at in _sent().get(sender, []) if at > cutoff]
    _sent()[sender] = kept
    return len(kept)


def note_sent(sender: str) -> None:
    _sent().setdefault(sender, []).append(utcnow())


def other_errors(form_key: str, shown: list[str]) -> None:
    """The last submit's messages for fields the form has no box for, named, under it."""
    errors = (st.session_state.get(f"relasi_form:{form_key}") or {}).get("errors") or {}
    for name in [f for f in errors if f not in shown]:
        st.caption(f":red[{plain(field_label(name))}: {plain(say(errors[name]))}]")


def delta(share: float | None) -> str | None:
    """A KPI's change as +12% / -3% against the previous period."""
    if share is None:
        return None
    return ("+" if share >= 0 else "") + percent(share)


def table(frame: pd.DataFrame, name: str, key: str, **config: str | None) -> None:
    """A table and its download as CSV (what the chart above it shows); `config` names each
    column (None hides it)."""
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=dict(config) or None, placeholder="–"
    )
    st.download_button(
        t("Download as CSV"), safe_csv(frame), f"relasi-{name}.csv", "text/csv", key=f"{key}-csv"
    )
