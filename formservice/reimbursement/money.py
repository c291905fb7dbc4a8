"""Money as letters and explanations write it."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["usd"]


def usd(value: float | Decimal) -> str:
    """Dollars as text: $61,000 or $1,750.50."""
    amount = float(value)
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"
