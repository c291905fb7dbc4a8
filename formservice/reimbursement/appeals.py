"""What a letter of appeal argues: one section per denial reason, the remedy, the enclosures.

Pure: the denial is the CONTRACT.md §4 mapping, the case a `model.Case`. The words come from data
(evidence.yaml `arguments`, shared with the LMN, and appeals.yaml); this module picks the variant
that fits the case, fills the placeholders and numbers the citations the way the LMN does
(`assemble_evidence` over `evidence_categories`), so the context's reference list matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from formservice.model import Case, Denial
from formservice.reimbursement import codes, load_data
from formservice.reimbursement.billing import diagnosis_letters
from formservice.reimbursement.evidence import (
    AppealText,
    AppealVariant,
    EvidenceLibrary,
    assemble_evidence,
    guidelines_for,
    load_evidence,
)

__all__ = [
    "Argument",
    "Quote",
    "appeal_arguments",
    "appeal_enclosures",
    "appeal_remedy",
    "appeal_request",
    "deadline_text",
    "erisa_requests",
    "evidence_categories",
    "format_date",
    "is_erisa",
    "is_pre_service",
    "parse_date",
]

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([\w,]+))?\}")
_PA_ON_FILE = frozenset({"submitted", "pending", "approved", "appeal_submitted", "appeal_approved"})
_PA_DENIED = frozenset({"denied", "appeal_denied"})
_PA_STATUS_TEXT = {
    "submitted": "submitted",
    "pending": "pending",
    "approved": "approved",
    "denied": "denied",
    "appeal_submitted": "under appeal",
    "appeal_approved": "approved on appeal",
    "appeal_denied": "denied on appeal",
}
_DEFAULT_CODES = ("0662T", "0663T")


@dataclass(frozen=True, slots=True)
class Quote:
    """A denial reason as the letter states it."""

    evidence: str
    carc: str
    page: int | None


@dataclass(frozen=True, slots=True)
class Argument:
    """One section of an appeal: the reason it answers and the text that answers it."""

    category: str
    label: str
    heading: str
    quotes: tuple[Quote, ...]
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...]
    cites: tuple[str, ...]  # reference keys, in order of first citation
    remedy: str
    themes: tuple[str, ...] = ()
    enclosures: tuple[str, ...] = ()

    @property
    def carc_codes(self) -> tuple[str, ...]:
        """The CARC codes of the reasons this section answers."""
        return tuple(dict.fromkeys(q.carc for q in self.quotes if q.carc))


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


def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_data("appeals.yaml")
    return data


def _plan_type(denial: Denial, case: Case | None) -> str:
    if denial.plan_type:
        return str(denial.plan_type)
    payer = case.coverage.payer if case is not None else None
    return (payer.plan_type or "") if payer else ""


def is_erisa(denial: Denial, case: Case | None = None) -> bool:
    """Whether the denied plan is an ERISA employer plan (denial's plan type, else the case's)."""
    return _plan_type(denial, case) == "erisa"


def is_pre_service(denial: Denial) -> bool:
    """Whether the denial answers an authorization request rather than a claim.

    A pre-service letter names a service date after its own date, or an authorization request
    and no claim.
    """
    letter, service = (
        parse_date(denial.letter_date),
        parse_date(denial.date_of_service),
    )
    if letter and service and service > letter:
        return True
    return not denial.claim_number and bool(denial.authorization_number)


def appeal_request(denial: Denial, case: Case | None = None) -> dict[str, str]:
    """The letter's title and the review it asks for, by plan type."""
    requests = _data()["requests"]
    found = requests.get(_plan_type(denial, case)) or requests["default"]
    return {"title": str(found["title"]), "noun": str(found["noun"])}


def _pa_number(denial: Denial, case: Case) -> str:
    return case.prior_authorization.number or str(denial.authorization_number or "")


def _pa_after_service(denial: Denial, case: Case) -> bool:
    pa = case.prior_authorization
    service = parse_date(denial.date_of_service)
    return bool(pa.number and pa.submitted_on and service and pa.submitted_on > service)


