"""Money as people read it: Rupiah without minor units (Rp 1.250.000), others with two decimals."""

from __future__ import annotations

from decimal import Decimal

from crm_core.analytics._common import compact_number


def format_money(amount: float | Decimal | None, currency: str = "IDR") -> str:
    if amount is None or amount != amount:  # None or NaN
        return "–"
    if currency == "IDR":
        return "Rp " + f"{float(amount):,.0f}".replace(",", ".")
    return f"{currency} {float(amount):,.2f}"


def compact_money(amount: float, currency: str = "IDR") -> str:
    """Short form for sentences: Rp 4.1M."""
    symbol = "Rp" if currency == "IDR" else currency
    return f"{symbol} {compact_number(amount)}"
