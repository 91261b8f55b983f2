"""The one place that lists the areas' hooks and importers; the kernel and the import framework
read them from here, so that no area imports another to take part in a timeline or a merge."""

from __future__ import annotations

from crm_core.customers import customer_import, order_import, product_import
from crm_core.customers import hooks as customers
from crm_core.exchange.importing import ImportKind
from crm_core.exchange.registry import Importer
from crm_core.kernel.hooks import MergeStep, TimelineSource
from crm_core.marketing import hooks as marketing
from crm_core.sales import hooks as sales
from crm_core.sales import lead_import
from crm_core.service import hooks as service
from crm_core.service import ticket_import

# The order is the order in which rows at the same moment are listed, first to last.
TIMELINE_SOURCES: tuple[TimelineSource, ...] = (
    customers.INTERACTIONS,
    customers.ORDERS,
    *service.TIMELINE,
    *sales.TIMELINE,
    *marketing.TIMELINE,
    customers.CHANGES,
)
MERGE_STEPS: tuple[MergeStep, ...] = (customers.MERGE, service.MERGE, sales.MERGE, marketing.MERGE)
IMPORTERS: dict[ImportKind, Importer] = {
    ImportKind.CUSTOMERS: Importer(
        customer_import.CUSTOMER_FIELDS,
        customer_import.preview_customers,
        customer_import.commit_customers,
        customer_import.export_customers,
        customer_import.revert_customers,
    ),
    ImportKind.ORDERS: Importer(
        order_import.ORDER_FIELDS,
        order_import.preview_orders,
        order_import.commit_orders,
        order_import.export_orders,
        order_import.revert_orders,
    ),
    ImportKind.PRODUCTS: Importer(
        product_import.PRODUCT_FIELDS,
        product_import.preview_products,
        product_import.commit_products,
        product_import.export_products,
        product_import.revert_products,
    ),
    ImportKind.LEADS: Importer(
        lead_import.LEAD_FIELDS,
        lead_import.preview_leads,
        lead_import.commit_leads,
        lead_import.export_leads,
        lead_import.revert_leads,
    ),
    ImportKind.TICKETS: Importer(
        ticket_import.TICKET_FIELDS,
        ticket_import.preview_tickets,
        ticket_import.commit_tickets,
        ticket_import.export_tickets,
        ticket_import.revert_tickets,
    ),
}
