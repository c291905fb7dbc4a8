"""The clinical evidence library that letters cite: references, FDA clearances, NCCN statements.

The data lives in ``data/evidence.yaml`` (DOMAIN.md §6) with a source for every entry; this module
only loads it (once, on first use) and assembles the numbered citations a letter needs for the
denial categories it answers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "AppealText",
    "AppealVariant",
    "Argument",
    "CitedArgument",
    "Clearance",
    "EvidenceLibrary",
    "GuidelineStatement",
    "LetterEvidence",
    "CancerSite",
    "Reference",
    "SiteEvidence",
    "assemble_evidence",
    "guidelines_for",
    "load_evidence",
    "site_evidence",
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


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_CITE = re.compile(r"\{cite:([\w,]+)\}")


def _appeal_text(category: str, item: dict[str, Any], allowed: set[str]) -> AppealText:
    variants = tuple(
        AppealVariant(
            when=str(v.get("when") or "default"),
            paragraphs=tuple(v.get("paragraphs") or ()),
            bullets=tuple(v.get("bullets") or ()),
            remedy=v.get("remedy"),
            heading=v.get("heading"),
        )
        for v in item.get("appeal") or ()
    )
    cites: list[str] = []
    for variant in variants:
        for text in (*variant.paragraphs, *variant.bullets):
            for group in _CITE.findall(text):
                cites.extend(k for k in group.split(",") if k not in cites)
    stray = set(cites) - allowed
    if stray:
        # The appeal numbers references as the LMN does, from the points: a key cited only in
        # the appeal text would have no number.
        raise ValueError(
            f"evidence.yaml: {category} appeal cites {sorted(stray)} not in its points"
        )
    return AppealText(
        category=category,
        label=str(item.get("label") or category),
        heading=str(item.get("heading") or ""),
        remedy=item.get("remedy"),
        variants=variants,
        cites=tuple(cites),
        phrases=tuple(item.get("phrases") or ()),
        answers_themes=tuple(item.get("answers_themes") or ()),
        enclosures=tuple(item.get("enclosures") or ()),
    )


def _parse(raw: dict[str, Any]) -> EvidenceLibrary:
    references = tuple(_reference(r) for r in raw["references"])
    clearances = tuple(
        Clearance(
            **{**c, "decision_date": c["decision_date"], "device_class": str(c["device_class"])}
        )
        for c in raw["clearances"]
    )
    guidelines = tuple(
        GuidelineStatement(**{**g, "icd10_prefixes": tuple(g.get("icd10_prefixes") or ())})
        for g in raw["guidelines"]
    )
    keys = {r.key for r in references}
    arguments: dict[str, tuple[Argument, ...]] = {}
    appeals: dict[str, AppealText] = {}
    for category, entry in raw["arguments"].items():
        # An entry is a list of points (the old form) or a mapping with points and appeal text.
        items = entry if isinstance(entry, list) else entry.get("points") or []
        args = [_argument(category, item, keys) for item in items]
        if args:
            arguments[category] = tuple(args)
        if isinstance(entry, dict) and entry.get("appeal"):
            allowed = {k for a in args for k in a.cites}
            appeals[category] = _appeal_text(category, entry, allowed)
    return EvidenceLibrary(
        version=str(raw["version"]),
        source=raw["source"],
        references=references,
        clearances=clearances,
        guidelines=guidelines,
        arguments=arguments,
        appeals=appeals,
        sites=tuple(
            CancerSite(
                site=str(x["site"]),
                label=str(x["label"]),
                icd10_prefixes=tuple(x.get("icd10_prefixes") or ()),
                no_specific_trial=x.get("no_specific_trial"),
            )
            for x in raw.get("sites") or ()
        ),
    )


def _reference(r: dict[str, Any]) -> Reference:
    return Reference(
        key=r["key"],
        kind=r["kind"],
        topic=r["topic"],
        authors=r["authors"],
        title=r["title"],
        journal=r["journal"],
        year=int(r["year"]),
        volume=_text(r.get("volume")),
        issue=_text(r.get("issue")),
        pages=_text(r.get("pages")),
        doi=_text(r.get("doi")),
        finding=r["finding"],
        source=r["source"],
        device=_text(r.get("device")),
        sites=tuple(r.get("sites") or ()),
        device_short=_text(r.get("device_short")),
    )


def _argument(category: str, item: dict[str, Any], keys: set[str]) -> Argument:
    cites = tuple(item.get("cites") or ())
    unknown = set(cites) - keys
    if unknown:
        # A typo in the data must not silently drop a citation from a letter.
        raise ValueError(f"evidence.yaml: {category} cites unknown {sorted(unknown)}")
    return Argument(
        category=category,
        point=item["point"],
        cites=cites,
        clearance=bool(item.get("clearance")),
        guidelines=bool(item.get("guidelines")),
    )


@functools.lru_cache(maxsize=1)
def load_evidence() -> EvidenceLibrary:
    """The evidence library from the package data (read once per process)."""
    text = (
        resources.files("formservice.reimbursement")
        .joinpath("data/evidence.yaml")
        .read_text(encoding="utf-8")
    )
    return _parse(yaml.safe_load(text))


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
