"""Erlang C staffing, checked against the formula worked by hand and the textbook example."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_core.analytics.staffing import agents_needed, erlang_c, service_level, staffing_grid


def test_erlang_c_of_one_erlang_on_two_agents_is_a_third() -> None:
    # A = 1, N = 2: (A^2/2! x 2/(2-1)) / (1 + 1 + 1) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 1.0) == 1.0 and erlang_c(3, 0.0) == 0.0


def test_the_textbook_centre_needs_fourteen_agents_for_80_percent_in_20_seconds() -> None:
    # 100 contacts in 30 minutes (200 an hour), 3 minutes each: 10 Erlangs. With 11 agents
    # 68.2 % wait; 13 answer 79.6 % within 20 s, 14 answer 88.8 % (the published table).
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=1e-4)
    assert service_level(13, 10.0, 20, 180) == pytest.approx(0.7956, abs=1e-4)
    assert service_level(14, 10.0, 20, 180) == pytest.approx(0.8884, abs=1e-4)
    assert agents_needed(200, 3, 20 / 60) == 14


def test_an_hour_without_tickets_needs_no_one_and_a_grid_is_worked_cell_by_cell() -> None:
    grid = pd.DataFrame([[0.0, 200.0]], index=[1], columns=[8, 9])
    assert staffing_grid(grid, 3, 20 / 60).to_numpy().tolist() == [[0, 14]]
