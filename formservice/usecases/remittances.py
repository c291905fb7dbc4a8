"""Electronic remittances (X12 835): read one, store each denial, match it to its case.

The file is read whole before anything is stored: a file that is not an 835 of 5010, or whose
envelope is broken, is refused (422 naming the segment and its position) and leaves neither a
blob nor a row. Each denied or partly denied claim becomes a denial row (the 835 is its source
blob, ``filename`` the upload's name), matched to the one stored case with the same member ID,
patient and date of service (`reimbursement.remittance_match`), or left unmatched for staff to
attach. The remittance's id is the file's SHA-256: uploading the same file again returns the
denials stored the first time instead of storing them twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from formservice.denials.era import read_remittance
from formservice.denials.x12_check import guide_problems
from formservice.errors import NotFoundError, PayloadTooLargeError, ValidationProblem
from formservice.model import Case, Principal
from formservice.model.remittance import Remittance
from formservice.reimbursement.reconciliation import reconcile
from formservice.reimbursement.remittance_match import match_case, same_member_id
from formservice.store import access
from formservice.store.blobs import sha256_hex
from formservice.store.db import reading, transaction
from formservice.store.models import CaseRow, DenialRow
from formservice.store.pa import refresh_next_due, tracked_case
from formservice.usecases.denials import denial_json
from formservice.usecases.services import Services

__all__ = [
    "check_remittance_upload",
    "read_remittance_denials",
    "read_remittance_file",
    "submit_remittance",
]


def check_remittance_upload(services: Services, data: bytes) -> None:
    """Size checks that need no parsing: 413 over the upload limit, 422 for an empty file."""
    if not data.strip():
        raise ValidationProblem("the uploaded file is empty", errors={"file": ["Empty file."]})
    limit = services.settings.max_upload_bytes
    if len(data) > limit:
        raise PayloadTooLargeError(
            f"the file is {len(data)} bytes; the limit is {limit}", limit=limit
        )


def read_remittance_file(services: Services, data: bytes) -> Remittance:
    """Read an 835 without storing anything (the CLI): the same checks as an upload."""
    check_remittance_upload(services, data)
    return read_remittance(data)


def _candidates(
    services: Services, principal: Principal, remittance: Remittance
) -> list[tuple[str, Case, str]]:
    """Visible cases whose member ID appears on a denied claim: (id, case, facility).

    The database narrows the cases to those member IDs (upper case, without dashes or spaces,
    read from the payload's JSON on SQLite and PostgreSQL alike); `same_member_id` then checks
    each exactly as the matcher does.
    """
    wanted = {d.member_id for d in remittance.denials if d.member_id}
    if not wanted:
        return []
    keys = {w.upper().replace("-", "").replace(" ", "") for w in wanted}
    member = CaseRow.payload["coverage"]["member_id"].as_string()
    normalized = func.replace(func.replace(func.upper(member), "-", ""), " ", "")
    out = []
    with reading(services.sessions) as session:
        for row in session.scalars(access.cases_for(principal).where(normalized.in_(keys))):
            case_member = (row.payload.get("coverage") or {}).get("member_id")
            if any(same_member_id(case_member, w) for w in wanted):
                out.append((row.id, tracked_case(row), row.facility_npi))
    return out


def _stored(services: Services, principal: Principal, digest: str) -> list[DenialRow]:
    with reading(services.sessions) as session:
        query = access.denials_for(principal).where(DenialRow.source_sha256 == digest)
        return list(session.scalars(query.order_by(DenialRow.created_at, DenialRow.id)))


def submit_remittance(
    services: Services, principal: Principal, *, filename: str, data: bytes
) -> dict[str, Any]:
    """Read an 835, store its denials matched to cases; ``{"id", "claims", "denials", ...}``."""
    check_remittance_upload(services, data)
    remittance = read_remittance(data)  # 422 here stores nothing
    check_limit = services.settings.x12_guide_check_max_bytes
    if len(data) <= check_limit:
        problems, checked = guide_problems(data), "done"
    else:
        problems, checked = [], f"skipped: the file is over {check_limit} bytes"
    digest = sha256_hex(data)
    rows = _stored(services, principal, digest)
    if not rows and remittance.denials:
        cases = _candidates(services, principal, remittance)
        facility_of = {case_id: facility for case_id, _, facility in cases}
        pairs = [(case_id, case) for case_id, case, _ in cases]
        _, created = services.blobs.put(data)
        try:
            with transaction(services.sessions) as session:
                for denial in remittance.denials:
                    case_id = match_case(denial, pairs)
                    matched = dict(pairs).get(case_id) if case_id else None
                    # Reconciled like a letter attached by hand (issue 13): a claim naming
                    # another patient than the case stays unattached.
                    found = reconcile(matched, denial) if matched is not None else None
                    if found is not None and found.identity_differences:
                        case_id, found = None, None
                    row = DenialRow(
                        case_id=case_id,
                        facility_npi=facility_of.get(case_id or "", principal.facility_npi),
                        status="done",
                        source_sha256=digest,
                        filename=_safe_filename(filename),
                        result=denial.to_json(),
                        appeal_deadline=denial.appeal_deadline,
                        reconciliation=found.stored_json() if found else None,
                    )
                    session.add(row)
                    rows.append(row)
                session.flush()
                for case_id in {r.case_id for r in rows if r.case_id}:
                    case_row = session.get(CaseRow, case_id)
                    if case_row is not None:
                        refresh_next_due(session, case_row)
        except BaseException:
            if created:
                services.blobs.delete(digest)
            raise
    out = remittance.to_json()
    out.update(
        id=digest,
        filename=_safe_filename(filename),
        denials=[denial_json(r) for r in rows],
        guide_problems=problems,
        guide_check=checked,
    )
    return out


def read_remittance_denials(
    services: Services, principal: Principal, remittance_id: str
) -> list[DenialRow]:
    """The stored denials of one remittance (by its SHA-256), or NotFoundError."""
    rows = _stored(services, principal, remittance_id)
    if not rows:
        raise NotFoundError("no such remittance")
    return rows


def _safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "remittance.835"
    return "".join(c for c in base if c.isprintable())[:200]
