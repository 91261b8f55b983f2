"""Product import: a catalogue file (SKU, name, category, price, unit cost) previewed line by
line, committed through the products' write path, and reverted as a whole.

A product is found by its SKU as typed. Create only skips SKUs already stored; create or
update changes the stored product's fields the file has; update only skips unknown SKUs.
Prices read as people write them (Rp 1.250.000, 1,250,000.50). A revert deletes the
products the import created (unless an order sells them since) and puts updated ones back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import products
from crm_core.customers.order_import import parse_amount
from crm_core.exchange.importing import (
    FIRST_LINE,
    ImportMode,
    ImportPreview,
    MatchKey,
    Progress,
    RevertRefused,
    RowAction,
    RowOutcome,
    RowStatus,
    StalePreview,
    check_mapping,
    finish_batch,
    mapped_records,
    new_batch,
    progress_every,
)
from crm_core.kernel import writepath
from crm_core.kernel.errors import (
    ConflictError,
    CRMError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import Message, label, msg
from crm_core.kernel.permissions import Action, Actor, allowed, require
from crm_core.models import ImportBatch, OrderItem, Product
from crm_core.models.enums import Entity

KIND = "products"  # the importer's kind, stored on its batches

PRODUCT_FIELDS: dict[str, tuple[str, ...]] = {
    "sku": ("kodeproduk", "productcode", "kodebarang", "itemcode", "productsku", "kode", "code",
            "artikel", "plu"),
    "name": ("productname", "namaproduk", "namabarang", "nama", "product", "produk", "barang",
             "item", "description"),
    "category": ("kategori", "productcategory", "kategoriproduk", "jenis", "group", "golongan"),
    "price": ("harga", "hargajual", "sellingprice", "unitprice", "hargasatuan", "listprice"),
    "unit_cost": ("cost", "hpp", "hargapokok", "hargabeli", "modal", "costprice", "unitcost",
                  "cogs", "purchaseprice"),
}  # fmt: skip
ALL_FIELDS = set(PRODUCT_FIELDS)


def _coerce(raw: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = dict(raw)
    for field in ("price", "unit_cost"):
        if field in raw:
            values[field] = parse_amount(raw[field])
    return values


def preview_products(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    mode: ImportMode | str = ImportMode.CREATE_ONLY,
    match_key: MatchKey | str = MatchKey.EMAIL,  # the framework's argument; products match by SKU
) -> ImportPreview:
    """What importing these catalogue lines would do, line by line; nothing is written."""
    mode = ImportMode(mode)
    for action in (Action.CREATE, Action.UPDATE):
        if not allowed(actor, Entity.PRODUCT, action):
            raise PermissionDenied(
                "error.permission", role=label(actor.role), action=label(action),
                entities=Message("entities.product"),
            )  # fmt: skip
    required = {"sku"} if mode is ImportMode.UPDATE_ONLY else ALL_FIELDS
    check_mapping(frame, mapping, PRODUCT_FIELDS, required)
    parsed = [_coerce(raw) for raw in mapped_records(frame, mapping)]
    stored = products.products_by_sku(session, {str(v["sku"]) for v in parsed if v.get("sku")})
    seen: dict[str, int] = {}
    rows = [_plan(i + FIRST_LINE, values, mode, stored, seen) for i, values in enumerate(parsed)]
    return ImportPreview(KIND, mode, MatchKey(match_key), dict(mapping), frame,
                         rows)  # fmt: skip


def _plan(
    line: int, values: dict[str, Any], mode: ImportMode, stored: Mapping[str, Product],
    seen: dict[str, int],
) -> RowOutcome:  # fmt: skip
    outcome = RowOutcome(line, values={})
    if not values:
        outcome.skip(RowStatus.EMPTY, msg("import.empty_row"))
        return outcome
    sku = str(values.get("sku") or "")
    target = stored.get(sku)
    if target is None and sku and mode is ImportMode.UPDATE_ONLY:
        outcome.skip(RowStatus.UNMATCHED, msg("import.no_product", sku=sku))
        return outcome
    current = products.form_values(target) if target is not None else {}
    try:
        model = validate(products.ProductIn, {**current, **values})
    except ValidationError as exc:
        outcome.reject(exc.field_errors)
        return outcome
    if sku in seen:
        outcome.skip(RowStatus.DUPLICATE, msg("import.same_sku_as_row", sku=sku, row=seen[sku]))
        return outcome
    seen[sku] = line
    dumped = model.model_dump()
    if target is None:
        outcome.values = dumped
        return outcome
    if mode is ImportMode.CREATE_ONLY:
        outcome.skip(RowStatus.DUPLICATE, msg("import.product_exists", sku=sku, id=target.id))
        return outcome
    outcome.action, outcome.target_id = RowAction.UPDATE, target.id
    outcome.target_version = target.version
    outcome.values = {f: v for f, v in dumped.items() if f in values}
    if all(dumped[f] == current.get(f) for f in values):
        outcome.skip(RowStatus.UNCHANGED, msg("import.product_unchanged", id=target.id))
    return outcome


def commit_products(
    session: Session,
    actor: Actor,
    preview: ImportPreview,
    filename: str,
    progress: Progress | None = None,
) -> ImportBatch:
    """Create and update the preview's valid products in the caller's transaction."""
    fresh = preview_products(
        session, actor, preview.frame, preview.mapping, preview.mode, preview.match_key
    )
    if fresh.plan() != preview.plan():
        raise StalePreview("import.stale_products")
    if fresh.valid == 0:
        raise CRMError("import.nothing_valid")
    batch = new_batch(session, actor, fresh, filename)
    undo: dict[str, Any] = {}
    write_products(session, actor, batch, fresh.rows, fresh, undo, progress)
    return finish_batch(session, actor, batch, fresh, undo)


def write_products(
    session: Session,
    actor: Actor,
    batch: ImportBatch,
    rows: list[RowOutcome],
    whole: ImportPreview,
    undo: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    """Create and update planned products (a chunk of an import); `undo` gathers the revert."""
    created: list[Any] = undo.setdefault("created", [])
    updated: list[Any] = undo.setdefault("updated", [])
    tick = progress_every(len(rows), progress)
    for done, row in enumerate(rows, start=1):
        if row.action is RowAction.CREATE:
            product = products.create_product(session, actor, row.values)
            created.append((product.id, product.version))
            row.record_id = product.id
        elif row.action is RowAction.UPDATE and row.target_id is not None:
            before = products.form_values(writepath.load(session, Product, row.target_id))
            version = row.target_version or 0
            changed = products.update_product(session, actor, row.target_id, version, row.values)
            if changed:
                undo_ = {f: _json(before[f]) for f in changed}
                updated.append({"id": row.target_id, "version": version + 1, "before": undo_})
            row.record_id = row.target_id
        tick(done)


def _json(value: Any) -> Any:
    return str(value) if not isinstance(value, str | int | None) else value


def export_products(session: Session, actor: Actor) -> pd.DataFrame:
    """The live catalogue (retired products too), in the columns this import reads back."""
    require(actor, Entity.PRODUCT, Action.READ)
    stmt = (
        select(Product.sku, Product.name, Product.category, Product.price, Product.unit_cost)
        .where(Product.deleted_at.is_(None))
        .order_by(Product.sku)
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=list(PRODUCT_FIELDS))


def revert_products(session: Session, actor: Actor, report: Mapping[str, Any]) -> None:
    """Created products deleted (refused once an order sells one), updated ones put back."""
    versions = {int(i): int(v) for i, v in report.get("created", [])}
    product_id = 0
    sold = session.scalar(
        select(func.min(OrderItem.product_id)).where(OrderItem.product_id.in_(list(versions)))
    )
    if sold is not None:
        raise RevertRefused("revert.product_sold", id=sold)
    try:
        for item in report.get("updated", []):
            product_id = int(item["id"])
            products.update_product(session, actor, product_id, item["version"], item["before"])
        for product_id, version in versions.items():  # one by one: the refusal names it
            writepath.delete_for_good(
                session, actor, Entity.PRODUCT, Product, {product_id: version}, audited=("sku",)
            )
    except ConflictError:
        raise RevertRefused("revert.product_changed", id=product_id) from None
    except NotFound:
        raise RevertRefused("revert.product_gone", id=product_id) from None
