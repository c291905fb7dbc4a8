"""How a context writes values: dates as US letters write them, unknowns as "", lists as words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from formservice.model import Address
from formservice.reimbursement.money import usd

__all__ = ["address_lines", "format_date", "in_sentence", "join_words", "money_text", "plain"]


def format_date(value: date | None) -> str:
    """A date as letters write it in the US ("January 20, 2026"); '' when unknown."""
    if value is None:
        return ""
    return f"{value:%B} {value.day}, {value.year}"


def money_text(value: Any) -> str:
    """An amount as letters write it (`usd`); '' when unknown."""
    return "" if value is None else usd(float(value))


def plain(value: object) -> str:
    """A value as template text: '' for None (templates never print "None")."""
    return "" if value is None else str(value)


def join_words(items: Sequence[str]) -> str:
    """Non-empty items as a sentence lists them: 'a and b', 'a, b, and c'."""
    items = [i for i in items if i]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def address_lines(address: Address | None) -> list[str]:
    """The street line and the 'city, state zip' line; [] when there is no address."""
    if address is None:
        return []
    street = ", ".join(p for p in (address.line1, address.line2) if p)
    return [street, f"{address.city}, {address.state} {address.zip}"]


def in_sentence(text: str) -> str:
    """A title-cased label for use mid-sentence: 'Malignant neoplasm' -> 'malignant neoplasm'."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
