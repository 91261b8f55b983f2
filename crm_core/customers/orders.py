"""Orders: the write path (create with its lines; delete an import's orders) and line exports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from pydantic import Field, field_validator
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Customer, Order, OrderItem, Product, utcnow
from crm_core.models.enums import Entity, OrderStatus, SalesChannel

# What an order's audit entry lists of each line; its lines go and come with it.
ORDER_LINES = writepath.Lines(
    OrderItem, "order_id", ("product_id", "quantity", "unit_price", "unit_cost")
)

# An order "in the future" by more than this is a typo (a year, a day-month swap), not clock skew.
FUTURE_TOLERANCE = timedelta(days=1)


class OrderHeaderFields(_Input):
    """What an order holds besides its customer and lines (shared with the CSV import)."""

    ordered_at: datetime
    channel: SalesChannel
    status: OrderStatus = OrderStatus.COMPLETED
    discount: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    external_ref: str | None = Field(default=None, max_length=64)

    @field_validator("ordered_at")
    @classmethod
    def _utc_not_future(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)  # naive input is taken as UTC
        if value > utcnow() + FUTURE_TOLERANCE:
            raise ValueError(msg("validation.future"))
        return value


class OrderLineFields(_Input):
    quantity: int = Field(gt=0)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)


class OrderLineIn(OrderLineFields):
    product_id: int


class OrderIn(OrderHeaderFields):
    customer_id: int
    lines: list[OrderLineIn] = Field(min_length=1)


def discount_problem(discount: Decimal, lines_total: Decimal) -> Message | None:
    """Why a discount cannot apply to lines worth `lines_total`, or None."""
    if discount > lines_total:
        return msg("order.discount_over_total", total=lines_total)
    return None


def create_order(
    session: Session,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    import_batch_id: int | None = None,
) -> Order:
    """A new order with its lines; a line without a unit price sells at the product's price."""
    order_in = validate(OrderIn, data)
    require(actor, Entity.ORDER, Action.CREATE)
    with session.no_autoflush:  # these reads need nothing pending; each order flushes once
        products = _products(session, {line.product_id for line in order_in.lines})
        _check_references(session, order_in, products)
    items = [
        OrderItem(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=products[line.product_id].price if line.unit_price is None
            else line.unit_price,
            unit_cost=products[line.product_id].unit_cost,
        )
        for line in order_in.lines
    ]  # fmt: skip
    lines_total = sum((item.unit_price * item.quantity for item in items), Decimal("0"))
    problem = discount_problem(order_in.discount, lines_total)
    if problem:
        raise ValidationError({"discount": problem})
    header = order_in.model_dump(exclude={"lines"}) | {"import_batch_id": import_batch_id}
    total = {"total": (None, lines_total - order_in.discount)}
    order = Order(**summary(items))  # stored with its lines, in the same transaction
    return writepath.insert_with_lines(
        session, actor, Entity.ORDER, order, header, ORDER_LINES, items, noted=total
    )


def summary(items: list[OrderItem]) -> dict[str, int]:
    """An order's summary columns from its lines: quantity x unit price and x unit cost, in
    whole hundredths (what the value figures read instead of the lines)."""
    return {
        "gross_cents": sum(item.quantity * _hundredths(item.unit_price) for item in items),
        "cost_cents": sum(item.quantity * _hundredths(item.unit_cost) for item in items),
    }


def _hundredths(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value(ROUND_HALF_UP))


def _products(session: Session, ids: set[int]) -> dict[int, Any]:
    stmt = select(Product.id, Product.price, Product.unit_cost).where(
        Product.id.in_(ids), Product.deleted_at.is_(None)
    )
    return {row.id: row for row in session.execute(stmt)}


def _check_references(session: Session, order_in: OrderIn, products: Mapping[int, Any]) -> None:
    errors: dict[str, Message] = {}
    live = select(Customer.id).where(
        Customer.id == order_in.customer_id, Customer.deleted_at.is_(None)
    )
    if session.scalar(live) is None:
        errors["customer_id"] = msg("validation.no_customer", id=order_in.customer_id)
    unknown = sorted({line.product_id for line in order_in.lines} - set(products))
    if unknown:
        errors["lines"] = msg("order.no_product", ids=", ".join(f"#{p}" for p in unknown))
    if errors:
        raise ValidationError(errors)


def delete_imported(session: Session, actor: Actor, versions: Mapping[int, int]) -> int:
    """Delete (for good, lines included) the orders an import created, given id -> version.

    An order changed since the import is a conflict and nothing is deleted. Deleting rather than
    soft-deleting lets the corrected file be imported again: external refs stay unique.
    """
    return writepath.delete_for_good(
        session, actor, Entity.ORDER, Order, versions, ORDER_LINES, ("external_ref", "customer_id")
    )


EXPORT_COLUMNS = [
    "external_ref",
    "customer_external_id",
    "customer_email",
    "customer_phone",
    "ordered_at",
    "sku",
    "quantity",
    "unit_price",
    "discount",
    "channel",
    "status",
]


# An order without a ref of its own is exported as relasi-<id>, so that its lines stay one
# order when the file is imported; the import treats such refs as possibly already stored.
EXPORT_REF_PREFIX = "relasi-"


def order_lines(session: Session, actor: Actor) -> pd.DataFrame:
    """Every line of every order, in the columns the order import reads back (times in UTC)."""
    require(actor, Entity.ORDER, Action.READ)
    own_ref = func.coalesce(Order.external_ref, EXPORT_REF_PREFIX + cast(Order.id, String))
    stmt = (
        select(
            own_ref,
            Customer.external_id,
            Customer.email,
            Customer.phone,
            Order.ordered_at,
            Product.sku,
            OrderItem.quantity,
            OrderItem.unit_price,
            Order.discount,
            Order.channel,
            Order.status,
        )
        .join(Order, Order.id == OrderItem.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .join(Product, Product.id == OrderItem.product_id)
        .where(Order.deleted_at.is_(None))
        .order_by(Order.ordered_at, Order.id, OrderItem.id)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=EXPORT_COLUMNS)
    frame["ordered_at"] = frame["ordered_at"].map(
        lambda t: t.replace(tzinfo=UTC).isoformat() if t is not None else None
    )
    for column in ("channel", "status"):
        frame[column] = frame[column].map(str)
    return frame
