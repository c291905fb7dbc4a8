"""The clinical evidence library that letters cite: references, FDA clearances, NCCN statements.

The data lives in ``data/evidence.yaml`` (DOMAIN.md §6) with a source for every entry; this module
only loads it (once, on first use) and assembles the numbered citations a letter needs for the
denial categories it answers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "Argument",
    "CitedArgument",
    "Clearance",
    "EvidenceLibrary",
    "GuidelineStatement",
    "LetterEvidence",
    "Reference",
    "assemble_evidence",
    "guidelines_for",
    "load_evidence",
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
class EvidenceLibrary:
    """Everything in evidence.yaml, typed."""

    version: str
    source: str
    references: tuple[Reference, ...]
    clearances: tuple[Clearance, ...]
    guidelines: tuple[GuidelineStatement, ...]
    arguments: dict[str, tuple[Argument, ...]]

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


def _parse(raw: dict[str, Any]) -> EvidenceLibrary:
    references = tuple(
        Reference(
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
        )
        for r in raw["references"]
    )
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
    for category, items in raw["arguments"].items():
        args = []
        for item in items:
            cites = tuple(item.get("cites") or ())
            unknown = set(cites) - keys
            if unknown:
                # A typo in the data must not silently drop a citation from a letter.
                raise ValueError(f"evidence.yaml: {category} cites unknown {sorted(unknown)}")
            args.append(
                Argument(
                    category=category,
                    point=item["point"],
                    cites=cites,
                    clearance=bool(item.get("clearance")),
                    guidelines=bool(item.get("guidelines")),
                )
            )
        arguments[category] = tuple(args)
    return EvidenceLibrary(
        version=str(raw["version"]),
        source=raw["source"],
        references=references,
        clearances=clearances,
        guidelines=guidelines,
        arguments=arguments,
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
