"""Benchmark denial reading: bare pdfplumber text vs the service's extract+parse, and OCR speed.

Run ``.venv/bin/python bench/parse_denials.py [ROUNDS]``. Text-layer letters: pages per second
of plain ``pdfplumber`` ``extract_text`` (the baseline) and of ``extract_pages`` + ``parse_denial``
(checks, text, parse), best of ROUNDS. Scanned letters: seconds per page of the full path (render
at 300 dpi + Tesseract + parse), one round. Last line: ``ratio: X.XX`` = bare pdfplumber time /
service time on the text-layer letters (1.0 = no overhead; the target is at least 0.67).
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pdfplumber

from formservice.denials.extract import ExtractLimits, extract_pages
from formservice.denials.parse import parse_denial

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "denials"
LIMITS = ExtractLimits(ocr_dpi=300)


def bare(data: bytes) -> int:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
        return len(pdf.pages)


def service(data: bytes) -> int:
    doc = extract_pages(data, limits=LIMITS)
    parse_denial(doc.page_texts(), text_source=doc.text_source, page_count=doc.page_count)
    return doc.page_count


def interleaved(rounds: int, letters: list[bytes]) -> tuple[float, float, int]:
    """Best-of-rounds totals for bare and service, alternating per letter so load drift on a
    shared machine hits both alike."""
    best_bare = best_service = float("inf")
    pages = 0
    for _ in range(rounds):
        bare_s = service_s = 0.0
        pages = 0
        for data in letters:
            start = time.perf_counter()
            pages += bare(data)
            bare_s += time.perf_counter() - start
            start = time.perf_counter()
            service(data)
            service_s += time.perf_counter() - start
        best_bare = min(best_bare, bare_s)
        best_service = min(best_service, service_s)
    return best_bare, best_service, pages


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pdfs = sorted(SAMPLES.glob("*.pdf"))
    text = [p.read_bytes() for p in pdfs if "_scan" not in p.stem]
    scans = [p.read_bytes() for p in pdfs if "_scan" in p.stem]
    service(text[0])  # warm the caches (YAML rules, imports) outside the timing

    bare_s, service_s, pages = interleaved(rounds, text)
    print(f"text-layer letters: {len(text)} letters, {pages} pages, best of {rounds}")
    print(f"  bare pdfplumber extract_text : {pages / bare_s:8.1f} pages/s ({bare_s:.3f} s)")
    print(f"  service extract + parse      : {pages / service_s:8.1f} pages/s ({service_s:.3f} s)")

    start = time.perf_counter()
    scan_pages = sum(service(data) for data in scans)
    ocr_s = time.perf_counter() - start
    print(f"scanned letters: {len(scans)} letters, {scan_pages} pages at {LIMITS.ocr_dpi} dpi")
    print(f"  service extract (OCR) + parse: {ocr_s / scan_pages:8.2f} s/page ({ocr_s:.2f} s)")
    print(f"ratio: {bare_s / service_s:.2f}")


if __name__ == "__main__":
    main()
