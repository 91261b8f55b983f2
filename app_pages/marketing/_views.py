"""Streamlit pieces the marketing pages share (ui/ knows no area, so they live with the
pages): labels of the rule builder's fields and operators, of the dashboard's groups, and a
table shown with its CSV download."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.permissions import Actor
from crm_core.marketing import cohorts, dashboard, journey_store, segments, splits
from crm_core.marketing.rules import FIELDS, Kind, Op, choices, parse_rule
from crm_core.models.enums import Channel, Gender, LeadSource, LifecycleStage
from ui import auth, cache
from ui.db import database_url, read_scope
from ui.i18n import N_, t
from ui.labels import option

OP_LABELS = {
    Op.IN: N_("is one of"),
    Op.NOT_IN: N_("is none of"),
    Op.AT_LEAST: N_("is at least"),
    Op.AT_MOST: N_("is at most"),
    Op.IS_SET: N_("is filled in"),
    Op.IS_EMPTY: N_("is empty"),
    Op.YES: N_("yes"),
    Op.NO: N_("no"),
    Op.HAS_ANY: N_("has any of"),
    Op.HAS_NONE: N_("has none of"),
}
GROUP_LABELS = {
    "unknown": N_("(not known)"),
    "new": N_("(not a customer yet)"),
    "B2C": N_("No company (B2C)"),
    "under 25": N_("under 25"),
    "65+": N_("65 and over"),
}
_VOCABULARIES: dict[str, type[Any]] = {
    "value_tier": ValueTier, "rfm_segment": RfmSegment, "gender": Gender,
    "source": LeadSource, "preferred_channel": Channel, "lifecycle_stage": LifecycleStage,
}  # fmt: skip


def field_label(key: str) -> str:
    return t(FIELDS[key].label)


def op_label(op: Op | str) -> str:
    return t(OP_LABELS[Op(op)])


def value_label(field: str, value: Any) -> str:
    """A stored value of a rule field or dashboard dimension as this reader calls it."""
    if isinstance(value, str) and value in GROUP_LABELS:
        return t(GROUP_LABELS[value])
    kind = _VOCABULARIES.get(field)
    return option(kind, value) if kind is not None else str(value)


def describe_rule(rule: Mapping[str, Any]) -> str:
    """A rule in words, e.g. "(Value tier is one of Most Growable AND Region ...)"."""
    joins = {"all": t("AND"), "any": t("OR")}
    groups = []
    for group in rule.get("groups", []):
        parts = []
        for c in group["conditions"]:
            value = c.get("value")
            if isinstance(value, list):
                value = ", ".join(value_label(c["field"], v) for v in value)
            text = f"{field_label(c['field'])} {op_label(c['op'])}"
            parts.append(text if value is None else f"{text} {value}")
        groups.append("(" + f" {joins[group.get('match', 'all')]} ".join(parts) + ")")
    return f" {joins[rule.get('match', 'all')]} ".join(groups)


def table_with_download(
    shown: pd.DataFrame, raw: pd.DataFrame, labels: Mapping[str, str], name: str, key: str
) -> None:
    """`shown` (formatted) as a table; `raw` (the numbers) as a CSV download, same labels,
    built when clicked: six tables' files took 0.12 s of every Segments rerun."""
    st.dataframe(
        shown.rename(columns=dict(labels)), hide_index=True, width="stretch", placeholder="–"
    )
    named = dict(labels)
    deferred_download(t("Download this table as CSV"), lambda: raw.rename(columns=named), name, key)


def deferred_download(
    label: str, build: Callable[[], pd.DataFrame], name: str, key: str, *, disabled: bool = False
) -> None:
    """A CSV download built only when clicked, on Streamlit's download thread, after the
    session is checked again (auth.deferred): `build` reads its rows then, so a rerun reads
    nothing for it. Say everything in the reader's words before: `build` runs outside the run."""

    def csv() -> str:
        return safe_csv(build())

    st.download_button(
        label, data=auth.deferred(csv), file_name=f"relasi-{name}.csv", mime="text/csv",
        on_click="ignore", disabled=disabled, key=key,
    )  # fmt: skip


# Cached reads of the dashboard, keyed by the database, the reader (scope) and the moment the
# value table describes: a quarter of an hour, like the value table itself. The journey is
# the one the last full refresh stored, where it holds for the reader.
@st.cache_data(ttl=900, max_entries=8, show_spinner=False)
def _journey(url: str, actor: Actor, as_of: datetime, window_days: int) -> cohorts.Journey:
    with read_scope() as session:
        stored = journey_store.stored_journey(session, actor, window_days)
        if stored is not None:
            return stored
        return cohorts.customer_journey(session, actor, as_of, window_days)


def journey(actor: Actor, as_of: datetime, window_days: int) -> cohorts.Journey:
    return _journey(database_url()[0], actor, as_of, window_days)


# The dashboard's aggregates over the stored value table, keyed by the reader (scope and
# amounts), the moment the stored figures describe (a refresh makes a new key) and the split.
@st.cache_data(ttl=900, max_entries=16, show_spinner=False)
def _per_customer(url: str, actor: Actor, as_of: datetime) -> pd.DataFrame:
    with read_scope() as session:
        return splits.per_customer(session, actor)


