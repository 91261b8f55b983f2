"""Order import: lines grouped into orders by their external ref, planned, committed, reverted.

Rows that share an external ref are the lines of one order (taken from its first line: customer,
time, channel, status, discount); a row without a ref is an order of one line. A date without a
time is that day's midnight in the team's time zone (stored as its UTC instant).

Every line of the file is a purchase: two identical lines on the same day without a ref are two
orders. A re-import is caught otherwise, and the user decides: an order whose ref is already
stored is a duplicate; without a ref, an order of the same customer at the same time as a
stored one is a likely duplicate (skipped unless the user chooses `keep_stored_matches`); and
the preview says so when the very same file was imported before (its fingerprint), or how many
of its lines overlap stored orders. One bad line keeps its whole order out, and every line says
why. Orders are only ever created (mode create only); a line without a unit price sells at the
product's price.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import orders
from crm_core.customers.customer_import import Known, lookup, row_keys
from crm_core.exchange import importing
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
    chunks,
    finish_batch,
    mapped_records,
    new_batch,
    parse_choice,
    progress_every,
)
from crm_core.kernel.errors import ConflictError, CRMError, PermissionDenied, ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.messages import N_, Message, label, msg, msgn
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.kernel.settings import team_settings
from crm_core.models import ImportBatch, Order, Product
from crm_core.models.enums import Entity

KIND = "orders"  # the importer's kind, stored on its batches

CUSTOMER_FIELD = {
    MatchKey.EMAIL: "customer_email",
    MatchKey.PHONE: "customer_phone",
    MatchKey.EXTERNAL_ID: "customer_external_id",
}
HEADER_FIELDS = ("ordered_at", "channel", "status", "discount", "external_ref")
ORDER_FIELDS: dict[str, tuple[str, ...]] = {
    "external_ref": ("orderid", "ordernumber", "noorder", "nopesanan", "nomorpesanan", "invoice",
                     "noinvoice", "nofaktur", "faktur", "reference", "orderref", "idpesanan",
                     "notransaksi", "transactionid", "ref"),
    "customer_email": ("email", "emailpelanggan", "customeremail", "emailaddress", "surel"),
    "customer_phone": ("phone", "telepon", "telp", "nohp", "hp", "nomorhp", "whatsapp", "wa",
                       "customerphone", "notelp"),
    "customer_external_id": ("customerid", "idpelanggan", "kodepelanggan", "customercode",
                             "customerexternalid"),
    "ordered_at": ("orderedat", "orderdate", "date", "tanggal", "tanggalpesanan", "tglpesanan",
                   "tgl", "waktu", "tanggaltransaksi", "datetime", "time"),
    "sku": ("kodeproduk", "productcode", "kodebarang", "itemcode", "productsku"),
    "quantity": ("qty", "jumlah", "kuantitas", "jml", "pcs"),
    "unit_price": ("price", "harga", "hargasatuan", "hargaunit"),
    "discount": ("diskon", "potongan", "disc"),
    "channel": ("saluran", "kanal", "saleschannel"),
    "status": ("statuspesanan", "orderstatus"),
    # only read for an SKU the catalogue does not have, when the user asks to create it
    "product_name": ("productname", "namaproduk", "namabarang", "product", "produk", "item"),
    "product_category": ("category", "kategori", "productcategory", "kategoriproduk"),
    "unit_cost": ("unitcost", "cost", "hpp", "hargapokok", "modal", "hargabeli"),
}  # fmt: skip
NEW_PRODUCT_CATEGORY = "imported"  # a created product's category when the file has none
_CHANNELS = {"toko": "store", "offline": "store", "gerai": "store", "outlet": "store",
             "web": "online", "website": "online", "situs": "online", "tokopedia": "marketplace",
             "shopee": "marketplace", "lazada": "marketplace", "bukalapak": "marketplace",
             "blibli": "marketplace", "tiktok shop": "marketplace", "sales": "sales rep",
             "salesrep": "sales rep"}  # fmt: skip
_STATUSES = {"selesai": "completed", "lunas": "completed", "complete": "completed",
             "done": "completed", "batal": "cancelled", "dibatalkan": "cancelled",
             "canceled": "cancelled", "retur": "returned", "dikembalikan": "returned",
             "menunggu": "pending", "diproses": "pending"}  # fmt: skip
_TIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y %H:%M",
                 "%d-%m-%Y", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d/%m/%Y %H.%M")  # fmt: skip


class OrderRowIn(orders.OrderHeaderFields, orders.OrderLineFields):
    """One CSV line: its order's fields and its own (the forms' rules, field by field)."""


class NewProductIn(_Input):
    """A product an orders import creates for an SKU the catalogue does not have (the product
    form's bounds; its SKU checked by the import, which found it unknown)."""

    sku: str = Field(min_length=1, max_length=40, pattern=r"^\S+$")
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=80)
    price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    unit_cost: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


