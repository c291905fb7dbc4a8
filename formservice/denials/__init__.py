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
from formservice.model.denial import Denial

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
) -> Denial:
    """Return the CONTRACT.md §4 facts (plus evidence) of a denial-letter PDF."""
    doc = extract_pages(data, limits=limits, ocr=ocr)
    result = parse_denial(
        doc.page_texts(), today=today, text_source=doc.text_source, page_count=doc.page_count
    )
    if doc.warnings:
        # A page that could not be read may hold a reason or the deadline: a person must look.
        evidence = {**result.evidence, "extraction_warnings": list(doc.warnings)}
        result = result.with_changes(needs_review=True, evidence=evidence)
    return result