def per_customer(actor: Actor, as_of: datetime) -> pd.DataFrame:
    """Each readable customer's tier, amounts (as the reader may see them) and tickets."""
    return _per_customer(database_url()[0], actor, as_of)


def migration(
    actor: Actor, as_of: datetime, frame: pd.DataFrame, before: pd.DataFrame, since: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tier migration matrix and who moved, kept as the frames they come from are (per
    reader, the value figures' moment `as_of` and the date compared): 0.03 s of each rerun."""
    return _migration(database_url()[0], actor, as_of, since, frame, before)


@st.cache_data(
    ttl=900, max_entries=16, show_spinner=False, hash_funcs={pd.DataFrame: lambda _f: None}
)
def _migration(
    url: str,
    actor: Actor,
    as_of: datetime,
    since: date,
    frame: pd.DataFrame,
    before: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    after = frame[["value_tier"]]  # keyed by the moment, not by hashing 100,000 rows
    return dashboard.tier_migration(before, after), dashboard.tier_moves(before, after)


@st.cache_data(ttl=900, max_entries=64, show_spinner=False)
def _split(url: str, actor: Actor, as_of: datetime, by: str) -> pd.DataFrame:
    with read_scope() as session:
        return splits.split(session, actor, by, as_of)


def split(actor: Actor, by: str, as_of: datetime) -> pd.DataFrame:
    """Customers, revenue and profit by one dimension, aggregated in the database."""
    return _split(database_url()[0], actor, as_of, by)


@st.cache_data(ttl=900, max_entries=16, show_spinner=False)
def _ready_made(url: str, actor: Actor, as_of: datetime) -> dict[str, list[int]]:
    with read_scope() as session:
        return {
            key: segments.members(session, actor, segments.ready_made_rule(key), None, as_of)
            for key in segments.READY_MADE
        }


def ready_made_members(actor: Actor, as_of: datetime) -> dict[str, list[int]]:
    """The members of each ready-made segment today, as the reader may see them."""
    return _ready_made(database_url()[0], actor, as_of)


def clear() -> None:
    """After a write that moves customers between owners: the readers' aggregates again."""
    for cached in (_per_customer, _split, _ready_made, _members, _reach, _owner_preview):
        cached.clear()


# The Segment builder's reads of today's members, kept per reader, rule, moment of the stored
# figures and the customers' change mark (a customer or company saved on any replica makes a
# new key): a rerun (a widget touched) read every member again, and the owner preview and the
# broadcast counts read every member's row in chunks of 500.
def rule_key(rule: Mapping[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True)


def data_mark() -> tuple[Any, ...]:
    with read_scope() as session:
        return segments.customers_mark(session)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _members(
    url: str, actor: Actor, rule: str, as_of: datetime, mark: tuple[Any, ...]
) -> list[int]:
    with read_scope() as session:
        return segments.members(session, actor, parse_rule(json.loads(rule)), None, as_of)


def members_today(actor: Actor, rule: str, as_of: datetime, mark: tuple[Any, ...]) -> list[int]:
    """The rule's members today (`rule` a `rule_key`)."""
    return _members(database_url()[0], actor, rule, as_of, mark)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _reach(
    url: str, actor: Actor, rule: str, as_of: datetime, mark: tuple[Any, ...], channel: str
) -> tuple[int, int]:
    ids = _members(url, actor, rule, as_of, mark)
    with read_scope() as session:
        return segments.broadcast_counts(session, actor, ids, segments.Broadcast(channel))


def reach(
    actor: Actor, rule: str, as_of: datetime, mark: tuple[Any, ...], channel: str
) -> tuple[int, int]:
    """How many of today's members a broadcast on `channel` reaches, and how many it leaves out."""
    return _reach(database_url()[0], actor, rule, as_of, mark, channel)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _owner_preview(
    url: str, actor: Actor, rule: str, as_of: datetime, mark: tuple[Any, ...], owner: int,
    limit: int,
) -> tuple[int, pd.DataFrame]:  # fmt: skip
    ids = _members(url, actor, rule, as_of, mark)
    with read_scope() as session:
        count = segments.owner_change_count(session, ids, owner)
        return count, segments.owner_changes(session, ids, owner, limit=limit)


def owner_preview(
    actor: Actor, rule: str, as_of: datetime, mark: tuple[Any, ...], owner: int, limit: int
) -> tuple[int, pd.DataFrame]:
    """How many of today's members would change to `owner`, and the first `limit` of them."""
    return _owner_preview(database_url()[0], actor, rule, as_of, mark, owner, limit)


@st.cache_data(ttl=300, max_entries=8, show_spinner=False)
def _choices(url: str, mark: tuple[Any, ...]) -> dict[str, list[str]]:
    with read_scope() as session:
        return {f: choices(session, f) for f, spec in FIELDS.items() if spec.kind is Kind.CHOICE}


def rule_choices(mark: tuple[Any, ...]) -> dict[str, list[str]]:
    """The values each choice field of the rule builder offers (those stored)."""
    return _choices(database_url()[0], mark)


def stored_as_of() -> datetime:
    """The moment the stored value figures describe (now, floored, before any refresh)."""
    status = cache.value_status()
    return status.refreshed.as_of if status.refreshed is not None else cache.as_of()