def new_or(product: tuple[int, Decimal] | None, new: Mapping[str, Any] | None) -> Decimal:
    """The price of a line without one: the stored product's, else the new product's."""
    if product is not None:
        return product[1]
    assert new is not None
    return Decimal(new["price"])


def parse_time(text: str, zone: str) -> datetime | str:
    """ISO (with or without offset) or day-first; a time without offset is local to `zone`."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(text.strip(), fmt)
                break
            except ValueError:
                continue
        else:
            return text
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


def parse_amount(text: str) -> Decimal | str:
    """Rp 1.250.000 / 1,250,000.50 / 1250000,5 -> Decimal; the text itself if not a number.

    A lone separator followed by exactly three digits groups thousands (Rupiah has no cents).
    """
    cleaned = re.sub(r"(?i)^\s*(rp|idr)\.?\s*", "", text).replace(" ", "")
    if "," in cleaned and "." in cleaned:
        decimal_sep = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_sep, ".")
    elif re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,]", "", cleaned)
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return text
    # "INF" and "NaN" are Decimals too: the text, so that validation names the field (an
    # infinite quantity crashed the preview with an OverflowError).
    return amount if amount.is_finite() else text


def coerce(raw: Mapping[str, str], zone: str) -> dict[str, Any]:
    values: dict[str, Any] = dict(raw)
    if "ordered_at" in raw:
        values["ordered_at"] = parse_time(raw["ordered_at"], zone)
    for field in ("unit_price", "discount", "quantity", "unit_cost"):
        if field in raw:
            values[field] = parse_amount(raw[field])
    quantity = values.get("quantity")
    if isinstance(quantity, Decimal) and quantity == quantity.to_integral_value():
        values["quantity"] = int(quantity)
    if "channel" in raw:
        values["channel"] = parse_choice(raw["channel"], _CHANNELS)
    if "status" in raw:
        values["status"] = parse_choice(raw["status"], _STATUSES)
    return values


def _own_ref(ref: str | None) -> bool:
    """A ref the order's source gave it (not none, not one our export made up)."""
    return bool(ref) and not str(ref).startswith(orders.EXPORT_REF_PREFIX)


def _group_key(line: int, values: Mapping[str, Any]) -> str:
    return str(values["external_ref"]) if values.get("external_ref") else f"line {line}"


