"""Letters per second: the service's LMN renderer against plain docxtpl, in one process.

(a) naive: ``DocxTemplate(path)``, ``render(context, jinja_env)``, ``save`` for every letter;
(b) service: ``formservice.documents.docx.render.render_docx`` (compiled-template cache, zip-level
    assembly, deterministic output and provenance properties included).
Both render the shipped template for the sample cases (samples/cases/*.json, or built-in
synthetic cases when the samples are absent) with the same contexts, and must produce the same
``word/document.xml`` (checked before any timing). The two then run interleaved, in rotating
order over ``--rounds`` rounds, at least ``--seconds`` each in all (bench/_harness.py). The last
line is ``ratio: X.XX`` (service ÷ naive throughput).

Usage: python bench/render_lmn.py [--seconds 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import header, interleaved, loadavg  # noqa: E402

from formservice.documents.contexts.common import build_context
from formservice.documents.docx.render import document_text, render_docx, template_environment
from formservice.model import (
    Address,
    Case,
    Coverage,
    Diagnosis,
    Facility,
    Patient,
    Payer,
    Prescriber,
    Treatment,
)

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "templates" / "docx" / "letter_of_medical_necessity.docx"
TODAY = date(2026, 1, 20)


def synthetic_cases() -> list[Case]:
    """Two obviously synthetic cases, for a checkout without samples/."""
    base = Case(
        external_id="BENCH-1",
        facility=Facility(
            name="Bench Oncology (SYNTHETIC)",
            npi="1003000126",
            address=Address(line1="1 Bench Way", city="Austin", state="TX", zip="78701"),
            phone="512-555-0100",
            fax="512-555-0101",
        ),
        patient=Patient(first_name="Bench", last_name="Patient", date_of_birth=date(1970, 1, 2)),
        prescriber=Prescriber(first_name="Bench", last_name="Doctor", npi="1234567893"),
        coverage=Coverage(
            status="insured", payer=Payer(name="Bench Health Plan"), member_id="BHP1"
        ),
        diagnoses=(Diagnosis(code="C50.911", description="Malignant neoplasm of breast"),),
        treatment=Treatment(regimen="TC", agents=("docetaxel", "cyclophosphamide"), sessions=6),
    )
    other = dataclasses.replace(
        base,
        external_id="BENCH-2",
        patient=dataclasses.replace(base.patient, first_name="O'Connor & <Sons>"),
        coverage=Coverage(status="uninsured"),
    )
    return [base, other]


def load_cases() -> tuple[list[Case], str]:
    """The sample cases when shipped and loadable, else the synthetic ones."""
    paths = sorted((REPO / "samples" / "cases").glob("*.json"))
    try:
        from formservice.schemas.case import load_case
    except ImportError:
        return synthetic_cases(), "synthetic"
    if not paths:
        return synthetic_cases(), "synthetic"
    return [load_case(json.loads(p.read_text())) for p in paths], f"{len(paths)} sample cases"


def naive(context: dict[str, Any]) -> bytes:
    """The plain docxtpl way: a fresh DocxTemplate per letter."""
    tpl = DocxTemplate(TEMPLATE)
    tpl.render(context, template_environment())
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def service(context: dict[str, Any]) -> bytes:
    """The service's renderer, provenance properties included."""
    return render_docx(
        TEMPLATE,
        context,
        properties={
            "formservice.template": TEMPLATE.stem,
            "formservice.input_sha256": hashlib.sha256(repr(context).encode()).hexdigest(),
        },
    )


def main(argv: list[str]) -> int:
    """Check both renderers agree, then time them and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per renderer")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    cases, source = load_cases()
    contexts = [build_context(case, today=TODAY) for case in cases]

    for case, ctx in zip(cases, contexts, strict=True):
        ours, theirs = service(ctx), naive(ctx)
        with zipfile.ZipFile(io.BytesIO(ours)) as a, zipfile.ZipFile(io.BytesIO(theirs)) as b:
            same_xml = a.read("word/document.xml") == b.read("word/document.xml")
        if document_text(ours) != document_text(theirs) or not same_xml:
            print(f"MISMATCH for {case.external_id}: word/document.xml differs", file=sys.stderr)
            return 1
    header(f"template: {TEMPLATE.name}; cases: {source}")
    print(f"word/document.xml identical for all {len(cases)} cases (naive vs service)")
    turn = [0]

    def cycling(render: Callable[[dict[str, Any]], bytes]) -> Callable[[], bytes]:
        def call() -> bytes:
            turn[0] += 1
            return render(contexts[turn[0] % len(contexts)])

        return call

    timings = interleaved(
        {
            "naive (DocxTemplate + render + save)": cycling(naive),
            "service (render_docx, cached)": cycling(service),
        },
        seconds=args.seconds,
        rounds=args.rounds,
    )
    for timing in timings.values():
        print(timing.line("letters"))
    naive_rate, service_rate = (t.rate for t in timings.values())
    print(f"load average at end: {loadavg()}")
    print(f"ratio: {service_rate / naive_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
