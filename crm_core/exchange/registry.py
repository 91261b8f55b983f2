"""The importer of each kind of file (customers, orders): its fields, preview, commit, export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm_core.customers import customer_import as importing_customers
from crm_core.customers import order_import as importing_orders
from crm_core.exchange.importing import ImportKind


@dataclass(frozen=True)
class Importer:
    fields: Any  # field name -> label and header synonyms, as suggest_mapping reads them
    preview: Callable[..., Any]
    commit: Callable[..., Any]
    export: Callable[..., Any]


IMPORTERS: dict[ImportKind, Importer] = {
    ImportKind.CUSTOMERS: Importer(
        importing_customers.CUSTOMER_FIELDS,
        importing_customers.preview_customers,
        importing_customers.commit_customers,
        importing_customers.export_customers,
    ),
    ImportKind.ORDERS: Importer(
        importing_orders.ORDER_FIELDS,
        importing_orders.preview_orders,
        importing_orders.commit_orders,
        importing_orders.export_orders,
    ),
}
