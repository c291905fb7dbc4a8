"""The one place a case becomes a template context.

Templates see plain ``str``/``int``/``bool``/``list``/``dict`` values only: dates already written
the way a letter writes them ("January 20, 2026"), unknown values as ``""`` (so ``{% if x %}``
works and nothing prints "None"), and every key present for every case, because the template
environment runs with ``StrictUndefined``. `context_variables()` names the top-level keys, for
template validation.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date
from importlib import resources
from typing import Any

import yaml

from formservice.documents.catalog import get_kind
from formservice.model import Address, Case, Diagnosis
from formservice.reimbursement.evidence import Reference, assemble_evidence, guidelines_for

__all__ = ["LMN_EVIDENCE_CATEGORIES", "build_context", "context_variables", "format_date"]

# What a letter of medical necessity argues before any denial: necessity, not experimental,
# safe, and not cosmetic (DOMAIN.md §6).
LMN_EVIDENCE_CATEGORIES: tuple[str, ...] = (
    "medical_necessity",
    "experimental_investigational",
    "safety",
    "cosmetic",
)

# Used only when reimbursement/data/codes.yaml is absent (it is the source of truth).
_FALLBACK_CODES = {
    "0662T": "Scalp cooling, mechanical; initial measurement and calibration of cap",
    "0663T": "Scalp cooling, mechanical; placement of device, monitoring, and removal of device",
}
_FALLBACK_CHEMO_ADMIN = ("96409", "96411", "96413", "96415", "96416", "96417")
_FALLBACK_POS = {"physician_office": "11", "hospital_outpatient": "22"}

_SITE_LABELS = {
    "physician_office": "Physician office",
    "hospital_outpatient": "Hospital outpatient department",
}
_POS_LABELS = {
    "11": "Office",
    "19": "Off-campus outpatient hospital",
    "22": "On-campus outpatient hospital",
}
PLAN_LABELS = {
    "commercial": "Commercial",
    "erisa": "Employer-sponsored (ERISA)",
    "medicare_ffs": "Medicare (fee-for-service)",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "aca_individual": "ACA individual market",
    "other": "Other",
}
_RISK_TEXT = {
    "high": "high: complete or near-complete hair loss is expected with this regimen",
    "moderate": "moderate: substantial hair loss is expected with this regimen",
    "low": "low, but hair loss remains a recognised toxicity of this regimen",
}
_SEX_LABELS = {"F": "Female", "M": "Male", "X": "X", "U": "Unknown"}
_ENCLOSURES = (
    "Chemotherapy treatment plan and orders",
    "Most recent office visit note",
    "Pathology report confirming the diagnosis",
    "FDA 510(k) clearance letter for the scalp cooling system",
)
_ATTENTION = "Attn: Utilization Review / Prior Authorization"

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


def format_date(value: date | None) -> str:
    """A date as letters write it in the US ("January 20, 2026"); '' when unknown."""
    if value is None:
        return ""
    return f"{value:%B} {value.day}, {value.year}"


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
) -> dict[str, Any]:
    """The template context for a case: plain values, every key present, letter-ready text."""
    codes = _codes()
    pos = codes["places_of_service"].get(case.treatment.site_of_care or "", "")
    ctx: dict[str, Any] = {
        "document": _document(kind, today),
        "facility": _facility(case),
        "patient": _patient(case, today),
        "prescriber": _prescriber(case),
        "coverage": _coverage(case),
        "payer": _payer(case),
        "diagnosis": _diagnosis(case.primary_diagnosis),
        "diagnoses": [_diagnosis(d) for d in case.diagnoses],
        "secondary_diagnoses": [
            _diagnosis(d) for d in case.diagnoses if d is not case.primary_diagnosis
        ],
        "treatment": _treatment(case, pos),
        "request": _request(case, codes, pos),
        "evidence": _evidence(case, evidence_categories),
        "clinical_notes": _s(case.clinical_notes).strip(),
        "prior_authorization": {
            "status": case.prior_authorization.status,
            "number": _s(case.prior_authorization.number),
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


def _s(value: object) -> str:
    return "" if value is None else str(value)


def _join_words(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    street = ", ".join(p for p in (address.line1, address.line2) if p)
    return [street, f"{address.city}, {address.state} {address.zip}"]


def _document(kind: str, today: date) -> dict[str, str]:
    found = get_kind(kind)
    return {
        "kind": kind,
        "title": found.title if found else kind,
        "date": format_date(today),
        "date_iso": today.isoformat(),
    }


def _facility(case: Case) -> dict[str, Any]:
    f = case.facility
    address = _address_lines(f.address)
    contact = [
        part
        for part in (
            f"Phone {f.phone}" if f.phone else "",
            f"Fax {f.fax}" if f.fax else "",
            f"NPI {f.npi}",
        )
        if part
    ]
    return {
        "name": f.name,
        "npi": f.npi,
        "tax_id": _s(f.tax_id),
        "phone": _s(f.phone),
        "fax": _s(f.fax),
        "address_lines": address,
        "address": ", ".join(address),
        "contact_line": " | ".join(contact),
        "letterhead_lines": [
            f.name,
            *([", ".join(address)] if address else []),
            " | ".join(contact),
        ],
    }


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _patient(case: Case, today: date) -> dict[str, Any]:
    p = case.patient
    return {
        "full_name": p.full_name,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": format_date(p.date_of_birth),
        "date_of_birth_iso": p.date_of_birth.isoformat(),
        "age": _age(p.date_of_birth, today),
        "sex": _s(p.sex),
        "sex_label": _SEX_LABELS.get(p.sex or "", ""),
        "phone": _s(p.phone),
        "address_lines": _address_lines(p.address),
    }


def _prescriber(case: Case) -> dict[str, str]:
    p = case.prescriber
    return {
        "full_name": p.full_name,
        "name": f"{p.first_name} {p.last_name}",
        "first_name": p.first_name,
        "last_name": p.last_name,
        "credentials": _s(p.credentials),
        "npi": p.npi,
        "specialty": _s(p.specialty),
        "phone": _s(p.phone),
        "fax": _s(p.fax),
    }


def _coverage(case: Case) -> dict[str, Any]:
    c = case.coverage
    plan = c.payer.plan_type if c.payer else None
    return {
        "status": c.status,
        "insured": c.status == "insured",
        "member_id": _s(c.member_id),
        "group_number": _s(c.group_number),
        "plan_type": _s(plan),
        "plan_type_label": PLAN_LABELS.get(plan or "", ""),
    }


def _payer(case: Case) -> dict[str, str]:
    payer = case.coverage.payer
    if payer is None:
        return {"name": "", "payer_id": "", "phone": "", "fax": "", "attention": ""}
    return {
        "name": payer.name,
        "payer_id": _s(payer.payer_id),
        "phone": _s(payer.phone),
        "fax": _s(payer.fax),
        "attention": _ATTENTION,
    }


def _diagnosis(d: Diagnosis) -> dict[str, Any]:
    description = _s(d.description)
    return {
        "code": d.code,
        "description": description,
        "description_in_sentence": _in_sentence(description) or d.code,
        "text": f"{d.code} – {description}" if description else d.code,
        "primary": d.primary,
    }


def _in_sentence(text: str) -> str:
    """A title-cased label for use mid-sentence: 'Malignant neoplasm' -> 'malignant neoplasm'."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _regimen_text(regimen: str, agents: Sequence[str]) -> str:
    """The regimen, with its agents in parentheses unless the regimen name already lists them."""
    named = regimen.lower()
    agents_text = _join_words(list(agents))
    if not regimen:
        return agents_text or "chemotherapy"
    if not agents or all(a.lower() in named for a in agents):
        return regimen
    return f"{regimen} ({agents_text})"


