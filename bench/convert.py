"""DOCX → PDF throughput: a cold ``soffice --convert-to pdf`` per document vs the warm converter.

Usage: python bench/convert.py [N]   (default N=10)

The input is the shipped letter of medical necessity rendered for the first sample case; if that
cannot be rendered (no template or samples yet) it is an LMN-like letter built with python-docx.
The cold baseline is measured twice: with a fresh profile per document (`cold_convert`'s
default) and with one profile reused between documents (what a plain ``soffice --convert-to``
does with the user's profile, the faster and fairer baseline: the ratio uses it). The warm
converter's start-up is paid once per process and reported apart.
The last line is ``ratio: X.XX`` (warm ÷ cold-with-reused-profile throughput).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import docx
import pdfplumber

from formservice.documents.convert.libreoffice import LibreOfficeConverter, cold_convert

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "docx" / "letter_of_medical_necessity.docx"
CASES = ROOT / "samples" / "cases"
TIMEOUT = 120.0


def shipped_lmn() -> tuple[bytes, str]:
    """The shipped LMN template rendered for the first sample case."""
    from formservice.documents.contexts.common import build_context
    from formservice.documents.docx.render import render_docx
    from formservice.schemas.case import load_case

    sample = sorted(CASES.glob("*.json"))[0]
    case = load_case(json.loads(sample.read_text()))
    context = build_context(case, today=date(2026, 11, 27))
    data = render_docx(TEMPLATE.read_bytes(), context, properties={})
    return data, f"{TEMPLATE.relative_to(ROOT)} rendered for {sample.relative_to(ROOT)}"


def built_lmn() -> tuple[bytes, str]:
    """An LMN-like two-page letter made with python-docx."""
    document = docx.Document()
    document.add_paragraph("Riverbend Oncology Associates · 100 Example Way · Springfield, IL")
    document.add_paragraph("November 27, 2026")
    document.add_paragraph("Utilization Review, Example Health Plan\nMember ID: XEH000000001")
    document.add_heading("Letter of Medical Necessity: Scalp Cooling (CPT 0662T, 0663T)", 1)
    document.add_paragraph("Patient: Testa Exampleton, DOB 01/02/1970. Diagnosis: C50.911.")
    body = (
        "Scalp cooling is FDA-cleared to reduce the likelihood of chemotherapy-induced alopecia "
        "in patients with solid tumors, and NCCN guidelines list it as a category 2A "
        "recommendation. Chemotherapy-induced alopecia harms quality of life and can lead "
        "patients to refuse or delay treatment. "
    )
    for heading in ("Clinical summary", "Requested services", "Evidence", "Request"):
        document.add_heading(heading, 2)
        for _ in range(3):
            document.add_paragraph(body * 2)
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate((("Code", "Description", "Units"), ("0662T", "Fitting", "1"))):
        for col, value in enumerate(cells):
            table.cell(row, col).text = value
    document.add_paragraph("Sincerely,\n\nDr. Example Prescriber, MD\nNPI 1234567893")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), "an LMN-like letter built with python-docx (no shipped LMN yet)"


def timed(n: int, convert: Callable[[], bytes]) -> tuple[float, bytes]:
    """Conversions per second over `n` runs, and the last PDF."""
    pdf = b""
    start = time.perf_counter()
    for _ in range(n):
        pdf = convert()
    return n / (time.perf_counter() - start), pdf


def first_page_text(pdf: bytes) -> tuple[int, str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return len(document.pages), document.pages[0].extract_text() or ""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    try:
        data, source = shipped_lmn()
    except Exception as exc:  # the template or renderer may not exist yet
        print(f"(shipped LMN not usable: {type(exc).__name__}: {exc})")
        data, source = built_lmn()
    print(f"input: {source}, {len(data)} bytes; N = {n}")

    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        fresh, fresh_pdf = timed(n, lambda: cold_convert(data, timeout=TIMEOUT))
        print(f"cold soffice, fresh profile:  {fresh:6.2f} conversions/s")
        profile = Path(tmp, "cold-profile")
        cold_convert(data, timeout=TIMEOUT, profile_dir=profile)  # create the profile once
        cold, cold_pdf = timed(n, lambda: cold_convert(data, timeout=TIMEOUT, profile_dir=profile))
        print(f"cold soffice, reused profile: {cold:6.2f} conversions/s")

        with LibreOfficeConverter(workdir=Path(tmp, "warm"), timeout=TIMEOUT) as converter:
            start = time.perf_counter()
            converter.convert(data)
            print(f"warm converter start-up (once): {time.perf_counter() - start:.2f} s")
            warm, warm_pdf = timed(n, lambda: converter.convert(data))
        print(f"warm converter:               {warm:6.2f} conversions/s")

    outputs = {first_page_text(pdf) for pdf in (fresh_pdf, cold_pdf, warm_pdf)}
    if len(outputs) != 1:
        raise SystemExit("the warm and cold PDFs differ in page count or first-page text")
    pages, _ = outputs.pop()
    print(f"same page count ({pages}) and first-page text: yes")
    print(f"warm ÷ cold with a fresh profile: {warm / fresh:.2f}")
    print(f"ratio: {warm / cold:.2f}")


if __name__ == "__main__":
    main()
