"""The one place a case becomes a template context.

Templates see plain ``str``/``int``/``bool``/``list``/``dict`` values only: dates already written
the way a letter writes them ("January 20, 2026"), unknown values as ``""`` (so ``{% if x %}``
works and nothing prints "None"), and every key present for every case, because the template
environment runs with ``StrictUndefined``. `context_variables()` names the top-level keys, for
template validation. Each block is built by the module that holds it: `parties` (facility,
patient, prescriber, coverage, payer), `treatment` (diagnoses, treatment, request), `evidence`;
`text` writes the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from formservice.documents.catalog import get_kind
from formservice.documents.contexts.codes import load_codes
from formservice.documents.contexts.evidence import evidence_context
from formservice.documents.contexts.parties import (
    coverage_context,
    facility_context,
    patient_context,
    payer_context,
    prescriber_context,
)
from formservice.documents.contexts.text import format_date, plain
from formservice.documents.contexts.treatment import (
    diagnosis_context,
    letter_purpose,
    request_context,
    treatment_context,
)
from formservice.model import Case

__all__ = ["LMN_EVIDENCE_CATEGORIES", "build_context", "context_variables"]

# What a letter of medical necessity argues before any denial: necessity, not experimental,
# safe, and not cosmetic (DOMAIN.md §6).
LMN_EVIDENCE_CATEGORIES: tuple[str, ...] = (
    "medical_necessity",
    "experimental_investigational",
    "safety",
    "cosmetic",
)

_ENCLOSURES = (
    "Chemotherapy treatment plan and orders",
    "Most recent office visit note",
    "Pathology report confirming the diagnosis",
    "FDA 510(k) clearance letter for the scalp cooling system",
)

_TOP_LEVEL = (
    "document",
    "facility",
    "patient",
    "prescriber",
    "coverage",
    "payer",
    "diagnosis",
    "diagnoses",
    "secondary_diagnoses",
    "treatment",
    "request",
    "evidence",
    "clinical_notes",
    "prior_authorization",
    "enclosures",
)


def context_variables() -> frozenset[str]:
    """The top-level variable names every context from `build_context` provides."""
    return frozenset(_TOP_LEVEL)


def build_context(
    case: Case,
    *,
    today: date,
    extra: Mapping[str, Any] | None = None,
    kind: str = "lmn",
    evidence_categories: Sequence[str] = LMN_EVIDENCE_CATEGORIES,
    appeal_enclosure: bool = False,
) -> dict[str, Any]:
    """The template context for a case: plain values, every key present, letter-ready text.

    `appeal_enclosure`: the LMN of an appeal packet (`treatment.letter_purpose`).
    """
    codes = load_codes()
    pos = codes["places_of_service"].get(case.treatment.site_of_care or "", "")
    ctx: dict[str, Any] = {
        "document": _document(kind, today),
        "facility": facility_context(case),
        "patient": patient_context(case, today),
        "prescriber": prescriber_context(case),
        "coverage": coverage_context(case),
        "payer": payer_context(case),
        "diagnosis": diagnosis_context(case.primary_diagnosis),
        "diagnoses": [diagnosis_context(d) for d in case.diagnoses],
        "secondary_diagnoses": [
            diagnosis_context(d) for d in case.diagnoses if d is not case.primary_diagnosis
        ],
        "treatment": treatment_context(case, pos),
        "request": request_context(case, codes, pos)
        | letter_purpose(case, today, appeal_enclosure=appeal_enclosure),
        "evidence": evidence_context(case, evidence_categories, by_site=kind == "lmn"),
        "clinical_notes": plain(case.clinical_notes).strip(),
        "prior_authorization": {
            "status": case.prior_authorization.status,
            "number": plain(case.prior_authorization.number),
            "submitted_on": format_date(case.prior_authorization.submitted_on),
        },
        "enclosures": list(_ENCLOSURES),
    }
    for key, value in (extra or {}).items():
        if key in ctx:
            # Silently replacing case data from a side channel would make letters untraceable.
            raise ValueError(f"extra context key {key!r} would replace a case value")
        ctx[key] = value
    return ctx


def _document(kind: str, today: date) -> dict[str, str]:
    found = get_kind(kind)
    return {
        "kind": kind,
        "title": found.title if found else kind,
        "date": format_date(today),
        "date_iso": today.isoformat(),
    }