def _treatment(case: Case, pos: str) -> dict[str, Any]:
    t = case.treatment
    sessions = t.sessions
    return {
        "regimen": _s(t.regimen),
        "regimen_text": _regimen_text(_s(t.regimen), t.agents),
        "agents": list(t.agents),
        "agents_text": _join_words(list(t.agents)),
        "start_date": format_date(t.start_date),
        "sessions": "" if sessions is None else sessions,
        "sessions_text": "" if sessions is None else f"{sessions} session" + "s" * (sessions != 1),
        "cycle_length_days": _s(t.cycle_length_days),
        "schedule_text": f"every {t.cycle_length_days} days" if t.cycle_length_days else "",
        "site_of_care": _s(t.site_of_care),
        "site_of_care_label": _SITE_LABELS.get(t.site_of_care or "", ""),
        "place_of_service": pos,
        "place_of_service_label": _POS_LABELS.get(pos, ""),
        "alopecia_risk": _s(t.alopecia_risk),
        "alopecia_risk_text": _RISK_TEXT.get(t.alopecia_risk or "", ""),
    }


def _request(case: Case, codes: Mapping[str, Any], pos: str) -> dict[str, Any]:
    sessions = case.treatment.sessions
    when = case.treatment.start_date
    initial = _code_row(codes, "0662T", when)
    session = _code_row(codes, "0663T", when)
    lines = [
        {
            "code": "0662T",
            "description": initial,
            "units": "1",
            "basis": "Once, at the first session",
        },
        {
            "code": "0663T",
            "description": session,
            "units": "" if sessions is None else str(sessions),
            "basis": f"Each chemotherapy session, with {_code_span(codes['chemo_admin'])}",
        },
    ]
    return {
        "lines": lines,
        "codes_text": "CPT 0662T and 0663T",
        "sessions": "" if sessions is None else sessions,
        "place_of_service": pos,
        "place_of_service_label": _POS_LABELS.get(pos, ""),
        "chemo_admin_codes": ", ".join(codes["chemo_admin"]),
    }


