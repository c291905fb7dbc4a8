"""Staff pages: login and logout, the facility's cases, a case, a document, the audit trail."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from formservice.errors import NotFoundError, ValidationProblem
from formservice.store import access
from formservice.store.db import reading
from formservice.store.models import DenialRow, DocumentRow
from formservice.usecases.accounts import LoginFailedError, log_in, log_out
from formservice.usecases.audit import read_audit
from formservice.usecases.cases import CaseSummary, case_checklists, list_cases
from formservice.usecases.documents import document_file
from formservice.web.base import bp, current_principal, start_session, web_services

# Cases per page of the list; the next page follows the last case shown (nothing is cut off).
PAGE_SIZE = 50
AUDIT_PAGE_ROLES = ("hub_admin",)


@dataclass(frozen=True)
class CaseLine:
    """One line of the case list."""

    id: str
    external_id: str
    patient: str
    payer: str
    facility_npi: str
    pa_status: str
    due: date | None
    due_reason: str | None
    appeal: bool  # the due date is an appeal deadline


def patient_name(payload: dict[str, Any]) -> str:
    """The patient's name from a stored case payload."""
    patient = payload.get("patient") or {}
    return f"{patient.get('first_name', '')} {patient.get('last_name', '')}".strip()


def _safe_next(target: str | None) -> str:
    # Only a path on this site: an absolute URL here would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("web.cases")


@bp.get("/")
def index() -> BaseResponse:
    """The start page is the case list."""
    return redirect(url_for("web.cases"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int]:
    """The login form; a failure says only that it failed (and counts it)."""
    if request.method == "GET":
        if g.get("principal") is not None:
            return redirect(url_for("web.cases"))
        return render_template("login.html", next=request.args.get("next", "")), 200
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    try:
        principal, nonce = log_in(web_services(), email, password)
    except LoginFailedError:
        return (
            render_template("login.html", error=True, email=email, next=request.form.get("next")),
            401,
        )
    start_session(principal, nonce)
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session here and every other session of this user."""
    log_out(web_services(), current_principal())
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("web.login"), code=303)


def _case_line(row: CaseSummary) -> CaseLine:
    patient = f"{row.patient_first_name or ''} {row.patient_last_name or ''}".strip()
    return CaseLine(
        id=row.id,
        external_id=row.external_id,
        patient=patient,
        payer=str(row.payer_name or row.coverage_status or ""),
        facility_npi=row.facility_npi,
        pa_status=row.pa_status,
        due=row.next_due,
        due_reason=row.next_due_reason,
        appeal=row.next_due_kind == "appeal",
    )


@bp.get("/cases")
def cases() -> str:
    """The cases the user may see, appeal deadlines first, a page at a time."""
    who = current_principal()
    # The same list, in the same order, as GET /api/v1/cases (appeal deadlines first).
    cursor = request.args.get("cursor") or None
    page = list_cases(web_services(), who, limit=PAGE_SIZE, cursor=cursor, names=True)
    with reading(web_services().sessions) as db:
        denials = list(db.scalars(access.denials_for(who).where(DenialRow.case_id.is_(None))))
    loose = sorted(
        (d for d in denials if d.case_id is None),
        key=lambda d: (d.appeal_deadline or date.max, d.created_at),
    )
    return render_template(
        "cases.html",
        lines=[_case_line(r) for r in page.items],
        next_page=url_for("web.cases", cursor=page.next_cursor) if page.next_cursor else None,
        first_page=url_for("web.cases") if cursor else None,
        loose_denials=loose,
        today=web_services().today(),
    )


@bp.get("/cases/<id:case_id>")
def case(case_id: str) -> str:
    """One case: its facts, denial letters, documents and checklists."""
    who = current_principal()
    with reading(web_services().sessions) as db:
        row = access.get_case(db, who, case_id)
        documents = list(
            db.scalars(
                access.documents_for(who)
                .where(DocumentRow.case_id == row.id)
                .order_by(DocumentRow.created_at.desc())
            )
        )
        denials = list(
            db.scalars(
                access.denials_for(who)
                .where(DenialRow.case_id == row.id)
                .order_by(DenialRow.created_at.desc())
            )
        )
    latest = next((d for d in denials if d.status == "done"), None)
    return render_template(
        "case.html",
        row=row,
        payload=row.payload,
        patient=patient_name(row.payload),
        documents=documents,
        denials=denials,
        checklists=case_checklists(web_services(), who, row, list(reversed(documents)), latest),
        today=web_services().today(),
    )


@bp.get("/documents/<id:document_id>")
def document(document_id: str) -> str:
    """A generated document with its download link."""
    with reading(web_services().sessions) as db:
        row = access.get_document(db, current_principal(), document_id)
        case_row = access.get_case(db, current_principal(), row.case_id)
    return render_template(
        "document.html", doc=row, case=case_row, patient=patient_name(case_row.payload)
    )


@bp.get("/documents/<id:document_id>/download")
def download(document_id: str) -> Response:
    """The file itself, as an attachment."""
    row, data = document_file(web_services(), current_principal(), document_id)
    # werkzeug writes Content-Disposition (RFC 6266: quoted, `filename*` beyond ASCII).
    return send_file(
        io.BytesIO(data),
        mimetype=row.media_type,
        as_attachment=True,
        download_name=row.filename,
        etag=row.blob_sha256,
        conditional=False,
    )


def _when(raw: str | None, field: str, errors: dict[str, str]) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        errors[field] = "Use a date such as 2026-11-27 or 2026-11-27T13:00."
        return None


@bp.get("/audit")
def audit() -> tuple[str, int]:
    """The audit trail with filters (hub administrators only)."""
    if current_principal().role not in AUDIT_PAGE_ROLES:
        raise NotFoundError("no such page")
    args = request.args
    errors: dict[str, str] = {}
    since = _when(args.get("since"), "since", errors)
    until = _when(args.get("until"), "until", errors)
    events: list[dict[str, Any]] = []
    if not errors:
        try:
            events = read_audit(
                web_services(),
                actor=args.get("actor") or None,
                action=args.get("action") or None,
                case_id=args.get("case_id") or None,
                since=since,
                until=until,
                limit=200,
            )
        except ValidationProblem as problem:
            errors.update({name: " ".join(m) for name, m in problem.errors.items()})
    return (
        render_template("audit.html", events=events, errors=errors, args=args),
        422 if errors else 200,
    )


__all__ = ["CaseLine", "patient_name"]
