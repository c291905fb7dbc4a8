"""The sections of an appeal: one per denial reason category, in the denial's order, each with
the variant of its text that fits the case, placeholders filled and citations numbered the way
the LMN numbers them (`assemble_evidence` over `evidence_categories`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from formservice.model import Case, Denial
from formservice.reimbursement.appeals.dates import parse_date
from formservice.reimbursement.appeals.placeholders import placeholder_facts
from formservice.reimbursement.evidence import assemble_evidence
from formservice.reimbursement.evidence_data import load_evidence
from formservice.reimbursement.evidence_library import AppealText, AppealVariant, EvidenceLibrary

__all__ = [
    "Argument",
    "Quote",
    "Section",
    "appeal_arguments",
    "denial_sections",
    "evidence_categories",
]

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([\w,]+))?\}")
_PA_ON_FILE = frozenset({"submitted", "pending", "approved", "appeal_submitted", "appeal_approved"})
_PA_DENIED = frozenset({"denied", "appeal_denied"})


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


def _fill(text: str, facts: Mapping[str, str], numbers: Mapping[str, int]) -> str:
    def one(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if name == "cite":
            cited = sorted(numbers[k] for k in (arg or "").split(","))
            return "[" + ", ".join(str(n) for n in cited) + "]"
        return facts[name]

    return _PLACEHOLDER.sub(one, text)


@dataclass(frozen=True, slots=True)
class Section:
    """A reason category the denial raises, its quoted reasons and the themes it also answers."""

    category: str
    quotes: tuple[Quote, ...]
    themes: tuple[str, ...]


def denial_sections(denial: Denial, lib: EvidenceLibrary) -> list[Section]:
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
        sections.append(Section(category, quotes, tuple(themes)))
    return sections


def evidence_categories(arguments: Sequence[Argument]) -> list[str]:
    """The evidence categories (and themes) the arguments cite, in order: for `build_context`."""
    lib = load_evidence()
    found = [c for a in arguments for c in (a.category, *a.themes) if c in lib.arguments]
    return list(dict.fromkeys(found))


def appeal_arguments(denial: Denial, case: Case) -> list[Argument]:
    """One argument per distinct denial reason category, in the order of the denial's reasons."""
    lib = load_evidence()
    sections = denial_sections(denial, lib)
    categories = [c for s in sections for c in (s.category, *s.themes) if c in lib.arguments]
    evidence = assemble_evidence(list(dict.fromkeys(categories)), library=lib)
    numbers = {ref.key: i for i, ref in enumerate(evidence.references, 1)}
    facts = placeholder_facts(denial, case, lib)
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
