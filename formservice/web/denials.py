"""Staff pages for denial letters: upload, review beside the page image, correct, appeal packet."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pypdfium2
from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from formservice.errors import (
    DuplicateUploadError,
    FormserviceError,
    IdentityMismatchError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationProblem,
)
from formservice.pdfium import PDFIUM_LOCK
from formservice.schemas.denial import PLAN_TYPES
from formservice.store import access
from formservice.store.models import DenialRow
from formservice.usecases.denials import (
    attach_denial,
    correct_denial,
    denial_json,
    is_hub,
    reconciliation_of,
    submit_denial,
)
from formservice.usecases.packets import build_packet
from formservice.web.base import bp, current_principal, web_services
from formservice.web.views import patient_name

# A value the parser reported below this confidence is shown as an open field to check. It is
# stricter than the parser's own needs_review line so a person also looks at borderline values.
CHECK_BELOW = 0.8
PAGE_IMAGE_DPI = 110
MAX_SIDE_PX = 2000
# pdfium is not thread-safe, not even across documents, and waitress serves pages from several
# threads: one pdfium call at a time in this process.


@dataclass(frozen=True)
class FieldSpec:
    """A correctable fact: its key, label and input type ("text", "date", "list", "select").

    A part of a structured fact (the appeal destination's fax) names the fact in ``group`` and
    its member in ``part``; the form field is ``key``.
    """

    key: str
    label: str
    kind: str = "text"
    hint: str = ""
    group: str | None = None
    part: str | None = None

    @property
    def fact(self) -> str:
        """The contract field this input corrects (review_fields names these)."""
        return self.group or self.key


FIELDS = (
    FieldSpec("payer_name", "Payer"),
    FieldSpec("plan_type", "Plan type", "select"),
    FieldSpec("patient_name", "Patient name"),
    FieldSpec("member_id", "Member ID"),
    FieldSpec("claim_number", "Claim number"),
    FieldSpec("authorization_number", "Authorization number"),
    FieldSpec("letter_date", "Letter date", "date"),
    FieldSpec("date_of_service", "Date of service", "date"),
    FieldSpec("procedure_codes", "Procedure codes (CPT)", "list", "Separate codes with commas."),
    FieldSpec("diagnosis_codes", "Diagnosis codes (ICD-10)", "list", "Separate codes with commas."),
    FieldSpec("carc_codes", "CARC codes", "list", "Without the group prefix: 50, not CO-50."),
    FieldSpec("rarc_codes", "RARC codes", "list", "For example N115."),
    FieldSpec("categories", "Denial categories", "list", "For example medical_necessity."),
    FieldSpec("appeal_deadline", "Appeal deadline", "date"),
    # Where the appeal goes: the packet is routed to it.
    FieldSpec("appeal_to_name", "Send appeals to", group="appeal_to", part="name"),
    FieldSpec("appeal_to_address", "Appeal address", group="appeal_to", part="address"),
    FieldSpec("appeal_to_fax", "Appeal fax", group="appeal_to", part="fax"),
    FieldSpec("appeal_to_phone", "Appeal phone", group="appeal_to", part="phone"),
    FieldSpec("appeal_to_portal", "Appeal portal", group="appeal_to", part="portal"),
)
APPEAL_PARTS = ("name", "address", "fax", "phone", "portal")


@dataclass(frozen=True)
class FactView:
    """A fact as the review page shows it."""

    spec: FieldSpec
    value: Any
    shown: str  # the value as text for the input
    sources: list[dict[str, Any]]  # [{page, text, confidence}], the sentences it came from
    entered_by: str | None  # the staff member who corrected or confirmed it
    confidence: float | None
    check: bool  # unsure: shown as an open field, marked
    reviewed: bool
    errors: list[str]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _sources(evidence: Any) -> list[dict[str, Any]]:
    items = evidence if isinstance(evidence, list) else [evidence]
    return [e for e in items if isinstance(e, dict) and e.get("text")]


def fact_views(
    denial: dict[str, Any], errors: dict[str, list[str]] | None = None
) -> list[FactView]:
    """Every correctable fact with its source sentences and whether a person should check it."""
    evidence = denial.get("evidence") or {}
    reviewed = set(denial.get("reviewed_fields") or [])
    flagged = set(denial.get("review_fields") or [])
    by_field: dict[str, list[str]] = {}
    for path, messages in (errors or {}).items():
        # "procedure_codes.0" → the procedure_codes field: one input holds the whole list.
        by_field.setdefault(path.split(".", 1)[0], []).extend(messages)
    views = []
    for spec in FIELDS:
        value = _value(denial, spec)
        raw = evidence.get(spec.fact)
        sources = _sources(raw)
        entered_by = raw.get("reviewed_by") if isinstance(raw, dict) else None
        scores = [float(s["confidence"]) for s in sources if s.get("confidence") is not None]
        confidence = min(scores) if scores else None
        empty = value in (None, "", [])
        unsure = confidence is not None and confidence < CHECK_BELOW
        named = spec.fact in flagged and (spec.part is None or not empty or spec.part == "fax")
        check = spec.fact not in reviewed and (
            named or unsure or (empty and spec.group is None and bool(denial.get("needs_review")))
        )
        views.append(
            FactView(
                spec=spec,
                value=value,
                shown=_shown(value),
                sources=sources,
                entered_by=entered_by,
                confidence=confidence,
                check=check or spec.key in by_field or spec.fact in by_field,
                reviewed=spec.fact in reviewed,
                errors=by_field.get(spec.key, [])
                + (by_field.get(spec.fact, []) if spec.group else []),
            )
        )
    return views


def _value(denial: dict[str, Any], spec: FieldSpec) -> Any:
    if spec.group is None:
        return denial.get(spec.key)
    group = denial.get(spec.group)
    return group.get(spec.part) if isinstance(group, dict) else None


def _parse_field(spec: FieldSpec, raw: str) -> Any:
    raw = raw.strip()
    if spec.kind == "list":
        return [p.strip() for p in re.split(r"[,;\s]+", raw) if p.strip()]
    return raw or None


def corrections_from_form(denial: dict[str, Any], form: Any) -> dict[str, Any]:
    """The fields whose submitted value differs from the stored one."""
    changed: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.key not in form or spec.group is not None:
            continue
        value = _parse_field(spec, form.get(spec.key, ""))
        if value != _parse_field(spec, _shown(denial.get(spec.key))):
            changed[spec.key] = value
    appeal = _appeal_from_form(denial, form)
    if appeal is not False:
        changed["appeal_to"] = appeal
    if form.get("checked") == "yes":
        # The person vouches for every fact the page asked them to check: they count as reviewed.
        for view in fact_views(denial):
            spec = view.spec
            if view.check and spec.group is None and spec.key not in changed and spec.key in form:
                changed[spec.key] = _parse_field(spec, form.get(spec.key, ""))
            elif view.check and spec.group == "appeal_to" and "appeal_to" not in changed:
                changed["appeal_to"] = _appeal_parts(denial, form)
        changed["needs_review"] = False
    return changed


def _appeal_parts(denial: dict[str, Any], form: Any) -> dict[str, Any] | None:
    stored = denial.get("appeal_to") or {}
    parts = {
        part: (form.get(f"appeal_to_{part}", "").strip() or None)
        if f"appeal_to_{part}" in form
        else stored.get(part)
        for part in APPEAL_PARTS
    }
    return parts if any(parts.values()) else None


def _appeal_from_form(denial: dict[str, Any], form: Any) -> dict[str, Any] | None | bool:
    """The appeal destination as corrected, or False when the form leaves it as stored."""
    if not any(f"appeal_to_{part}" in form for part in APPEAL_PARTS):
        return False
    parts = _appeal_parts(denial, form)
    stored = denial.get("appeal_to") or None
    if parts == stored or (parts is None and not stored):
        return False
    return parts


FACT_LABELS = {
    "patient_name": "Patient name",
    "date_of_birth": "Date of birth",
    "member_id": "Member ID",
    "payer": "Payer",
    "dates_of_service": "Dates of service",
    "diagnosis_codes": "Diagnosis codes",
    "procedure_codes": "Procedure codes",
}


def _review(row: DenialRow, *, errors: dict[str, list[str]] | None = None, status: int = 200,
            message: str | None = None, mismatch: dict[str, Any] | None = None,
            gaps: dict[str, list[str]] | None = None) -> tuple[str, int]:  # fmt: skip
    svc = web_services()
    who = current_principal()
    denial = denial_json(row)
    case_row = None
    cases: list[Any] = []
    with svc.sessions() as db:
        if row.case_id:
            case_row = access.get_case(db, who, row.case_id)
        else:
            cases = list(db.scalars(access.cases_for(who).limit(200)))
    template = "denial_processing.html" if row.status != "done" else "denial_review.html"
    return (
        render_template(
            template,
            denial=denial,
            row=row,
            facts=fact_views(denial, errors) if row.status == "done" else [],
            case=case_row,
            patient=patient_name(case_row.payload) if case_row else None,
            cases=[(c.id, c.external_id, patient_name(c.payload)) for c in cases],
            plan_types=PLAN_TYPES,
            message=message,
            errors=errors or {},
            today=svc.today(),
            reconciliation=reconciliation_of(row),
            mismatch=mismatch,
            fact_labels=FACT_LABELS,
            hub=is_hub(who),
            gaps=gaps or {},
            segments=x12_segments(denial),
        ),
        status,
    )


def x12_segments(denial: dict[str, Any]) -> list[tuple[int, str, list[str]]]:
    """The 835 segments a denial's facts come from, in file order, each once with the facts it
    gave: ``[(position, text, [fact, ...])]`` (empty for a letter)."""
    found: dict[int, tuple[str, list[str]]] = {}
    for name, evidence in (denial.get("evidence") or {}).items():
        for item in evidence if isinstance(evidence, list) else [evidence]:
            if isinstance(item, dict) and isinstance(item.get("segment"), int) and item.get("text"):
                text, names = found.setdefault(item["segment"], (str(item["text"]), []))
                label = name.replace("_", " ")
                if label not in names:
                    names.append(label)
    return [(position, text, names) for position, (text, names) in sorted(found.items())]


def upload_page(
    message: str | None = None, status: int = 200, selected: str | None = None
) -> tuple[str, int]:
    """The upload form, with a message when the last upload was refused."""
    who = current_principal()
    with web_services().sessions() as db:
        cases = list(db.scalars(access.cases_for(who).limit(200)))
    return (
        render_template(
            "denial_upload.html",
            message=message,
            cases=[(c.id, c.external_id, patient_name(c.payload)) for c in cases],
            selected=request.args.get("case_id", "") if selected is None else selected,
            max_bytes=web_services().settings.max_upload_bytes,
        ),
        status,
    )


def problem_message(error: FormserviceError) -> str:
    """A refused upload's problem as one sentence for the page."""
    if isinstance(error, PayloadTooLargeError):
        limit = web_services().settings.max_upload_bytes
        return f"The file is too large: the limit is {limit // (1024 * 1024)} MB."
    details = "; ".join(" ".join(m) for m in error.errors.values())
    return f"{error.detail}. {details}".strip() if details else error.detail


@bp.route("/denials/new", methods=["GET", "POST"], endpoint="denial_upload")
def denial_upload() -> BaseResponse | tuple[str, int]:
    """Upload a denial letter (PDF, text or scanned); its facts open for review."""
    if request.method == "GET":
        return upload_page()
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return upload_page(problem_message(PayloadTooLargeError()), 413)
    if upload is None or not upload.filename:
        return upload_page("Choose a PDF file of the denial letter first.", 422)
    try:
        row = submit_denial(
            web_services(),
            current_principal(),
            filename=upload.filename,
            data=upload.read(),
            case_id=request.form.get("case_id") or None,
        )
    except DuplicateUploadError as error:
        # The same file again: open the earlier upload (the caller can see it) and say so.
        flash(f"This letter was already uploaded ({error.extra['uploaded_at'][:10]}): here it is.")
        return redirect(url_for("web.denial", denial_id=error.extra["existing_denial_id"]), 303)
    except FormserviceError as error:
        if error.status >= 500:
            raise
        return upload_page(problem_message(error), error.status, request.form.get("case_id"))
    return redirect(url_for("web.denial", denial_id=row.id), code=303)


@bp.route("/denials/<id:denial_id>", methods=["GET", "POST"], endpoint="denial")
def denial(denial_id: str) -> BaseResponse | tuple[str, int]:
    """The review page: facts beside the letter; POST saves corrections."""
    svc = web_services()
    who = current_principal()
    with svc.sessions() as db:
        row = access.get_denial(db, who, denial_id)
    if request.method == "GET":
        return _review(row)
    changes = corrections_from_form(denial_json(row), request.form)
    if not changes:
        flash("Nothing changed.")
        return redirect(url_for("web.denial", denial_id=row.id), code=303)
    try:
        row = correct_denial(svc, who, denial_id, changes)
    except ValidationProblem as problem:
        return _review(row, errors=problem.errors, status=422, message=problem.detail)
    flash("Saved. Corrected facts are marked as checked by you.")
    return redirect(url_for("web.denial", denial_id=row.id), code=303)


@bp.get("/denials/<id:denial_id>/pages/<int:page>.png", endpoint="denial_page")
def denial_page(denial_id: str, page: int) -> Response:
    """One page of the uploaded letter as a PNG image."""
    svc = web_services()
    with svc.sessions() as db:
        row = access.get_denial(db, current_principal(), denial_id)
    data = svc.blobs.get(row.source_sha256)
    with PDFIUM_LOCK:
        pdf = pypdfium2.PdfDocument(data, password="")
        try:
            if not 1 <= page <= min(len(pdf), svc.settings.max_pdf_pages):
                raise NotFoundError(f"no page {page}")
            sheet = pdf[page - 1]
            # Never more than MAX_SIDE_PX on a side, whatever size the page claims to be.
            scale = min(PAGE_IMAGE_DPI / 72, MAX_SIDE_PX / max(*sheet.get_size(), 1.0))
            # A copy: the bitmap's memory belongs to pdfium and goes with the document.
            image = sheet.render(scale=scale).to_pil().copy()
        finally:
            pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return Response(out.getvalue(), mimetype="image/png")


@bp.post("/denials/<id:denial_id>/attach", endpoint="denial_attach")
def denial_attach(denial_id: str) -> BaseResponse | tuple[str, int]:
    """Link the letter to one of the user's cases."""
    case_id = request.form.get("case_id", "")
    if not case_id:
        with web_services().sessions() as db:
            row = access.get_denial(db, current_principal(), denial_id)
        return _review(row, status=422, message="Choose the case this letter belongs to.")
    try:
        attach_denial(
            web_services(),
            current_principal(),
            denial_id,
            case_id,
            override_reason=request.form.get("override_reason", "").strip() or None,
        )
    except IdentityMismatchError as error:
        with web_services().sessions() as db:
            row = access.get_denial(db, current_principal(), denial_id)
        return _review(
            row,
            status=409,
            message=problem_message(error),
            mismatch={"case_id": case_id, "facts": error.extra.get("reconciliation") or {}},
        )
    flash("The letter is now linked to the case.")
    return redirect(url_for("web.denial", denial_id=denial_id), code=303)


@bp.post("/denials/<id:denial_id>/packet", endpoint="denial_packet")
def denial_packet(denial_id: str) -> BaseResponse | tuple[str, int]:
    """Generate the appeal packet (one PDF) for the letter's case."""
    try:
        saved = build_packet(
            web_services(),
            current_principal(),
            denial_id,
            late_reason=request.form.get("late_reason", "").strip() or None,
            require_checked=True,
        )
    except FormserviceError as error:
        if error.status >= 500 and error.status not in (503, 504):
            raise
        with web_services().sessions() as db:
            row = access.get_denial(db, current_principal(), denial_id)
        gaps = error.errors if isinstance(error, ValidationProblem) else None
        message = error.detail if gaps else problem_message(error)
        return _review(row, status=error.status, message=message, gaps=gaps)
    # The packet's warnings are printed on its own page (document.html, from its details), not
    # flashed: a flash waits for whichever page comes next, which may be another patient's case.
    flash("The appeal packet is ready.")
    return redirect(url_for("web.document", document_id=saved.id), code=303)


def deadline_state(deadline: date | None, today: date) -> str:
    """ "passed", "soon" (within 14 days) or "" for a deadline."""
    if deadline is None:
        return ""
    if deadline < today:
        return "passed"
    return "soon" if (deadline - today).days <= 14 else ""
