"""The dashboard's figures counted over numpy arrays (times as int64 nanoseconds), built once
per load: a figure over any [start, end) is a few vector operations, so the period, the one
before and every sparkline step cost milliseconds, not a pandas group-by each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

NEVER = np.iinfo("int64").max  # a time not reached (not closed, no next order)
EARLIEST = np.iinfo("int64").min  # before every time (no order before)


def ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).value)


def times(values: pd.Series) -> np.ndarray:
    """Naive UTC times as int64 nanoseconds; a missing time is NEVER."""
    stamps = pd.to_datetime(values).astype("datetime64[ns]")
    out = stamps.to_numpy().astype("int64")
    out[stamps.isna().to_numpy()] = NEVER
    return out


def floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values.astype("Float64"), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )


def within(stamps: np.ndarray, start: int, end: int) -> np.ndarray:
    return (stamps >= start) & (stamps < end)


def _mean(values: np.ndarray) -> float | None:
    clean = values[~np.isnan(values)]
    return None if clean.size == 0 else float(clean.mean())


@dataclass(frozen=True)
class Orders:
    at: np.ndarray
    customer: np.ndarray
    following: np.ndarray  # the customer's next order's time (NEVER for the last)
    previous: np.ndarray  # the customer's order before (EARLIEST for the first)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Orders:
        ordered = frame.sort_values(["customer_id", "ordered_at", "order_id"])
        at, customer = times(ordered["ordered_at"]), ordered["customer_id"].to_numpy("int64")
        following = np.full(at.size, NEVER, dtype="int64")
        previous = np.full(at.size, EARLIEST, dtype="int64")
        if at.size > 1:
            same = customer[1:] == customer[:-1]
            following[:-1][same] = at[1:][same]
            previous[1:][same] = at[:-1][same]
        return cls(at, customer, following, previous)

    def buyers(self, start: int, end: int) -> int:
        """Customers with an order in [start, end): their first order in it, the one whose
        previous order came before it (a count, where a unique over customers sorted)."""
        first = within(self.at, start, end) & (self.previous < start)
        return int(np.count_nonzero(first))

    def churned(self, start: int, end: int, window: int) -> int:
        """Customers whose last purchase before `end` lies in [start - window, end - window):
        an order whose silence reached the window in [start, end) and was the last before end."""
        lapse = self.at + window
        return int(np.count_nonzero(within(lapse, start, end) & (self.following >= end)))


@dataclass(frozen=True)
class Alive:
    """Rows that open and may close (leads, tickets): open at a moment, closed in a span."""

    opened: np.ndarray
    closed: np.ndarray

    def open_at(self, moment: int) -> np.ndarray:
        return (self.opened < moment) & (self.closed >= moment)


def window_ns(days: int) -> int:
    return ns(datetime(2000, 1, 1) + timedelta(days=days)) - ns(datetime(2000, 1, 1))


def share(hits: np.ndarray, among: np.ndarray) -> float | None:
    count = int(np.count_nonzero(among))
    return None if count == 0 else int(np.count_nonzero(hits & among)) / count


def mean_in(values: np.ndarray, mask: np.ndarray) -> float | None:
    return _mean(values[mask])
