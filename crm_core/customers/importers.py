"""The Customers area's kinds of import file, as the registry lists them: customers, orders
and products, each with what the Import page asks and says for it."""

from __future__ import annotations

from collections.abc import Mapping

from crm_core.customers import customer_import, order_import, product_import
from crm_core.exchange.importing import ImportMode
from crm_core.exchange.registry import Importer, PageHints
from crm_core.kernel.messages import N_, Message, msg, msgn

CUSTOMERS = Importer(
    customer_import.KIND,
    N_("import_kind.customers"),
    customer_import.CUSTOMER_FIELDS,
    customer_import.preview_customers,
    customer_import.commit_customers,
    customer_import.export_customers,
    customer_import.revert_customers,
    PageHints(
        modes={
            ImportMode.CREATE_ONLY: N_("Create new customers only"),
            ImportMode.CREATE_OR_UPDATE: N_("Create, or update the ones that match"),
            ImportMode.UPDATE_ONLY: N_("Update matching customers only"),
        },
        summary=lambda counts: _created_and_updated(N_("import.summary.customers"), counts),
        match_label=N_("Match existing customers by (emails and phones compared however typed)"),
    ),
    write_rows=customer_import.write_customers,
    stale="import.stale_customers",
)


def _orders_written(counts: Mapping[str, int]) -> Message:
    return msg(
        "import.summary.orders",
        orders=msgn("import.count.orders", counts["groups"]),
        lines=msgn("import.count.lines", counts["create"]),
    )


ORDERS = Importer(
    order_import.KIND,
    N_("import_kind.orders"),
    order_import.ORDER_FIELDS,
    order_import.preview_orders,
    order_import.commit_orders,
    order_import.export_orders,
    order_import.revert_orders,
    PageHints(
        modes={ImportMode.CREATE_ONLY: N_("import_mode.create_only")},
        summary=_orders_written,
        match_label=N_("Find each order's customer by"),
        note=N_(
            "Orders are always created new. Rows with the same order ref are the lines of "
            "one order; an order whose ref is already stored is skipped as a duplicate. A "
            "time without an offset (+07:00) is read as {zone} time."
        ),
        options={
            "keep_stored_matches": N_(
                "Also import lines that match a stored order of the same customer at the same "
                "time (they are new purchases, not this file imported again)"
            ),
            "create_products": N_(
                "Create the unknown SKUs as products (the preview lists them; reverting the "
                "import removes them)"
            ),
        },
        groups_label=N_("Orders to create"),
        create_label=N_("Lines"),
    ),
    write_rows=order_import.write_orders,
    stale="import.stale_orders",
)

PRODUCTS = Importer(
    product_import.KIND,
    N_("import_kind.products"),
    product_import.PRODUCT_FIELDS,
    product_import.preview_products,
    product_import.commit_products,
    product_import.export_products,
    product_import.revert_products,
    PageHints(
        modes={  # a product is found by its SKU
            ImportMode.CREATE_ONLY: N_("Add new products only (SKUs already stored are skipped)"),
            ImportMode.CREATE_OR_UPDATE: N_(
                "Add new products, update the ones whose SKU is stored"
            ),
            ImportMode.UPDATE_ONLY: N_("Update stored products only (prices, costs, names)"),
        },
        summary=lambda counts: _created_and_updated(N_("import.summary.products"), counts),
    ),
    write_rows=product_import.write_products,
    stale="import.stale_products",
)


def _created_and_updated(code: str, counts: Mapping[str, int]) -> Message:
    return msg(code, created=counts["create"], updated=counts["update"])
