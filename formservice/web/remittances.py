"""Staff pages for electronic remittances: upload an 835, see its denied claims and their cases.

Each denied claim opens the same review page as a letter (`web.denial`), where it is attached to
a case and its appeal packet made.
"""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Response, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from formservice.documents.x12.claim837p import MEDIA_TYPE
from formservice.errors import FormserviceError, NotFoundError, PayloadTooLargeError
from formservice.store import access
from formservice.store.db import reading
from formservice.store.models import CaseRow
from formservice.usecases.claims_837p import case_837p
from formservice.usecases.denials import denial_json
from formservice.usecases.remittances import read_remittance_denials, submit_remittance
from formservice.web.base import bp, current_principal, web_services
from formservice.web.denials import problem_message

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _upload_page(message: str | None = None, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "remittance_upload.html",
            message=message,
            max_bytes=web_services().settings.max_upload_bytes,
        ),
        status,
    )


@bp.route("/remittances/new", methods=["GET", "POST"], endpoint="remittance_upload")
def remittance_upload() -> BaseResponse | tuple[str, int]:
    """Upload an 835; its denied claims are stored and listed."""
    if request.method == "GET":
        return _upload_page()
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _upload_page(problem_message(PayloadTooLargeError()), 413)
    if upload is None or not upload.filename:
        return _upload_page("Choose the 835 file first.", 422)
    try:
        result = submit_remittance(
            web_services(), current_principal(), filename=upload.filename, data=upload.read()
        )
    except FormserviceError as error:
        if error.status >= 500:
            raise
        return _upload_page(problem_message(error), error.status)
    if not result["denials"]:
        claims = len(result["claims"])
        page = render_template("remittance.html", claims=claims, rows=[], filename=upload.filename)
        return page, 200
    return redirect(url_for("web.remittance", remittance_id=result["id"]), code=303)


@bp.get("/remittances/<remittance_id>", endpoint="remittance")
def remittance(remittance_id: str) -> str:
    """The denied claims of one uploaded 835, each with its matched case or none."""
    if not _SHA256.fullmatch(remittance_id):
        raise NotFoundError("no such remittance")
    who = current_principal()
    rows = read_remittance_denials(web_services(), who, remittance_id)
    case_ids = {r.case_id for r in rows if r.case_id}
    cases: dict[str, Any] = {}
    if case_ids:
        with reading(web_services().sessions) as session:
            query = access.cases_for(who).where(CaseRow.id.in_(case_ids))
            cases = {c.id: c.external_id for c in session.scalars(query)}
    items = [(denial_json(r), cases.get(r.case_id or "")) for r in rows]
    return render_template(
        "remittance.html", rows=items, claims=None, filename=rows[0].filename if rows else ""
    )


@bp.get("/cases/<id:case_id>/claim.837", endpoint="case_837p")
def case_claim_837p(case_id: str) -> Response:
    """The case's professional claim as an 837P file (a 422 page when it cannot be billed)."""
    claim, _ = case_837p(web_services(), current_principal(), case_id)
    response = send_file(
        io.BytesIO(claim.data),
        mimetype=MEDIA_TYPE,
        as_attachment=True,
        download_name=f"claim-{case_id}.837",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
