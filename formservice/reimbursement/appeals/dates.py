"""Dates on a denial: read (ISO text or a date, None when unreadable) and written for a letter."""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["format_date", "parse_date"]


def parse_date(value: Any) -> date | None:
    """A denial date (ISO string or date) as a date; None when absent or unreadable."""
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def format_date(value: Any) -> str:
    """A date as a US letter writes it ("March 2, 2026"); '' when unknown."""
    day = parse_date(value)
    return f"{day:%B} {day.day}, {day.year}" if day else ""
