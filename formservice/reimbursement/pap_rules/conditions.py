"""The PAP eligibility conditions (all must hold): a US physical address, an on-label diagnosis,
a valid prescription, a Buy & Bill facility; and the NPI and address checks they use."""

from __future__ import annotations

import re
from datetime import date

from formservice.model import Address, Case
from formservice.reimbursement import codes, load_data
from formservice.reimbursement.pap_rules.result import RuleResult

__all__ = [
    "check_address",
    "check_adult",
    "check_buy_and_bill",
    "check_diagnosis",
    "check_prescription",
    "is_physical_address",
    "is_valid_npi",
]


def is_valid_npi(npi: str | None) -> bool:
    """Whether an NPI is 10 digits with a valid Luhn check digit over '80840' + the NPI."""
    if not npi or len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Mail-only delivery points: PO boxes, private mailboxes, general delivery.
_POSTAL_ONLY = re.compile(
    r"\b(?:p\.?\s*o\.?\s*(?:box|drawer)|post\s*office\s*(?:box|drawer)|pob|pmb|general\s+delivery)\b"
    r"|^\s*box\s*#?\s*\d",
    re.IGNORECASE,
)
_STREET = re.compile(r"^\s*\d+[a-z]?\s+\S", re.IGNORECASE)


def is_physical_address(address: Address) -> bool:
    """False when the address is only a PO box (or other mail-only point), True otherwise."""
    line1 = address.line1 or ""
    if not line1.strip():
        return False
    if not _POSTAL_ONLY.search(line1):
        return True
    # "PO Box 12" on line 1 still counts when line 2 gives a street address.
    line2 = address.line2 or ""
    return bool(_STREET.match(line2)) and not _POSTAL_ONLY.search(line2)


# ---------------------------------------------------------------- eligibility conditions


def check_address(case: Case) -> RuleResult:
    """Condition: the patient lives in the US at a physical address (a PO box alone is not)."""
    rule = "condition.us_physical_address"
    address = case.patient.address
    if address is None:
        return RuleResult(rule, None, "no patient address given", missing=("patient.address",))
    fpl = load_data("fpl.yaml")
    us_codes = {s for spec in fpl["regions"].values() for s in spec["states"]} | set(
        fpl["not_covered"]
    )
    state = (address.state or "").strip().upper()
    if state not in us_codes:
        return RuleResult(
            rule, False, f"state {address.state!r} is not a US state, DC or territory"
        )
    if not is_physical_address(address):
        return RuleResult(
            rule,
            False,
            f"'{address.line1}' is a PO box or mail-only address; a physical US address "
            "is required",
        )
    return RuleResult(rule, True, f"physical US address in {state}")


def check_diagnosis(case: Case) -> RuleResult:
    """Condition: an on-label (solid tumor) diagnosis, and no off-label one."""
    rule = "condition.on_label_diagnosis"
    classes = [codes.classify_diagnosis(d.code) for d in case.diagnoses]
    numbers = {"diagnoses": {c.code: c.label for c in classes}}
    off = [c for c in classes if c.label == "off_label"]
    on = [c for c in classes if c.label in ("on_label", "payer_narrow")]
    if off:
        return RuleResult(rule, False, "; ".join(f"{c.code}: {c.reason}" for c in off), numbers)
    if on:
        best = next((c for c in on if c.label == "on_label"), on[0])
        return RuleResult(rule, True, f"{best.code}: {best.reason}", numbers)
    history = [c for c in classes if c.label == "history"]
    if history:
        return RuleResult(rule, False, "; ".join(f"{c.code}: {c.reason}" for c in history), numbers)
    return RuleResult(
        rule,
        None,
        "no diagnosis the on-label table recognises: "
        + "; ".join(f"{c.code}: {c.reason}" for c in classes),
        numbers,
        missing=("diagnoses",),
    )


def age_on(born: date, on: date) -> int:
    """Whole years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check_adult(case: Case, application_date: date) -> RuleResult:
    """Condition: not a paediatric patient (a label contraindication), by pap.yaml's age."""
    rule = "condition.not_paediatric"
    spec = load_data("pap.yaml")["paediatric"]
    adult = int(spec["adult_from_age"])
    age = age_on(case.patient.date_of_birth, application_date)
    numbers = {"age": age, "adult_from_age": adult, "source": str(spec["source"])}
    if age < adult:
        return RuleResult(
            rule,
            False,
            f"the patient is {age} on {application_date.isoformat()}: scalp cooling is "
            f"contraindicated for paediatric patients (younger than {adult})",
            numbers,
        )
    return RuleResult(rule, True, f"the patient is {age}, not a paediatric patient", numbers)


def check_prescription(case: Case, today: date) -> RuleResult:
    """Condition: a dated prescription from the case's prescriber, whose NPI is valid."""
    rule = "condition.valid_prescription"
    rx = case.prescription
    if rx is None or rx.date is None:
        return RuleResult(
            rule, None, "no dated prescription on the case", missing=("prescription.date",)
        )
    npi = case.prescriber.npi
    if not is_valid_npi(npi):
        return RuleResult(
            rule, False, f"prescriber NPI {npi!r} is not a valid NPI (10 digits, Luhn check)"
        )
    if rx.prescriber_npi and rx.prescriber_npi != npi:
        return RuleResult(
            rule,
            False,
            f"prescription is from NPI {rx.prescriber_npi}, not the case's prescriber ({npi})",
        )
    if rx.date > today:
        return RuleResult(
            rule, False, f"prescription is dated in the future ({rx.date.isoformat()})"
        )
    return RuleResult(
        rule,
        True,
        f"prescription dated {rx.date.isoformat()} by {case.prescriber.full_name} "
        f"(NPI {npi}, valid)",
    )


def check_buy_and_bill(case: Case) -> RuleResult:
    """Condition: the facility is contracted under Buy & Bill."""
    rule = "condition.buy_and_bill_facility"
    flag = case.facility.buy_and_bill
    if flag is None:
        return RuleResult(
            rule,
            None,
            "not known whether the facility is contracted under Buy & Bill",
            missing=("facility.buy_and_bill",),
        )
    if not flag:
        return RuleResult(
            rule,
            False,
            f"{case.facility.name} is not contracted under Buy & Bill; the PAP is only for "
            "such facilities",
        )
    return RuleResult(rule, True, f"{case.facility.name} is contracted under Buy & Bill")
