"""The business dashboard's figures over a period and the one before it of the same length,
each with a sparkline and the rows behind it, read from the areas' read modules only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers_read
from crm_core.kernel.calendar import local_days
from crm_core.kernel.frames import change_mark
from crm_core.kernel.permissions import Actor, Capability, Scope, amounts_scope, roles_with
from crm_core.kernel.settings import team_settings, value_settings
from crm_core.models import Customer, ImportBatch, Lead, Order, Ticket, User
from crm_core.models.enums import LeadStage
from crm_core.overview import counting
from crm_core.sales import read as sales_read
from crm_core.service import read as service_read


class Code(StrEnum):
    REVENUE = "revenue"
    GROSS_MARGIN = "gross_margin"
    NEW_CUSTOMERS = "new_customers"
    ACTIVE_CUSTOMERS = "active_customers"
    CHURNED_CUSTOMERS = "churned_customers"
    CHURN_RATE = "churn_rate"
    LEAD_CONVERSION = "lead_conversion"
    PIPELINE_VALUE = "pipeline_value"
    OPEN_TICKETS = "open_tickets"
    SLA_ATTAINMENT = "sla_attainment"
    CSAT = "csat"


MONEY = frozenset({Code.REVENUE, Code.GROSS_MARGIN, Code.PIPELINE_VALUE})
SHARES = frozenset({Code.CHURN_RATE, Code.LEAD_CONVERSION, Code.SLA_ATTAINMENT})
# Lower is better: their rise is bad news.
LOWER_IS_BETTER = frozenset({Code.CHURNED_CUSTOMERS, Code.CHURN_RATE, Code.OPEN_TICKETS})
# A tile's move against the previous period: its arrow, and whether it is good news.
Arrow = Literal["up", "down", "off"]
Tone = Literal["good", "bad", "neutral"]


@dataclass(frozen=True)
class Filters:
    start: date  # first local day of the period
    end: date  # last local day, included
    region: str | None = None  # the customer's region (a lead's own region)
    owner_id: int | None = None  # the customer's owner (a lead's owner)


@dataclass(frozen=True)
class Window:
    """The period and the one before it as naive UTC bounds [start, end)."""

    start: datetime
    end: datetime
    previous_start: datetime
    churn_days: int

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def window(filters: Filters, zone: str, churn_days: int) -> Window:
    start, end = local_days(filters.start, filters.end, zone)
    return Window(start, end, start - (end - start), churn_days)


@dataclass(frozen=True)
class Frames:
    """What the figures count, already cut to the filters and the reader's scope."""

    orders: pd.DataFrame  # every sold order (customer counts)
    money_orders: pd.DataFrame | None  # the orders whose amounts the reader sees; None: none
    created: pd.DataFrame
    leads: pd.DataFrame
    money_leads: pd.DataFrame | None
    tickets: pd.DataFrame
    window: Window


def load(session: Session, actor: Actor, filters: Filters, now: datetime) -> Frames:
    """The rows of both periods (and the churn window before them), read once."""
    zone, churn = team_settings(session).time_zone, value_settings(session).churn_window_days
    span = window(filters, zone, churn)
    since = span.previous_start - timedelta(days=churn)
    # Who bought when, back to the churn window before the previous period; amounts only
    # for the two periods (the join to the order lines is the costly part).
    orders = _cut(customers_read.order_times(session, since, span.end), filters)
    amounts = customers_read.orders_between(session, span.previous_start, span.end)
    created = _cut(
        customers_read.customers_created(session, span.previous_start, span.end), filters
    )
    leads = _cut(sales_read.leads_alive(session, actor, span.previous_start, span.end), filters)
    tickets = _cut(
        service_read.tickets_alive(session, actor, span.previous_start, span.end), filters
    )
    tickets = service_read.with_times(tickets, team_settings(session), now)
    scope = amounts_scope(actor)
    return Frames(
        orders=orders,
        money_orders=_seen(_cut(amounts, filters), actor, scope),
        created=created,
        leads=leads,
        money_leads=_seen(leads, actor, scope),
        tickets=tickets,
        window=span,
    )