def preview_orders(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    mode: ImportMode | str = ImportMode.CREATE_ONLY,
    match_key: MatchKey | str = MatchKey.EMAIL,
    zone: str | None = None,
    keep_stored_matches: bool = False,
    create_products: bool = False,
) -> ImportPreview:
    """What importing these order lines would do, line by line; nothing is written.

    A time without an offset in the file is local to `zone`, else to the team's time zone.
    `keep_stored_matches`: import lines without a ref that match a stored order of the same
    customer at the same time (the user says they are new purchases) instead of skipping them.
    The preview's notices say whether this file was imported before and how many lines overlap
    stored orders, and list the SKUs the catalogue does not have. `create_products`: those
    SKUs become products in the same transaction as the orders (name and category from the
    file's product columns, else the SKU and "imported"; price from the first line selling
    it; unit cost from the file, else 0); a revert of the import removes them again.
    """
    zone = zone or team_settings(session).time_zone
    mode, match_key = ImportMode(mode), MatchKey(match_key)
    if mode is not ImportMode.CREATE_ONLY:
        raise CRMError("import.orders_create_only")
    if not allowed(actor, Entity.ORDER, Action.CREATE):
        raise PermissionDenied(
            "error.permission", role=label(actor.role), action=label(Action.CREATE),
            entities=Message("entities.order"),
        )  # fmt: skip
    required = {CUSTOMER_FIELD[match_key], "ordered_at", "sku", "quantity", "channel"}
    check_mapping(frame, mapping, ORDER_FIELDS, required)
    if create_products and not allowed(actor, Entity.PRODUCT, Action.CREATE):
        raise PermissionDenied(
            "error.permission", role=label(actor.role), action=label(Action.CREATE),
            entities=Message("entities.product"),
        )  # fmt: skip
    parsed = [coerce(raw, zone) for raw in mapped_records(frame, mapping)]
    planner = _OrderPlanner(session, match_key, parsed, keep_stored_matches, create_products)
    rows = planner.plan_all()
    options: dict[str, Any] = {"zone": zone, "keep_stored_matches": keep_stored_matches,
                               "create_products": create_products}  # fmt: skip
    preview = ImportPreview(KIND, mode, match_key, dict(mapping), frame, rows, options)
    preview.notices.extend(_same_file(session, fingerprint(frame)))
    if planner.stored_matches:
        matches = planner.stored_matches
        preview.notices.append(
            msgn("import.overlap_kept", matches)
            if keep_stored_matches
            else msgn("import.overlap_skipped", matches)
        )
    if planner.unknown_skus:
        unknown = sorted(planner.unknown_skus)
        listed = ", ".join(unknown)
        preview.notices.append(
            msgn("import.new_products", len(unknown), skus=listed)
            if create_products
            else msgn("import.unknown_skus", len(unknown), skus=listed)
        )
    return preview


def fingerprint(frame: pd.DataFrame) -> str:
    """The file's content as a SHA-256 (its cells and headers, not its name or encoding)."""
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_file(session: Session, print_: str) -> list[Message]:
    """A notice for each earlier, not reverted, orders import of the very same content."""
    stmt = (
        select(ImportBatch.id, ImportBatch.filename, ImportBatch.at,
               ImportBatch.report["fingerprint"].label("fingerprint"))
        .where(ImportBatch.kind == KIND, ImportBatch.reverted_at.is_(None))
        .order_by(ImportBatch.at)
    )  # fmt: skip
    return [
        msg("import.same_file", id=batch_id, filename=name, at=at)
        for batch_id, name, at, stored in session.execute(stmt)
        if stored == print_
    ]


