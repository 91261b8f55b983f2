"""The customers list as a file a spreadsheet opens right: the filtered list with (or without)
its value figures, then written for Excel, LibreOffice or Sheets.

What the export holds follows the list: the actor's read scope, the filters and the sort;
the amounts (revenue, profit, CLV) only where the amounts rule lets the actor read them (the
tier, segment, P(alive) and churn risk stay: they say what to do, not what a customer is
worth). The file: a UTF-8 byte-order mark (Excel otherwise reads it as Windows-1252), `;`
between cells where the reader's language writes a decimal comma (Excel there splits on
`;`), amounts as whole numbers, percentages rounded to whole numbers, times as dates in the
team's time zone and the header saying which, phone numbers as people write them (so no
leading `+` needs an apostrophe), and every text cell neutralised against formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from babel.numbers import get_decimal_symbol
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import fields, listing, phones
from crm_core.customers.listing import CustomerFilter
from crm_core.kernel.csv_files import neutralise
from crm_core.kernel.messages import N_
from crm_core.kernel.permissions import Actor, Scope, amounts_scope
from crm_core.models import Customer, CustomerValue

# The value figures an export adds after the list's columns, with their headers (msgids).
VALUE_COLUMNS = {
    "value_tier": N_("Value tier"),
    "rfm_segment": N_("RFM segment"),
    "net_revenue": N_("Net revenue"),
    "profit": N_("Profit"),
    "historical_clv": N_("Historical CLV"),
    "predicted_clv": N_("Predicted CLV"),
    "p_alive": N_("P(alive)"),
    "churn_risk": N_("Churn risk"),
    "last_order_at": N_("Last order"),
}
MONEY = ("net_revenue", "profit", "historical_clv", "predicted_clv")
PERCENT = ("p_alive", "churn_risk")
TIMES = ("last_order_at",)
_STORED_EXTRAS = ("historical_clv", "predicted_clv", "p_alive")  # beyond the list's columns
_CHUNK = 500


def export_frame(
    session: Session,
    actor: Actor,
    flt: CustomerFilter | None = None,
    *,
    sort_by: str = "name",
    descending: bool = False,
    with_values: bool = True,
) -> pd.DataFrame:
    """The whole filtered list in list order: id, the listed fields, and with `with_values`
    the value figures (VALUE_COLUMNS; money in the currency unit), amounts blanked (NaN)
    where the actor may not read them."""
    rows = listing.export_rows(
        session, actor, flt, sort_by=sort_by, descending=descending, stored=True
    )
    base = ["id", *(f.key for f in fields.listed())]
    if not with_values:
        return rows[base].reset_index(drop=True)
    extras = _stored_extras(session, [int(i) for i in rows["id"]])
    joined = rows.join(extras, on="id")
    joined = _hidden(session, actor, joined)
    return joined[[*base, *VALUE_COLUMNS]].reset_index(drop=True)


def _stored_extras(session: Session, ids: list[int]) -> pd.DataFrame:
    """historical_clv (currency unit), predicted_clv and p_alive by customer id."""
    v = CustomerValue
    found: list[tuple[Any, ...]] = []
    for low in range(0, len(ids), _CHUNK):
        stmt = select(v.customer_id, v.historical_clv, v.predicted_clv, v.p_alive).where(
            v.customer_id.in_(ids[low : low + _CHUNK])
        )
        found.extend(tuple(row) for row in session.execute(stmt))
    frame = pd.DataFrame(found, columns=["id", *_STORED_EXTRAS]).set_index("id")
    frame = frame.astype("float64")
    frame["historical_clv"] = frame["historical_clv"] / 100  # stored in hundredths
    return frame


def _hidden(session: Session, actor: Actor, rows: pd.DataFrame) -> pd.DataFrame:
    """Every amount blanked where the amounts rule hides it (the list already blanked its
    own revenue and profit the same way)."""
    granted = amounts_scope(actor)
    if granted is Scope.ALL or rows.empty:
        return rows
    hidden = pd.Series(True, index=rows.index)
    if granted is Scope.OWN:
        owned = session.scalars(select(Customer.id).where(Customer.owner_id == actor.id)).all()
        hidden = ~rows["id"].isin(set(owned))
    shown = rows.copy()
    for name in MONEY:
        shown[name] = shown[name].astype("float64").where(~hidden)
    return shown


def separator_for(language: str) -> str:
    """`;` where the language writes a decimal comma (Indonesian, German...), else `,`."""
    return ";" if get_decimal_symbol(language) == "," else ","


def spreadsheet_csv(
    frame: pd.DataFrame,
    headers: Mapping[str, str],
    *,
    zone: str,
    separator: str = ",",
    phone_columns: tuple[str, ...] = ("phone",),
) -> bytes:
    """The frame as CSV bytes a spreadsheet opens right (see the module's docstring).

    `headers`: each column's header in the reader's language (a column without one keeps its
    key); the time columns' headers say the zone, the percentage columns' say "%".
    """
    out = pd.DataFrame(index=frame.index)
    named: list[str] = []
    for column in frame.columns:
        values = frame[column]
        header = headers.get(column, column)
        if column in MONEY:
            values = values.astype("float64").round().astype("Int64")
        elif column in PERCENT:
            values = (values.astype("float64") * 100).round().astype("Int64")
            header = f"{header} (%)"
        elif column in TIMES:
            values = _local_days(values, zone)
            header = f"{header} ({zone})"
        elif column in phone_columns:
            values = values.map(_phone_shown)
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            values = values.map(neutralise)
        out[column] = values
        named.append(str(neutralise(header)))
    out.columns = pd.Index(named)
    text = io.StringIO()
    out.to_csv(text, index=False, sep=separator, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _local_days(values: pd.Series, zone: str) -> pd.Series:
    """Stored naive-UTC times as the day in the team's zone (YYYY-MM-DD), blank if none."""
    local = ZoneInfo(zone)

    def day(value: Any) -> str:
        if value is None or pd.isna(value):
            return ""
        stamp = pd.Timestamp(value).to_pydatetime()
        aware = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp
        return aware.astimezone(local).strftime("%Y-%m-%d")

    return values.map(day).astype(object)


def _phone_shown(value: Any) -> Any:
    shown = phones.phone(value)
    return "" if shown is None else shown.shown
