"""Customer profitability: margin, cost to serve, profit and average order value."""

import math

import pandas as pd
import pytest

from crm_core.analytics.profitability import (
    CostToServe,
    customer_profitability,
    margin_rate,
    profitability_with,
)


def _inputs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "gross_revenue": [1000.0, 200.0, 0.0],
            "discounts": [50.0, 0.0, 0.0],
            "cogs": [600.0, 150.0, 0.0],
            "orders": [4, 1, 0],
            "first_order_at": pd.to_datetime(["2024-01-01", "2024-03-01", None]),
            "last_order_at": pd.to_datetime(["2024-06-01", "2024-03-01", None]),
            "tickets": [2, 5, 0],
            "interactions": [3, 0, 1],
        }
    )


def test_profit_is_gross_margin_less_discounts_tickets_and_interactions():
    out = customer_profitability(_inputs(), cost_per_ticket=20.0, cost_per_interaction=10.0)
    first = out.iloc[0]
    # gross margin 1000 - 600 = 400; cost to serve 50 + 2*20 + 3*10 = 120; profit 280
    assert first["gross_margin"] == 400.0
    assert first["cost_to_serve"] == 120.0
    assert first["profit"] == 280.0
    # net revenue 1000 - 50 = 950 over 4 orders
    assert first["net_revenue"] == 950.0
    assert first["average_order_value"] == 237.5


def test_a_customer_whose_cost_to_serve_exceeds_margin_is_below_zero():
    out = customer_profitability(_inputs(), cost_per_ticket=20.0, cost_per_interaction=10.0)
    second = out.iloc[1]
    # margin 200 - 150 = 50; five tickets cost 100; profit 50 - 100 = -50
    assert second["cost_to_serve"] == 100.0
    assert second["profit"] == -50.0


def test_a_customer_without_orders_has_no_average_order_value_but_still_costs():
    out = customer_profitability(_inputs(), cost_per_ticket=20.0, cost_per_interaction=10.0)
    third = out.iloc[2]
    assert math.isnan(third["average_order_value"])
    assert third["profit"] == -10.0  # one interaction, no revenue


def test_profitability_returns_a_new_frame_and_leaves_the_input_alone():
    inputs = _inputs()
    before = inputs.copy()
    out = customer_profitability(inputs, 20.0, 10.0)
    pd.testing.assert_frame_equal(inputs, before)
    assert out is not inputs
    assert list(out.columns[: len(inputs.columns)]) == list(inputs.columns)


def test_the_cost_to_serve_setting_gives_the_same_result_as_explicit_costs():
    costs = CostToServe(cost_per_ticket=20.0, cost_per_interaction=10.0)
    pd.testing.assert_frame_equal(
        profitability_with(_inputs(), costs), customer_profitability(_inputs(), 20.0, 10.0)
    )


def test_negative_costs_to_serve_are_refused():
    with pytest.raises(ValueError, match="negative"):
        CostToServe(cost_per_ticket=-1.0)
    with pytest.raises(ValueError, match="negative"):
        customer_profitability(_inputs(), -1.0, 0.0)


def test_missing_input_columns_are_named():
    with pytest.raises(ValueError, match="tickets"):
        customer_profitability(_inputs().drop(columns=["tickets"]), 1.0, 1.0)


def test_margin_rate_is_the_share_of_net_revenue_kept_after_cost_of_goods():
    # net revenue 1200 - 50 = 1150, cogs 750: (1150 - 750) / 1150
    assert margin_rate(_inputs()) == pytest.approx(400 / 1150)


def test_margin_rate_is_unknown_without_revenue():
    assert math.isnan(margin_rate(_inputs().iloc[[2]]))
