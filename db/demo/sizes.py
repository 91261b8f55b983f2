"""How much demo data to make: every count derived from the number of customers."""

from __future__ import annotations

from dataclasses import dataclass

# Touchpoints per customer over the two years (the buying model gives about as many order lines).
INTERACTIONS_PER_CUSTOMER = 10
B2B_SHARE = 0.30
CONTACTS_PER_ACCOUNT = 5


@dataclass(frozen=True)
class DemoSize:
    """Row counts of one demo data set; orders and their lines follow from the customers."""

    customers: int
    accounts: int
    products: int
    sales_reps: int
    support_agents: int
    leads: int
    tickets: int
    tasks: int
    interactions: int
    segments: int
    campaigns: int
    campaign_members: int  # at most this many members per campaign


def size_for(customers: int) -> DemoSize:
    """Counts that grow linearly with `customers` (staff mildly, products within 120..200)."""
    if customers < 50:
        raise ValueError(f"demo data needs at least 50 customers, not {customers}")
    staff_scale = (customers / 2000) ** 0.25
    return DemoSize(
        customers=customers,
        accounts=max(5, round(customers * B2B_SHARE / CONTACTS_PER_ACCOUNT)),
        products=min(200, 120 + max(0, customers - 2000) // 1200),
        sales_reps=max(2, round(4 * staff_scale)),
        support_agents=max(3, round(5 * staff_scale)),
        leads=round(customers * 0.4),
        tickets=round(customers * 0.3),
        tasks=max(20, round(customers * 0.1)),
        interactions=customers * INTERACTIONS_PER_CUSTOMER,
        segments=4,
        campaigns=6,
        campaign_members=max(50, round(customers * 0.25)),
    )


SIZES: dict[str, DemoSize] = {"demo": size_for(2000), "bench": size_for(100_000)}
