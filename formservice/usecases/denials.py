"""Denial letters: upload, read now or in the background, correct, attach to a case.

An upload is checked (size, PDF signature, page and decompression limits) before anything is
stored. A letter whose OCR would outlast the request budget is stored as `processing` and
finished by a queue worker (the API answers 202 with a status URL); everything else is read in
the request. A failure leaves neither a row nor a blob behind.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from functools import partial
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import delete

from formservice.denials import estimate_ocr_pages, read_denial
from formservice.errors import (
    DuplicateUploadError,
    QueueUnavailableError,
    ValidationProblem,
    flatten_messages,
)
from formservice.jobs import PROCESS_DENIAL
from formservice.model import CaseFacts, Denial, Principal
from formservice.reimbursement.reconciliation import reconcile
from formservice.schemas.denial import DenialCorrectionSchema
from formservice.store import access, leases
from formservice.store.audit import record_event
from formservice.store.blobs import sha256_hex
from formservice.store.db import reading, transaction
from formservice.store.models import CaseRow, DenialRow, utcnow
from formservice.store.pa import refresh_next_due, tracked_case
from formservice.store.unit_of_work import current_unit, on_commit
from formservice.usecases.denial_checks import (
    check_not_uploaded_before,
    check_upload,
    extract_limits,
    refuse_duplicate,
    safe_filename,
)
from formservice.usecases.denial_identity import (
    carry_over,
    check_identity,
    differences_text,
    stored_reconciliation,
)
from formservice.usecases.services import Services


def submit_denial(
    services: Services,
    principal: Principal,
    *,
    filename: str,
    data: bytes,
    case_id: str | None = None,
) -> DenialRow:
    """Store an uploaded denial letter and its facts (now, or `processing` in the background)."""
    settings = services.settings
    check_upload(settings, data)
    facility = principal.facility_npi
    case_row = None
    if case_id:
        with reading(services.sessions) as session:
            case_row = access.get_case(session, principal, case_id)
            facility = case_row.facility_npi
    limits = extract_limits(settings)
    scanned_pages = estimate_ocr_pages(data, limits=limits)  # also runs the structural checks
    background = (
        scanned_pages * settings.ocr_expected_seconds_per_page > settings.request_ocr_budget_seconds
    )
    if background:
        # Refused now (503) rather than stored as `processing` with no worker ever told.
        services.jobs.check(services.settings.readiness_timeout_seconds)
    read = None if background else read_denial(data, limits=limits, today=services.today())
    result = read.to_json() if read else None
    checked = None
    if read is not None and case_row is not None:
        # Checked before anything is stored: a letter about another patient leaves nothing.
        checked = check_identity(tracked_case(case_row), read, principal, None)
    # After the identity check: a letter naming another patient is refused as that first.
    check_not_uploaded_before(services, principal, data)
    digest, created = services.blobs.put(data)
    try:
        with transaction(services.sessions) as session:
            refuse_duplicate(session, principal, digest)
            row = DenialRow(
                case_id=case_id,
                facility_npi=facility,
                status="processing" if background else "done",
                source_sha256=digest,
                filename=safe_filename(filename),
                result=result,
                appeal_deadline=_deadline(result),
                reconciliation=checked.stored_json() if checked else None,
            )
            session.add(row)
    except DuplicateUploadError:
        raise  # the earlier upload of this very file keeps its blob
    except BaseException:
        if created:
            services.blobs.delete(digest)
        raise
    if case_id and not background:
        with transaction(services.sessions) as session:
            case_row = session.get(CaseRow, case_id)
            if case_row is not None:
                refresh_next_due(session, case_row)
    if background:
        return _enqueue_read(services, row, digest=digest, created=created)
    return row


def _enqueue_read(services: Services, row: DenialRow, *, digest: str, created: bool) -> DenialRow:
    """Queue the background read of a stored `processing` letter; the row as stored.

    In a request the letter is queued once the request has committed (a worker must find the
    row); if the broker fails then, the row stays `processing` and the reaper queues it. Outside
    one (the CLI), a broker that fails undoes the row and the blob and raises 503.
    """
    if current_unit(services.sessions) is not None:
        on_commit(services.sessions, partial(services.jobs.enqueue, PROCESS_DENIAL, row.id))
        with reading(services.sessions) as session:
            return session.get_one(DenialRow, row.id)
    try:
        services.jobs.enqueue(PROCESS_DENIAL, row.id)
    except QueueUnavailableError:
        # The broker went away after the check: undo the row and the blob, then say so.
        with transaction(services.sessions) as session:
            session.execute(delete(DenialRow).where(DenialRow.id == row.id))
        if created:
            services.blobs.delete(digest)
        raise
    with reading(services.sessions) as session:
        refreshed = session.get(DenialRow, row.id)
        assert refreshed is not None  # noqa: S101  # just written
        return refreshed


def finish_denial(services: Services, denial_id: str, *, owner: str | None = None) -> None:
    """Read a denial stored as `processing` (run by a queue worker).

    The letter is first leased to `owner` (the worker; a fresh id if None) for
    `Settings.lease_seconds`, renewed while the worker lives: a letter already read, or being
    read by a live worker, is left alone, and one whose worker was killed is queued again by
    the reaper (`usecases.recovery`).
    """
    owner = owner or uuid.uuid4().hex
    if not leases.claim_denial(
        services.sessions, denial_id, owner=owner, lease_seconds=services.settings.lease_seconds
    ):
        return
    try:
        _read_claimed(services, denial_id)
    except BaseException:
        # Dropped (the blob store or the database failed): let the reaper queue it again now
        # rather than renew a lease on it for as long as this worker lives.
        leases.release(services.sessions, owner=owner, denial_id=denial_id)
        raise


def _read_claimed(services: Services, denial_id: str) -> None:
    with reading(services.sessions) as session:
        row = session.get(DenialRow, denial_id)
        if row is None:
            return
        data = services.blobs.get(row.source_sha256)
    try:
        read = read_denial(data, limits=extract_limits(services.settings), today=services.today())
        result: dict[str, Any] | None = read.to_json()
        status, error = "done", None
    except Exception as exc:  # noqa: BLE001  # the upload is kept and marked failed with the reason
        result, status = None, "failed"
        error = getattr(exc, "detail", None) or type(exc).__name__
    with transaction(services.sessions) as session:
        stored = session.get(DenialRow, denial_id)
        if stored is None or stored.status != "processing":
            return  # read by another worker meanwhile, or given up on by the reaper
        stored.result, stored.status, stored.error = result, status, error
        stored.lease_owner, stored.leased_until = None, None
        stored.appeal_deadline = _deadline(result)
        case_row = session.get(CaseRow, stored.case_id) if stored.case_id else None
        if case_row is not None and result is not None:
            found = reconcile(tracked_case(case_row), Denial.from_json(result))
            stored.reconciliation = found.stored_json()
            if found.identity_differences:
                # Read in the background after an upload to a case: about another patient, so
                # it is not attached; the review page shows why.
                stored.case_id = None
                stored.error = "not attached: " + differences_text(found)
        session.flush()
        if case_row is not None:
            refresh_next_due(session, case_row)


def correct_denial(
    services: Services, principal: Principal, denial_id: str, corrections: dict[str, Any]
) -> DenialRow:
    """Apply a person's corrections to the parsed facts; they are marked as reviewed."""
    try:
        clean = DenialCorrectionSchema().load(corrections)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        raise ValidationProblem(
            f"{len(errors)} invalid field(s): {', '.join(sorted(errors))}", errors=errors
        ) from exc
    with transaction(services.sessions) as session:
        row = access.get_denial(session, principal, denial_id)
        if row.status != "done" or row.result is None:
            raise ValidationProblem(
                "the letter has not been read yet", errors={"status": [f"It is {row.status}."]}
            )
        result = _corrected_result(dict(row.result), clean, principal.label)
        corrected = Denial.from_json(result)  # checked once more as a whole
        row.result = corrected.to_json()
        row.appeal_deadline = _deadline(row.result)
        case_row = session.get(CaseRow, row.case_id) if row.case_id else None
        if case_row is not None:
            before = stored_reconciliation(row)
            found = reconcile(tracked_case(case_row), corrected)
            if before is not None:
                found = carry_over(before, found)
            if clean.get("needs_review") is False:
                # "I have checked these facts": the person also saw the differences shown.
                found = found.acknowledge(principal.label, utcnow().isoformat())
            row.reconciliation = found.stored_json()
        session.flush()
        if case_row is not None:
            refresh_next_due(session, case_row)
        return row


