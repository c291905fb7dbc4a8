"""Every fillable form of the test corpus: inspect, fill every field, read every value back.

The forms are the redistributable ones in tests/fixtures/acroforms/, the payer forms the product
ships, and (when FORMSERVICE_CORPUS has them) the corpus forms that may not be redistributed.

The results table is printed and written to test-artifacts/form_corpus.txt.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pdf_checks import page_text, read_values
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

from formservice.documents.forms.fill import fill_form, prepare_template
from formservice.documents.forms.inspect import inspect_form
from formservice.errors import BadInputError
from tests.corpus import corpus_names, corpus_path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CORPUS = corpus_names("acroforms", ".pdf")
NOT_FILLABLE = {"irs_fw4_2025_macos_resaved_nofields.pdf": "no fillable form fields"}


@dataclass
class Row:
    """One corpus form's outcome."""

    name: str
    fields: int = 0
    text: int = 0
    checkboxes: int = 0
    choices: int = 0
    read_back: int = 0
    expected: int = 0
    overflow: int = 0
    flat_markers: int = 0
    encrypted: bool = False
    xfa: bool = False
    ms: float = 0.0
    error: str = ""
    mismatches: list[str] = field(default_factory=list)


def _run(name: str, data: bytes) -> Row:
    reader = PdfReader(io.BytesIO(data))
    row = Row(name, encrypted=reader.is_encrypted)
    if not reader.is_encrypted:
        acroform = reader.trailer["/Root"].get("/AcroForm")
        row.xfa = acroform is not None and "/XFA" in acroform.get_object()
    else:
        row.xfa = True if name.endswith("_xfa.pdf") else False
    started = time.perf_counter()
    try:
        row.fields = len(inspect_form(data, source=name))
        template = prepare_template(data, source=name)
    except BadInputError as exc:
        row.error = str(exc)
        return row
    values: dict[str, object] = {}
    for field_name, spec in template.fields.items():
        if spec.kind == "text":
            marker = f"MK{len(values)}"
            values[field_name] = marker[: spec.max_length] if spec.max_length else marker
            row.text += 1
        elif spec.kind == "checkbox":
            values[field_name] = True
            row.checkboxes += 1
        elif spec.kind == "radio" and spec.on_states:
            values[field_name] = spec.on_states[-1]
            row.choices += 1
        elif spec.kind in ("combo", "list") and any(e.strip() for e, _ in spec.options):
            values[field_name] = next(e for e, _ in spec.options if e.strip())
            row.choices += 1
    result = fill_form(template, values)
    flat = fill_form(template, values, flatten=True)
    row.ms = (time.perf_counter() - started) * 1000
    row.overflow = len(result.overflow)
    got = read_values(result.pdf)
    row.expected = len(values)
    for field_name, value in values.items():
        kind = template.fields[field_name].kind
        want = f"/{result.filled[field_name]}" if kind in ("checkbox", "radio") else value
        if str(got.get(field_name)) == want:
            row.read_back += 1
        else:
            row.mismatches.append(f"{field_name}={got.get(field_name)!r} (want {want!r})")
    text = page_text(flat.pdf)
    row.flat_markers = sum(
        1 for v in values.values() if isinstance(v, str) and len(v) > 2 and v in text
    )
    return row


@pytest.fixture(scope="module")
def results() -> dict[str, Row]:
    """Run the whole corpus once (the forms present here), then write and print the table."""
    rows = {}
    for name in CORPUS:
        try:
            path = corpus_path(f"acroforms/{name}")
        except (pytest.skip.Exception, pytest.fail.Exception):
            continue  # its own test below skips (or fails in CI) with the reason
        rows[name] = _run(name, path.read_bytes())
    header = (
        f"{'form':52} {'fields':>6} {'text':>5} {'cbox':>5} {'choice':>6} {'read back':>10} "
        f"{'ovfl':>5} "
        f"{'flat txt':>8} {'enc':>4} {'xfa':>4} {'ms':>6}  result"
    )
    lines = [header, "-" * len(header)]
    for row in rows.values():
        status = row.error or ("ok" if row.read_back == row.expected else "MISMATCH")
        lines.append(
            f"{row.name:52} {row.fields:6} {row.text:5} {row.checkboxes:5} {row.choices:6} "
            f"{f'{row.read_back}/{row.expected}':>10} {row.overflow:5} {row.flat_markers:8} "
            f"{'yes' if row.encrypted else '-':>4} {'yes' if row.xfa else '-':>4} "
            f"{row.ms:6.0f}  {status}"
        )
    table = "\n".join(lines) + "\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "form_corpus.txt").write_text(table, encoding="utf-8")
    print("\n" + table)  # noqa: T201  # the table is part of the test output by design
    return rows


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 25
    assert len(list((REPO / "tests" / "fixtures" / "acroforms").glob("*.pdf"))) >= 19


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_form_fills_and_reads_back(results: dict[str, Row], name: str) -> None:
    corpus_path(f"acroforms/{name}")  # skips (locally) or fails (CI) when the form is not here
    row = results[name]
    if name in NOT_FILLABLE:
        assert NOT_FILLABLE[name] in row.error
        assert name in row.error
        return
    assert row.error == ""
    assert row.fields >= row.text + row.checkboxes + row.choices > 0
    assert row.mismatches == []
    assert row.read_back == row.expected
    if row.text:
        assert row.flat_markers > 0  # flattened markers are real, extractable page text


def test_pure_xfa_form_is_a_clear_error() -> None:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    xfa = StreamObject()
    xfa._data = b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>"
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)}
    )
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(BadInputError, match="pure XFA"):
        prepare_template(out.getvalue(), source="dynamic.pdf")
