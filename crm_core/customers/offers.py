"""Next best offer: the purchase data behind co-purchase rules, and one customer's offers."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.analytics.recommendations import association_rules, next_best_offers
from crm_core.customers.value import sold_orders
from crm_core.kernel.frames import driver_integers
from crm_core.kernel.messages import msg, to_json
from crm_core.kernel.permissions import Actor, hidden_product_amounts
from crm_core.models import Order, OrderItem, Product

# A pair must be bought together by at least 0.5% of buyers to count as evidence.
MIN_SUPPORT = 0.005


def purchase_rules(session: Session, as_of: datetime) -> pd.DataFrame:
    """Co-purchase rules (antecedent, consequent, support, confidence, lift) over all buyers."""
    stmt = (
        select(Order.customer_id, OrderItem.product_id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(sold_orders(as_of))
    )
    # Deduplicated in pandas: SELECT DISTINCT over a million lines was 3x slower on SQLite.
    # From the driver into one integer array: ORM rows were most of the rules' time.
    lines = driver_integers(session, stmt, ["customer_id", "product_id"]).drop_duplicates()
    return association_rules(lines, MIN_SUPPORT)


def offers_for(
    session: Session,
    actor: Actor,
    rules: pd.DataFrame,
    customer_id: int,
    as_of: datetime,
    top_n: int = 3,
) -> pd.DataFrame:
    """Products this customer has not bought that buyers of its products buy, with the reason.

    Columns: product_id, name, category, price, unit_cost, margin (price less unit cost, per
    unit), because_of_name, support, confidence, lift, reason (with the figures), why (the
    reason in one plain line: "45% of customers who bought Kopi bought it too"). The product
    amounts the actor may not read (`hidden_product_amounts`) are None.
    """
    bought = set(
        session.scalars(
            select(OrderItem.product_id)
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.customer_id == customer_id, sold_orders(as_of))
            .distinct()
        )
    )
    catalogue = pd.DataFrame(
        session.execute(
            select(
                Product.id, Product.name, Product.category, Product.price, Product.unit_cost
            ).where(Product.deleted_at.is_(None), Product.active.is_(True))
        ).all(),
        columns=["product_id", "name", "category", "price", "unit_cost"],
    ).set_index("product_id")
    catalogue["margin"] = catalogue["price"] - catalogue["unit_cost"]
    for hidden in hidden_product_amounts(actor):  # support reads no price, sales no cost
        catalogue[hidden] = None
    names: dict[int, str] = dict(zip(catalogue.index, catalogue["name"], strict=True))
    on_sale = rules[rules["consequent"].isin(catalogue.index)]
    offers = next_best_offers(on_sale, bought, top_n=top_n, product_names=names)
    offers = offers.join(catalogue, on="product_id")
    offers["because_of_name"] = offers["because_of"].map(names)
    # The one line a salesperson reads; the rule's figures stay in their own columns.
    offers["why"] = [
        to_json(msg("offer.why", share=float(share), product=str(name or f"#{product}")))
        for share, name, product in zip(
            offers["confidence"], offers["because_of_name"], offers["because_of"], strict=True
        )
    ]
    return offers
