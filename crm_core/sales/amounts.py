"""Deal values follow the money rule of the permission matrix (`sees_amounts`): admin and
manager read every lead's value, a salesperson the values of its own leads, support none.
Frames of leads get their amounts blanked (None) where the reader may not read them; sums
are taken only over the leads whose amounts the reader reads (figures.amount_filter)."""

from __future__ import annotations

import pandas as pd

from crm_core.kernel.permissions import Actor, Scope, amounts_scope, sees_amounts


def shows_amounts(actor: Actor) -> bool:
    """Whether the reader reads any amount (a page hides money columns when not)."""
    return amounts_scope(actor) is not Scope.NONE


def hide_amounts(
    actor: Actor, frame: pd.DataFrame, *columns: str, owner: str = "owner_id"
) -> pd.DataFrame:
    """The frame with `columns` blank on the rows whose owner's amounts the actor may not
    read (every row for a role without amounts)."""
    granted = amounts_scope(actor)
    if granted is Scope.ALL or frame.empty:
        return frame
    if granted is Scope.NONE or owner not in frame:
        hidden = pd.Series(True, index=frame.index)
    else:
        hidden = ~frame[owner].map(lambda o: sees_amounts(actor, o)).astype(bool)
    shown = frame.copy()
    for name in columns:
        shown[name] = shown[name].astype("object").where(~hidden, None)
    return shown
