"""Products, orders and order lines: what customers buy, at what price and cost."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, SoftDeletable, Versioned, enum_column
from crm_core.models.enums import Entity, OrderStatus, SalesChannel


class Product(Versioned, SoftDeletable, Base):
    __tablename__ = "products"
    ENTITY = Entity.PRODUCT

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80), index=True)
    price: Mapped[Decimal]
    unit_cost: Mapped[Decimal]
    active: Mapped[bool] = mapped_column(default=True)


class Order(Versioned, SoftDeletable, Base):
    __tablename__ = "orders"
    ENTITY = Entity.ORDER

    id: Mapped[int] = mapped_column(primary_key=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ordered_at: Mapped[datetime]
    channel: Mapped[SalesChannel] = mapped_column(enum_column(SalesChannel))
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus), default=OrderStatus.COMPLETED
    )
    discount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    # The order's summary, in hundredths (exact on every engine): the lines' quantity x unit
    # price (before the discount) and quantity x unit cost. Written with the order and its
    # lines in one transaction by its write path (lines never change after), so that value
    # figures read orders, not every line; the margin is gross - discount - cost. NULL for an
    # order written around the write path (raw SQL): readers then sum its lines.
    gross_cents: Mapped[int | None] = mapped_column(BigInteger)
    cost_cents: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_orders_customer_id_ordered_at", "customer_id", "ordered_at"),
        Index("ix_orders_ordered_at", "ordered_at"),
        CheckConstraint("discount >= 0", name="discount_not_negative"),
    )


class OrderItem(Base):
    """A line of an order; price and cost are copied at sale time so history stays true."""

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    unit_cost: Mapped[Decimal]

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
