"""Benchmark denial reading against two bare baselines, and OCR speed.

Run ``.venv/bin/python bench/parse_denials.py [SECONDS]``. Text-layer letters (the samples and the
independent set): pages per second of

* bare pdfplumber: ``extract_text`` on every page (the old engine, the baseline of the ratio);
* bare pypdfium2: ``get_textpage().get_text_range()`` on every page (the floor of PDFium);
* the service: ``extract_pages`` + ``parse_denial`` (upload checks, glyph boxes, layout, parse).

Fair by construction: the variants are interleaved letter by letter, round after round, until each
has run for at least SECONDS (default 1) in total, and before any timing every variant must agree
on each letter's page count and find text on it. Scanned letters: seconds per page of the full
path at 300 dpi (render + Tesseract + parse). The last line is ``ratio: X.XX`` = bare pdfplumber
time / service time (the target: at least 5, and never below 0.67).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pypdfium2

from formservice.denials.extract import ExtractLimits, extract_pages
from formservice.denials.parse import parse_denial

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "denials"
INDEPENDENT = ROOT / "tests" / "fixtures" / "denials" / "independent"
LIMITS = ExtractLimits(ocr_dpi=300)


def bare_pdfplumber(data: bytes) -> tuple[int, int]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        chars = sum(len(page.extract_text() or "") for page in pdf.pages)
        return len(pdf.pages), chars


def bare_pdfium(data: bytes) -> tuple[int, int]:
    pdf = pypdfium2.PdfDocument(data)
    try:
        chars = 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
        return len(pdf), chars
    finally:
        pdf.close()


def service(data: bytes) -> tuple[int, int]:
    doc = extract_pages(data, limits=LIMITS)
    parse_denial(doc.layouts(), text_source=doc.text_source, page_count=doc.page_count)
    return doc.page_count, sum(len(p.text) for p in doc.pages)


VARIANTS: dict[str, Callable[[bytes], tuple[int, int]]] = {
    "bare pdfplumber extract_text": bare_pdfplumber,
    "bare pypdfium2 get_text_range": bare_pdfium,
    "service extract + parse": service,
}


def check_equivalent(letters: list[bytes]) -> int:
    """Every variant reads every letter: the same page count, text on it. Returns the pages."""
    pages = 0
    for data in letters:
        seen = {name: run(data) for name, run in VARIANTS.items()}
        counts = {count for count, _ in seen.values()}
        assert len(counts) == 1, f"page counts differ: {seen}"
        assert all(chars > 0 for _, chars in seen.values()), f"a variant read no text: {seen}"
        pages += counts.pop()
    return pages


def interleaved(letters: list[bytes], seconds: float) -> dict[str, float]:
    """Total seconds per variant over whole rounds, until each variant has run ``seconds``."""
    totals = dict.fromkeys(VARIANTS, 0.0)
    rounds = 0
    while rounds == 0 or min(totals.values()) < seconds:
        for data in letters:
            for name, run in VARIANTS.items():
                start = time.perf_counter()
                run(data)
                totals[name] += time.perf_counter() - start
        rounds += 1
    return {name: total / rounds for name, total in totals.items()}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    pdfs = sorted(SAMPLES.glob("*.pdf")) + sorted(INDEPENDENT.glob("*.pdf"))
    text = [p.read_bytes() for p in pdfs if "_scan" not in p.stem and "noise" not in p.stem]
    scans = [p.read_bytes() for p in sorted(SAMPLES.glob("*_scan*.pdf"))]
    service(text[0])  # warm the caches (YAML rules, imports) outside the timing
    pages = check_equivalent(text)
    per_round = interleaved(text, seconds)
    print(f"text-layer letters: {len(text)} letters, {pages} pages, interleaved, per round:")
    for name, spent in per_round.items():
        print(f"  {name:32}: {pages / spent:8.1f} pages/s ({spent:.3f} s)")
    bare = per_round["bare pdfplumber extract_text"]
    ours = per_round["service extract + parse"]
    floor = per_round["bare pypdfium2 get_text_range"]
    print(f"  service / bare pypdfium2 time    : {ours / floor:.1f}")
    start = time.perf_counter()
    scan_pages = sum(service(data)[0] for data in scans)
    ocr_s = time.perf_counter() - start
    print(f"scanned letters: {len(scans)} letters, {scan_pages} pages at {LIMITS.ocr_dpi} dpi")
    print(f"  service extract (OCR) + parse: {ocr_s / scan_pages:8.2f} s/page ({ocr_s:.2f} s)")
    print(f"ratio: {bare / ours:.2f}")


if __name__ == "__main__":
    main()
