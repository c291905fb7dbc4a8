"""The structured parts of a denial (CONTRACT.md §4): service lines, adjustments, appeal address.

Each part converts to the contract's JSON and back; ``*_from_json`` checks a stored or uploaded
value once and records what is wrong in ``errors`` (field path → messages) instead of raising, so
`Denial.from_json` can name every bad field in one 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

GROUP_CODES: tuple[str, ...] = ("CO", "PR", "OA", "PI", "CR")


@dataclass(frozen=True)
class Adjustment:
    """One claim adjustment: group code (None when the letter prints none), CARC, amount."""

    group: str | None
    carc: str
    amount: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "carc": self.carc, "amount": self.amount}


@dataclass(frozen=True)
class ServiceLine:
    """One billed line of a remittance or notice, with the adjustments printed on it."""

    date_of_service: date | None = None
    code: str | None = None
    modifiers: tuple[str, ...] = ()
    units: float | None = None
    billed: float | None = None
    allowed: float | None = None
    paid: float | None = None
    adjustments: tuple[Adjustment, ...] = ()
    rarc_codes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        units: float | int | None = self.units
        if units is not None and float(units).is_integer():
            units = int(units)
        return {
            "date_of_service": self.date_of_service.isoformat() if self.date_of_service else None,
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": units,
            "billed": self.billed,
            "allowed": self.allowed,
            "paid": self.paid,
            "adjustments": [a.to_json() for a in self.adjustments],
            "rarc_codes": list(self.rarc_codes),
        }


@dataclass(frozen=True)
class AppealTo:
    """Where the letter says to send an appeal; a part it does not state is None."""

    name: str | None = None
    address: str | None = None
    fax: str | None = None
    phone: str | None = None
    portal: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "fax": self.fax,
            "phone": self.phone,
            "portal": self.portal,
        }


def _number(value: Any, path: str, errors: dict[str, list[str]]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors[path] = ["Must be a number or null."]
        return None
    return float(value)


def _text(value: Any, path: str, errors: dict[str, list[str]]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[path] = ["Must be text or null."]
        return None
    return value


def _texts(value: Any, path: str, errors: dict[str, list[str]]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[path] = ["Must be a list of text values."]
        return ()
    return tuple(value)


def adjustments_from_json(
    value: Any, path: str, errors: dict[str, list[str]]
) -> tuple[Adjustment, ...]:
    """Check and convert a list of adjustments (``[{group, carc, amount}]``)."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        errors[path] = ["Must be a list."]
        return ()
    out = []
    for i, item in enumerate(value):
        where = f"{path}.{i}"
        if not isinstance(item, Mapping) or not isinstance(item.get("carc"), str):
            errors[where] = ["Must be an object with a carc."]
            continue
        group = _text(item.get("group"), f"{where}.group", errors)
        if group is not None and group not in GROUP_CODES:
            errors[f"{where}.group"] = [f"Must be one of {', '.join(GROUP_CODES)} or null."]
        amount = _number(item.get("amount"), f"{where}.amount", errors)
        out.append(Adjustment(group, item["carc"], amount))
    return tuple(out)


def service_lines_from_json(value: Any, errors: dict[str, list[str]]) -> tuple[ServiceLine, ...]:
    """Check and convert ``service_lines``."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        errors["service_lines"] = ["Must be a list."]
        return ()
    out = []
    for i, item in enumerate(value):
        where = f"service_lines.{i}"
        if not isinstance(item, Mapping):
            errors[where] = ["Must be an object."]
            continue
        raw_date = item.get("date_of_service")
        day = None
        if raw_date:
            try:
                day = date.fromisoformat(str(raw_date))
            except ValueError:
                errors[f"{where}.date_of_service"] = ["Not a date (YYYY-MM-DD)."]
        out.append(
            ServiceLine(
                date_of_service=day,
                code=_text(item.get("code"), f"{where}.code", errors),
                modifiers=_texts(item.get("modifiers"), f"{where}.modifiers", errors),
                units=_number(item.get("units"), f"{where}.units", errors),
                billed=_number(item.get("billed"), f"{where}.billed", errors),
                allowed=_number(item.get("allowed"), f"{where}.allowed", errors),
                paid=_number(item.get("paid"), f"{where}.paid", errors),
                adjustments=adjustments_from_json(
                    item.get("adjustments"), f"{where}.adjustments", errors
                ),
                rarc_codes=_texts(item.get("rarc_codes"), f"{where}.rarc_codes", errors),
            )
        )
    return tuple(out)


def appeal_to_from_json(value: Any, errors: dict[str, list[str]]) -> AppealTo | None:
    """Check and convert ``appeal_to`` (an object or null)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors["appeal_to"] = ["Must be an object or null."]
        return None
    parts = {
        key: _text(value.get(key), f"appeal_to.{key}", errors)
        for key in ("name", "address", "fax", "phone", "portal")
    }
    found = AppealTo(**parts)
    return found if any(parts.values()) else None
