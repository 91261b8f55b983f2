"""The catalogue and the baskets: which products sell, at what price, and what goes together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_core.models import OrderItem, Product
from db.demo.catalog import (
    AFFINITY,
    CATEGORY_SHARE,
    ITEMS,
    PRICE_CEILING,
    PRICE_FLOOR,
    SKU_PREFIX,
    Category,
)
from db.demo.context import DAY, Ctx
from db.demo.reference import CONSUMER_BUYS, INDUSTRIES
from db.demo.writer import Const, Money, Rows, versioned

CATEGORIES = list(Category)
MAX_LINES = 6
PARTNER_SHARE = 0.4  # of lines after the first: a product that goes with the first one


@dataclass
class Catalog:
    rows: Rows
    category: np.ndarray  # index into CATEGORIES
    price: np.ndarray  # whole rupiah
    cost: np.ndarray
    weight: np.ndarray  # popularity within its category, sums to 1 per category
    partners: np.ndarray  # (n, 2) products bought with each product
    members: list[np.ndarray]  # product indices per category


def build_catalog(ctx: Ctx) -> Catalog:
    rng = ctx.rng
    chosen = _choose_items(ctx)
    category = np.array([CATEGORIES.index(c) for c, _, _ in chosen])
    base = np.array([b for _, _, b in chosen], dtype=np.float64)
    price = np.clip(np.round(base * rng.uniform(0.9, 1.1, len(base)) / 500) * 500,
                    PRICE_FLOOR, PRICE_CEILING).astype(np.int64)  # fmt: skip
    cost = (np.round(price * rng.uniform(0.4, 0.8, len(price)) / 100) * 100).astype(np.int64)
    members = [np.flatnonzero(category == c) for c in range(len(CATEGORIES))]
    weight = np.zeros(len(chosen))
    for index in members:
        rank = rng.permutation(len(index))
        weight[index] = 1 / (rank + 1) ** 0.9
        weight[index] /= weight[index].sum()
    partners = _partners(ctx, category, weight, members)
    return Catalog(_product_rows(ctx, chosen, price, cost), category, price, cost, weight,
                   partners, members)  # fmt: skip


def _choose_items(ctx: Ctx) -> list[tuple[Category, str, int]]:
    """`products` items with every pack size, spread over categories by CATEGORY_SHARE."""
    offers: dict[Category, list[tuple[Category, str, int]]] = {c: [] for c in CATEGORIES}
    for category, item, base, packs in ITEMS:
        for suffix, factor in packs:
            offers[category].append((category, f"{item} {suffix}".strip(), round(base * factor)))
    want = ctx.size.products
    quota = {c: min(len(offers[c]), round(want * CATEGORY_SHARE[c])) for c in CATEGORIES}
    for c in sorted(CATEGORIES, key=lambda c: len(offers[c]) - quota[c], reverse=True):
        quota[c] += min(len(offers[c]) - quota[c], max(0, want - sum(quota.values())))
    chosen: list[tuple[Category, str, int]] = []
    for c in CATEGORIES:
        picks = sorted(ctx.rng.permutation(len(offers[c]))[: quota[c]])
        chosen.extend(offers[c][i] for i in picks)
    return chosen[:want]


def _partners(
    ctx: Ctx, category: np.ndarray, weight: np.ndarray, members: list[np.ndarray]
) -> np.ndarray:
    """Two companions per product, from categories that sell with its own."""
    out = np.zeros((len(category), 2), dtype=np.int64)
    for p, c in enumerate(category.tolist()):
        affinity = AFFINITY[CATEGORIES[c]]
        for slot in range(2):
            other = CATEGORIES.index(ctx.rnd.choices(list(affinity), list(affinity.values()))[0])
            candidates = members[other][members[other] != p]
            p_weights = weight[candidates] / weight[candidates].sum()
            out[p, slot] = ctx.rng.choice(candidates, p=p_weights)
    return out


def _product_rows(
    ctx: Ctx, chosen: list[tuple[Category, str, int]], price: np.ndarray, cost: np.ndarray
) -> Rows:
    n = len(chosen)
    counters = dict.fromkeys(CATEGORIES, 0)
    skus = []
    for category, _, _ in chosen:
        counters[category] += 1
        skus.append(f"{SKU_PREFIX[category]}-{counters[category]:04d}")
    listed = ctx.start - ctx.rng.integers(30, 600, n) * DAY
    return Rows(
        Product,
        n,
        {
            "id": np.arange(1, n + 1),
            "sku": skus,
            "name": [name for _, name, _ in chosen],
            "category": [c.value for c, _, _ in chosen],
            "price": Money(price),
            "unit_cost": Money(cost),
            "active": Const(True),
            **versioned(listed),
        },
    )


@dataclass
class Lines:
    order: np.ndarray  # order index (id - 1), sorted
    product: np.ndarray  # product index (id - 1)
    quantity: np.ndarray
    subtotal: np.ndarray  # per order, whole rupiah


def start_weights() -> np.ndarray:
    """Per customer profile (0 consumer, 1 + industry): chance of each category first."""
    profiles = [CONSUMER_BUYS] + [ind.buys for ind in INDUSTRIES]
    table = np.array([[p.get(c, 0.0) for c in CATEGORIES] for p in profiles], dtype=np.float64)
    weights: np.ndarray = table / table.sum(axis=1, keepdims=True)
    return weights


def build_lines(
    ctx: Ctx, catalog: Catalog, favourite: np.ndarray, profile: np.ndarray, b2b: np.ndarray
) -> Lines:
    """1..6 lines per order (arrays given per order): a first product from the buyer's taste,
    then products that go with it."""
    rng, n_orders = ctx.rng, favourite.size
    count = np.clip(1 + rng.poisson(np.where(b2b, 2.4, 1.3)), 1, MAX_LINES)
    order = np.repeat(np.arange(n_orders), count)
    position = np.arange(order.size) - np.repeat(np.cumsum(count) - count, count)
    fav = favourite[order]
    first = np.flatnonzero(position == 0)
    opening = np.where(rng.random(n_orders) < 0.6, favourite, favourites(ctx, profile))
    product = np.zeros(order.size, dtype=np.int64)
    product[first] = _draw_in(ctx, catalog, opening)
    anchor = product[first][order]
    rest = np.flatnonzero(position > 0)
    companion = rng.random(rest.size) < PARTNER_SHARE
    slot = rng.integers(0, 2, rest.size)
    product[rest] = np.where(
        companion,
        catalog.partners[anchor[rest], slot],
        _draw_in(ctx, catalog, _next_category(ctx, catalog.category[anchor[rest]], fav[rest])),
    )
    keep = np.sort(np.unique(order * len(catalog.category) + product, return_index=True)[1])
    order, product, b2b_line = order[keep], product[keep], b2b[order[keep]]
    quantity = np.where(b2b_line, np.minimum(rng.geometric(0.18, keep.size), 60),
                        np.minimum(rng.geometric(0.65, keep.size), 6))  # fmt: skip
    subtotal = np.bincount(order, catalog.price[product] * quantity, minlength=n_orders)
    return Lines(order, product, quantity, subtotal.astype(np.int64))


def _next_category(ctx: Ctx, anchor_category: np.ndarray, favourite: np.ndarray) -> np.ndarray:
    """Half the time the buyer's favourite category, else what sells with the anchor."""
    table = np.array([[AFFINITY[a].get(b, 0) for b in CATEGORIES] for a in CATEGORIES], float)
    cumulative = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = ctx.rng.random(anchor_category.size)
    by_affinity = (u[:, None] > cumulative[anchor_category]).sum(axis=1)
    return np.where(ctx.rng.random(anchor_category.size) < 0.5, favourite, by_affinity)


