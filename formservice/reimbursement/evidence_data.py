"""Read ``data/evidence.yaml`` into an `EvidenceLibrary`, once per process, checking it.

The file (DOMAIN.md §6) has ``version``, ``source``, ``references``, ``clearances``,
``guidelines``, ``sites`` and ``arguments``: per denial category (or theme) a list of points, or a
mapping with ``points`` and the ``appeal`` text that answers it. A point citing an unknown
reference, or appeal text citing a reference its points do not, is a ValueError: a typo in the
data must not silently drop or misnumber a citation.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml

from formservice.reimbursement.evidence_library import (
    AppealText,
    AppealVariant,
    Argument,
    CancerSite,
    Clearance,
    EvidenceLibrary,
    GuidelineStatement,
    Reference,
)

__all__ = ["load_evidence"]


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
