"""Touchpoints on every channel (more for active and B2B customers) and follow-up tasks."""

from __future__ import annotations

import numpy as np

from crm_core.models import Interaction, Task
from crm_core.models.enums import Channel, Direction, LeadStage, LifecycleStage
from db.demo.context import DAY, HOUR, MINUTE, NO_TIME, NULL, Ctx, pick
from db.demo.orders import STAGES, History, Orders
from db.demo.people import CHANNELS, Customers
from db.demo.sales import STAGES as LEAD_STAGES
from db.demo.sales import Leads
from db.demo.staff import Staff
from db.demo.texts import INTERACTION_NOTES, INTERACTION_SUBJECTS, LEAD_TASK_TITLES, TASK_TITLES
from db.demo.writer import Coded, Rows, Times, versioned

DIRECTIONS = list(Direction)
_B2B_MIX = {"phone": 25, "email": 30, "meeting": 20, "web": 5, "chat": 3, "whatsapp": 12,
            "store": 3, "social": 2}  # fmt: skip
_B2C_MIX = {
    "phone": 10,
    "email": 25,
    "meeting": 1,
    "web": 20,
    "chat": 6,
    "whatsapp": 16,
    "store": 12,
    "social": 10,
}
INBOUND_SHARE = {"phone": 0.45, "email": 0.4, "meeting": 0.2, "web": 0.9, "chat": 0.6,
                 "store": 0.9, "social": 0.7, "whatsapp": 0.75}  # fmt: skip
# Minutes a touchpoint takes (low, high), where it has a duration at all.
DURATION = {
    "phone": (2, 25),
    "meeting": (30, 120),
    "chat": (3, 30),
    "store": (5, 40),
    "whatsapp": (2, 20),
}
NEAR_ORDER = 0.4  # share of a buyer's touchpoints within days of one of their orders


def build_interactions(
    ctx: Ctx, staff: Staff, customers: Customers, history: History, orders: Orders
) -> Rows:
    rng, n = ctx.rng, ctx.size.interactions
    weight = (0.4 + np.minimum(history.purchases, 30)) * np.where(customers["b2b"], 2.5, 1.0)
    counts = rng.multinomial(n, weight / weight.sum())
    customer = np.repeat(np.arange(customers.n), counts)
    created = customers["created_at"][customer]
    quiet = np.where(history.last != NO_TIME, history.last + 120 * DAY, ctx.as_of)
    churned = history.stage[customer] == STAGES.index(LifecycleStage.CHURNED)
    end = np.where(churned, np.minimum(quiet[customer], ctx.as_of), ctx.as_of)
    low = np.maximum(created, ctx.start)
    at = ctx.uniform_times(low, np.maximum(end, low + HOUR), n)
    at = _near_orders(ctx, customer, at, orders)
    at = np.clip(at, np.maximum(created + MINUTE, ctx.start), ctx.as_of - 1)
    order = np.lexsort((customer, at))
    customer, at = customer[order], at[order]
    channel = _channels(ctx, customers, customer)
    return _rows(ctx, staff, customers, customer, at, channel)


def _near_orders(ctx: Ctx, customer: np.ndarray, at: np.ndarray, orders: Orders) -> np.ndarray:
    """Move some touchpoints next to one of the customer's orders (before or after it)."""
    rng = ctx.rng
    by_customer = np.argsort(orders.customer, kind="stable")
    first = np.searchsorted(orders.customer[by_customer], customer, side="left")
    count = np.searchsorted(orders.customer[by_customer], customer, side="right") - first
    move = (count > 0) & (rng.random(customer.size) < NEAR_ORDER)
    which = first + (rng.random(customer.size) * np.maximum(count, 1)).astype(np.int64)
    which = np.minimum(which, max(orders.n - 1, 0))
    near = orders.at[by_customer[which]] + rng.integers(-2 * DAY, 5 * DAY, customer.size)
    return np.where(move, near, at)


def _channels(ctx: Ctx, customers: Customers, customer: np.ndarray) -> np.ndarray:
    rng, n = ctx.rng, customer.size
    code = {k: CHANNELS.index(Channel(k)) for k in _B2B_MIX}
    b2b = np.array([code[k] for k in _B2B_MIX])[pick(rng, _B2B_MIX, n)]
    b2c = np.array([code[k] for k in _B2C_MIX])[pick(rng, _B2C_MIX, n)]
    usual = np.where(customers["b2b"][customer], b2b, b2c)
    channel: np.ndarray = np.where(rng.random(n) < 0.4, customers["channel"][customer], usual)
    return channel


