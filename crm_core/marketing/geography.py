"""Where customers live, on a tile grid of Indonesia's provinces: one equal square per
province in roughly its place (`data/indonesia_province_tiles.csv`, made by hand, provenance
in its header). No boundary map ships: no province boundary file with a licence that lets it
ship with the app was found offline, and equal tiles let Jakarta's few square kilometres read
as clearly as Papua's."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

TILES = Path(__file__).resolve().parent / "data" / "indonesia_province_tiles.csv"


@cache
def province_tiles() -> pd.DataFrame:
    """province, abbr, row, col: the 38 provinces."""
    return pd.read_csv(TILES, comment="#", dtype={"row": "int64", "col": "int64"})


def on_tiles(by_region: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A region split (`group`, customers, net_revenue...) placed on the tiles: every province
    with its figures (0 customers where none), and the groups that are no province (another
    country's region, a typo, not known), matched by name whatever the case and spacing."""
    tiles = province_tiles().copy()
    key = by_region["group"].astype(str).str.strip().str.casefold()
    figures = by_region.assign(_key=key).groupby("_key").sum(numeric_only=True)
    tiles["_key"] = tiles["province"].str.casefold()
    placed = tiles.join(figures, on="_key")
    for column in figures.columns:
        placed[column] = placed[column].fillna(0)
    placed["customers"] = placed.get("customers", 0)
    placed["customers"] = placed["customers"].astype("int64")
    elsewhere = by_region[~key.isin(set(tiles["_key"]))]
    return placed.drop(columns="_key"), elsewhere.reset_index(drop=True)
