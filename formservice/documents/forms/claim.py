"""The CMS-1500 claim for a case: claim lines from the billing rules, six per form, one PDF.

The CMS-1500 (02/12) has six service lines (item 24). A 6-session course has 13 lines (0662T
once, 0663T and the chemo-administration code on each session date), so the lines are packed six
to a copy of the form, keeping each date of service's lines on the same copy (see `_chunks`);
each copy totals its own lines in item 28, and the copies are merged into one PDF.

Merging: every copy has the same AcroForm field names, and a PDF holds one field per name, so
merged editable copies would share (and overwrite) their values. When more than one copy is
needed, each copy is therefore flattened (values drawn into the page) before merging; a
single-copy claim stays editable unless flattening is asked for.

Billing problems of severity ``error`` refuse the claim (422 with each message under the case
field that causes it); warnings and review notes travel in the result's ``details``. Also refused
(422, naming the rule): a hospital outpatient case (the hospital bills the UB-04/837I facility
claim) and a line the charge master has no charge for (24F is the clinic's charge, never a
payment rate or a blank).

When a printed code is not verified (the 2026 codes, reported by secondary sources only), every
page carries a red caveat in the top margin, outside the form's scanned area, and the warnings
say so.

Size: the copies share the form's fonts and background; `_compact` deduplicates identical objects
and compresses content streams so a three-copy claim stays well under 500 KB.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

from formservice.documents.forms.shipped import render_pa_form
from formservice.errors import ClaimBuildError, ValidationProblem
from formservice.model import Case, CaseFacts
from formservice.reimbursement import codes
from formservice.reimbursement.charge_master import load_charge_master
from formservice.reimbursement.checklists import chemo_code
from formservice.reimbursement.claim_checks import Problem, validate_claim_lines
from formservice.reimbursement.claim_form import facility_claim_rule
from formservice.reimbursement.claim_lines import build_claim_lines

__all__ = ["LINES_PER_FORM", "ClaimForm", "FormLine", "claim_form_lines", "render_claim_form"]

LINES_PER_FORM = 6
FORM_ID = "cms1500"

# Which case field a billing problem points at (for the 422's `errors`).
_PROBLEM_FIELDS = {
    "code_not_in_effect": "treatment.start_date",
    "place_of_service_missing": "treatment.site_of_care",
    "off_label_diagnosis": "diagnoses",
    "no_on_label_diagnosis": "diagnoses",
    "diagnosis_code_invalid": "diagnoses",
    "diagnosis_pointer_invalid": "diagnoses",
    "abn_option_not_billable": "abn.option",
}
_BUILD_FIELDS = {"chemo_code": "treatment.chemo_administration_code"}


@dataclass(frozen=True, slots=True)
class FormLine:
    """One item-24 line with the attribute names the cms1500 field map reads."""

    date_of_service: date
    place_of_service: str | None
    cpt: str
    modifiers: tuple[str, ...]
    diagnosis_pointer: str
    charges: float | None
    units: int
    rendering_npi: str


@dataclass(frozen=True)
class ClaimForm:
    """The merged claim PDF and what went into it."""

    pdf: bytes
    forms: int
    lines: list[FormLine]
    flattened: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)
    overflow: list[dict[str, Any]] = field(default_factory=list)


def _refuse(problems: dict[str, list[str]], what: str) -> ValidationProblem:
    return ValidationProblem(
        f"The claim cannot be made: {what}.",
        errors=problems,
    )


def _refuse_unbillable(case: Case) -> None:
    """422 before any line is built: a hospital's facility claim, or no code on the start date."""
    facility_rule = facility_claim_rule(case)
    if facility_rule is not None:
        raise _refuse(
            {"treatment.site_of_care": [facility_rule]},
            "the hospital bills this service on its facility claim (UB-04/837I)",
        )
    start = case.treatment.start_date
    if start is not None:
        try:
            codes.codes_in_effect(start)
        except codes.CodeNotInEffect as exc:
            raise _refuse({"treatment.start_date": [str(exc)]}, "no code on that date") from exc


