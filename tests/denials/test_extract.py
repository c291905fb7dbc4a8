"""extract_pages: text layer, OCR fallback, and every kind of bad upload."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from formservice.denials import read_denial as _read_denial
from formservice.denials.extract import (
    ExtractLimits,
    estimate_ocr_pages,
    extract_pages,
)
from formservice.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationProblem
from tests.denials.conftest import SAMPLES, require_tesseract


def read_denial(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """A letter's facts as the JSON the API shows (CONTRACT.md §4)."""
    return _read_denial(*args, **kwargs).to_json()


LIMITS = ExtractLimits()


def no_ocr(image: Image.Image, timeout: float) -> str:
    raise AssertionError("a text-layer page must not be OCR'd")


def test_text_layer_pages_come_from_pdfplumber(letter_pdf: bytes) -> None:
    doc = extract_pages(letter_pdf, limits=LIMITS, ocr=no_ocr)
    assert doc.text_source == "text"
    assert doc.page_count == 1
    assert doc.pages[0].source == "text"
    assert "Member ID: NWH123456789" in doc.pages[0].text
    assert doc.warnings == ()


def test_multi_page_sample_keeps_page_numbers() -> None:
    data = (SAMPLES / "02_erisa_experimental_records.pdf").read_bytes()
    doc = extract_pages(data, limits=LIMITS, ocr=no_ocr)
    assert [p.page_no for p in doc.pages] == [1, 2]
    assert "were not received" in " ".join(doc.pages[1].text.split())


def test_scanned_letter_is_ocrd() -> None:
    require_tesseract()
    data = (SAMPLES / "06_fax_no_auth_scan.pdf").read_bytes()
    doc = extract_pages(data, limits=LIMITS)
    assert doc.text_source == "ocr"
    assert "ADT5566778" in doc.pages[0].text
    assert "authorization" in doc.pages[0].text.lower()


def test_mixed_document_ocrs_only_the_image_page(mixed_pdf: bytes) -> None:
    require_tesseract()
    doc = extract_pages(mixed_pdf, limits=LIMITS)
    assert [p.source for p in doc.pages] == ["text", "ocr"]
    assert doc.text_source == "mixed"
    assert "FAB00443322" in doc.pages[1].text


def test_ocr_engine_gets_the_per_page_limit_and_a_rendered_page(image_page_pdf: bytes) -> None:
    seen: list[tuple[tuple[int, int], float]] = []

    def fake_ocr(image: Image.Image, timeout: float) -> str:
        seen.append((image.size, timeout))
        return "Member ID: X1234567"

    limits = ExtractLimits(ocr_seconds_per_page=7.0, ocr_dpi=150)
    doc = extract_pages(image_page_pdf, limits=limits, ocr=fake_ocr)
    assert doc.pages[0].text == "Member ID: X1234567"
    # The image page is 1700 x 2200 px at 200 dpi, i.e. 8.5 x 11 in: 1275 x 1650 px at 150 dpi.
    [((width, height), timeout)] = seen
    assert (width, timeout) == (1275, 7.0)
    assert abs(height - 1650) <= 1  # pdfium rounds the page box up


def test_ocr_timeout_leaves_the_page_empty_with_a_warning(image_page_pdf: bytes) -> None:
    def timing_out(image: Image.Image, timeout: float) -> str:
        raise RuntimeError("Tesseract process timeout")

    doc = extract_pages(image_page_pdf, limits=LIMITS, ocr=timing_out)
    assert doc.pages[0].text == ""
    assert doc.warnings == ("page 1: OCR failed (Tesseract process timeout)",)


def test_ocr_budget_used_up_skips_pages(mixed_pdf: bytes) -> None:
    doc = extract_pages(mixed_pdf, limits=ExtractLimits(max_ocr_seconds=0), ocr=no_ocr)
    assert doc.pages[1].text == ""
    assert "OCR time limit" in doc.warnings[0]
    assert doc.pages[0].source == "text"


def test_estimate_counts_pages_without_text_layer(letter_pdf: bytes, mixed_pdf: bytes) -> None:
    assert estimate_ocr_pages(letter_pdf, limits=LIMITS) == 0
    assert estimate_ocr_pages(mixed_pdf, limits=LIMITS) == 1
    scan = (SAMPLES / "19_medicaid_three_reasons_scan.pdf").read_bytes()
    assert estimate_ocr_pages(scan, limits=LIMITS) == 1


def test_not_a_pdf_is_415() -> None:
    buf = io.BytesIO()
    Image.new("L", (10, 10), 255).save(buf, format="PNG")
    with pytest.raises(UnsupportedMediaError) as err:
        extract_pages(buf.getvalue(), limits=LIMITS)
    assert err.value.status == 415
    assert "file" in err.value.errors


