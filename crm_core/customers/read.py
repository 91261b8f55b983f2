"""What other areas may read of Customers: a customer and its account, the sold orders, and
the customer value table (value tiers, RFM segments, churn risk; each customer's stored tier)
that segments, service levels and the overview are built on; and the writes other areas start
(a lead converted into a customer and account, after the one likely-duplicate rule; a
follow-up for a lead's owner)."""

from __future__ import annotations

from crm_core.customers.accounts import create_account
from crm_core.customers.duplicates import LikelyDuplicate, likely_duplicates
from crm_core.customers.records import (
    CustomerProfile,
    create_customer,
    customer_profile,
    get_customer,
)
from crm_core.customers.tasks import schedule_follow_up
from crm_core.customers.value import ValueTable, customer_values, order_amounts, sold_orders
from crm_core.customers.value_store import stored_tiers

__all__ = [
    "CustomerProfile",
    "LikelyDuplicate",
    "ValueTable",
    "create_account",
    "create_customer",
    "customer_profile",
    "customer_values",
    "get_customer",
    "likely_duplicates",
    "order_amounts",
    "schedule_follow_up",
    "sold_orders",
    "stored_tiers",
]
