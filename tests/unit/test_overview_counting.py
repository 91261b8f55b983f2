"""The dashboard's counts over arrays, against hand-counted orders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from crm_core.overview import counting


def day(n: int) -> datetime:
    return datetime(2026, 3, 1) + timedelta(days=n)


ORDERS = pd.DataFrame(
    [  # (order_id, customer_id, ordered_at): days from 1 March 2026
        (1, 7, day(-40)),  # Ani: before the window, then three times in it (one a tie)
        (2, 7, day(3)),
        (3, 7, day(9)),
        (4, 7, day(9)),
        (5, 8, day(-2)),  # Budi: the day before, then once in it
        (6, 8, day(20)),
        (7, 9, day(-100)),  # Citra: long before only
        (8, 10, day(30)),  # Dewi: the day the window ends (not in it)
    ],
    columns=["order_id", "customer_id", "ordered_at"],
)


def test_buyers_in_a_span_count_each_customer_once_however_often_they_bought() -> None:
    orders = counting.Orders.of(ORDERS.sample(frac=1, random_state=3))  # any order of rows
    march = (counting.ns(day(0)), counting.ns(day(30)))
    assert orders.buyers(*march) == 2  # Ani and Budi; Dewi's order is on the end day
    assert orders.buyers(counting.ns(day(9)), counting.ns(day(10))) == 1  # Ani's two, once
    assert orders.buyers(counting.ns(day(-200)), counting.ns(day(31))) == 4
    assert orders.buyers(counting.ns(day(31)), counting.ns(day(60))) == 0
