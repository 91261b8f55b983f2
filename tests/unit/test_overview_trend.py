"""A dashboard tile's arrow and whether its move is good news, from the figure itself."""

from __future__ import annotations

from crm_core.overview.dashboard import Code, Figure


def figure(code: Code, value: float | None, previous: float | None) -> Figure:
    return Figure(code, value, previous, ())


def test_revenue_that_fell_points_down_and_is_bad_news() -> None:
    assert figure(Code.REVENUE, 190_000, 200_000).trend == ("down", "bad")
    assert figure(Code.REVENUE, 210_000, 200_000).trend == ("up", "good")


def test_churn_and_open_tickets_are_good_news_when_they_fall() -> None:
    assert figure(Code.CHURN_RATE, 0.10, 0.12).trend == ("down", "good")
    assert figure(Code.OPEN_TICKETS, 5, 4).trend == ("up", "bad")


def test_no_change_or_no_previous_period_has_no_arrow() -> None:
    assert figure(Code.CSAT, 4.0, 4.0).trend == ("off", "neutral")
    assert figure(Code.CSAT, 4.0, None).trend == ("off", "neutral")