def _cut(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if filters.region is not None:
        keep &= frame["region"] == filters.region
    if filters.owner_id is not None:
        keep &= frame["owner_id"] == filters.owner_id
    return frame[keep.fillna(False).astype(bool)].reset_index(drop=True)


def _seen(frame: pd.DataFrame, actor: Actor, scope: Scope) -> pd.DataFrame | None:
    """The rows whose amounts the actor reads (sales: their own customers' or leads')."""
    if scope is Scope.NONE:
        return None
    if scope is Scope.OWN:
        return frame[(frame["owner_id"] == actor.id).fillna(False).astype(bool)]
    return frame


def _in(stamps: pd.Series, start: datetime, end: datetime) -> pd.Series:
    return (stamps >= start) & (stamps < end)


def _mean(values: pd.Series) -> float | None:
    clean = values.dropna()
    return None if clean.empty else float(clean.astype("float64").mean())


@dataclass(frozen=True)
class Arrays:
    """The frames as arrays, for counting (see counting.py)."""

    orders: counting.Orders
    money: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # ordered at, net, margin
    created: np.ndarray
    leads: counting.Alive
    won: np.ndarray
    decided: np.ndarray
    pipeline: tuple[counting.Alive, np.ndarray] | None  # the leads whose value is seen
    tickets: counting.Alive
    met: np.ndarray  # 1.0 met both targets, 0.0 missed one, NaN undecided
    csat: np.ndarray
    window: int


def arrays(frames: Frames) -> Arrays:
    money, seen = frames.money_orders, frames.money_leads
    leads, tickets = frames.leads, frames.tickets
    stage = leads["stage"].to_numpy(dtype=object)
    return Arrays(
        orders=counting.Orders.of(frames.orders),
        money=None if money is None else (
            counting.times(money["ordered_at"]), counting.floats(money["net"]),
            counting.floats(money["margin"]),
        ),
        created=counting.times(frames.created["created_at"]),
        leads=counting.Alive(
            counting.times(leads["created_at"]), counting.times(leads["closed_at"])
        ),
        won=stage == LeadStage.WON.value,
        decided=(stage == LeadStage.WON.value) | (stage == LeadStage.LOST.value),
        pipeline=None if seen is None else (
            counting.Alive(counting.times(seen["created_at"]), counting.times(seen["closed_at"])),
            counting.floats(seen["value"]),
        ),
        tickets=counting.Alive(
            counting.times(tickets["created_at"]), counting.times(tickets["resolved_at"])
        ),
        met=counting.floats(tickets["met"].astype("Float64")),
        csat=counting.floats(tickets["csat"]),
        window=counting.window_ns(frames.window.churn_days),
    )  # fmt: skip


def figure_value(frames: Frames, code: Code, start: datetime, end: datetime) -> float | None:
    """One figure over [start, end); None when the reader may not see it or nothing counts."""
    return _value(arrays(frames), code, counting.ns(start), counting.ns(end))


def _value(a: Arrays, code: Code, start: int, end: int) -> float | None:
    if code in (Code.REVENUE, Code.GROSS_MARGIN):
        if a.money is None:
            return None
        at, net, margin = a.money
        return float(
            (net if code is Code.REVENUE else margin)[counting.within(at, start, end)].sum()
        )
    if code is Code.NEW_CUSTOMERS:
        return float(np.count_nonzero(counting.within(a.created, start, end)))
    if code is Code.ACTIVE_CUSTOMERS:
        return float(a.orders.buyers(start, end))
    if code is Code.CHURNED_CUSTOMERS:
        return float(a.orders.churned(start, end, a.window))
    if code is Code.CHURN_RATE:
        base = a.orders.buyers(start - a.window, start)
        return None if base == 0 else a.orders.churned(start, end, a.window) / base
    if code is Code.LEAD_CONVERSION:
        closed = counting.within(a.leads.closed, start, end) & a.decided
        return counting.share(a.won, closed)
    if code is Code.PIPELINE_VALUE:
        if a.pipeline is None:
            return None
        alive, value = a.pipeline
        return float(value[alive.open_at(end)].sum())
    if code is Code.OPEN_TICKETS:
        return float(np.count_nonzero(a.tickets.open_at(end)))
    made = counting.within(a.tickets.opened, start, end)
    return counting.mean_in(a.met if code is Code.SLA_ATTAINMENT else a.csat, made)


def rows_behind(frames: Frames, code: Code, start: datetime, end: datetime) -> pd.DataFrame | None:
    """The rows a figure over [start, end) counts (None: amounts the reader may not see)."""
    if code in (Code.REVENUE, Code.GROSS_MARGIN):
        money = frames.money_orders
        return None if money is None else money[_in(money["ordered_at"], start, end)]
    if code is Code.NEW_CUSTOMERS:
        return frames.created[_in(frames.created["created_at"], start, end)]
    if code is Code.ACTIVE_CUSTOMERS:
        bought = frames.orders[_in(frames.orders["ordered_at"], start, end)]
        return _per_customer(bought)
    if code in (Code.CHURNED_CUSTOMERS, Code.CHURN_RATE):
        return _churned(frames, start, end)
    if code is Code.LEAD_CONVERSION:
        leads = frames.leads
        closed = leads["stage"].isin([LeadStage.WON.value, LeadStage.LOST.value])
        return leads[closed & _in(leads["closed_at"], start, end)]
    if code is Code.PIPELINE_VALUE:
        seen = frames.money_leads
        return None if seen is None else _open_at(seen, "closed_at", end)
    if code is Code.OPEN_TICKETS:
        return _open_at(frames.tickets, "resolved_at", end)
    tickets = frames.tickets[_in(frames.tickets["created_at"], start, end)]
    column = "met" if code is Code.SLA_ATTAINMENT else "csat"
    return tickets[tickets[column].notna()]


def _per_customer(orders: pd.DataFrame) -> pd.DataFrame:
    return (
        orders.groupby("customer_id", as_index=False)
        .agg(orders=("order_id", "count"), last_order_at=("ordered_at", "max"))
        .reset_index(drop=True)
    )


def _churned(frames: Frames, start: datetime, end: datetime) -> pd.DataFrame:
    """Customers whose last purchase before `end` fell `churn_days` before a moment of the
    period: their silence reached the churn window during it, and they did not buy again."""
    days = timedelta(days=frames.window.churn_days)
    last = _per_customer(frames.orders[frames.orders["ordered_at"] < end])
    return last[_in(last["last_order_at"], start - days, end - days)].reset_index(drop=True)


def _base(frames: Frames, start: datetime) -> int:
    """Customers active when the period starts: a purchase in the churn window before it."""
    days = timedelta(days=frames.window.churn_days)
    orders = frames.orders
    return int(orders.loc[_in(orders["ordered_at"], start - days, start), "customer_id"].nunique())


def _open_at(frame: pd.DataFrame, closed: str, moment: datetime) -> pd.DataFrame:
    alive = (frame["created_at"] < moment) & (frame[closed].isna() | (frame[closed] >= moment))
    return frame[alive]


@dataclass(frozen=True)
class Figure:
    code: Code
    value: float | None
    previous: float | None
    spark: tuple[float | None, ...]  # one value per bucket of the period, oldest first

    @property
    def change(self) -> float | None:
        """Against the previous period: the difference (shares: in points of the share)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def relative(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return self.change / abs(self.previous)

    @property
    def trend(self) -> tuple[Arrow, Tone]:
        """Which way the figure moved against the previous period, and whether that is good
        news: churn and open tickets are better when they fall."""
        change = self.change
        if not change:  # None or no change
            return "off", "neutral"
        rose = change > 0
        good = rose != (self.code in LOWER_IS_BETTER)
        return ("up" if rose else "down"), ("good" if good else "bad")


def buckets(span: Window) -> list[tuple[datetime, datetime]]:
    """The sparkline's steps: days up to a month, weeks up to half a year, else 30 days."""
    days = span.length.days or 1
    step = timedelta(days=1 if days <= 31 else 7 if days <= 186 else 30)
    edges, moment = [], span.start
    while moment < span.end:
        edges.append((moment, min(moment + step, span.end)))
        moment += step
    return edges


def figures(frames: Frames) -> list[Figure]:
    """Every figure of the period, against the period before and with its sparkline."""
    span, counted = frames.window, arrays(frames)
    steps = [(counting.ns(s), counting.ns(e)) for s, e in buckets(span)]
    start, end, before = (counting.ns(m) for m in (span.start, span.end, span.previous_start))
    return [
        Figure(
            code,
            _value(counted, code, start, end),
            _value(counted, code, before, start),
            tuple(_value(counted, code, s, e) for s, e in steps),
        )
        for code in Code
    ]


def dashboard(
    session: Session, actor: Actor, filters: Filters, now: datetime
) -> tuple[list[Figure], Frames]:
    """The figures of the filtered period and the frames behind them (for the rows)."""
    frames = load(session, actor, filters, now)
    return figures(frames), frames


# A live refresh after new orders reads the orders from this many ids below the newest held:
# on PostgreSQL an id given first may commit after a later one; the two reads merge by id.
ID_MARGIN = 1_000


def refresh(
    session: Session, actor: Actor, filters: Filters, now: datetime,
    frames: Frames, since: tuple[object, ...],
) -> Frames:  # fmt: skip
    """The frames as they stand now, from `frames` read at mark `since`. When new orders are
    all that changed, only they are read and added (a second or less at 100,000 customers
    becomes a few indexed rows); any other change reads everything again."""
    current = mark(session)
    newest = since[0]
    if current == since:
        return frames
    held = int(str(since[1] or 0))
    if (
        current[2:] != since[2:]
        or newest in (None, "None")
        or customers_read.orders_changed(session, held, datetime.fromisoformat(str(newest)))
    ):
        return load(session, actor, filters, now)
    span = frames.window
    after = max(held - ID_MARGIN, 0)
    since_day = span.previous_start - timedelta(days=span.churn_days)
    times = _cut(customers_read.order_times(session, since_day, span.end, after), filters)
    amounts = customers_read.orders_between(session, span.previous_start, span.end, after)
    money = _seen(_cut(amounts, filters), actor, amounts_scope(actor))
    return replace(
        frames,
        orders=_merged(frames.orders, times),
        money_orders=None if frames.money_orders is None or money is None
        else _merged(frames.money_orders, money),
    )  # fmt: skip


def _merged(held: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([held, fresh], ignore_index=True)
    return both.drop_duplicates("order_id", keep="last").reset_index(drop=True)


def mark(session: Session) -> tuple[object, ...]:
    """Changes since a refresh show in this mark (orders, customers, leads, tickets): a live
    refresh reads it first and recomputes only when it moved."""
    reverted = session.scalar(select(func.max(ImportBatch.reverted_at)))
    return (*change_mark(session, Order, Customer, Lead, Ticket), str(reverted))


def what_changed(before: list[Figure], after: list[Figure]) -> list[tuple[Code, float]]:
    """The figures whose value moved between two refreshes, with the difference."""
    old = {f.code: f.value for f in before}
    moved = []
    for figure in after:
        was = old.get(figure.code)
        if figure.value is not None and was is not None and abs(figure.value - was) > 1e-9:
            moved.append((figure.code, figure.value - was))
    return moved


ORDER_CODES = (Code.REVENUE, Code.GROSS_MARGIN)
CUSTOMER_CODES = (Code.NEW_CUSTOMERS, Code.ACTIVE_CUSTOMERS, Code.CHURNED_CUSTOMERS,
                  Code.CHURN_RATE, *ORDER_CODES)  # fmt: skip
LEAD_CODES = (Code.LEAD_CONVERSION, Code.PIPELINE_VALUE)
_SHOWN = {
    Code.REVENUE: ["customer_id", "customer", "order_id", "ordered_at", "net", "margin"],
    Code.GROSS_MARGIN: ["customer_id", "customer", "order_id", "ordered_at", "net", "margin"],
    Code.NEW_CUSTOMERS: ["customer_id", "customer", "created_at"],
    Code.ACTIVE_CUSTOMERS: ["customer_id", "customer", "orders", "last_order_at"],
    Code.CHURNED_CUSTOMERS: ["customer_id", "customer", "last_order_at"],
    Code.CHURN_RATE: ["customer_id", "customer", "last_order_at"],
    Code.LEAD_CONVERSION: ["id", "name", "stage", "value", "closed_at"],
    Code.PIPELINE_VALUE: ["id", "name", "stage", "value", "expected_close"],
    Code.OPEN_TICKETS: ["id", "customer_id", "customer", "created_at"],
    Code.SLA_ATTAINMENT: ["id", "customer_id", "customer", "created_at", "met"],
    Code.CSAT: ["id", "customer_id", "customer", "created_at", "csat"],
}


def page_of(code: Code, filters: Filters) -> tuple[str, dict[str, str]]:
    """The page behind a figure and its address: the Customers list with the period, region
    and owner for the customers' figures (who bought in it; who was created in it), the Lead
    funnel, the Pipeline and the Ticket queue with the same, else the area's page (the rows
    are listed here)."""
    span, region, owner = (filters.start, filters.end), filters.region, filters.owner_id
    if code in (Code.REVENUE, Code.GROSS_MARGIN, Code.ACTIVE_CUSTOMERS):
        return "customers", customers_read.list_address(region, owner, bought=span)
    if code is Code.NEW_CUSTOMERS:
        return "customers", customers_read.list_address(region, owner, created=span)
    if code is Code.LEAD_CONVERSION:  # the funnel of the leads closed in the period
        return "leads", sales_read.funnel_address(filters.start, filters.end, region, owner)
    if code is Code.PIPELINE_VALUE:  # the leads open now, as the figure of a period to today
        return "pipeline", sales_read.pipeline_address(region, owner)
    if code is Code.OPEN_TICKETS:  # the tickets open now, as the figure of a period to today
        return "tickets", service_read.open_queue_address(region, owner)
    if code in (Code.SLA_ATTAINMENT, Code.CSAT):  # the tickets created in the period
        return "tickets", service_read.period_queue_address(*span, region, owner)
    return _AREA_PAGES[code]


_AREA_PAGES: dict[Code, tuple[str, dict[str, str]]] = {
    Code.CHURNED_CUSTOMERS: ("segments", {}),
    Code.CHURN_RATE: ("segments", {}),
}


def record_of(code: Code) -> str:
    """The page a row behind the figure opens: customer, lead or ticket."""
    return "customer" if code in CUSTOMER_CODES else "lead" if code in LEAD_CODES else "ticket"


def rows_table(session: Session, frames: Frames, code: Code) -> pd.DataFrame:
    """The rows behind a figure of the period, with the customer's name, ready to list; empty
    when the reader may not see its amounts. A lead's value shows only where it is seen."""
    span = frames.window
    rows = rows_behind(frames, code, span.start, span.end)
    if rows is None:
        return pd.DataFrame(columns=_SHOWN[code])
    rows = rows.copy()
    if "customer_id" in rows:
        names = customers_read.customer_names(session, rows["customer_id"].unique().tolist())
        rows["customer"] = rows["customer_id"].map(names)
    if code is Code.LEAD_CONVERSION:
        seen = frames.money_leads["id"] if frames.money_leads is not None else pd.Series([])
        rows["value"] = rows["value"].where(rows["id"].isin(seen))
    if code is Code.SLA_ATTAINMENT:
        rows["met"] = rows["met"].astype(bool)
    return rows[_SHOWN[code]].reset_index(drop=True)


def choices(session: Session) -> tuple[list[str], dict[int, str]]:
    """The filters' choices: the customers' regions, and the active people who own customers
    or leads (everyone but support) by name."""
    owners = roles_with(Capability.WORK_LEADS) | roles_with(Capability.ASSIGN_LEADS)
    rows = session.execute(
        select(User.id, User.name)
        .where(User.active, User.role.in_(owners))
        .order_by(User.name, User.id)
    ).all()
    return customers_read.regions(session), {int(i): str(n) for i, n in rows}
