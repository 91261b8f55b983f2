"""Customer value as a stored read model: refreshed once for everyone, read by every page.

`refresh` computes the value figures outside any viewer's page run (the `manage.py
refresh-values` command, the app server's start-up and its background timer) and writes
them to `customer_values`, one row per customer with the moment it describes. One refresh
runs at a time across sessions and app replicas: a PostgreSQL advisory lock, on SQLite a
claim taken in a write transaction (BEGIN IMMEDIATE), so a second caller returns at once.

A full refresh recomputes every customer and refits the population parts (Most Valuable
cut-off, RFM quintile boundaries, margin rate, Pareto/NBD and Gamma-Gamma fits). An
incremental one recomputes only the customers whose orders, tickets, touchpoints or record
changed since the last refresh began, scored against the kept population parts; those are
refit by the next full refresh (daily, or when the value settings or time zone change).

Pages read `stored_values` (the list's frame), `stored_value` (one row, for a Customer 360)
and `last_refresh` (when the figures were computed), never computing anything themselves.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Select, delete, func, insert, select, text, type_coerce, union
from sqlalchemy import String as SqlString
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from crm_core.analytics.recommendations import RULE_COLUMNS
from crm_core.customers import offers
from crm_core.customers import value as customer_value
from crm_core.customers.value import VALUE_COLUMNS, Population, ValueTable
from crm_core.kernel import hooks
from crm_core.kernel.frames import driver_rows, insert_columns
from crm_core.kernel.settings import ValueSettings, team_settings, value_settings
from crm_core.models import Customer, Interaction, Order, Ticket, table_of, utcnow
from crm_core.models.value import (
    MONEY_COLUMNS,
    CustomerValue,
    StoredFigure,
    TierSnapshot,
    ValueRefresh,
)

# Opens a session: write=True begins a write transaction (on SQLite BEGIN IMMEDIATE) that
# commits at the end; write=False a read. `functools.partial(db.session.session_scope, engine)`.
OpenSession = Callable[..., AbstractContextManager[Session]]

REFRESH_EVERY = timedelta(minutes=15)  # the background timer's period and the "as of" step
FULL_EVERY = timedelta(days=1)  # population parts refit at least this often
CLAIM_EXPIRES = timedelta(minutes=30)  # a claim older than this is a crashed refresh's
MAX_INCREMENTAL = 5_000  # more changed customers than this: a full refresh is as quick
_PG_LOCK_ID = 7_303_061_043  # any fixed 64-bit number; migrations use ...042
_TABLE = table_of(CustomerValue)
_ROW_COLUMNS = [c.name for c in _TABLE.columns]
_TIMES = ("first_order_at", "last_order_at")
_INTS = ("orders", "tickets", "interactions", "r_score", "f_score", "m_score")

Kind = Literal["full", "incremental", "busy", "unchanged"]


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did: `full`, `incremental`, `busy` (another one was running: nothing
    done) or `unchanged` (no customer changed since the last one)."""

    kind: Kind
    customers: int
    seconds: float
    as_of: datetime | None


@dataclass(frozen=True)
class RefreshInfo:
    """The newest finished refresh: when it ran, the moment its figures describe, how many."""

    id: int
    kind: str
    finished_at: datetime
    as_of: datetime
    customers: int
    last_full_as_of: datetime | None
    clv_note: str | None


def as_of_now(now: datetime | None = None) -> datetime:
    """Now (naive UTC) floored to the refresh period: the moment refreshed figures describe."""
    stamp = pd.Timestamp(now or utcnow()).floor(pd.Timedelta(REFRESH_EVERY))
    return stamp.to_pydatetime()


