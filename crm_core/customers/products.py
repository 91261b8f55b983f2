"""Products (the catalogue orders sell from): list and search, create, edit, retire and bring
back, all through the write path. A retired product stays on past orders and in the figures;
it is no longer offered (next best offers); an orders import still finds it by SKU, as the
history it imports may sell it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from pydantic import Field, field_validator
from sqlalchemy import ColumnElement, func, null, or_, select
from sqlalchemy.orm import Session

from crm_core.customers.order_import import parse_amount
from crm_core.kernel import writepath
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.frames import query_frame
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor, hidden_product_amounts, require
from crm_core.models import Product
from crm_core.models.enums import Entity

PAGE_SIZE = 50
LIST_COLUMNS = ["id", "sku", "name", "category", "price", "unit_cost", "margin", "active",
                "version"]  # fmt: skip


class ProductIn(_Input):
    sku: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=80)
    price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    unit_cost: Decimal = Field(ge=0, max_digits=14, decimal_places=2)

    @field_validator("price", "unit_cost", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        # Typed as people write money: Rp 85.000, 85,000, 85000.
        if isinstance(value, str):
            parsed = parse_amount(value)
            return parsed if isinstance(parsed, Decimal) else value
        return value

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        # SKUs are compared as typed, but never with inner spaces a file would not match.
        if any(c.isspace() for c in value):
            raise ValueError(msg("validation.sku_spaces"))
        return value


EDITABLE_FIELDS = tuple(ProductIn.model_fields)


@dataclass(frozen=True)
class ProductFilter:
    query: str = ""  # part of the SKU or the name, any case
    categories: tuple[str, ...] = ()
    retired: bool = False  # True: the retired products only


@dataclass(frozen=True)
class ProductPage:
    rows: pd.DataFrame  # LIST_COLUMNS
    total: int
    hidden: tuple[str, ...] = ()  # amounts the reader may not see: blank (None) in rows


def form_values(product: Product) -> dict[str, Any]:
    return {field: getattr(product, field) for field in EDITABLE_FIELDS}


def get_product(session: Session, actor: Actor, product_id: int) -> Product:
    product = writepath.load(session, Product, product_id)
    require(actor, Entity.PRODUCT, Action.READ, product)
    return product


def list_products(
    session: Session, actor: Actor, wanted: ProductFilter, page: int = 0, size: int = PAGE_SIZE
) -> ProductPage:
    """One page of the catalogue by SKU, with each product's margin (price less unit cost);
    the amounts the actor may not read (permissions.hidden_product_amounts) are blank."""
    require(actor, Entity.PRODUCT, Action.READ)
    hidden = hidden_product_amounts(actor)
    p = Product
    where: list[ColumnElement[bool]] = [p.deleted_at.is_(None), p.active.is_(not wanted.retired)]
    if text := wanted.query.strip().lower():
        where.append(
            or_(
                func.lower(p.sku).contains(text, autoescape=True),
                func.lower(p.name).contains(text, autoescape=True),
            )
        )
    if wanted.categories:
        where.append(p.category.in_(wanted.categories))
    total = session.scalar(select(func.count()).select_from(p).where(*where)) or 0
    # What the actor may not read is not even read: blank (NULL) from the query itself.
    readable = {"price": p.price, "unit_cost": p.unit_cost, "margin": p.price - p.unit_cost}
    amounts = [(null() if n in hidden else e).label(n) for n, e in readable.items()]
    stmt = (
        select(p.id, p.sku, p.name, p.category, *amounts, p.active, p.version)
        .where(*where)
        .order_by(p.sku, p.id)
        .limit(size)
        .offset(page * size)
    )  # fmt: skip
    return ProductPage(query_frame(session, stmt, LIST_COLUMNS), int(total), hidden)


def categories(session: Session) -> list[str]:
    """Every category a live product has, alphabetically (the filter's and the form's choices)."""
    stmt = select(Product.category).where(Product.deleted_at.is_(None)).distinct()
    return sorted(str(c) for c in session.scalars(stmt))


def create_product(session: Session, actor: Actor, data: Mapping[str, Any]) -> Product:
    values = _validated(session, data, None)
    require(actor, Entity.PRODUCT, Action.CREATE)
    return writepath.insert(session, actor, Entity.PRODUCT, Product(active=True), values)


def update_product(
    session: Session, actor: Actor, product_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the fields in `data` over the version the user read; returns what changed."""
    product = writepath.load(session, Product, product_id)
    values = _validated(session, {**form_values(product), **data}, product.id)
    require(actor, Entity.PRODUCT, Action.UPDATE, product)
    return writepath.update(session, actor, Entity.PRODUCT, product, expected_version, values)


def set_retired(
    session: Session, actor: Actor, product_id: int, expected_version: int, retired: bool
) -> dict[str, tuple[Any, Any]]:
    """Retire a product (no longer sold or offered, kept on past orders), or bring it back."""
    product = writepath.load(session, Product, product_id)
    require(actor, Entity.PRODUCT, Action.UPDATE, product)
    values = {"active": not retired}
    return writepath.update(session, actor, Entity.PRODUCT, product, expected_version, values)


def products_by_sku(session: Session, skus: set[str]) -> dict[str, Product]:
    """The stored products (retired ones too) with these SKUs."""
    found: dict[str, Product] = {}
    ordered = sorted(skus)
    for low in range(0, len(ordered), 500):
        chunk = ordered[low : low + 500]
        stmt = select(Product).where(Product.sku.in_(chunk), Product.deleted_at.is_(None))
        found.update({p.sku: p for p in session.scalars(stmt)})
    return found


def _validated(session: Session, data: Mapping[str, Any], own_id: int | None) -> dict[str, Any]:
    values = validate(ProductIn, {f: data.get(f) for f in EDITABLE_FIELDS}).model_dump()
    taken = session.scalar(
        select(Product.id).where(func.lower(Product.sku) == values["sku"].lower())
    )
    if taken is not None and taken != own_id:
        raise ValidationError({"sku": msg("validation.sku_taken", id=taken)})
    return values
