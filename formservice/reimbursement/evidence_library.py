"""The clinical evidence library, typed: references, FDA clearances, guideline statements,
the points letters argue by denial category, the appeal text that answers each, cancer sites.

One `EvidenceLibrary` holds everything in ``data/evidence.yaml`` (DOMAIN.md §6), each entry with
its source; `evidence_data.load_evidence` reads it, `evidence` assembles what one letter cites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "AppealText",
    "AppealVariant",
    "Argument",
    "CancerSite",
    "Clearance",
    "EvidenceLibrary",
    "GuidelineStatement",
    "Reference",
]


@dataclass(frozen=True, slots=True)
class Reference:
    """One published source, with the one-line finding a letter states."""

    key: str
    kind: str
    topic: str
    authors: str
    title: str
    journal: str
    year: int
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    finding: str
    source: str
    device: str | None = None
    sites: tuple[str, ...] = ()  # cancer sites the study enrolled (evidence.yaml `sites`)
    device_short: str | None = None  # the device as a letter names it beside the finding

    @property
    def device_text(self) -> str:
        """The device as a letter names it beside the finding: "device: Paxman"."""
        name = self.device_short or self.device
        return f"device: {name}" if name else "device not named in the abstract"

    @property
    def citation(self) -> str:
        """The reference in AMA style: authors, title, journal, year;volume(issue):pages. doi."""
        where = f"{self.journal}. {self.year}"
        if self.volume:
            where += f";{self.volume}"
            if self.issue:
                where += f"({self.issue})"
        if self.pages:
            where += f":{self.pages}"
        text = f"{self.authors} {self.title}. {where}."
        return f"{text} doi:{self.doi}" if self.doi else text


@dataclass(frozen=True, slots=True)
class Clearance:
    """An FDA marketing clearance of a scalp cooling system."""

    key: str
    device: str
    manufacturer: str
    submission: str
    number: str
    decision_date: date
    product_code: str
    regulation: str
    regulation_name: str
    device_class: str
    indication: str
    source: str


@dataclass(frozen=True, slots=True)
class GuidelineStatement:
    """A guideline's recommendation of scalp cooling, with its category and first version."""

    key: str
    body: str
    guideline: str
    category: str
    since_version: str
    statement: str
    icd10_prefixes: tuple[str, ...]
    source: str

    def applies_to(self, icd10_code: str) -> bool:
        """Whether the guideline covers a diagnosis code (matched on its prefixes)."""
        code = icd10_code.upper()
        return any(code.startswith(p.upper()) for p in self.icd10_prefixes)


@dataclass(frozen=True, slots=True)
class Argument:
    """One point a letter makes, and the evidence behind it."""

    category: str
    point: str
    cites: tuple[str, ...] = ()
    clearance: bool = False
    guidelines: bool = False


@dataclass(frozen=True, slots=True)
class AppealVariant:
    """One way of answering a denial category, used when the case fact `when` holds."""

    when: str
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...] = ()
    remedy: str | None = None
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class AppealText:
    """How an appeal answers one denial category (or theme): heading, text, remedy, enclosures."""

    category: str
    label: str
    heading: str
    remedy: str | None
    variants: tuple[AppealVariant, ...]
    cites: tuple[str, ...]  # reference keys its text cites, in order of first citation
    phrases: tuple[str, ...] = ()
    answers_themes: tuple[str, ...] = ()
    enclosures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceLibrary:
    """Everything in evidence.yaml, typed."""

    version: str
    source: str
    references: tuple[Reference, ...]
    clearances: tuple[Clearance, ...]
    guidelines: tuple[GuidelineStatement, ...]
    arguments: dict[str, tuple[Argument, ...]]  # only categories with evidence points
    appeals: dict[str, AppealText] = field(default_factory=dict)
    sites: tuple[CancerSite, ...] = ()

    def reference(self, key: str) -> Reference:
        """The reference with this key (KeyError when unknown)."""
        for ref in self.references:
            if ref.key == key:
                return ref
        raise KeyError(key)

    @property
    def categories(self) -> tuple[str, ...]:
        """Denial categories (and themes) that have arguments."""
        return tuple(self.arguments)


@dataclass(frozen=True, slots=True)
class CancerSite:
    """A cancer site the evidence is sorted by, and what a letter says when none is specific."""

    site: str
    label: str
    icd10_prefixes: tuple[str, ...]
    no_specific_trial: str | None = None
