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
field that causes it); warnings and review notes travel in the result's ``details``.
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

from formservice.documents.forms.shipped import render_pa_form
from formservice.errors import ValidationProblem
from formservice.model import Case
from formservice.reimbursement import billing, codes
from formservice.reimbursement.checklists import chemo_code

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


def claim_form_lines(case: Case) -> tuple[list[FormLine], list[billing.Problem]]:
    """Claim lines for the form and the non-error billing problems; 422 on any error."""
    start = case.treatment.start_date
    if start is not None:
        try:
            codes.codes_in_effect(start)
        except codes.CodeNotInEffect as exc:
            raise _refuse({"treatment.start_date": [str(exc)]}, "no code on that date") from exc
    try:
        lines = billing.build_claim_lines(case, chemo_code=chemo_code(case))
    except billing.ClaimBuildError as exc:
        path = _BUILD_FIELDS.get(exc.field, exc.field)
        raise _refuse(
            {path: [str(exc).split(": ", 1)[-1]]}, "the case lacks what lines need"
        ) from exc
    problems = billing.validate_claim_lines(lines, case)
    errors: dict[str, list[str]] = {}
    for p in problems:
        if p.severity == "error":
            errors.setdefault(_PROBLEM_FIELDS.get(p.code, "claim_lines"), []).append(p.message)
    if errors:
        raise _refuse(errors, f"{sum(len(v) for v in errors.values())} billing error(s)")
    rendering = case.prescriber.npi  # the ordering oncologist renders the service (item 24J)
    out = [
        FormLine(
            date_of_service=ln.date_of_service,
            place_of_service=ln.place_of_service,
            cpt=ln.code,
            modifiers=(),
            diagnosis_pointer=ln.diagnosis_pointers,
            # No fee on file: leave 24F blank for the clinic's own charge rather than print 0.00.
            charges=ln.charge if ln.charge_known else None,
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
) -> ClaimForm:
    """Fill as many CMS-1500 copies as the claim lines need and merge them into one PDF."""
    lines, notes = claim_form_lines(case)
    chunks = _chunks(lines)
    flat = flatten or len(chunks) > 1
    filled_case = _primary_first(case)
    writer = PdfWriter()
    overflow: list[dict[str, Any]] = []
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
        if len(chunks) == 1:
            return ClaimForm(result.pdf, 1, lines, flat, _warnings(notes, lines), overflow)
        writer.append(PdfReader(io.BytesIO(result.pdf)))
    if "/AcroForm" in writer._root_object:
        # Flattened copies have no widgets left; an empty AcroForm would only confuse viewers.
        del writer._root_object["/AcroForm"]
    if properties:
        writer.add_metadata({f"/{k}": v for k, v in properties.items()})
    buf = io.BytesIO()
    writer.write(buf)
    return ClaimForm(buf.getvalue(), len(chunks), lines, flat, _warnings(notes, lines), overflow)


def _warnings(notes: list[billing.Problem], lines: list[FormLine]) -> list[dict[str, Any]]:
    out = [
        {"code": p.code, "severity": p.severity, "message": p.message, "line": p.line_index}
        for p in notes
    ]
    unpriced = sorted({ln.cpt for ln in lines if ln.charges is None})
    if unpriced:
        out.append(
            {
                "code": "charges_not_on_file",
                "severity": "warning",
                "message": f"no reference charge on file for {', '.join(unpriced)} on these "
                "dates: item 24F is left blank for the clinic's own charges",
                "line": None,
            }
        )
    return out