class _OrderPlanner:
    """Looks up customers, products and stored refs in bulk, then plans order by order."""

    def __init__(
        self, session: Session, key: MatchKey, parsed: list[dict[str, Any]], keep: bool = False,
        create: bool = False,
    ) -> None:  # fmt: skip
        self.session, self.key, self.parsed, self.keep = session, key, parsed, keep
        self.create = create  # unknown SKUs become products
        self.unknown_skus: set[str] = set()
        self.new_products: dict[str, dict[str, Any] | None] = {}  # SKU -> product, None if bad
        self.stored_matches = 0  # lines matching a stored order of that customer at that time
        field = CUSTOMER_FIELD[key]
        self.customer_keys = [self._customer_key(v.get(field)) for v in parsed]
        self.customers = lookup(session, key, {k for k in self.customer_keys if k})
        skus = {str(v["sku"]) for v in parsed if v.get("sku")}
        self.products = self._products(skus)
        refs = {str(v["external_ref"]) for v in parsed if v.get("external_ref")}
        self.stored_refs = self._stored_refs(refs)

    def _customer_key(self, value: Any) -> str | None:
        if not value:
            return None
        return row_keys({self.key.value: value}).get(self.key)

    def _products(self, skus: set[str]) -> dict[str, tuple[int, Decimal]]:
        found: dict[str, tuple[int, Decimal]] = {}
        for chunk in chunks(sorted(skus)):
            stmt = select(Product.sku, Product.id, Product.price).where(
                Product.sku.in_(chunk), Product.deleted_at.is_(None)
            )
            found.update({sku: (pid, price) for sku, pid, price in self.session.execute(stmt)})
        return found

    def _stored_refs(self, refs: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(sorted(refs)):
            stmt = select(Order.external_ref, Order.id).where(Order.external_ref.in_(chunk))
            rows = self.session.execute(stmt)  # `IN (...)` never matches a NULL ref
            found.update({ref: order_id for ref, order_id in rows if ref is not None})
        return found

    def plan_all(self) -> list[RowOutcome]:
        rows = [RowOutcome(i + FIRST_LINE, values={}) for i in range(len(self.parsed))]
        groups: dict[str, list[int]] = defaultdict(list)
        for i, values in enumerate(self.parsed):
            if not values:
                rows[i].skip(RowStatus.EMPTY, msg("import.empty_row"))
            else:
                rows[i].group = group = _group_key(rows[i].row, values)
                groups[group].append(i)
        for members in groups.values():
            self._plan_order([rows[i] for i in members], members)
        self._same_time_duplicates([r for r in rows if r.action is RowAction.CREATE])
        return rows

    def _plan_order(self, rows: list[RowOutcome], members: list[int]) -> None:
        first = (rows[0].row, self.parsed[members[0]], self.customer_keys[members[0]])
        header: dict[str, Any] = {}
        for row, i in zip(rows, members, strict=True):
            header = self._plan_line(row, self.parsed[i], first, self.customer_keys[i]) or header
        total = sum(
            (r.values["line"]["quantity"] * r.values["line"]["unit_price"] for r in rows
             if r.status is RowStatus.OK), Decimal("0"),
        )  # fmt: skip
        problem = orders.discount_problem(header["discount"], total) if header else None
        if problem and rows[0].status is RowStatus.OK:
            rows[0].reject({"discount": problem})
        bad = [r.row for r in rows if r.status is RowStatus.BAD]
        ref = first[1].get("external_ref")
        for row in rows:
            if bad and row.status is RowStatus.OK:
                listed = ", ".join(str(b) for b in bad)
                row.skip(RowStatus.BAD, msg("import.other_line_bad", rows=listed))
            elif ref and str(ref) in self.stored_refs and row.status is RowStatus.OK:
                existing = self.stored_refs[str(ref)]
                row.skip(RowStatus.DUPLICATE, msg("import.order_exists", ref=ref, id=existing))
            elif row.status is RowStatus.OK:
                row.values["header"] = header

    def _plan_line(
        self, row: RowOutcome, values: dict[str, Any], first_line: tuple[int, Any, Any],
        key: str | None,
    ) -> dict[str, Any] | None:  # fmt: skip
        """Validate one line over its order's first line; the order's header when valid."""
        line_no, first, first_key = first_line
        own = {f: v for f, v in values.items() if f in HEADER_FIELDS}
        merged = {**{f: first[f] for f in HEADER_FIELDS if f in first}, **own}
        line: dict[str, Any] = {f: values[f] for f in ("quantity", "unit_price") if f in values}
        errors: dict[str, Message] = {}
        try:
            model = validate(OrderRowIn, {**merged, **line})
        except ValidationError as exc:
            errors.update(exc.field_errors)
            model = None
        differs = [f for f in own if f in first and own[f] != first[f]]
        errors.update({f: msg("import.differs", row=line_no) for f in differs})
        if key is None and CUSTOMER_FIELD[self.key] not in values:
            key = first_key  # a later line may leave the customer to the first
        elif key != first_key and first_key is not None:
            errors[CUSTOMER_FIELD[self.key]] = msg("import.differs", row=line_no)
        customer = self._customer(values, key, errors)
        sku = str(values.get("sku", ""))
        product = self.products.get(sku)
        new = None
        if values.get("sku") and product is None:
            self.unknown_skus.add(sku)
            new = self._new_product(sku, values, errors) if self.create else None
            if not self.create:
                errors["sku"] = msg("import.no_sku", sku=values["sku"])
        elif not values.get("sku"):
            errors["sku"] = msg("validation.required")
        if errors or model is None or customer is None or (product is None and new is None):
            row.reject(errors)
            return None
        price = model.unit_price if model.unit_price is not None else new_or(product, new)
        row.target_id = customer.id
        row.values["line"] = {"product_id": product[0] if product else None,
                              "quantity": model.quantity, "unit_price": price}  # fmt: skip
        if new is not None:
            row.values["new_product"] = new
        header = model.model_dump(include=set(HEADER_FIELDS))
        return {**header, "customer_id": customer.id}

    def _new_product(
        self, sku: str, values: Mapping[str, Any], errors: dict[str, Message]
    ) -> dict[str, Any] | None:
        """The product an unknown SKU becomes, from the first line selling it (the later lines
        take it as it is); None, with the line's errors, when it cannot be made."""
        if sku in self.new_products:
            made = self.new_products[sku]
            if made is None:
                errors["sku"] = msg("import.new_sku_bad", sku=sku)
            return made
        taken = self.session.scalar(
            select(Product.sku).where(func.lower(Product.sku) == sku.lower())
        )
        if taken is not None:  # the same SKU in another case, or a deleted product's
            errors["sku"] = msg("import.sku_taken", sku=sku, stored=taken)
            self.new_products[sku] = None
            return None
        data = {
            "sku": sku,
            "name": values.get("product_name") or sku,
            "category": values.get("product_category") or NEW_PRODUCT_CATEGORY,
            "price": values.get("unit_price"),
            "unit_cost": values.get("unit_cost") or Decimal("0"),
        }
        try:
            made = validate(NewProductIn, data).model_dump()
        except ValidationError as exc:
            column = {"name": "product_name", "category": "product_category", "price": "unit_price"}
            for field, problem in exc.field_errors.items():
                errors[column.get(field, field)] = problem
            if data["price"] in (None, ""):
                errors["unit_price"] = msg("import.new_sku_price", sku=sku)
            made = None
        self.new_products[sku] = made
        return made

    def _customer(
        self, values: Mapping[str, Any], key: str | None, errors: dict[str, Message]
    ) -> Known | None:
        field = CUSTOMER_FIELD[self.key]
        hits = self.customers.get(key, []) if key else []
        live = [h for h in hits if not h.deleted]
        if key is None:
            problem = N_("validation.not_valid") if values.get(field) else N_("validation.required")
            errors.setdefault(field, msg(problem))
        elif len(live) == 1:
            return live[0]
        elif len(live) > 1:
            listed = ", ".join(f"#{h.id}" for h in live)
            errors[field] = msg("import.several", key=self.key.word, listed=listed)
        elif hits:
            errors[field] = msg("import.only", who=hits[0].describe(), key=self.key.word, value=key)
        else:
            errors[field] = msg("import.no_match", key=self.key.word, value=key)
        return None

    def _same_time_duplicates(self, rows: list[RowOutcome]) -> None:
        """Orders without a ref of their own (none, or relasi-<id> from our export): the same
        customer at the same time as a stored order is likely that order, imported again.
        Lines of this file never count against each other: two identical lines on one day
        are two purchases."""
        no_ref = [r for r in rows if not _own_ref(r.values["header"].get("external_ref"))]
        stamps = {(r.target_id, r.values["header"]["ordered_at"]) for r in no_ref}
        stored: dict[tuple[Any, Any], int] = {}
        for chunk in chunks(sorted(stamps, key=str)):
            stmt = select(Order.customer_id, Order.ordered_at, Order.id).where(
                Order.customer_id.in_({c for c, _ in chunk}),
                Order.ordered_at.in_({t for _, t in chunk}),
                Order.deleted_at.is_(None),
            )
            stored.update({(c, t): i for c, t, i in self.session.execute(stmt)})
        for row in no_ref:
            stamp = (row.target_id, row.values["header"]["ordered_at"])
            if stamp not in stored:
                continue
            self.stored_matches += 1
            if not self.keep:
                row.skip(RowStatus.DUPLICATE,
                         msg("import.order_at_that_time", customer=row.target_id,
                             order=stored[stamp]))  # fmt: skip


def commit_orders(
    session: Session,
    actor: Actor,
    preview: ImportPreview,
    filename: str,
    progress: Progress | None = None,
) -> ImportBatch:
    """Create the preview's valid orders in the caller's transaction and record the batch."""
    fresh = preview_orders(
        session, actor, preview.frame, preview.mapping, preview.mode, preview.match_key,
        **preview.options,
    )  # fmt: skip
    if changed := importing.changed_rows(fresh, preview):
        raise StalePreview("import.stale_orders", rows=importing.rows_named(changed))
    if fresh.valid == 0:
        raise CRMError("import.nothing_valid")
    batch = new_batch(session, actor, fresh, filename)
    undo: dict[str, Any] = {}
    write_orders(session, actor, batch, fresh.rows, preview, undo, progress)
    return finish_batch(session, actor, batch, fresh, undo)


def write_orders(
    session: Session,
    actor: Actor,
    batch: ImportBatch,
    rows: list[RowOutcome],
    whole: ImportPreview,
    undo: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    """Create planned orders (whole orders: a chunk of an import) and the unknown SKUs they
    sell; `undo` gathers the revert (orders first: a product goes once nothing sells it)."""
    created: list[Any] = undo.setdefault("created", [])
    if "fingerprint" not in undo:  # the whole file's, so that importing it again is noticed
        undo["fingerprint"] = fingerprint(whole.frame)
    groups: dict[str, list[RowOutcome]] = defaultdict(list)
    for row in rows:
        if row.action is RowAction.CREATE and row.group is not None:
            groups[row.group].append(row)
    made = _create_products(session, actor, rows)
    undo.setdefault("products_created", []).extend(list(pair) for pair in made.values())
    tick = progress_every(len(groups), progress)
    with session.no_autoflush:  # each order flushes itself
        for done, lines in enumerate(groups.values(), start=1):
            for row in lines:
                if row.values["line"]["product_id"] is None:
                    row.values["line"]["product_id"] = made[row.values["new_product"]["sku"]][0]
            data = {**lines[0].values["header"], "lines": [r.values["line"] for r in lines]}
            order = orders.create_order(session, actor, data, import_batch_id=batch.id)
            created.append((order.id, order.version))
            for row in lines:
                row.record_id = order.id
            tick(done)


def _create_products(
    session: Session, actor: Actor, rows: list[RowOutcome]
) -> dict[str, tuple[int, int]]:
    """The new products the import's lines sell, created through the products' write path
    (audited) in the import's transaction: SKU -> (id, version)."""
    from crm_core.customers import products  # products reads parse_amount from this module

    wanted: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.action is RowAction.CREATE and "new_product" in row.values:
            wanted.setdefault(row.values["new_product"]["sku"], row.values["new_product"])
    made: dict[str, tuple[int, int]] = {}
    for sku, data in wanted.items():
        product = products.create_product(session, actor, data)
        made[sku] = (product.id, product.version)
    return made


def export_orders(session: Session, actor: Actor) -> pd.DataFrame:
    """Every order line, in the columns this import reads back."""
    return orders.order_lines(session, actor)


def revert_orders(session: Session, actor: Actor, report: Mapping[str, Any]) -> None:
    """The orders the import created are deleted, unless one changed since; then the products
    it created for unknown SKUs (unless another order sells one since, or one changed)."""
    versions = {int(i): int(v) for i, v in report.get("created", [])}
    try:
        orders.delete_imported(session, actor, versions)
    except ConflictError as exc:
        raise RevertRefused(
            "revert.order_changed", entity=Message(f"entity.{exc.entity}")
        ) from None
    if report.get("products_created"):
        from crm_core.customers.product_import import revert_products

        revert_products(session, actor, {"created": report["products_created"]})
