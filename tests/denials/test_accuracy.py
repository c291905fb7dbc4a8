"""Field-level accuracy of extract + parse over the labelled sample letters in samples/denials."""

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
from tests.denials.test_parse import CONTRACT_KEYS


def parse_denial(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The parser's result as the JSON the API shows (CONTRACT.md §4)."""
    return _parse_denial(*args, **kwargs).to_json()


THRESHOLD = 0.95
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "denial_accuracy.txt"
FIELDS = [
    "text_source", "pages", "payer_name", "member_id", "claim_number", "authorization_number",
    "patient_name", "letter_date", "date_of_service", "procedure_codes", "diagnosis_codes",
    "carc_codes", "rarc_codes", "categories", "reasons", "appeal_deadline", "appeal_days",
    "plan_type", "needs_review",
]  # fmt: skip
UNORDERED = {"procedure_codes", "diagnosis_codes", "carc_codes", "rarc_codes", "categories"}


def label(pdf: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    return data


def comparable(field: str, value: Any) -> Any:
    if field in UNORDERED:
        return sorted(value)
    if field == "reasons":
        return sorted((r["category"], r["carc"] or "", r["page"]) for r in value)
    return value


@pytest.fixture(scope="module")
def parsed() -> dict[str, tuple[dict[str, Any], list[tuple[int, str, str]]]]:
    require_tesseract()
    out = {}
    for pdf in sample_pdfs():
        doc = extract_pages(pdf.read_bytes(), limits=ExtractLimits())
        pages = doc.page_texts()
        result = parse_denial(pages, text_source=doc.text_source, page_count=doc.page_count)
        out[pdf.stem] = (result, pages)
    return out


def test_field_accuracy_is_at_least_95_percent(
    parsed: dict[str, tuple[dict[str, Any], list[tuple[int, str, str]]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    right = dict.fromkeys(FIELDS, 0)
    misses: list[str] = []
    for pdf in sample_pdfs():
        want = label(pdf)
        got = parsed[pdf.stem][0]
        for field in FIELDS:
            if comparable(field, got[field]) == comparable(field, want[field]):
                right[field] += 1
            else:
                misses.append(f"{pdf.stem}: {field}: got {got[field]!r}, want {want[field]!r}")
    total = len(sample_pdfs())
    lines = [f"{'field':24} {'right':>5} {'of':>4} {'accuracy':>9}"]
    lines += [f"{f:24} {right[f]:5d} {total:4d} {right[f] / total:9.1%}" for f in FIELDS]
    overall = sum(right.values()) / (total * len(FIELDS))
    lines.append(f"{'all fields':24} {sum(right.values()):5d} {total * len(FIELDS):4d} "
                 f"{overall:9.1%}")  # fmt: skip
    lines += ["", "misses:"] + (misses or ["none"])
    report = "\n".join(lines) + "\n"
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(report, encoding="utf-8")
    with capsys.disabled():  # the table is shown with or without -s
        print("\n" + report)
    assert overall >= THRESHOLD, report


def test_every_evidence_text_is_on_its_page(
    parsed: dict[str, tuple[dict[str, Any], list[tuple[int, str, str]]]],
) -> None:
    for stem, (result, pages) in parsed.items():
        texts = {no: " ".join(text.split()) for no, text, _ in pages}
        for reason in result["reasons"]:
            assert reason["evidence"] in texts[reason["page"]], (stem, reason)
        for name, item in result["evidence"].items():
            for one in item if isinstance(item, list) else [item]:
                assert one["text"] in texts[one["page"]], (stem, name)


def test_sample_set_covers_the_brief() -> None:
    pdfs = sample_pdfs()
    assert len(pdfs) >= 20
    labels = [label(p) for p in pdfs]
    for data in labels:
        assert set(data) == CONTRACT_KEYS
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
