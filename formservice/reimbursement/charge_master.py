"""A facility's charge master: what it charges per code and date of service (CMS-1500 24F).

Charges come from this YAML file (``FORMSERVICE_CHARGE_MASTER``, e.g.
``samples/charge_master.yaml``), never from a payment rate: ``{name, source, charges: [{code,
amount, effective_from, effective_to}]}``, amounts in US dollars per unit. `claim_lines` multiplies
the unit charge by the line's units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from formservice.errors import ChargeMasterError

__all__ = ["ChargeMaster", "load_charge_master"]


@dataclass(frozen=True, slots=True)
class ChargeMaster:
    """A facility's charges per code and date of service (US dollars per unit).

    Loaded from YAML by `load_charge_master`: ``{name, source, charges: [{code, amount,
    effective_from, effective_to}]}``.
    """

    name: str
    path: str
    rows: tuple[tuple[str, float, date, date | None], ...]

    def unit_charge(self, code: str, on: date) -> float | None:
        """The charge of one unit of a code on a date of service, or None when not listed."""
        for row_code, amount, start, end in self.rows:
            if row_code == code and start <= on and (end is None or on <= end):
                return amount
        return None


def load_charge_master(path: Path | str) -> ChargeMaster:
    """Read a charge master YAML file; ChargeMasterError (500) names the file and the problem."""
    return _load_charge_master(
        str(path), Path(path).stat().st_mtime_ns if Path(path).is_file() else 0
    )


@lru_cache(maxsize=8)
def _load_charge_master(path: str, _mtime_ns: int) -> ChargeMaster:
    file = Path(path)
    if not file.is_file():
        raise ChargeMasterError(f"charge master {path} does not exist (FORMSERVICE_CHARGE_MASTER)")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        rows = tuple(
            (
                str(r["code"]).upper(),
                float(r["amount"]),
                r["effective_from"],
                r.get("effective_to"),
            )
            for r in raw["charges"]
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ChargeMasterError(
            f"charge master {path} is not a mapping with charges: "
            f"[{{code, amount, effective_from, effective_to}}] ({exc})"
        ) from exc
    bad = [r[0] for r in rows if not isinstance(r[2], date) or r[1] < 0]
    if bad:
        raise ChargeMasterError(
            f"charge master {path}: rows for {', '.join(bad)} need a date effective_from and an "
            "amount of 0 or more"
        )
    return ChargeMaster(name=str(raw.get("name") or file.name), path=path, rows=rows)
