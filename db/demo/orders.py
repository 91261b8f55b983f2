"""Orders over 24 months: a BG/NBD-like buying process with seasons, and lifecycle stages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_core.models import Order
from crm_core.models.enums import LifecycleStage, OrderStatus, SalesChannel
from db.demo.commerce import Lines
from db.demo.context import DAY, HOUR, MINUTE, NO_TIME, Ctx, pick, season_by_day
from db.demo.writer import Coded, Money, Rows, Times, versioned

STATUSES = list(OrderStatus)
SALES_CHANNELS = list(SalesChannel)
STAGES = list(LifecycleStage)
CHURN_AFTER_DAYS = 365  # a buyer without an order for this long has churned
MAX_ORDERS = 80
# Purchase rate per day ~ Gamma(shape, mean/shape): a few heavy buyers, many light ones.
RATE_SHAPE = 0.9
RATE_MEAN_PER_DAY = 1 / 32
B2B_RATE_FACTOR = 1.8
# Chance to stop buying after each purchase ~ Beta(a, b) per customer.
DROPOUT_B2C = (1.2, 5.0)
DROPOUT_B2B = (1.0, 8.0)
_CHANNEL_B2B = {"online": 25, "store": 10, "sales rep": 55, "marketplace": 10}
_CHANNEL_B2C = {"online": 40, "store": 25, "sales rep": 0, "marketplace": 35}
# Local (UTC+7) shopping hours 07..22, busiest at lunch and in the evening, as UTC hours.
_HOUR_WEIGHTS = {(h - 7) % 24: w for h, w in zip(range(7, 23), [2, 4, 6, 7, 8, 9, 8, 7, 6, 6,
                 7, 8, 9, 8, 5, 3], strict=True)}  # fmt: skip


@dataclass
class Orders:
    """Orders sorted by time (index = id - 1)."""

    customer: np.ndarray  # customer index (id - 1)
    at: np.ndarray
    status: np.ndarray  # index into STATUSES
    channel: np.ndarray  # index into SALES_CHANNELS

    @property
    def n(self) -> int:
        return int(self.customer.size)


def purchase_times(
    ctx: Ctx, first_order: np.ndarray, since: np.ndarray, b2b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, time) of every purchase in the window: Poisson buying at a personal
    rate, thinned by the season, each purchase followed by a personal chance of never buying
    again. New buyers start with their first order; the existing base started buying at
    `since` (before the window), so only those still buying reach it, as in a steady state."""
    rng = ctx.rng
    old = since != NO_TIME
    buyers = np.flatnonzero((first_order != NO_TIME) | old)
    heavy, old = b2b[buyers], old[buyers]
    rate = rng.gamma(RATE_SHAPE, RATE_MEAN_PER_DAY / RATE_SHAPE, buyers.size)
    rate *= np.where(heavy, B2B_RATE_FACTOR, 1.0)
    dropout = np.where(
        heavy, rng.beta(*DROPOUT_B2B, buyers.size), rng.beta(*DROPOUT_B2C, buyers.size)
    )
    day0 = int(since[buyers][old].min(initial=ctx.start)) // DAY - 1
    season = season_by_day(np.arange(day0, ctx.as_of // DAY + 2))
    peak = season.max()
    t = np.where(old, since[buyers], first_order[buyers]).astype(np.float64)
    count = np.ones(buyers.size, dtype=np.int64)
    alive = rng.random(buyers.size) >= dropout
    who, when = [buyers[~old]], [first_order[buyers[~old]]]
    active = np.flatnonzero(alive)
    while active.size:
        t[active] += rng.exponential(DAY / (rate[active] * peak))
        active = active[t[active] < ctx.as_of]
        day = (t[active] // DAY).astype(np.int64) - day0
        got = active[rng.random(active.size) * peak < season[day]]
        seen = got[t[got] >= ctx.start]
        who.append(buyers[seen])
        when.append(t[seen].astype(np.int64))
        count[got] += 1
        stop = got[(rng.random(got.size) < dropout[got]) | (count[got] >= MAX_ORDERS)]
        alive[stop] = False
        active = active[alive[active]]
    return np.concatenate(who), np.concatenate(when)


def build_orders(ctx: Ctx, first_order: np.ndarray, since: np.ndarray, b2b: np.ndarray) -> Orders:
    """Orders of new buyers (from `first_order`) and of the existing base (buying `since`)."""
    rng = ctx.rng
    customer, at = purchase_times(ctx, first_order, since, b2b)
    repeat = at != first_order[customer]
    hour = np.array(list(_HOUR_WEIGHTS))[pick(rng, _HOUR_WEIGHTS, at.size)]
    clock = at // DAY * DAY + hour * HOUR + rng.integers(0, HOUR, at.size)
    clock = np.clip(clock, np.maximum(first_order[customer] + MINUTE, ctx.start), ctx.as_of - 1)
    at = np.where(repeat, clock, at)
    order = np.lexsort((customer, at))
    customer, at = customer[order], at[order]
    return Orders(customer, at, _statuses(ctx, at), _channels(ctx, customer, b2b))


def _statuses(ctx: Ctx, at: np.ndarray) -> np.ndarray:
    rng, n = ctx.rng, at.size
    settled = rng.choice(
        [
            STATUSES.index(s)
            for s in (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.RETURNED)
        ],
        n,
        p=[0.92, 0.045, 0.035],
    )
    recent = (ctx.as_of - at < 3 * DAY) & (rng.random(n) < 0.6)
    return np.where(recent, STATUSES.index(OrderStatus.PENDING), settled)


def _channels(ctx: Ctx, customer: np.ndarray, b2b: np.ndarray) -> np.ndarray:
    """Each customer mostly uses one sales channel; a quarter of orders come another way."""
    rng, n = ctx.rng, b2b.size
    habit = np.where(b2b, pick(rng, _CHANNEL_B2B, n), pick(rng, _CHANNEL_B2C, n))
    buyer_b2b = b2b[customer]
    other = np.where(
        buyer_b2b, pick(rng, _CHANNEL_B2B, customer.size), pick(rng, _CHANNEL_B2C, customer.size)
    )
    keys = list(_CHANNEL_B2B)
    code = np.array([SALES_CHANNELS.index(SalesChannel(k)) for k in keys])
    return code[np.where(rng.random(customer.size) < 0.75, habit[customer], other)]


def discounts(ctx: Ctx, orders: Orders, lines: Lines, b2b: np.ndarray) -> np.ndarray:
    """Some orders get 5..15% off the subtotal, rounded down to Rp 500; B2B more often."""
    rng, n = ctx.rng, orders.n
    gets = rng.random(n) < np.where(b2b[orders.customer], 0.35, 0.18)
    rate = rng.uniform(0.05, 0.15, n)
    return np.where(gets, (lines.subtotal * rate // 500 * 500).astype(np.int64), 0)


def order_rows(
    ctx: Ctx, orders: Orders, discount: np.ndarray, gross: np.ndarray, cost: np.ndarray
) -> Rows:
    """The orders, with their summary (`gross`, `cost`: whole rupiah per order, from the lines)."""
    n = orders.n
    settled = orders.status != STATUSES.index(OrderStatus.PENDING)
    touched = orders.at + np.where(settled, ctx.rng.integers(HOUR, 5 * DAY, n), 0)
    return Rows(
        Order,
        n,
        {
            "id": np.arange(1, n + 1),
            "customer_id": orders.customer + 1,
            "ordered_at": Times(orders.at),
            "channel": Coded(orders.channel, SALES_CHANNELS),
            "status": Coded(orders.status, STATUSES),
            "discount": Money(discount),
            "gross_cents": gross.astype(np.int64) * 100,
            "cost_cents": cost.astype(np.int64) * 100,
            **versioned(orders.at, np.minimum(touched, ctx.as_of - 1)),
        },
    )


@dataclass
class History:
    """Per customer: purchases that count (not cancelled), the last one, and the stage."""

    purchases: np.ndarray
    last: np.ndarray  # NO_TIME without purchases
    stage: np.ndarray  # index into STAGES


def history(ctx: Ctx, orders: Orders, n_customers: int, subscribed: np.ndarray) -> History:
    """Lifecycle from orders: none -> prospect or subscriber (opted in to email), one ->
    customer, two or more -> repeat customer, none for CHURN_AFTER_DAYS -> churned."""
    counted = orders.status != STATUSES.index(OrderStatus.CANCELLED)
    purchases = np.bincount(orders.customer[counted], minlength=n_customers)
    last = np.full(n_customers, NO_TIME)
    np.maximum.at(last, orders.customer[counted], orders.at[counted])
    stage = np.select(
        [
            purchases == 0,
            last < ctx.as_of - CHURN_AFTER_DAYS * DAY,
            purchases == 1,
        ],
        [
            np.where(subscribed, STAGES.index(LifecycleStage.SUBSCRIBER),
                     STAGES.index(LifecycleStage.PROSPECT)),
            STAGES.index(LifecycleStage.CHURNED),
            STAGES.index(LifecycleStage.CUSTOMER),
        ],
        STAGES.index(LifecycleStage.REPEAT_CUSTOMER),
    )  # fmt: skip
    return History(purchases, last, stage)