def _corrected_result(
    result: dict[str, Any], clean: dict[str, Any], reviewer: str
) -> dict[str, Any]:
    """The stored result with the corrections in, each fact's evidence naming the reviewer, what
    the letter said and what it was read as; the review fields left to check."""
    evidence = dict(result.get("evidence") or {})
    reviewed = list(result.get("reviewed_fields") or [])
    unsure = set(result.get("review_fields") or [])
    for key, value in clean.items():
        read = result.get(key)
        result[key] = value.isoformat() if isinstance(value, date) else value
        if key != "needs_review":
            original = evidence.get(key)
            # What the letter was read as, and whether the reader was unsure of it: a
            # confident reading changed by hand is still checked against the case
            # (reconciliation.as_read), so a correction cannot make a letter fit a case.
            as_read, as_read_unsure = read, key in unsure
            if isinstance(original, dict) and original.get("source") == "staff":
                as_read = original.get("as_read")
                as_read_unsure = bool(original.get("as_read_unsure", True))
                original = original.get("original")  # keep what the letter said, once
            evidence[key] = {
                "source": "staff",
                "reviewed_by": reviewer,
                "original": original,
                "as_read": as_read if isinstance(as_read, str | None) else None,
                "as_read_unsure": as_read_unsure,
            }
            if key not in reviewed:
                reviewed.append(key)
    result["evidence"], result["reviewed_fields"] = evidence, reviewed
    # A corrected fact is checked; a person who clears the review has checked them all.
    pending = [f for f in result.get("review_fields") or [] if f not in clean]
    result["review_fields"] = [] if clean.get("needs_review") is False else pending
    return result


