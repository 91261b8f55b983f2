"""What other areas may read of Customers: a customer and its account, the sold orders, and
the customer value table (value tiers, RFM segments, churn risk) that segments and the
overview are built on."""

from __future__ import annotations

from crm_core.customers.records import CustomerProfile, customer_profile, get_customer
from crm_core.customers.value import ValueTable, customer_values, order_amounts, sold_orders

__all__ = [
    "CustomerProfile",
    "ValueTable",
    "customer_profile",
    "customer_values",
    "get_customer",
    "order_amounts",
    "sold_orders",
]
