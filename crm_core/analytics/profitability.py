"""Customer profitability: gross margin, cost to serve and profit per customer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_core.analytics._common import require_columns

INPUT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "gross_revenue",
    "discounts",
    "cogs",
    "orders",
    "tickets",
    "interactions",
)


@dataclass(frozen=True)
class CostToServe:
    """What one support ticket and one logged interaction cost, in the configured currency.

    The defaults (in Rupiah) are placeholders for a small Indonesian team: roughly 20 minutes
    of an agent's time per ticket and 5 minutes per interaction. Teams set their own.
    """

    cost_per_ticket: float = 25_000.0
    cost_per_interaction: float = 5_000.0

    def __post_init__(self) -> None:
        if self.cost_per_ticket < 0 or self.cost_per_interaction < 0:
            raise ValueError("Costs to serve cannot be negative")


def customer_profitability(
    inputs: pd.DataFrame, cost_per_ticket: float, cost_per_interaction: float
) -> pd.DataFrame:
    """Return a copy of `inputs` with the profitability columns added.

    Added columns:
      gross_margin        = gross_revenue - cogs
      cost_to_serve       = discounts + tickets * cost_per_ticket
                            + interactions * cost_per_interaction
      profit              = gross_margin - cost_to_serve
      net_revenue         = gross_revenue - discounts
      average_order_value = net_revenue / orders (NaN for a customer without orders)
    """
    require_columns(inputs, INPUT_COLUMNS, "customer_value_inputs")
    if cost_per_ticket < 0 or cost_per_interaction < 0:
        raise ValueError("Costs to serve cannot be negative")
    out = inputs.copy()
    out["gross_margin"] = out["gross_revenue"] - out["cogs"]
    out["cost_to_serve"] = (
        out["discounts"]
        + out["tickets"] * float(cost_per_ticket)
        + out["interactions"] * float(cost_per_interaction)
    )
    out["profit"] = out["gross_margin"] - out["cost_to_serve"]
    out["net_revenue"] = out["gross_revenue"] - out["discounts"]
    orders = out["orders"].astype("float64")
    # Division by zero orders would give inf; a customer who never ordered has no AOV.
    out["average_order_value"] = (out["net_revenue"] / orders.where(orders > 0)).astype("float64")
    return out


def profitability_with(inputs: pd.DataFrame, costs: CostToServe) -> pd.DataFrame:
    """`customer_profitability` with the costs taken from a `CostToServe` setting."""
    return customer_profitability(inputs, costs.cost_per_ticket, costs.cost_per_interaction)


def margin_rate(inputs: pd.DataFrame) -> float:
    """Share of net revenue kept after cost of goods, over all customers (for predicted CLV).

    NaN when there is no net revenue, so a caller cannot silently multiply by a made-up rate.
    """
    require_columns(inputs, ("gross_revenue", "discounts", "cogs"), "customer_value_inputs")
    net = float(inputs["gross_revenue"].sum() - inputs["discounts"].sum())
    if net <= 0:
        return float(np.nan)
    return (net - float(inputs["cogs"].sum())) / net
