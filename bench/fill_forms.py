"""Benchmark: fill the Texas PA form (tx_nofr001) for a sample case, in one process.

Compares the service's filler (parsed template reused, one incremental update per fill) with
PyPDFForm and with `pdftk fill_form` (XFDF input; one JVM per form, as a service would run it),
all given the same resolved field values. Before any timing, each filler's output is read back
with pypdf and must hold the same value in every filled field. The fillers then run interleaved
in rotating order (bench/_harness.py), at least ``--seconds`` each in all. The service and
PyPDFForm also run with a patient name in Latin, Arabic and Chinese (the service then embeds
subset fonts). Prints forms/second and ratios; the last line is `ratio: X.XX` = service
throughput / PyPDFForm throughput, the lower of the Latin and non-Latin runs.

Usage: .venv/bin/python bench/fill_forms.py [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import header, interleaved, loadavg  # noqa: E402
from pypdf import PdfReader  # noqa: E402

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
NON_LATIN_NAME = "Siobhán O'Connor نور 王小明"
SERVICE, PYPDFFORM = "formservice render_pa_form", "PyPDFForm PdfWrapper.fill"
SERVICE_MIXED, PYPDFFORM_MIXED = "formservice fill (non-Latin)", "PyPDFForm fill (non-Latin)"


def _filled(pdf: bytes, names: list[str]) -> dict[str, str]:
    """The value of each named field as a reader sees it (a checkbox: on or off)."""
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    out = {}
    for name in names:
        value = fields.get(name, {}).get("/V")
        text = "" if value is None else str(value)
        if fields.get(name, {}).get("/FT") == "/Btn":
            text = "off" if text in ("", "/Off", "Off") else "on"
        out[name] = text.lstrip("/") if text not in ("on", "off") else text
    return out


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per filler")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    case_path = REPO / "samples" / "cases" / "01_breast_commercial_office.json"
    case = load_case(json.loads(case_path.read_text()))
    template_path = DEFAULT_FORMS_DIR / f"{FORM}.pdf"
    template = load_form(FORM)
    values, _ = resolve_values(load_field_map(FORM, DEFAULT_FORMS_DIR, template), case, today=TODAY)
    values = {k: v for k, v in values.items() if v is not None}
    header(
        f"form {FORM}: {len(template.fields)} fields, {len(values)} filled from {case_path.name}"
    )

    from PyPDFForm import PdfWrapper

    raw = template_path.read_bytes()
    mixed = {**values, "Patient Name": NON_LATIN_NAME}
    embedded = fill_form(template, mixed)
    assert b"/FontFile2" in embedded.pdf[len(template.data) :], "no embedded font: fonts missing?"
    assert not [o for o in embedded.overflow if o.reason == "unsupported_characters"]
    fillers = {
        SERVICE: lambda: render_pa_form(case, FORM, today=TODAY).pdf,
        PYPDFFORM: lambda: PdfWrapper(raw).fill(values).read(),
    }
    mixed_fillers = {
        SERVICE_MIXED: lambda: fill_form(template, mixed).pdf,
        PYPDFFORM_MIXED: lambda: PdfWrapper(raw).fill(mixed).read(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        if shutil.which("pdftk"):
            data = Path(tmp) / "values.xfdf"
            data.write_bytes(_xfdf(values, template))
            out = Path(tmp) / "out.pdf"

            def pdftk() -> bytes:
                command = ["pdftk", str(template_path), "fill_form", str(data), "output", str(out)]
                subprocess.run(command, check=True, capture_output=True, timeout=120)
                return out.read_bytes()

            fillers["pdftk fill_form (XFDF)"] = pdftk
        else:
            print("pdftk not installed (apt-get install pdftk-java): skipped")

        names = sorted(values)
        for group in (fillers, mixed_fillers):
            readback = {label: _filled(fill(), names) for label, fill in group.items()}
            reference = next(iter(readback.values()))
            for label, got in readback.items():
                differ = sorted(n for n in names if got[n] != reference[n])
                if differ:
                    raise SystemExit(f"{label} fills {len(differ)} field(s) differently: {differ}")
        print(f"every filler holds the same value in all {len(names)} filled fields")

        timings = interleaved(
            {**fillers, **mixed_fillers}, seconds=args.seconds, rounds=args.rounds
        )
    for timing in timings.values():
        print(timing.line("forms"))
    rate = {label: t.rate for label, t in timings.items()}
    service, pypdfform = rate[SERVICE], rate[PYPDFFORM]
    mixed_ratio = rate[SERVICE_MIXED] / rate[PYPDFFORM_MIXED]
    pdftk_rate = rate.get("pdftk fill_form (XFDF)")
    print(f"service / PyPDFForm: {service / pypdfform:.2f}x")
    if pdftk_rate:
        print(f"service / pdftk:     {service / pdftk_rate:.2f}x")
        print(f"PyPDFForm / pdftk:   {pypdfform / pdftk_rate:.2f}x")
    print(f"service / PyPDFForm, non-Latin name: {mixed_ratio:.2f}x")
    print(f"load average at end: {loadavg()}")
    print(f"ratio: {min(service / pypdfform, mixed_ratio):.2f}")


if __name__ == "__main__":
    main()