def claim_form_lines(
    case: Case, *, charge_master: Path | str | None = None, facts: CaseFacts | None = None
) -> tuple[list[FormLine], list[Problem]]:
    """Claim lines for the form and the non-error billing problems; 422 on any error.

    ``charge_master``: the facility's charge master file (FORMSERVICE_CHARGE_MASTER); without
    one, or with a code it does not price, the claim is refused naming the code and date.
    """
    _refuse_unbillable(case)
    charges = load_charge_master(charge_master) if charge_master is not None else None
    try:
        lines = build_claim_lines(case, chemo_code=chemo_code(case), charge_master=charges)
    except ClaimBuildError as exc:
        path = _BUILD_FIELDS.get(exc.field, exc.field)
        raise _refuse(
            {path: [str(exc).split(": ", 1)[-1]]}, "the case lacks what lines need"
        ) from exc
    problems = validate_claim_lines(lines, case, facts)
    errors: dict[str, list[str]] = {}
    for p in problems:
        if p.severity == "error":
            errors.setdefault(_PROBLEM_FIELDS.get(p.code, "claim_lines"), []).append(p.message)
    if errors:
        raise _refuse(errors, f"{sum(len(v) for v in errors.values())} billing error(s)")
    unpriced = sorted(
        {f"{ln.code} on {ln.date_of_service.isoformat()}" for ln in lines if ln.charge is None}
    )
    if unpriced:
        where = charges.name if charges else "no charge master is configured"
        raise _refuse(
            {
                "charge_master": [
                    f"no charge for {', '.join(unpriced)} ({where}): item 24F needs the "
                    "facility's own charge (FORMSERVICE_CHARGE_MASTER)"
                ]
            },
            "a line has no charge",
        )
    rendering = case.prescriber.npi  # the ordering oncologist renders the service (item 24J)
    out = [
        FormLine(
            date_of_service=ln.date_of_service,
            place_of_service=ln.place_of_service,
            cpt=ln.code,
            modifiers=ln.modifiers,
            diagnosis_pointer=ln.diagnosis_pointers,
            charges=ln.charge,
            units=ln.units,
            rendering_npi=rendering,
        )
        for ln in lines
    ]
    return out, [p for p in problems if p.severity != "error"]


def _primary_first(case: Case) -> Case:
    """The case with its primary diagnosis listed first, so item 21 A is what pointers call A."""
    primary = case.primary_diagnosis
    ordered = (primary, *(d for d in case.diagnoses if d is not primary))
    return dataclasses.replace(case, diagnoses=ordered)


def _chunks(lines: Sequence[FormLine]) -> list[list[FormLine]]:
    """Lines packed six to a form, never splitting one date of service across two forms.

    Each paper form is its own claim, and 0663T is an add-on: it must travel on the same claim
    as the chemo-administration code of its date, so a date's lines stay together.
    """
    groups: list[list[FormLine]] = []
    for line in lines:
        if groups and groups[-1][0].date_of_service == line.date_of_service:
            groups[-1].append(line)
        else:
            groups.append([line])
    forms: list[list[FormLine]] = []
    for group in groups:
        if forms and len(forms[-1]) + len(group) <= LINES_PER_FORM:
            forms[-1].extend(group)
        elif len(group) <= LINES_PER_FORM:
            forms.append(list(group))
        else:  # more than six lines on one date (not produced by the billing rules today)
            forms += [group[i : i + LINES_PER_FORM] for i in range(0, len(group), LINES_PER_FORM)]
    return forms


