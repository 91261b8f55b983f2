"""The amounts rule (`permissions.sees_amounts/amounts_scope`) as Marketing applies it inside
its queries and frames: revenue, profit and CLV of a customer count only where the actor
reads that customer's amounts (admin and manager all, sales its own customers, support none)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, case, false, true

from crm_core.kernel.permissions import Actor, Scope, amounts_scope

# The value figures that are amounts of money (the rule builder's and the dashboard's).
AMOUNT_FIELDS = frozenset({"net_revenue", "profit", "historical_clv", "predicted_clv"})


def visible(actor: Actor, owner_column: Any) -> ColumnElement[bool]:
    """SQL: whether the actor reads the amounts of the row's customer (by its owner)."""
    granted = amounts_scope(actor)
    if granted is Scope.ALL:
        return true()
    if granted is Scope.OWN:
        mine: ColumnElement[bool] = owner_column == actor.id
        return mine
    return false()


def masked(actor: Actor, owner_column: Any, column: Any) -> Any:
    """SQL: the amount where the actor reads it, else NULL."""
    if amounts_scope(actor) is Scope.ALL:
        return column
    return case((visible(actor, owner_column), column), else_=None)


def mask_frame(actor: Actor, frame: pd.DataFrame, owners: pd.Series) -> pd.DataFrame:
    """A copy of a per-customer frame with the amount columns blank (NaN) for the customers
    whose amounts the actor does not read (`owners`: each row's owner id)."""
    granted = amounts_scope(actor)
    if granted is Scope.ALL:
        return frame
    seen = (owners.to_numpy() == actor.id) if granted is Scope.OWN else np.zeros(len(frame), bool)
    out = frame.copy()
    for column in AMOUNT_FIELDS & set(out.columns):
        out[column] = out[column].astype("float64").where(seen, np.nan)
    return out


def shows_amounts(actor: Actor) -> bool:
    """Whether any amount is shown to the actor at all (support: none)."""
    return amounts_scope(actor) is not Scope.NONE


def all_amounts(actor: Actor) -> bool:
    """Whether the actor reads every customer's amounts (totals are whole, not partial)."""
    return amounts_scope(actor) is Scope.ALL