def _draw_in(ctx: Ctx, catalog: Catalog, category: np.ndarray) -> np.ndarray:
    """One product per entry, by popularity within the given category."""
    out = np.zeros(category.size, dtype=np.int64)
    for c, members in enumerate(catalog.members):
        where = np.flatnonzero(category == c)
        if where.size:
            out[where] = ctx.rng.choice(members, where.size, p=catalog.weight[members])
    return out


def line_costs(lines: Lines, catalog: Catalog, n_orders: int) -> np.ndarray:
    """Each order's lines at unit cost (whole rupiah), as `Lines.subtotal` is at price."""
    cost = np.bincount(lines.order, catalog.cost[lines.product] * lines.quantity, n_orders)
    return np.rint(cost).astype(np.int64)


def line_rows(lines: Lines, catalog: Catalog) -> Rows:
    """Order items with price and cost copied from the product, ids in order of their order."""
    n = lines.order.size
    return Rows(
        OrderItem,
        n,
        {
            "id": np.arange(1, n + 1),
            "order_id": lines.order + 1,
            "product_id": lines.product + 1,
            "quantity": lines.quantity,
            "unit_price": Money(catalog.price[lines.product]),
            "unit_cost": Money(catalog.cost[lines.product]),
        },
    )


def favourites(ctx: Ctx, profile: np.ndarray) -> np.ndarray:
    """Each customer's favourite category, drawn from what their kind of buyer starts with."""
    cumulative = np.cumsum(start_weights(), axis=1)[profile]
    favourite: np.ndarray = (ctx.rng.random(profile.size)[:, None] > cumulative).sum(axis=1)
    return favourite
