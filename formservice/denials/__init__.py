"""Denial letters: text extraction (text layer and OCR), a pure parser, and their vocabulary.

``read_denial`` is the one call the API, the job queue and the CLI need: checks, text, facts.
"""

from __future__ import annotations

from datetime import date

from formservice.denials.extract import (
    ExtractedDocument,
    ExtractLimits,
    OcrEngine,
    estimate_ocr_pages,
    extract_pages,
    tesseract_ocr,
)
from formservice.denials.parse import parse_denial
from formservice.model.denial import APPEAL_FACTS, REVIEWABLE, Denial

__all__ = [
    "Denial",
    "ExtractLimits",
    "ExtractedDocument",
    "estimate_ocr_pages",
    "extract_pages",
    "parse_denial",
    "read_denial",
]


def read_denial(
    data: bytes,
    *,
    limits: ExtractLimits,
    today: date | None = None,
    ocr: OcrEngine = tesseract_ocr,
    engine: str = "pdfium",
) -> Denial:
    """Return the CONTRACT.md §4 facts (plus evidence) of a denial-letter PDF.

    ``engine`` reads the text layer: ``pdfium`` (the default, fast) or ``pdfplumber`` (the
    reference the tests compare it with).
    """
    doc = extract_pages(data, limits=limits, ocr=ocr, engine=engine)
    result = parse_denial(
        doc.layouts(), today=today, text_source=doc.text_source, page_count=doc.page_count
    )
    if doc.warnings:
        # A page that could not be read may hold any fact: a person must look at every fact the
        # letter seemed not to state, as well as at the ones an appeal needs.
        evidence = {**result.evidence, "extraction_warnings": list(doc.warnings)}
        result = result.with_changes(
            needs_review=True, evidence=evidence, review_fields=_unread(result)
        )
    if not any(p.layout.lines for p in doc.pages):
        # Nothing could be read at all (a blank or noise page): say so, for the reviewer.
        evidence = {**result.evidence, "no_text": "no readable text was found on any page"}
        result = result.with_changes(needs_review=True, evidence=evidence)
    return result


def _unread(result: Denial) -> tuple[str, ...]:
    """The review fields of a letter with an unread page: its own, every empty fact and every
    fact an appeal needs."""
    named = set(result.review_fields) | set(APPEAL_FACTS)
    named |= {f for f in REVIEWABLE if getattr(result, f) in (None, (), "")}
    return tuple(f for f in REVIEWABLE if f in named)
