"""Benchmark: fill the Texas PA form (tx_nofr001) for a sample case, N times in one process.

Compares the service's filler (parsed template reused, one incremental update per fill) with
PyPDFForm and with `pdftk fill_form` (XFDF input; one JVM per form, as a service would run it),
all given the same resolved field values. It runs twice: with the case as it is (every value
WinAnsi: Helvetica), and with a patient name in Latin, Arabic and Chinese (embedded, subset
fonts in play). Prints forms/second and ratios; the last line is `ratio: X.XX` = service
throughput / PyPDFForm throughput, the lower of the two runs.

Usage: .venv/bin/python bench/fill_forms.py [N]   (default N=20; pdftk runs max(3, N // 5) times)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from formservice.documents.forms.field_maps import load_field_map, resolve_values  # noqa: E402
from formservice.documents.forms.fill import fill_form  # noqa: E402
from formservice.documents.forms.shipped import (  # noqa: E402
    DEFAULT_FORMS_DIR,
    load_form,
    render_pa_form,
)
from formservice.schemas.case import load_case  # noqa: E402

FORM = "tx_nofr001"
TODAY = date(2026, 1, 22)


def _timed(label: str, runs: int, fill: Callable[[], bytes]) -> float:
    fill()  # warm-up: imports, caches, JIT-less but first-touch costs
    started = time.perf_counter()
    size = 0
    for _ in range(runs):
        size = len(fill())
    elapsed = time.perf_counter() - started
    rate = runs / elapsed
    print(
        f"{label:<34} {runs:4d} forms  {elapsed * 1000 / runs:8.1f} ms/form  "
        f"{rate:8.2f} forms/s  ({size // 1024} KiB)"
    )
    return rate


def _xfdf(values: dict[str, Any], template: Any) -> bytes:
    fields = []
    for name, value in values.items():
        spec = template.fields[name]
        if spec.kind == "checkbox":
            text = spec.on_states[0] if value else "Off"
        else:
            text = str(value)
        fields.append(f"<field name={quoteattr(name)}><value>{escape(text)}</value></field>")
    body = "".join(fields)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve">'
        f"<fields>{body}</fields></xfdf>"
    ).encode()


def main(runs: int) -> None:
    case_path = REPO / "samples" / "cases" / "01_breast_commercial_office.json"
    case = load_case(json.loads(case_path.read_text()))
    template_path = DEFAULT_FORMS_DIR / f"{FORM}.pdf"
    template = load_form(FORM)
    values, _ = resolve_values(load_field_map(FORM, DEFAULT_FORMS_DIR, template), case, today=TODAY)
    values = {k: v for k, v in values.items() if v is not None}
    print(f"form {FORM}: {len(template.fields)} fields, {len(values)} filled from {case_path.name}")

    service = _timed(
        "formservice render_pa_form", runs, lambda: render_pa_form(case, FORM, today=TODAY).pdf
    )

    from PyPDFForm import PdfWrapper

    raw = template_path.read_bytes()
    pypdfform = _timed(
        "PyPDFForm PdfWrapper.fill", runs, lambda: PdfWrapper(raw).fill(values).read()
    )

    mixed = {**values, "Patient Name": "Siobhán O'Connor نور 王小明"}
    filled = fill_form(template, mixed)
    assert b"/FontFile2" in filled.pdf[len(template.data) :], "no embedded font: fonts missing?"
    assert not [o for o in filled.overflow if o.reason == "unsupported_characters"]
    service_mixed = _timed(
        "formservice fill_form (non-Latin)", runs, lambda: fill_form(template, mixed).pdf
    )
    pypdfform_mixed = _timed(
        "PyPDFForm fill (non-Latin)", runs, lambda: PdfWrapper(raw).fill(mixed).read()
    )

    pdftk_rate = None
    if shutil.which("pdftk"):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "values.xfdf"
            data.write_bytes(_xfdf(values, template))
            out = Path(tmp) / "out.pdf"

            def pdftk() -> bytes:
                command = ["pdftk", str(template_path), "fill_form", str(data), "output", str(out)]
                subprocess.run(command, check=True, capture_output=True, timeout=120)
                return out.read_bytes()

            pdftk_rate = _timed("pdftk fill_form (XFDF)", max(3, runs // 5), pdftk)
    else:
        print("pdftk not installed (apt-get install pdftk-java): skipped")

    print(f"service / PyPDFForm: {service / pypdfform:.2f}x")
    if pdftk_rate:
        print(f"service / pdftk:     {service / pdftk_rate:.2f}x")
        print(f"PyPDFForm / pdftk:   {pypdfform / pdftk_rate:.2f}x")
    print(f"service / PyPDFForm, non-Latin name: {service_mixed / pypdfform_mixed:.2f}x")
    print(f"ratio: {min(service / pypdfform, service_mixed / pypdfform_mixed):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
