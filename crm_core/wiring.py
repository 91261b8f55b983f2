"""The one place that lists the areas' hooks and importers; the kernel and the import framework
read them from here, so that no area imports another to take part in a timeline or a merge."""

from __future__ import annotations

from crm_core.customers import hooks as customers
from crm_core.customers import importers as customer_importers
from crm_core.exchange.registry import Importer
from crm_core.kernel.hooks import MergeStep, RefreshFigure, TimelineSource
from crm_core.marketing import hooks as marketing
from crm_core.marketing import journey_store
from crm_core.sales import hooks as sales
from crm_core.sales import importers as sales_importers
from crm_core.service import hooks as service
from crm_core.service import importers as service_importers

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
# What the full value refresh computes and stores for the areas' pages, besides the values.
REFRESH_FIGURES: tuple[RefreshFigure, ...] = (journey_store.JOURNEY,)
# The kinds of file the Import page and `manage.py import` offer, in the order they offer them.
IMPORTERS: tuple[Importer, ...] = (
    customer_importers.CUSTOMERS,
    customer_importers.PRODUCTS,  # before the orders: an order line names a stored SKU
    customer_importers.ORDERS,
    sales_importers.LEADS,
    service_importers.TICKETS,
)
