"""Build one synthetic case per sample denial letter (samples/denials/*.json): same patient,
member ID, payer, plan type, diagnoses and date of service, so that attaching the letter to its
case reconciles cleanly and the appeal packet is clean.

Run from the repository root: `python samples/denial_cases/generate.py`. Every name, ID and
number is made up (the letters' own synthetic values).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DENIALS = HERE.parent / "denials"
PAYERS = HERE.parents[1] / "formservice" / "reimbursement" / "data" / "payers.yaml"
TEMPLATE = json.loads((HERE.parent / "cases" / "01_breast_commercial_office.json").read_text())
DESCRIPTIONS = {
    "C50.911": "Malignant neoplasm of unspecified site of right female breast",
    "C56.1": "Malignant neoplasm of right ovary",
    "C56.9": "Malignant neoplasm of unspecified ovary",
    "C18.7": "Malignant neoplasm of sigmoid colon",
    "C54.1": "Malignant neoplasm of endometrium",
    "C61": "Malignant neoplasm of prostate",
    "Z51.11": "Encounter for antineoplastic chemotherapy",
}
# Plan types of letters that do not state one (the hub's record of the patient's plan).
DEFAULT_PLAN = {"Fabrikam Health": "commercial", "Adatum Insurance Company": "commercial"}


def _payer_id(name: str) -> str | None:
    for payer in yaml.safe_load(PAYERS.read_text())["payers"]:
        if payer["name"].casefold() == name.casefold():
            return str(payer["payer_id"])
    return None


def build(stem: str, index: int, denial: dict) -> dict:
    """The case that the denial `stem` belongs to."""
    case = json.loads(json.dumps(TEMPLATE))
    first, _, last = denial["patient_name"].partition(" ")
    dates = [denial["date_of_service"]] + [
        line["date_of_service"] for line in denial["service_lines"] if line["date_of_service"]
    ]
    start = min(d for d in dates if d)
    codes = denial["diagnosis_codes"] or ["C50.911"]
    plan = denial["plan_type"] or DEFAULT_PLAN.get(denial["payer_name"], "commercial")
    case["external_id"] = f"HUB-SAMPLE-D{index:02d}"
    case["patient"].update(
        first_name=first,
        last_name=last,
        date_of_birth=(date(1958, 1, 15) + timedelta(days=401 * index)).isoformat(),
    )
    case["coverage"] = {
        "status": "insured",
        "payer": {
            "name": denial["payer_name"],
            "payer_id": _payer_id(denial["payer_name"]),
            "phone": None,
            "fax": None,
            "plan_type": plan,
        },
        "member_id": denial["member_id"],
        "group_number": None,
        "scalp_cooling_covered": None,
    }
    case["diagnoses"] = [
        {"code": c, "description": DESCRIPTIONS.get(c, "Malignant neoplasm"), "primary": i == 0}
        for i, c in enumerate(sorted(codes, key=lambda c: c.startswith("Z")))
    ]
    case["treatment"]["start_date"] = start
    case["prescription"] = {
        "date": (date.fromisoformat(start) - timedelta(days=10)).isoformat(),
        "prescriber_npi": case["prescriber"]["npi"],
    }
    auth = denial["authorization_number"]
    case["prior_authorization"] = {
        "required": True if auth else None,
        "status": "approved" if auth else "not_submitted",
        "number": auth,
        "submitted_on": (date.fromisoformat(start) - timedelta(days=7)).isoformat()
        if auth
        else None,
        "decided_on": None,
    }
    case["clinical_notes"] = (
        f"Synthetic sample for denial letter {stem}. Planned {case['treatment']['regimen']}; "
        "high risk of chemotherapy-induced alopecia; scalp cooling prescribed."
    )
    return case


def main() -> None:
    for index, path in enumerate(sorted(DENIALS.glob("*.json")), start=1):
        case = build(path.stem, index, json.loads(path.read_text()))
        out = HERE / f"{path.stem}.json"
        out.write_text(json.dumps(case, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
