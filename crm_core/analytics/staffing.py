"""Erlang C: how many agents an hour's tickets need so that a share of them is answered within
a target time, from the arrival rate and the time an answer takes (queueing theory, M/M/N)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a ticket waits: N agents, A = rate x handling time (Erlangs).
    1 when the agents cannot keep up (N <= A)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    term, total = 1.0, 1.0  # A^k / k!, summed for k < N
    for k in range(1, agents):
        term *= traffic / k
        total += term
    last = term * traffic / agents * agents / (agents - traffic)  # A^N/N! x N/(N-A)
    return last / (total + last)


def service_level(
    agents: int, traffic: float, target_seconds: float, handle_seconds: float
) -> float:
    """Share of tickets answered within the target: 1 - C x e^(-(N - A) x t / AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    wait = erlang_c(agents, traffic)
    return 1.0 - wait * math.exp(-(agents - traffic) * target_seconds / handle_seconds)


def agents_needed(
    per_hour: float, handle_minutes: float, target_minutes: float, share: float = 0.8
) -> int:
    """The fewest agents that answer `share` of tickets arriving at `per_hour` within the
    target, each answer taking `handle_minutes`; 0 with no tickets."""
    if per_hour <= 0:
        return 0
    traffic = per_hour * handle_minutes / 60
    agents = max(1, math.ceil(traffic))
    while service_level(agents, traffic, target_minutes * 60, handle_minutes * 60) < share:
        agents += 1
    return agents


def staffing_grid(
    arrivals: pd.DataFrame, handle_minutes: float, target_minutes: float, share: float = 0.8
) -> pd.DataFrame:
    """Agents needed for each cell of a grid of tickets per hour (weekday x hour)."""
    values = np.vectorize(lambda r: agents_needed(r, handle_minutes, target_minutes, share))(
        arrivals.to_numpy(dtype="float64")
    )
    return pd.DataFrame(values, index=arrivals.index, columns=arrivals.columns).astype("int64")
