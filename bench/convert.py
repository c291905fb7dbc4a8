"""DOCX → PDF throughput: a cold ``soffice --convert-to pdf`` per document vs the warm converter.

Usage: python bench/convert.py [--seconds 6] [--rounds 3]

The input is the shipped letter of medical necessity rendered for the first sample case; if that
cannot be rendered (no template or samples yet) it is an LMN-like letter built with python-docx.
The cold baseline is measured twice: with a fresh profile per document (`cold_convert`'s
default) and with one profile reused between documents (what a plain ``soffice --convert-to``
does with the user's profile, the faster and fairer baseline: the ratio uses it). The warm
converter's start-up is paid once per process and reported apart. Before any timing the three
PDFs are checked for the same page count and first-page text; then the three run interleaved in
rotating order (bench/_harness.py), at least ``--seconds`` each in all.
The last line is ``ratio: X.XX`` (warm ÷ cold-with-reused-profile throughput).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import docx
import pdfplumber

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import header, interleaved, loadavg  # noqa: E402

from formservice.documents.convert.libreoffice import LibreOfficeConverter, cold_convert  # noqa: E402

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


def first_page_text(pdf: bytes) -> tuple[int, str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return len(document.pages), document.pages[0].extract_text() or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds per variant")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        data, source = shipped_lmn()
    except Exception as exc:  # the template or renderer may not exist yet
        print(f"(shipped LMN not usable: {type(exc).__name__}: {exc})")
        data, source = built_lmn()
    header(f"input: {source}, {len(data)} bytes")

    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        profile = Path(tmp, "cold-profile")
        with LibreOfficeConverter(workdir=Path(tmp, "warm"), timeout=TIMEOUT) as converter:
            start = time.perf_counter()
            converter.convert(data)
            print(f"warm converter start-up (once): {time.perf_counter() - start:.2f} s")
            variants = {
                "cold soffice, fresh profile": lambda: cold_convert(data, timeout=TIMEOUT),
                "cold soffice, reused profile": lambda: cold_convert(
                    data, timeout=TIMEOUT, profile_dir=profile
                ),
                "warm converter": lambda: converter.convert(data),
            }
            # The first call of each also creates the reused profile.
            outputs = {first_page_text(convert()) for convert in variants.values()}
            if len(outputs) != 1:
                raise SystemExit("the warm and cold PDFs differ in page count or first-page text")
            pages, _ = outputs.pop()
            print(f"same page count ({pages}) and first-page text: yes")
            timings = interleaved(variants, seconds=args.seconds, rounds=args.rounds, warmup=0)
    for timing in timings.values():
        print(timing.line("conversions"))
    fresh, cold, warm = (t.rate for t in timings.values())
    print(f"warm ÷ cold with a fresh profile: {warm / fresh:.2f}")
    print(f"load average at end: {loadavg()}")
    print(f"ratio: {warm / cold:.2f}")


if __name__ == "__main__":
    main()
