"""A product's amounts as each role reads them from the catalogue: a salesperson the list
price it quotes, not the unit cost or the margin; support none of them; managers and admins
all three."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from crm_core.customers import products
from crm_core.customers.products import ProductFilter
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from db.session import session_scope
from support import make_user

KOPI = {"sku": "KOPI-250", "name": "Kopi Toraja 250 g", "category": "coffee",
        "price": "85000", "unit_cost": "52000"}  # fmt: skip
ALL: dict[str, Decimal | None] = {
    "price": Decimal(85000),
    "unit_cost": Decimal(52000),
    "margin": Decimal(33000),
}
READ: dict[Role, dict[str, Decimal | None]] = {
    Role.ADMIN: ALL,
    Role.MANAGER: ALL,
    Role.SALES: {"price": Decimal(85000), "unit_cost": None, "margin": None},
    Role.SUPPORT: {"price": None, "unit_cost": None, "margin": None},
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reads_only_the_product_amounts_it_may(
    role: Role, engine: Engine, manager: Actor
) -> None:
    reader = manager if role is Role.MANAGER else make_user(engine, role)
    with session_scope(engine) as s:
        products.create_product(s, manager, KOPI)
    with session_scope(engine, write=False) as s:
        found = products.list_products(s, reader, ProductFilter())
    row = found.rows.iloc[0]
    read = {field: None if row[field] is None else Decimal(row[field]) for field in ALL}
    assert read == READ[role]
    assert row["sku"] == "KOPI-250" and row["name"] == "Kopi Toraja 250 g"  # the rest: as is
    assert set(found.hidden) == {f for f, v in READ[role].items() if v is None}
