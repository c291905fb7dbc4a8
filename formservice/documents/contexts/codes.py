"""The codes a letter quotes: CPT descriptors by date of service, chemo administration, place of
service; read from reimbursement/data/codes.yaml (the source of truth), with a fallback."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

import yaml

__all__ = ["code_descriptor", "load_codes"]

# Used only when reimbursement/data/codes.yaml is absent (it is the source of truth).
_FALLBACK_CODES = {
    "0662T": "Scalp cooling, mechanical; initial measurement and calibration of cap",
    "0663T": "Scalp cooling, mechanical; placement of device, monitoring, and removal of device",
}
_FALLBACK_CHEMO_ADMIN = ("96409", "96411", "96413", "96415", "96416", "96417")
_FALLBACK_POS = {"physician_office": "11", "hospital_outpatient": "22"}


@functools.lru_cache(maxsize=1)
def load_codes() -> dict[str, Any]:
    """CPT descriptors, chemo-administration codes and place of service from codes.yaml."""
    data = resources.files("formservice.reimbursement").joinpath("data/codes.yaml")
    if not data.is_file():
        return {
            "cpt": [
                {"code": c, "descriptor": d, "effective_from": None, "effective_to": None}
                for c, d in _FALLBACK_CODES.items()
            ],
            "chemo_admin": list(_FALLBACK_CHEMO_ADMIN),
            "places_of_service": dict(_FALLBACK_POS),
        }
    raw = yaml.safe_load(data.read_text(encoding="utf-8"))
    cpt = [row for row in raw.get("cpt", []) if row.get("code")]
    return {
        "cpt": cpt,
        "chemo_admin": [r["code"] for r in cpt if r.get("kind") == "chemo_admin"]
        or list(_FALLBACK_CHEMO_ADMIN),
        "places_of_service": {
            site: str(v["code"]) for site, v in (raw.get("places_of_service") or {}).items()
        }
        or dict(_FALLBACK_POS),
    }


def code_descriptor(codes: Mapping[str, Any], code: str, when: date | None) -> str:
    """The descriptor of `code` in force on the date of service (the latest row when unknown)."""
    rows = [r for r in codes["cpt"] if r["code"] == code]
    if when is not None:
        rows = [
            r
            for r in rows
            if (r.get("effective_from") is None or r["effective_from"] <= when)
            and (r.get("effective_to") is None or when <= r["effective_to"])
        ] or rows
    return str(rows[-1]["descriptor"]) if rows else _FALLBACK_CODES[code]