def test_empty_file_is_422() -> None:
    with pytest.raises(ValidationProblem) as err:
        extract_pages(b"", limits=LIMITS)
    assert err.value.errors == {"file": ["the file is empty"]}


def test_truncated_pdf_is_422(letter_pdf: bytes) -> None:
    with pytest.raises(ValidationProblem) as err:
        extract_pages(letter_pdf[: len(letter_pdf) // 2], limits=LIMITS)
    assert "truncated" in err.value.errors["file"][0]


def test_corrupt_pdf_is_422() -> None:
    junk = b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
    with pytest.raises(ValidationProblem) as err:
        extract_pages(junk, limits=LIMITS)
    assert list(err.value.errors) == ["file"]


def test_too_large_file_is_413(letter_pdf: bytes) -> None:
    with pytest.raises(PayloadTooLargeError) as err:
        extract_pages(letter_pdf, limits=ExtractLimits(max_bytes=100))
    assert err.value.status == 413


def test_empty_password_opens(letter_pdf: bytes, encrypt: Callable[[bytes, str], bytes]) -> None:
    locked = encrypt(letter_pdf, "")
    assert PdfReader(io.BytesIO(locked)).is_encrypted
    doc = extract_pages(locked, limits=LIMITS, ocr=no_ocr)
    assert "Claim No.: 2026031500123" in doc.pages[0].text


def test_real_password_is_422(letter_pdf: bytes, encrypt: Callable[[bytes, str], bytes]) -> None:
    with pytest.raises(ValidationProblem) as err:
        extract_pages(encrypt(letter_pdf, "s3cret"), limits=LIMITS)
    assert "password-protected" in err.value.errors["file"][0]


def test_thousands_of_pages_are_rejected_before_reading(many_pages_pdf: bytes) -> None:
    with pytest.raises(ValidationProblem) as err:
        extract_pages(many_pages_pdf, limits=ExtractLimits(max_pages=50), ocr=no_ocr)
    assert err.value.errors["file"] == ["the PDF has 3000 pages; the limit is 50 pages"]
    with pytest.raises(ValidationProblem):
        estimate_ocr_pages(many_pages_pdf, limits=ExtractLimits(max_pages=50))


def test_decompression_bomb_is_rejected(bomb_pdf: bytes) -> None:
    assert len(bomb_pdf) < 1_000_000
    with pytest.raises(ValidationProblem) as err:
        extract_pages(bomb_pdf, limits=LIMITS, ocr=no_ocr)
    assert "decompression bomb" in err.value.errors["file"][0]


def test_bomb_budget_is_the_setting(letter_pdf: bytes) -> None:
    # The same check on an ordinary letter with a tiny budget: the limit, not the file, decides.
    with pytest.raises(ValidationProblem):
        extract_pages(letter_pdf, limits=ExtractLimits(max_decoded_bytes=50), ocr=no_ocr)
    assert extract_pages(letter_pdf, limits=LIMITS, ocr=no_ocr).page_count == 1


def test_scanned_pages_do_not_count_against_the_content_budget(image_page_pdf: bytes) -> None:
    limits = ExtractLimits(max_decoded_bytes=10_000)
    assert len(image_page_pdf) > 10_000
    doc = extract_pages(image_page_pdf, limits=limits, ocr=lambda image, timeout: "text")
    assert doc.pages[0].text == "text"


def test_oversized_image_is_rejected(image_page_pdf: bytes) -> None:
    with pytest.raises(ValidationProblem) as err:
        extract_pages(image_page_pdf, limits=ExtractLimits(max_image_pixels=1000), ocr=no_ocr)
    assert err.value.errors["file"] == ["an image of the PDF has 3740000 pixels; the limit is 1000"]


def test_read_denial_parses_and_flags_unread_pages(mixed_pdf: bytes, letter_pdf: bytes) -> None:
    result = read_denial(letter_pdf, limits=LIMITS, ocr=no_ocr)
    assert result["member_id"] == "NWH123456789"
    assert result["appeal_deadline"] == "2026-09-11"
    assert result["needs_review"] is False

    def timing_out(image: Image.Image, timeout: float) -> str:
        raise RuntimeError("Tesseract process timeout")

    partial = read_denial(mixed_pdf, limits=LIMITS, ocr=timing_out)
    assert partial["text_source"] == "mixed"
    assert partial["needs_review"] is True
    assert partial["evidence"]["extraction_warnings"] == [
        "page 2: OCR failed (Tesseract process timeout)"
    ]


def test_unmapped_glyphs_are_not_a_text_layer() -> None:
    from formservice.denials.extract import _usable

    assert not _usable("(cid:12)(cid:40)(cid:41)" * 20, LIMITS)
    assert _usable("Member ID: NWH123456789 Claim No.: 2026031500123 DOS", LIMITS)