def _code_span(codes: Sequence[str]) -> str:
    """Chemo-administration codes as a short span: '96409-96417' when sorted numbers."""
    if len(codes) > 2:
        ordered = sorted(codes)
        return f"{ordered[0]}\u2013{ordered[-1]}"
    return " or ".join(codes)


def _reference(number: int, ref: Reference) -> dict[str, Any]:
    return {
        "number": number,
        "key": ref.key,
        "citation": ref.citation,
        "doi": _s(ref.doi),
        "finding": ref.finding,
        "year": ref.year,
        "kind": ref.kind,
        "topic": ref.topic,
    }


def _evidence(case: Case, categories: Sequence[str]) -> dict[str, Any]:
    found = assemble_evidence(categories)
    numbers = {ref.key: i for i, ref in enumerate(found.references, 1)}
    arguments = [
        {"category": a.category, "point": a.point, "marker": a.marker} for a in found.arguments
    ]
    by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in categories}
    for arg in arguments:
        by_category[arg["category"]].append(arg)
    clearance = found.clearances[0]
    fda = {
        "device": clearance.device,
        "manufacturer": clearance.manufacturer,
        "submission": clearance.submission,
        "number": clearance.number,
        "decision_date": format_date(clearance.decision_date),
        "product_code": clearance.product_code,
        "regulation": clearance.regulation,
        "regulation_name": clearance.regulation_name,
        "device_class": clearance.device_class,
        "indication": clearance.indication,
    }
    relevant = {g.key for g in guidelines_for(d.code for d in case.diagnoses)}
    nccn = [
        {
            "guideline": g.guideline,
            "category": g.category,
            "since_version": g.since_version,
            "statement": g.statement,
            "applies": g.key in relevant,
        }
        for g in found.guidelines
    ]
    refs = [_reference(numbers[r.key], r) for r in found.references]
    by_topic: dict[str, list[dict[str, Any]]] = {
        t: [] for t in ("efficacy", "safety", "quality_of_life", "guideline")
    }
    for ref in refs:
        by_topic.setdefault(ref["topic"], []).append(ref)
    return {
        "arguments": arguments,
        "by_category": by_category,
        "references": refs,
        "by_topic": by_topic,
        "ref": {r["key"]: r["number"] for r in refs},
        "fda": fda,
        "nccn": nccn,
        "nccn_applies": any(g["applies"] for g in nccn),
    }


@functools.lru_cache(maxsize=1)
def _codes() -> dict[str, Any]:
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


def _code_row(codes: Mapping[str, Any], code: str, when: date | None) -> str:
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
