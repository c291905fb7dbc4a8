"""Bounded rasterising: a page or an image too large to draw is answered quickly, in little memory.

Two hostile inputs from the hardening issue: a 566-byte PDF whose one page is 100 x 100 inches
(rasterised at 300 dpi it would be 900 million pixels) and a PDF with a 20000 x 20000 inline image
in its content stream (which the renderer and the text reader both decode to find its end). Each
must be answered within 5 s with the server growing by less than 150 MB: the read runs in a fresh
Python process that reports its own peak memory, measured against the same process before it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from formservice.denials import read_denial
from formservice.denials.extract import ExtractLimits, estimate_ocr_pages
from formservice.errors import ValidationProblem

REPO = Path(__file__).resolve().parents[2]
SECONDS = 5.0
GROWTH_BYTES = 150 * 1024 * 1024


def _pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def huge_page_pdf() -> bytes:
    """One empty page of 100 x 100 inches (7200 x 7200 points)."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 7200 7200] /Contents 4 0 R >>",
            b"<< /Length 0 >>\nstream\n\nendstream",
        ]
    )


def inline_image_pdf() -> bytes:
    """A letter-size page drawing a 20000 x 20000 grey inline image (deflated to ~400 KB)."""
    deflate = zlib.compressobj(9)
    row_block = b"\x80" * (20000 * 500)  # 500 rows at a time: the test stays small too
    pixels = b"".join(deflate.compress(row_block) for _ in range(40)) + deflate.flush()
    content = (
        b"q 612 0 0 792 0 0 cm\nBI /W 20000 /H 20000 /BPC 8 /CS /G /F /Fl /L %d ID\n" % len(pixels)
        + pixels
        + b"\nEI Q\n"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        ]
    )


# Reads the file the way the upload does (estimate, then read) and reports time and memory.
_PROBE = """
import json, resource, sys, time
from formservice.denials import read_denial
from formservice.denials.extract import ExtractLimits, estimate_ocr_pages
from formservice.errors import FormserviceError
data = open(sys.argv[1], "rb").read()
limits = ExtractLimits()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    estimate_ocr_pages(data, limits=limits)
    read_denial(data, limits=limits)
    outcome = "read"
except FormserviceError as exc:
    outcome = f"{exc.status}: {exc.detail}"
seconds = time.monotonic() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "growth": (after - before) * 1024}))
"""


def _probe(tmp_path: Path, data: bytes) -> dict[str, object]:
    path = tmp_path / "input.pdf"
    path.write_bytes(data)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    )
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    report["wall"] = time.monotonic() - started
    return report


def test_bounded_rasterising_huge_page_is_refused_quickly_in_little_memory(
    tmp_path: Path,
) -> None:
    data = huge_page_pdf()
    assert len(data) < 700  # the file is 566 bytes
    report = _probe(tmp_path, data)
    assert str(report["outcome"]).startswith("422: page 1 is 100 x 100 inches"), report
    assert float(report["seconds"]) < SECONDS, report  # type: ignore[arg-type]
    assert int(report["growth"]) < GROWTH_BYTES, report  # type: ignore[call-overload]


def test_bounded_rasterising_huge_inline_image_is_refused_quickly_in_little_memory(
    tmp_path: Path,
) -> None:
    report = _probe(tmp_path, inline_image_pdf())
    assert str(report["outcome"]).startswith("422:"), report
    assert "inline image" in str(report["outcome"]), report
    assert float(report["seconds"]) < SECONDS, report  # type: ignore[arg-type]
    assert int(report["growth"]) < GROWTH_BYTES, report  # type: ignore[call-overload]


def test_bounded_rasterising_lowers_the_dpi_to_fit_the_pixel_limit() -> None:
    """A large page that still fits at a lower resolution is OCR'd at that resolution."""
    seen = []

    def fake_ocr(image: object, timeout: float) -> str:
        seen.append(getattr(image, "size", None))
        return ""

    # 20 x 20 inches: 36 M pixels at 300 dpi; with a 9 M limit the page is drawn at 150 dpi.
    data = huge_page_pdf().replace(b"7200 7200", b"1440 1440")
    limits = ExtractLimits(max_page_pixels=9_000_000)
    read_denial(data, limits=limits, ocr=fake_ocr)  # type: ignore[arg-type]
    assert seen == [(3000, 3000)]


def test_bounded_rasterising_refusal_comes_before_any_queueing() -> None:
    with pytest.raises(ValidationProblem) as err:
        estimate_ocr_pages(huge_page_pdf(), limits=ExtractLimits())
    assert "FORMSERVICE_MAX_PAGE_PIXELS" in err.value.detail or "limit is" in err.value.detail
