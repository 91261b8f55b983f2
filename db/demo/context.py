"""Shared state of one seeding run: random sources, the business calendar and time helpers."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from faker import Faker

from db.demo.sizes import DemoSize

MINUTE = 60
HOUR = 3600
DAY = 86_400
HISTORY_DAYS = 730  # 24 months of history end at as_of
NO_TIME = np.iinfo(np.int64).min  # becomes NaT, written as NULL
# The NULL cell of an object column: np.where(known, values, NULL) (what np.where makes of a
# plain None, spelled as the array it becomes).
NULL = np.array(None, dtype=object)

# Lebaran (Eid al-Fitr) moves about 11 days earlier every year: 10 April 2024, one lunar
# year of 354.367 days apart, is within a day of the official dates of 2020..2030.
_LEBARAN_2024 = np.datetime64("2024-04-10", "D").astype(np.int64)
_LUNAR_YEAR = 354.367


@dataclass
class Ctx:
    """Everything a generator needs: sizes, the business's "now", and seeded randomness."""

    size: DemoSize
    as_of: int  # epoch seconds, naive UTC
    start: int  # as_of minus HISTORY_DAYS
    rng: np.random.Generator
    rnd: random.Random
    fake: Faker

    @classmethod
    def create(cls, size: DemoSize, seed: int, as_of: datetime | None) -> Ctx:
        now = default_as_of() if as_of is None else _naive_utc(as_of)
        stamp = int(np.datetime64(now, "s").astype(np.int64))
        fake = Faker(["id_ID", "en_US"])
        fake.seed_instance(seed)
        return cls(
            size=size,
            as_of=stamp,
            start=stamp - HISTORY_DAYS * DAY,
            rng=np.random.default_rng(seed),
            rnd=random.Random(seed),
            fake=fake,
        )

    def seasonal(self, times: np.ndarray) -> np.ndarray:
        """Demand factor (about 0.7..2) at each epoch second: see `season_by_day`."""
        factor: np.ndarray = season_by_day(times // DAY)
        return factor

    def uniform_times(self, low: np.ndarray | int, high: np.ndarray | int, n: int) -> np.ndarray:
        """Whole seconds drawn uniformly in [low, high)."""
        span = np.maximum(np.asarray(high) - np.asarray(low), 1)
        drawn: np.ndarray = (np.asarray(low) + np.floor(self.rng.random(n) * span)).astype(np.int64)
        return drawn

    def seasonal_times(self, n: int, low: int, high: int, growth: float = 0.0) -> np.ndarray:
        """n moments in [low, high) whose density follows the season and grows over time."""
        out = np.empty(0, dtype=np.int64)
        peak = 3.1 * (1 + growth)  # above any season_by_day value
        while out.size < n:
            draw = self.uniform_times(low, high, 2 * (n - out.size) + 16)
            trend = 1 + growth * (draw - low) / max(high - low, 1)
            keep = self.rng.random(draw.size) * peak < self.seasonal(draw) * trend
            out = np.concatenate([out, draw[keep]])
        return out[:n]


def default_as_of() -> datetime:
    """Today at 00:00 UTC, naive."""
    return datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def season_by_day(days: np.ndarray) -> np.ndarray:
    """Demand factor per epoch day: Ramadan run-up to Lebaran, year-end sales, mid-year dip."""
    days = np.asarray(days, dtype=np.int64)
    cycles = np.round((days - _LEBARAN_2024) / _LUNAR_YEAR)
    lebaran = _LEBARAN_2024 + cycles * _LUNAR_YEAR
    ramadan = 0.9 * _bump(days - (lebaran - 12), 11)
    year_start = days.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
    day_of_year = days - year_start.astype(np.int64)
    year_end = 0.6 * (_bump(day_of_year - 345, 16) + _bump(day_of_year + 20, 16))
    mid_year_dip = -0.3 * _bump(day_of_year - 196, 24)
    factor: np.ndarray = 1.0 + ramadan + year_end + mid_year_dip
    return factor


def _bump(offset: np.ndarray, width: float) -> np.ndarray:
    return np.exp(-0.5 * (np.asarray(offset, dtype=np.float64) / width) ** 2)


def to_datetime(stamp: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=int(stamp))


def pick(rng: np.random.Generator, weights: Mapping[Any, float], n: int) -> np.ndarray:
    """n indices into `weights` (in its order) drawn with the given relative weights."""
    p = np.fromiter(weights.values(), dtype=np.float64)
    drawn: np.ndarray = rng.choice(len(p), size=n, p=p / p.sum())
    return drawn
