"""The labelled sample letters of samples/denials: their evidence, coverage and generator."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from formservice.denials import taxonomy
from formservice.denials.extract import ExtractLimits, estimate_ocr_pages, extract_pages
from formservice.denials.parse import parse_denial as _parse_denial
from tests.denials.conftest import SAMPLES, require_tesseract, sample_pdfs
from tests.helpers.denials import CONTRACT_KEYS


def parse_denial(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The parser's result as the JSON the API shows (CONTRACT.md §4)."""
    return _parse_denial(*args, **kwargs).to_json()


# Field accuracy and silent errors over all three labelled sets: tests/denials/test_evaluation.py.
# Labels state the letter's facts; review_fields is the product's judgement, not a fact.
LABEL_KEYS = CONTRACT_KEYS - {"review_fields"}


def label(pdf: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def parsed() -> dict[str, tuple[dict[str, Any], list[tuple[int, str, str]]]]:
    require_tesseract()
    out = {}
    for pdf in sample_pdfs():
        doc = extract_pages(pdf.read_bytes(), limits=ExtractLimits())
        result = parse_denial(doc.layouts(), text_source=doc.text_source, page_count=doc.page_count)
        out[pdf.stem] = (result, doc.page_texts())
    return out


def test_every_evidence_text_is_on_its_page(
    parsed: dict[str, tuple[dict[str, Any], list[tuple[int, str, str]]]],
) -> None:
    for stem, (result, pages) in parsed.items():
        texts = {no: " ".join(text.split()) for no, text, _ in pages}
        for reason in result["reasons"]:
            assert reason["evidence"] in texts[reason["page"]], (stem, reason)
        for name, item in result["evidence"].items():
            for one in item if isinstance(item, list) else [item]:
                if isinstance(one, dict) and "text" in one:  # not the bookkeeping maps
                    assert one["text"] in texts[one["page"]], (stem, name)


def test_sample_set_covers_the_brief() -> None:
    pdfs = sample_pdfs()
    assert len(pdfs) >= 20
    labels = [label(p) for p in pdfs]
    for data in labels:
        assert set(data) == LABEL_KEYS
        assert set(data["categories"]) <= set(taxonomy.CATEGORIES)
    covered = {c for data in labels for c in data["categories"]}
    assert covered == set(taxonomy.CATEGORIES)
    assert sum(len(data["reasons"]) >= 2 for data in labels) >= 3
    scanned = [p for p in pdfs if label(p)["text_source"] == "ocr"]
    assert len(scanned) >= 5
    for pdf in scanned:  # image-only: not a single page with a font
        assert estimate_ocr_pages(pdf.read_bytes(), limits=ExtractLimits()) == label(pdf)["pages"]
    assert all(p.stat().st_size < 300_000 for p in pdfs)


def test_generator_reproduces_the_committed_samples(tmp_path: Path) -> None:
    sys.path.insert(0, str(SAMPLES))
    try:
        import generate
    finally:
        sys.path.remove(str(SAMPLES))
    generate.main(tmp_path)
    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (SAMPLES / made.name).read_bytes(), made.name
    assert len(list(tmp_path.iterdir())) == 2 * len(sample_pdfs())
