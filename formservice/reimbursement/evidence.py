"""What one letter cites from the evidence library: numbered arguments and references.

The library (``data/evidence.yaml``, DOMAIN.md §6, a source for every entry) is typed in
`evidence_library` and read once by `evidence_data.load_evidence`; this module assembles the
numbered citations a letter needs for the denial categories it answers (`assemble_evidence`),
the guideline statements that cover a diagnosis (`guidelines_for`) and the efficacy studies of a
diagnosis's cancer site (`site_evidence`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from formservice.reimbursement.evidence_data import load_evidence
from formservice.reimbursement.evidence_library import (
    CancerSite,
    Clearance,
    EvidenceLibrary,
    GuidelineStatement,
    Reference,
)

__all__ = [
    "CitedArgument",
    "LetterEvidence",
    "SiteEvidence",
    "assemble_evidence",
    "guidelines_for",
    "site_evidence",
]


@dataclass(frozen=True, slots=True)
class SiteEvidence:
    """The efficacy studies a letter of medical necessity cites for one diagnosis.

    `specific` is False when no study of the site exists in the library; `note` then says so,
    and `references` are the all-solid-tumour studies.
    """

    site: CancerSite
    specific: bool
    note: str
    references: tuple[Reference, ...]


@dataclass(frozen=True, slots=True)
class CitedArgument:
    """An argument with its citations resolved to reference numbers, e.g. ``[1, 2]``."""

    category: str
    point: str
    numbers: tuple[int, ...]

    @property
    def marker(self) -> str:
        """The bracketed citation marker for the text, or '' when it cites nothing."""
        return f"[{', '.join(str(n) for n in sorted(self.numbers))}]" if self.numbers else ""


@dataclass(frozen=True, slots=True)
class LetterEvidence:
    """What one letter cites: arguments in order, references numbered by first citation."""

    arguments: tuple[CitedArgument, ...]
    references: tuple[Reference, ...]
    clearances: tuple[Clearance, ...]
    guidelines: tuple[GuidelineStatement, ...]

    def number_of(self, key: str) -> int:
        """The 1-based number of a cited reference in this letter."""
        return next(i for i, ref in enumerate(self.references, 1) if ref.key == key)


def assemble_evidence(
    categories: Sequence[str], *, library: EvidenceLibrary | None = None
) -> LetterEvidence:
    """The arguments answering these denial categories, references numbered by first citation."""
    lib = library or load_evidence()
    unknown = [c for c in categories if c not in lib.arguments]
    if unknown:
        raise KeyError(f"no evidence arguments for {unknown}; known: {list(lib.arguments)}")
    order: list[str] = []
    cited: list[CitedArgument] = []
    seen_points: set[str] = set()
    for category in categories:
        for arg in lib.arguments[category]:
            if arg.point in seen_points:
                continue
            seen_points.add(arg.point)
            for key in arg.cites:
                if key not in order:
                    order.append(key)
            numbers = tuple(order.index(k) + 1 for k in arg.cites)
            cited.append(CitedArgument(category=category, point=arg.point, numbers=numbers))
    refs = tuple(lib.reference(k) for k in order)
    return LetterEvidence(
        arguments=tuple(cited),
        references=refs,
        clearances=lib.clearances,
        guidelines=lib.guidelines,
    )


def guidelines_for(
    codes: Iterable[str], *, library: EvidenceLibrary | None = None
) -> tuple[GuidelineStatement, ...]:
    """Guideline statements whose diagnosis prefixes match any of these ICD-10-CM codes."""
    lib = library or load_evidence()
    codes = list(codes)
    return tuple(g for g in lib.guidelines if any(g.applies_to(c) for c in codes))


def _normal_code(code: str) -> str:
    return code.strip().upper().replace(".", "")


def site_evidence(icd10_code: str) -> SiteEvidence:
    """The efficacy studies for a diagnosis: its site's studies and the all-solid-tumour ones;
    for a site with none, the all-solid-tumour studies only, with the note that says no
    site-specific trial was found (breast trials are never offered as another site's)."""
    library = load_evidence()
    code = _normal_code(icd10_code)
    fallback = next(s for s in library.sites if not s.icd10_prefixes)
    site = next(
        (
            s
            for s in library.sites
            if any(code.startswith(_normal_code(p)) for p in s.icd10_prefixes)
        ),
        fallback,
    )
    efficacy = [r for r in library.references if r.topic == "efficacy"]
    own = [r for r in efficacy if site.site in r.sites and site is not fallback]
    solid = [r for r in efficacy if fallback.site in r.sites]
    if own:
        extra = [] if site.site == "breast" else solid
        return SiteEvidence(site, True, "", tuple(own + extra))
    note = site.no_specific_trial or fallback.no_specific_trial or ""
    return SiteEvidence(site, False, note, tuple(solid))