def attach_denial(
    services: Services,
    principal: Principal,
    denial_id: str,
    case_id: str,
    *,
    override_reason: str | None = None,
    acknowledge_warnings: bool = False,
) -> DenialRow:
    """Link a denial to a case the caller can see, reconciled against it (model.Reconciliation).

    409 (IdentityMismatchError, nothing attached) when the patient's name, member ID or date of
    birth differs, unless a hub user gives `override_reason` (audited). Other differences are
    warnings, acknowledged here with `acknowledge_warnings` or on the review page.
    """
    with transaction(services.sessions) as session:
        case = access.get_case(session, principal, case_id)
        row = access.get_denial(session, principal, denial_id)
        found = None
        if row.status == "done" and row.result is not None:
            before = stored_reconciliation(row) if row.case_id == case.id else None
            denial = Denial.from_json(row.result)
            again = reconcile(tracked_case(case), denial)
            if before is not None and not override_reason:
                # Attached again (to acknowledge, say): an override given before still covers
                # the differences it was given for.
                found = carry_over(before, again)
                if found.identity_differences and found.override is None:
                    found = check_identity(tracked_case(case), denial, principal, None)
            else:
                found = check_identity(tracked_case(case), denial, principal, override_reason)
            if acknowledge_warnings:
                found = found.acknowledge(principal.label, utcnow().isoformat())
        row.case_id, row.facility_npi = case.id, case.facility_npi
        row.reconciliation = found.stored_json() if found else None
        if found is not None and found.override is not None and override_reason:
            record_event(
                session,
                actor=principal.label,
                principal=principal,
                action="override_identity_mismatch",
                path=f"reason:{found.override.reason}"[:1000],
                case_id=case.id,
                denial_id=row.id,
            )
        session.flush()
        # The letter's appeal deadline now drives the case's next due date.
        refresh_next_due(session, case)
        return row


def read_denial_row(services: Services, principal: Principal, denial_id: str) -> DenialRow:
    """A denial the caller may see, or NotFoundError."""
    with reading(services.sessions) as session:
        return access.get_denial(session, principal, denial_id)


def denial_json(row: DenialRow) -> dict[str, Any]:
    """The denial as the API shows it: CONTRACT.md §4 plus id, status and evidence."""
    out: dict[str, Any] = dict(row.result or {})
    out.update(
        id=row.id,
        status=row.status,
        case_id=row.case_id,
        filename=row.filename,
        error=row.error,
    )
    out.setdefault("reviewed_fields", [])
    found = stored_reconciliation(row) if row.case_id else None
    out["reconciliation"] = found.to_json() if found else None
    out["reconciliation_state"] = found.state_json() if found else None
    return out


def _deadline(result: dict[str, Any] | None) -> date | None:
    value = (result or {}).get("appeal_deadline")
    return date.fromisoformat(value) if value else None


__all__ = [
    "facts_from_letter_file",
    "read_letter",
    "attach_denial",
    "correct_denial",
    "denial_json",
    "finish_denial",
    "read_denial_row",
    "submit_denial",
]


def read_letter(services: Services, data: bytes) -> Denial:
    """Read a denial letter PDF without storing it (the CLI): the same checks as an upload."""
    check_upload(services.settings, data)
    return read_denial(data, limits=extract_limits(services.settings), today=services.today())


def facts_from_letter_file(services: Services, data: bytes) -> CaseFacts:
    """The facts an appeal draws on from a denial given as its PDF, or as denial JSON."""
    if not data.lstrip().startswith(b"%PDF-"):
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationProblem(
                "the denial is neither a PDF nor denial JSON",
                errors={"denial": [f"Not valid JSON: {exc}"]},
            ) from exc
        return CaseFacts(denial=Denial.from_json(raw))
    denial = read_letter(services, data)
    return CaseFacts(denial=denial, denial_source_sha256=sha256_hex(data), denial_pdf=data)