def _rows(
    ctx: Ctx, staff: Staff, customers: Customers, customer: np.ndarray, at: np.ndarray,
    channel: np.ndarray,
) -> Rows:  # fmt: skip
    rng, n = ctx.rng, customer.size
    inbound_share = np.array([INBOUND_SHARE[c.value] for c in CHANNELS])
    inbound = rng.random(n) < inbound_share[channel]
    subjects: list[str] = []
    offsets: list[int] = []
    sizes: list[int] = []
    for c in CHANNELS:
        for direction in (0, 1):
            options = INTERACTION_SUBJECTS[c][direction]
            offsets.append(len(subjects))
            sizes.append(len(options))
            subjects.extend(options)
    slot = channel * 2 + np.where(inbound, 0, 1)
    subject = np.array(offsets)[slot] + (rng.random(n) * np.array(sizes)[slot]).astype(np.int64)
    low = np.array([DURATION.get(c.value, (0, 0))[0] for c in CHANNELS])[channel]
    high = np.array([DURATION.get(c.value, (0, 1))[1] for c in CHANNELS])[channel]
    minutes = low + (rng.random(n) * (high - low)).astype(np.int64)
    by_agent = inbound & np.isin(
        channel, [CHANNELS.index(Channel(c)) for c in ("chat", "whatsapp", "social", "web")]
    )
    user = np.where(
        by_agent & (rng.random(n) < 0.6),
        rng.choice(staff.support_ids, n),
        customers["owner"][customer],
    )
    return Rows(
        Interaction,
        n,
        {
            "id": np.arange(1, n + 1),
            "customer_id": customer + 1,
            "channel": Coded(channel, CHANNELS),
            "direction": Coded(np.where(inbound, 0, 1), [Direction.INBOUND, Direction.OUTBOUND]),
            "subject": Coded(subject, subjects),
            "notes": Coded(rng.integers(0, len(INTERACTION_NOTES), n), INTERACTION_NOTES),
            "occurred_at": Times(at),
            "duration_minutes": np.where(high > 0, minutes, NULL),
            "user_id": user,
            **versioned(at),
        },
    )


def build_tasks(ctx: Ctx, staff: Staff, customers: Customers, leads: Leads) -> Rows:
    """Follow-ups of the sales team: done, overdue, due soon and later, relative to as_of."""
    rng, n = ctx.rng, ctx.size.tasks
    open_leads = np.flatnonzero(
        np.isin(leads.stage, [LEAD_STAGES.index(s) for s in LeadStage if s.is_open])
    )
    about_lead = (rng.random(n) < 0.3) & (open_leads.size > 0)
    lead = rng.choice(open_leads, n) if open_leads.size else np.zeros(n, dtype=np.int64)
    customer = rng.integers(0, customers.n, n)
    state = rng.choice(4, n, p=[0.45, 0.2, 0.25, 0.1])  # done, overdue, due soon, later
    mine, first = np.flatnonzero(customers["owner"] == staff.ids["sales"]), min(4, n)
    if mine.size:  # the demo "sales" user sees every kind of task
        customer[:first] = rng.choice(mine, first)
        about_lead[:first] = False
        state[:first] = np.arange(first)
    owner = np.where(about_lead, leads.owner[lead], customers["owner"][customer])
    offset = np.select(
        [state == 0, state == 1, state == 2],
        [-rng.integers(DAY, 180 * DAY, n), -rng.integers(HOUR, 14 * DAY, n),
         rng.integers(HOUR, 7 * DAY, n)],
        rng.integers(7 * DAY, 30 * DAY, n),
    )  # fmt: skip
    due = ctx.as_of + offset
    since = np.where(about_lead, leads.created[lead], customers["created_at"][customer])
    created = np.clip(due - rng.integers(DAY, 14 * DAY, n), since, ctx.as_of - HOUR)
    done_at = np.minimum(due + rng.integers(-2 * DAY, 2 * DAY, n), ctx.as_of - MINUTE)
    done_at = np.where(state == 0, np.maximum(done_at, created + HOUR), NO_TIME)
    titles = [*TASK_TITLES, *LEAD_TASK_TITLES]
    title = np.where(
        about_lead,
        len(TASK_TITLES) + rng.integers(0, len(LEAD_TASK_TITLES), n),
        rng.integers(0, len(TASK_TITLES), n),
    )
    return Rows(
        Task,
        n,
        {
            "id": np.arange(1, n + 1),
            "customer_id": np.where(about_lead, NULL, customer + 1),
            "lead_id": np.where(about_lead, lead + 1, NULL),
            "owner_id": owner,
            "title": Coded(title, titles),
            "due_at": Times(due),
            "done_at": Times(done_at),
            **versioned(created, np.where(state == 0, done_at, created)),
        },
    )
