"""Staff pages for denial letters: upload, review beside the page image, correct, appeal packet."""

from __future__ import annotations

import io
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
from formservice.store.db import reading
from formservice.store.models import DenialRow
from formservice.usecases.denial_identity import is_hub, reconciliation_of
from formservice.usecases.denials import (
    attach_denial,
    correct_denial,
    denial_json,
    submit_denial,
)
from formservice.usecases.packets import build_packet
from formservice.web.base import bp, current_principal, web_services
from formservice.web.denial_form import corrections_from_form, fact_views
from formservice.web.views import patient_name

PAGE_IMAGE_DPI = 110
MAX_SIDE_PX = 2000
# pdfium is not thread-safe, not even across documents, and waitress serves pages from several
# threads: one pdfium call at a time in this process.


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
    with reading(svc.sessions) as db:
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
    with reading(web_services().sessions) as db:
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
    with reading(svc.sessions) as db:
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
    with reading(svc.sessions) as db:
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
        with reading(web_services().sessions) as db:
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
        with reading(web_services().sessions) as db:
            row = access.get_denial(db, current_principal(), denial_id)
        # The detail names each difference already; the per-field messages say it again.
        detail = str(error.detail)
        return _review(
            row,
            status=409,
            message=f"{detail[:1].upper()}{detail[1:]}.",
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
        with reading(web_services().sessions) as db:
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