def _holds(when: str, denial: Denial, case: Case) -> bool:
    """Whether a fact of the case named by the data (`when`) holds for this denial."""
    pa = case.prior_authorization
    if when == "pa_denied":
        return bool(pa.number) and pa.status in _PA_DENIED
    if when == "pa_after_service":
        return _pa_after_service(denial, case)
    if when == "pa_on_file":
        ours = bool(pa.number) and pa.status in _PA_ON_FILE
        return ours and not _pa_after_service(denial, case) or bool(denial.authorization_number)
    if when == "pa_not_required":
        return pa.required is False or pa.status == "not_required"
    if when == "hospital_outpatient":
        return case.treatment.site_of_care == "hospital_outpatient"
    if when == "default":
        return True
    raise ValueError(f"evidence.yaml: unknown appeal condition {when!r}")


def _variant(text: AppealText, denial: Denial, case: Case) -> AppealVariant:
    for variant in text.variants:
        if _holds(variant.when, denial, case):
            return variant
    raise ValueError(f"evidence.yaml: {text.category} has no variant for this case")


def _codes_text(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return f"CPT {items[0]}"
    return "CPT " + ", ".join(items[:-1]) + " and " + items[-1]


def _course(case: Case) -> str:
    """The regimen and its sessions, without repeating what the regimen name already says."""
    t = case.treatment
    regimen = t.regimen or ""
    named = regimen.lower()
    if not regimen:
        regimen = " and ".join(t.agents) if len(t.agents) <= 2 else ", ".join(t.agents)
    elif t.agents and "(" not in regimen and not all(a.lower() in named for a in t.agents):
        regimen = f"{regimen} ({', '.join(t.agents)})"
    parts = [regimen or "chemotherapy"]
    if t.sessions:
        plan = f"{t.sessions} session" + "s" * (t.sessions != 1)
        if t.cycle_length_days and "every" not in named:
            plan += f" every {t.cycle_length_days} days"
        parts.append(plan)
    return ", ".join(parts)


def _nccn(case: Case, lib: EvidenceLibrary) -> str:
    applies = guidelines_for((d.code for d in case.diagnoses), library=lib)
    if applies:
        names = " and ".join(
            g.guideline.replace(
                "NCCN Clinical Practice Guidelines in Oncology (NCCN Guidelines) for ",
                "NCCN Guidelines for ",
            )
            + f" (since {g.since_version})"
            for g in applies
        )
        return (
            f"The {names}, which cover this diagnosis, list scalp cooling as a category "
            f"{applies[0].category} recommendation: uniform NCCN consensus that the "
            "intervention is appropriate."
        )
    cats = sorted({g.category for g in lib.guidelines})
    return (
        "The National Comprehensive Cancer Network lists scalp cooling as a category "
        f"{'/'.join(cats)} recommendation for patients receiving chemotherapy for breast and "
        "ovarian cancer."
    )


def _facts(denial: Denial, case: Case, lib: EvidenceLibrary) -> dict[str, str]:
    """The values placeholders stand for, each with a sensible text when unknown."""
    t, pa = case.treatment, case.prior_authorization
    payer = case.coverage.payer
    primary = case.primary_diagnosis
    description = primary.description or ""
    if len(description) > 1 and description[0].isupper() and not description[1].isupper():
        description = description[0].lower() + description[1:]
    pos = codes.place_of_service(t.site_of_care)
    chemo = sorted(codes.chemo_admin_codes())
    clearance = lib.clearances[0]
    dos = format_date(denial.date_of_service) or format_date(t.start_date)
    claim = str(denial.claim_number or "")
    return {
        "patient": case.patient.full_name,
        "payer": str(denial.payer_name or (payer.name if payer else "") or "the plan"),
        "member_id": str(denial.member_id or case.coverage.member_id or "on file"),
        "claim": claim or "for these services",
        "reference": str(denial.authorization_number or claim or pa.number or ""),
        "dos": dos or "the date of service",
        "codes": _codes_text(list(denial.procedure_codes or _DEFAULT_CODES)),
        "diagnosis": f"{description} (ICD-10-CM {primary.code})"
        if description
        else f"ICD-10-CM {primary.code}",
        "icd10": ", ".join(code for _, code in diagnosis_letters(case)),
        "course": _course(case),
        "regimen": t.regimen or "chemotherapy",
        "start_clause": f" on {format_date(t.start_date)}" if t.start_date else "",
        "first_date": f" ({format_date(t.start_date)})" if t.start_date else "",
        "sessions_text": f"{t.sessions} planned" if t.sessions else "every planned session",
        "facility": case.facility.name,
        "facility_npi": case.facility.npi,
        "prescriber": case.prescriber.full_name,
        "prescriber_npi": case.prescriber.npi,
        "pa_number": _pa_number(denial, case) or "on file",
        "pa_submitted": format_date(pa.submitted_on) or "the date on the enclosed request",
        "pa_status": _PA_STATUS_TEXT.get(pa.status, "on file"),
        "chemo_codes": f"{chemo[0]}\u2013{chemo[-1]}" if len(chemo) > 2 else " or ".join(chemo),
        "chemo_code": t.chemo_administration_code or "96413",
        "pos": pos[0] if pos else "as billed",
        "pos_label": pos[1].split(" (")[0] if pos else "site of care",
        "fda_device": clearance.device,
        "fda_manufacturer": clearance.manufacturer,
        "fda_submission": clearance.submission,
        "fda_number": clearance.number,
        "fda_date": format_date(clearance.decision_date),
        "fda_regulation": clearance.regulation,
        "fda_product_code": clearance.product_code,
        "fda_class": clearance.device_class,
        "fda_indication": clearance.indication,
        "nccn": _nccn(case, lib),
    }


def _fill(text: str, facts: Mapping[str, str], numbers: Mapping[str, int]) -> str:
    def one(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if name == "cite":
            cited = sorted(numbers[k] for k in (arg or "").split(","))
            return "[" + ", ".join(str(n) for n in cited) + "]"
        return facts[name]

    return _PLACEHOLDER.sub(one, text)


@dataclass(frozen=True, slots=True)
class _Section:
    category: str
    quotes: tuple[Quote, ...]
    themes: tuple[str, ...]


def _sections(denial: Denial, lib: EvidenceLibrary) -> list[_Section]:
    """Distinct reason categories in the denial's order, each with its quotes and themes."""
    reasons = list(denial.reasons)
    order = list(dict.fromkeys([r.category or "other" for r in reasons]))
    for category in denial.categories:
        if category not in order:  # a category the parser reported without a reason sentence
            order.append(str(category))
    if not order:
        order = ["other"]
    theme_texts = {k: v for k, v in lib.appeals.items() if v.phrases}
    raised: set[str] = set(order)
    sections = []
    for category in order:
        mine = [r for r in reasons if (r.category or "other") == category]
        if category not in lib.appeals:  # a category the library does not know: reconsider
            category = "other"
        quotes = tuple(
            Quote(
                evidence=" ".join(r.evidence.split()),
                carc=r.carc or "",
                page=r.page,
            )
            for r in mine
            if r.evidence
        )
        said = " ".join(q.evidence for q in quotes).lower()
        themes = []
        for theme, text in theme_texts.items():
            if theme in raised or theme in lib.appeals[category].answers_themes:
                continue
            if any(p.lower() in said for p in text.phrases):
                themes.append(theme)
                raised.add(theme)
        sections.append(_Section(category, quotes, tuple(themes)))
    return sections


def evidence_categories(arguments: Sequence[Argument]) -> list[str]:
    """The evidence categories (and themes) the arguments cite, in order: for `build_context`."""
    lib = load_evidence()
    found = [c for a in arguments for c in (a.category, *a.themes) if c in lib.arguments]
    return list(dict.fromkeys(found))


def appeal_arguments(denial: Denial, case: Case) -> list[Argument]:
    """One argument per distinct denial reason category, in the order of the denial's reasons."""
    lib = load_evidence()
    sections = _sections(denial, lib)
    categories = [c for s in sections for c in (s.category, *s.themes) if c in lib.arguments]
    evidence = assemble_evidence(list(dict.fromkeys(categories)), library=lib)
    numbers = {ref.key: i for i, ref in enumerate(evidence.references, 1)}
    facts = _facts(denial, case, lib)
    arguments = []
    for section in sections:
        text = lib.appeals[section.category]
        variant = _variant(text, denial, case)
        paragraphs = [_fill(p, facts, numbers) for p in variant.paragraphs]
        cites = list(text.cites)
        for theme in section.themes:
            extra = lib.appeals[theme]
            paragraphs += [
                _fill(p, facts, numbers) for p in _variant(extra, denial, case).paragraphs
            ]
            cites += [k for k in extra.cites if k not in cites]
        arguments.append(
            Argument(
                category=section.category,
                label=text.label,
                heading=_fill(variant.heading or text.heading, facts, numbers),
                quotes=section.quotes,
                paragraphs=tuple(paragraphs),
                bullets=tuple(_fill(b, facts, numbers) for b in variant.bullets),
                cites=tuple(cites),
                remedy=variant.remedy or text.remedy or "pay_claim",
                themes=section.themes,
                enclosures=text.enclosures,
            )
        )
    return arguments


def _remedy_key(denial: Denial, arguments: Sequence[Argument]) -> str:
    if is_pre_service(denial):
        return "pre_service"
    remedies = _data()["remedies"]
    keys = [a.remedy for a in arguments] or ["pay_claim"]
    return max(keys, key=lambda k: int(remedies[k]["rank"]))


def appeal_remedy(
    denial: Denial,
    case: Case | None = None,
    arguments: Sequence[Argument] | None = None,
) -> str:
    """The one thing the appeal asks the payer to do, as a clause ("overturn the denial ...")."""
    if arguments is None:
        if case is None:
            # Without the case, take each category's own remedy (no case-dependent variant).
            lib = load_evidence()
            arguments = [
                Argument(
                    category=s.category,
                    label="",
                    heading="",
                    quotes=(),
                    paragraphs=(),
                    bullets=(),
                    cites=(),
                    remedy=lib.appeals[s.category].remedy or "pay_claim",
                )
                for s in _sections(denial, lib)
            ]
        else:
            arguments = appeal_arguments(denial, case)
    template = _data()["remedies"][_remedy_key(denial, arguments)]["post_service"]
    claim = str(denial.claim_number or "")
    reference = str(denial.authorization_number or claim)
    if case is not None and not reference:
        reference = case.prior_authorization.number or ""
    values = {
        "claim": claim or "for these services",
        "reference": reference or "for these services",
        "codes": _codes_text(list(denial.procedure_codes or _DEFAULT_CODES)),
        "dos": format_date(denial.date_of_service)
        or (format_date(case.treatment.start_date) if case else "")
        or "at issue",
    }
    text = str(template).format(**values)
    return text.replace("claim for these services", "the claim for these services")


def _basis_text(basis: str) -> str:
    for prefix, words in _data()["basis_prefixes"].items():
        if basis.startswith(prefix):
            rest = basis[len(prefix) :].strip()
            if prefix == "letter states the date:":
                return str(words)
            return f"{words} {rest}".strip()
    return basis


def deadline_text(denial: Denial, today: date, case: Case | None = None) -> str:
    """The sentence that says when the appeal is due and that it meets the deadline."""
    phrases = _data()["deadline"]
    deadline = parse_date(denial.appeal_deadline)
    values = {"today": format_date(today)}
    if deadline is not None:
        basis = _basis_text(str(denial.appeal_deadline_basis or "stated in the denial"))
        values |= {"deadline": format_date(deadline), "basis": basis}
        key = "timely" if today <= deadline else "late"
        return str(phrases[key]).format(**values)
    letter = parse_date(denial.letter_date)
    if letter is None:
        return f"This appeal is submitted on {values['today']}."
    days = (today - letter).days
    if days < 0:
        return f"This appeal is submitted on {values['today']}."
    key = "unknown_erisa" if is_erisa(denial, case) and 0 <= days <= 180 else "unknown"
    return str(phrases[key]).format(**values, days=days)


def erisa_requests(denial: Denial, case: Case | None = None) -> list[str]:
    """The ERISA paragraphs (claim file, criteria relied on, independent reviewer), or []."""
    return [str(p) for p in _data()["erisa_requests"]] if is_erisa(denial, case) else []


def appeal_enclosures(denial: Denial, case: Case, arguments: Sequence[Argument]) -> list[str]:
    """What the appeal packet encloses: the common items, then each reason's own."""
    categories = {a.category for a in arguments}
    facts = {
        "always": True,
        "no_records_list": "missing_documentation" not in categories,
        "pa_on_file": bool(_pa_number(denial, case)),
        "references": any(a.cites for a in arguments),
    }
    values = {
        "letter_date": format_date(denial.letter_date) or "(date not stated)",
        "pa_number": _pa_number(denial, case),
    }
    items = [i for i in _data()["enclosures"] if facts[str(i["when"])]]
    # The references go last, after the records each reason needs.
    first = [str(i["text"]).format(**values) for i in items if i["when"] != "references"]
    last = [str(i["text"]).format(**values) for i in items if i["when"] == "references"]
    found = first
    for argument in arguments:
        found += [e for e in argument.enclosures if e not in found]
    return found + [e for e in last if e not in found]
