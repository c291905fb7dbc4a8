"""The evidence a letter cites: arguments by category, numbered references, the FDA clearance and
the NCCN statements (marked where they cover the case's diagnoses)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from formservice.documents.contexts.text import format_date, plain
from formservice.model import Case
from formservice.reimbursement.evidence import assemble_evidence, guidelines_for, site_evidence
from formservice.reimbursement.evidence_library import Clearance, GuidelineStatement, Reference

__all__ = ["evidence_context"]


def _reference(number: int, ref: Reference) -> dict[str, Any]:
    return {
        "number": number,
        "key": ref.key,
        "citation": ref.citation,
        "doi": plain(ref.doi),
        "finding": ref.finding,
        "year": ref.year,
        "kind": ref.kind,
        "topic": ref.topic,
        "device": plain(ref.device),
        "device_text": ref.device_text,
    }


def _letter_order(case: Case, assembled: Sequence[Reference]) -> tuple[list[Reference], Any]:
    """The LMN's references in the order it cites them: the guideline (regulatory paragraph),
    the efficacy studies for the diagnosis's site, safety, quality of life."""
    site = site_evidence(case.primary_diagnosis.code)
    ordered = [r for r in assembled if r.topic == "guideline"] + list(site.references)
    ordered += [r for r in assembled if r.topic == "safety"]
    ordered += [r for r in assembled if r.topic == "quality_of_life"]
    unique = list({r.key: r for r in ordered}.values())
    return unique, site


def _fda(clearance: Clearance) -> dict[str, Any]:
    """The FDA clearance as the letter states it."""
    return {
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


def _nccn(case: Case, guidelines: Sequence[GuidelineStatement]) -> list[dict[str, Any]]:
    """The guideline statements, each marked where it covers one of the case's diagnoses."""
    relevant = {g.key for g in guidelines_for(d.code for d in case.diagnoses)}
    return [
        {
            "guideline": g.guideline,
            "category": g.category,
            "since_version": g.since_version,
            "statement": g.statement,
            "applies": g.key in relevant,
        }
        for g in guidelines
    ]


def evidence_context(
    case: Case, categories: Sequence[str], *, by_site: bool = False
) -> dict[str, Any]:
    """The arguments for these categories, references numbered by first citation, FDA, NCCN.

    `by_site` (the letter of medical necessity): the efficacy studies are those of the primary
    diagnosis's cancer site (evidence.yaml `sites`), and `site.note` says when none is specific.
    """
    found = assemble_evidence(categories)
    numbers = {ref.key: i for i, ref in enumerate(found.references, 1)}
    arguments = [
        {"category": a.category, "point": a.point, "marker": a.marker} for a in found.arguments
    ]
    by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in categories}
    for arg in arguments:
        by_category[arg["category"]].append(arg)
    fda = _fda(found.clearances[0])
    nccn = _nccn(case, found.guidelines)
    site_block = {"label": "", "specific": True, "note": ""}
    if by_site:
        ordered, site = _letter_order(case, found.references)
        refs = [_reference(i, r) for i, r in enumerate(ordered, 1)]
        site_block = {"label": site.site.label, "specific": site.specific, "note": site.note}
    else:
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
        "site": site_block,
    }