def refresh(
    open_session: OpenSession,
    *,
    full: bool | None = None,
    as_of: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> RefreshResult:
    """Refresh the stored value figures as of `as_of` (default: now, floored to the period).

    `full=None` decides: full when there is no full refresh yet, the last one is older than
    FULL_EVERY, the settings or the time zone changed, or too many customers changed;
    otherwise incremental. Returns at once with kind "busy" while another refresh runs.
    """
    started, moment = clock.perf_counter(), as_of or as_of_now()
    say = progress or (lambda _step: None)
    with open_session(write=False) as locker:
        if not _try_lock(locker):
            return RefreshResult("busy", 0, 0.0, None)
        try:
            claim = _claim(open_session, moment)
            if claim is None:
                return RefreshResult("busy", 0, 0.0, None)
            refresh_id, since = claim
            try:
                result = _run(open_session, refresh_id, since, moment, full, say)
            except BaseException:
                _release(open_session, refresh_id)
                raise
        finally:
            _unlock(locker)
    seconds = clock.perf_counter() - started
    with open_session(write=True) as session:
        row = session.get(ValueRefresh, refresh_id)
        assert row is not None
        if result.kind == "unchanged":
            session.delete(row)  # nothing written: the next one looks from the same moment
        else:
            row.seconds = seconds
    return RefreshResult(result.kind, result.customers, seconds, result.as_of)


def _try_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: the claim's write transaction is the lock
    got = session.scalar(text("SELECT pg_try_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
    return bool(got)


def _unlock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})


def _claim(open_session: OpenSession, moment: datetime) -> tuple[int, datetime | None] | None:
    """Start a refresh row unless one is running: (its id, when the previous one began).

    In one write transaction, so of two callers on SQLite the second waits for the first's
    claim, then sees it and gives up."""
    now = utcnow()
    with open_session(write=True) as session:
        running = session.scalar(
            select(func.count())
            .select_from(ValueRefresh)
            .where(
                ValueRefresh.finished_at.is_(None), ValueRefresh.started_at > now - CLAIM_EXPIRES
            )
        )
        if running:
            return None
        since = session.scalar(
            select(func.max(ValueRefresh.started_at)).where(ValueRefresh.finished_at.is_not(None))
        )
        row = ValueRefresh(
            kind="running", started_at=now, as_of=moment, changes_since=since, population={}
        )
        session.add(row)
        session.flush()
        return row.id, since


def _release(open_session: OpenSession, refresh_id: int) -> None:
    with open_session(write=True) as session:
        session.execute(delete(ValueRefresh).where(ValueRefresh.id == refresh_id))


def _newest_finished(*columns: Any, full: bool) -> Select[Any]:
    stmt = select(*columns).where(ValueRefresh.finished_at.is_not(None))
    if full:
        stmt = stmt.where(ValueRefresh.kind == "full")
    return stmt.order_by(ValueRefresh.finished_at.desc(), ValueRefresh.id.desc()).limit(1)


def _last_full(session: Session) -> ValueRefresh | None:
    """The last full refresh with its population parts: a megabyte of JSON at 100,000
    customers (the co-purchase rules), for what needs the parts, not for when it ran."""
    found: ValueRefresh | None = session.scalar(_newest_finished(ValueRefresh, full=True))
    return found


def _chosen(session: Session) -> dict[str, Any]:
    return {"settings": asdict(value_settings(session)), "zone": team_settings(session).time_zone}


def _run(
    open_session: OpenSession,
    refresh_id: int,
    since: datetime | None,
    moment: datetime,
    full: bool | None,
    say: Callable[[str], None],
) -> RefreshResult:
    with open_session(write=False) as session:
        chosen = _chosen(session)
        settings, zone = ValueSettings(**chosen["settings"]), chosen["zone"]
        last = _last_full(session)
        changed: list[int] | None = None
        snapshot: dict[str, list[Any]] = {}
        figures: list[dict[str, Any]] = []
        if full is not True and last is not None and since is not None:
            fresh = full is False or moment - last.as_of < FULL_EVERY  # False: asked for
            if last.population.get("chosen") == chosen and fresh:
                changed = changed_customers(session, since)
                if len(changed) > MAX_INCREMENTAL:
                    changed = None
        if changed is None:
            say("full")  # with the last quarter end's tiers, what the Segments page compares with
            quarter_end = customer_value.last_quarter_end(moment.date())
            table, population, tiers = customer_value.values_and_tiers_on(
                session, moment, quarter_end, settings, zone
            )
            rows = _rows(table, moment, refresh_id)
            ids: Collection[int] | None = None
            snapshot = _snapshot(quarter_end, tiers, refresh_id)
            say("rules")  # co-purchase rules: with the full refresh, so once a day
            rules = offers.purchase_rules(session, moment)
            figures = _figures(session, moment, settings, refresh_id, say)
        else:
            if not changed:
                return RefreshResult("unchanged", 0, 0.0, moment)
            say("incremental")
            assert last is not None
            population = Population.from_json(last.population["parts"])
            others = _other_profits(session, changed)
            table = customer_value.values_of(
                session, changed, moment, settings, population, others, zone
            )
            rows = _rows(table, moment, refresh_id)
            ids = changed
    say("write")
    with open_session(write=True) as session:
        if ids is None:
            session.execute(delete(CustomerValue))
            session.execute(delete(TierSnapshot))
            insert_columns(session, table_of(TierSnapshot), snapshot)
            session.execute(delete(StoredFigure))
            if figures:
                session.connection().execute(insert(table_of(StoredFigure)), figures)
        else:
            session.execute(delete(CustomerValue).where(CustomerValue.customer_id.in_(list(ids))))
        insert_columns(session, _TABLE, rows)
        row = session.get(ValueRefresh, refresh_id)
        assert row is not None
        kind: Kind = "full" if ids is None else "incremental"
        row.kind = kind
        row.finished_at = utcnow()
        row.customers = len(rows["customer_id"])
        if ids is None:
            row.population = {
                "chosen": chosen,
                "parts": population.to_json(),
                "rules": {c: rules[c].tolist() for c in RULE_COLUMNS},
            }
    return RefreshResult(kind, len(rows["customer_id"]), 0.0, moment)


def _snapshot(day: date, tiers: pd.Series, refresh_id: int) -> dict[str, list[Any]]:
    """The columns of the last quarter end's tiers (before the refresh's quarter), recomputed
    with every full refresh: an order edited or imported into that quarter since moves them."""
    count = len(tiers)
    return {
        "day": [day] * count,
        "customer_id": tiers.index.astype("int64").tolist(),
        "value_tier": tiers.astype(str).tolist(),
        "refresh_id": [refresh_id] * count,
    }


def _figures(
    session: Session,
    moment: datetime,
    settings: ValueSettings,
    refresh_id: int,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The rows of the other areas' figures over every customer (crm_core.wiring lists them)."""
    rows = []
    for figure in hooks.refresh_figures():
        say(figure.name)
        body = figure.compute(session, moment, settings)
        rows.append({"name": figure.name, "refresh_id": refresh_id, "as_of": moment, "body": body})
    return rows


def stored_figure(session: Session, name: str) -> tuple[datetime, dict[str, Any]] | None:
    """A figure the last full refresh stored (the moment it describes, its JSON), or None."""
    row = session.execute(
        select(StoredFigure.as_of, StoredFigure.body).where(StoredFigure.name == name)
    ).first()
    return None if row is None else (row[0], row[1])


def stored_tiers_on(session: Session, day: date) -> pd.Series | None:
    """Each customer's value tier at the end of `day` as the last full refresh stored it
    (customer_id -> tier), or None when no tiers of that day are stored."""
    stmt = select(TierSnapshot.customer_id, TierSnapshot.value_tier).where(TierSnapshot.day == day)
    rows = driver_rows(session, stmt)  # 100,000 short rows: no result object per row
    if not rows:
        return None
    ids = np.fromiter((row[0] for row in rows), dtype="int64", count=len(rows))
    tiers = np.array([row[1] for row in rows], dtype=object)
    return pd.Series(tiers, index=pd.Index(ids, name="customer_id"), name="value_tier")


def changed_customers(session: Session, since: datetime) -> list[int]:
    """Customers whose record, orders, tickets or touchpoints changed at or after `since`."""
    parts = [
        select(Customer.id.label("id")).where(Customer.updated_at >= since),
        select(Order.customer_id.label("id")).where(Order.updated_at >= since),
        select(Ticket.customer_id.label("id")).where(
            Ticket.updated_at >= since, Ticket.customer_id.is_not(None)
        ),
        select(Interaction.customer_id.label("id")).where(Interaction.updated_at >= since),
    ]
    found = session.execute(union(*parts)).scalars()
    return sorted(int(i) for i in found if i is not None)


def _other_profits(session: Session, changed: Collection[int]) -> np.ndarray:
    """The stored profits of the other customers who bought (what the changed ones rank among)."""
    stmt = select(CustomerValue.profit).where(
        CustomerValue.orders > 0, CustomerValue.customer_id.not_in(list(changed))
    )
    cents = np.fromiter(session.connection().execute(stmt).scalars(), dtype="int64")
    return cents / 100


def _listed(values: np.ndarray, missing: np.ndarray) -> list[Any]:
    out = values.astype(object)
    out[missing] = None
    listed: list[Any] = out.tolist()
    return listed


def _rows(table: ValueTable, moment: datetime, refresh_id: int) -> dict[str, list[Any]]:
    """The table's frame as customer_values columns: money in exact hundredths, None for
    missing."""
    frame, now = table.frame, utcnow()
    columns: dict[str, list[Any]] = {"customer_id": frame.index.astype("int64").tolist()}
    for name in VALUE_COLUMNS:
        series = frame[name]
        missing = series.isna().to_numpy()
        if name in MONEY_COLUMNS:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
            cents = np.round(np.nan_to_num(values) * 100).astype("int64")
            # Money facts are never missing (no sale is zero); an average of no orders is.
            nullable = name in ("average_order_value", "historical_clv")
            columns[name] = _listed(cents, missing if nullable else np.zeros_like(missing))
        elif name in _TIMES:
            stamps = np.asarray(pd.to_datetime(series).dt.to_pydatetime(), dtype=object)
            columns[name] = _listed(stamps, missing)
        elif name in _INTS:
            numbers = pd.to_numeric(series, errors="coerce").fillna(0).to_numpy()
            columns[name] = _listed(numbers.astype("int64"), missing)
        elif series.dtype.kind in "fi":
            columns[name] = _listed(series.to_numpy(dtype="float64"), missing)
        else:
            columns[name] = _listed(series.astype(object).to_numpy(), missing)
    count = len(columns["customer_id"])
    columns["as_of"] = [moment] * count
    columns["computed_at"] = [now] * count
    columns["refresh_id"] = [refresh_id] * count
    return {n: columns[n] for n in _ROW_COLUMNS if n in columns}


# The model note of each finished full refresh, by database, refresh and finish (an id may
# come again after a restore empties the table): a finished row does not change, and reading
# the note out of its population JSON costs 10 ms on PostgreSQL (the JSON's megabyte is read
# to find it), twice in every Customer 360 run.
_NOTES: dict[tuple[str, int, datetime], str | None] = {}
_NOTES_KEPT = 64


def _note(session: Session, refresh_id: int, finished_at: datetime) -> str | None:
    key = (str(session.get_bind().engine.url), refresh_id, finished_at)
    with suppress(KeyError):  # another thread may clear it meanwhile
        return _NOTES[key]
    path = ValueRefresh.population[("parts", "note")].as_string()
    note = session.scalar(select(path).where(ValueRefresh.id == refresh_id))
    if len(_NOTES) >= _NOTES_KEPT:
        _NOTES.clear()
    _NOTES[key] = note
    return note


def last_refresh(session: Session) -> RefreshInfo | None:
    """The newest finished refresh (None before the first: the table is empty). Read on every
    page run that shows figures: the population JSON is left in the database, but its note."""
    when = (ValueRefresh.id, ValueRefresh.as_of, ValueRefresh.finished_at)
    newest = _newest_finished(*when, ValueRefresh.kind, ValueRefresh.customers, full=False)
    row = session.execute(newest).first()
    if row is None or row.finished_at is None:
        return None
    full: Row[Any] | None = row
    if row.kind != "full":
        full = session.execute(_newest_finished(*when, full=True)).first()
    note = None if full is None else _note(session, int(full.id), full.finished_at)
    return RefreshInfo(
        row.id,
        row.kind,
        row.finished_at,
        row.as_of,
        row.customers,
        full.as_of if full is not None else None,
        note,
    )


_RULE_TYPES = {"antecedent": "int64", "consequent": "int64", "customers": "int64",
               "support": "float64", "confidence": "float64", "lift": "float64"}  # fmt: skip


def purchase_rules(session: Session) -> pd.DataFrame:
    """The co-purchase rules the last full refresh computed (RULE_COLUMNS; none before it)."""
    full = _last_full(session)
    kept = (full.population.get("rules") if full is not None else None) or {}
    return pd.DataFrame({c: pd.Series(kept.get(c, []), dtype=_RULE_TYPES[c]) for c in RULE_COLUMNS})


def is_empty(session: Session) -> bool:
    return session.scalar(select(CustomerValue.customer_id).limit(1)) is None


_READ_COLUMNS = ["customer_id", *VALUE_COLUMNS]


def _select_columns() -> list[Any]:
    out: list[Any] = []
    for name in _READ_COLUMNS:
        column = _TABLE.c[name]
        # Times as text: parsed at once by pandas, not one datetime object per value on SQLite.
        out.append(type_coerce(column, SqlString) if name in _TIMES else column)
    return out


def _frame(rows: list[Any]) -> pd.DataFrame:
    """customer_values rows (in _READ_COLUMNS order) as the value frame the pages read:
    index customer_id, VALUE_COLUMNS, money as float64 currency units (exact to the cent)."""
    data = list(zip(*rows, strict=True)) if rows else [()] * len(_READ_COLUMNS)
    frame: dict[str, Any] = {}
    for name, values in zip(_READ_COLUMNS, data, strict=True):
        if name in MONEY_COLUMNS:
            cents = pd.array(values, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan)
            frame[name] = cents / 100
        elif name in _TIMES:
            frame[name] = pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601")
        elif name in ("customer_id", "orders", "tickets", "interactions"):
            frame[name] = np.asarray(values, dtype="int64")
        elif name in ("r_score", "f_score", "m_score"):
            frame[name] = pd.array(values, dtype="Float64").to_numpy(
                dtype="float64", na_value=np.nan
            )
        elif name in ("predicted_clv", "predicted_purchases", "p_alive", "churn_risk",
                      "days_since_last_order", "usual_gap_days"):  # fmt: skip
            frame[name] = np.asarray([np.nan if v is None else v for v in values], dtype="float64")
        else:
            frame[name] = pd.Series(values, dtype="object")
    out = pd.DataFrame(
        {k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in frame.items()}
    )
    for name in _TIMES:
        out[name] = pd.to_datetime(out[name]).astype("datetime64[ns]")
    return out.set_index("customer_id")


def stored_values(session: Session, customer_ids: Collection[int] | None = None) -> ValueTable:
    """The stored figures (of `customer_ids` when given) as a ValueTable with the frame
    `customer_values` gives; `as_of` is the newest refresh's moment."""
    stmt = select(*_select_columns())
    if customer_ids is not None:
        stmt = stmt.where(_TABLE.c.customer_id.in_(list(customer_ids)))
    rows = list(session.connection().execute(stmt).all())
    info = last_refresh(session)
    moment = info.as_of if info is not None else utcnow()
    return ValueTable(
        frame=_frame(rows)[VALUE_COLUMNS],
        as_of=moment,
        clv_note=info.clv_note if info is not None else None,
        time_zone=team_settings(session).time_zone,
    )


def stored_value(session: Session, customer_id: int) -> ValueTable:
    """One customer's stored figures (a frame of one row, or none yet) and their moment."""
    table = stored_values(session, [customer_id])
    if not table.frame.empty:
        moment = session.scalar(
            select(CustomerValue.as_of).where(CustomerValue.customer_id == customer_id)
        )
        if moment is not None:
            return ValueTable(table.frame, moment, table.clv_note, table.time_zone)
    return table


def stored_tiers(session: Session, customer_ids: Collection[int]) -> dict[int, str]:
    """The stored value tier of each of these customers that has one (not yet refreshed: none)."""
    tiers: dict[int, str] = {}
    ids = list(customer_ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows = session.execute(
            select(CustomerValue.customer_id, CustomerValue.value_tier).where(
                CustomerValue.customer_id.in_(part)
            )
        ).all()
        tiers |= {int(i): str(tier) for i, tier in rows}
    return tiers