def render_claim_form(
    case: Case,
    *,
    today: date,
    flatten: bool = False,
    forms_dir: Path | str | None = None,
    properties: Mapping[str, str] | None = None,
    charge_master: Path | str | None = None,
    facts: CaseFacts | None = None,
) -> ClaimForm:
    """Fill as many CMS-1500 copies as the claim lines need and merge them into one PDF.

    ValidationProblem (422) when the case cannot make a claim a payer accepts (see the module
    docstring); ChargeMasterError (500) when the charge master file is unreadable.
    """
    lines, notes = claim_form_lines(case, charge_master=charge_master, facts=facts)
    chunks = _chunks(lines)
    flat = flatten or len(chunks) > 1
    filled_case = _primary_first(case)
    overflow: list[dict[str, Any]] = []
    copies: list[bytes] = []
    for number, chunk in enumerate(chunks, 1):
        result = render_pa_form(
            filled_case,
            FORM_ID,
            today=today,
            flatten=flat,
            claim_lines=chunk,
            forms_dir=forms_dir,
            properties=properties,
        )
        overflow += [
            {
                "form": number,
                "field": o.field,
                "reason": o.reason,
                "value": o.value,
                "detail": o.detail,
            }
            for o in result.overflow
        ]
        copies.append(result.pdf)
    if len(copies) == 1:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(copies[0])))
    else:
        writer = PdfWriter()
        for pdf in copies:
            writer.append(PdfReader(io.BytesIO(pdf)))
        if "/AcroForm" in writer._root_object:
            # Flattened copies have no widgets left; an empty AcroForm would only confuse viewers.
            del writer._root_object["/AcroForm"]
    caveat = next((p.message for p in notes if p.code == "codes_not_verified"), None)
    if caveat:
        for page in writer.pages:
            _stamp_caveat(writer, page, caveat)
    if properties:
        writer.add_metadata({f"/{k}": v for k, v in properties.items()})
    pdf = _compact(writer)
    return ClaimForm(pdf, len(chunks), lines, flat, _warnings(notes), overflow)


def _pdf_text(text: str) -> str:
    """A PDF literal string body (WinAnsi; the caveat is plain ASCII)."""
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def _stamp_caveat(writer: PdfWriter, page: Any, caveat: str) -> None:
    """Draw the caveat in red in the page's top margin (above the form's printed area, where
    payers' scanners read nothing), with the standard Helvetica font (no embedding)."""
    box = page.mediabox
    top = float(box.top)
    rows = _wrap(f"NOTE (not part of the claim): {caveat}", 150)
    ops = ["q", "0.8 0 0 rg", "BT", "/FsCaveat 6 Tf", "6.8 TL", f"18 {top - 7.5:.1f} Td"]
    for row in rows:
        ops.append(f"({_pdf_text(row)}) Tj T*")
    ops += ["ET", "Q"]
    stream = DecodedStreamObject()
    stream.set_data("\n".join(ops).encode("ascii"))
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if fonts is not None else DictionaryObject()
    fonts[NameObject("/FsCaveat")] = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    resources[NameObject("/Font")] = fonts
    page[NameObject("/Resources")] = resources
    contents = page.get("/Contents")
    ref = writer._add_object(stream)
    if contents is None:
        page[NameObject("/Contents")] = ref
        return
    contents = contents.get_object()
    if isinstance(contents, ArrayObject):
        contents.append(ref)
    else:
        page[NameObject("/Contents")] = ArrayObject([page.raw_get("/Contents"), ref])


def _compact(writer: PdfWriter) -> bytes:
    """The merged PDF with identical objects shared and content streams compressed.

    pypdf's own tools (PdfWriter.compress_identical_objects, PageObject.compress_content_streams)
    rather than our own: the copies share the form's fonts and background images, which a plain
    append writes once per copy.
    """
    for page in writer.pages:
        page.compress_content_streams()
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _warnings(notes: list[Problem]) -> list[dict[str, Any]]:
    out = [
        {"code": p.code, "severity": p.severity, "message": p.message, "line": p.line_index}
        for p in notes
    ]
    # Items 12, 13 and 31 say "signature on file": true only if the clinic holds the signatures.
    out.append(
        {
            "code": "signature_on_file",
            "severity": "review",
            "message": "items 12 and 13 print SIGNATURE ON FILE and item 31 SOF: the clinic must "
            "hold the patient's signed authorization and the provider's signature before sending",
            "line": None,
        }
    )
    return out
