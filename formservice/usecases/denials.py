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
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import delete

from formservice.denials import ExtractLimits, estimate_ocr_pages, read_denial
from formservice.errors import (
    PayloadTooLargeError,
    QueueUnavailableError,
    UnsupportedMediaError,
    ValidationProblem,
    flatten_messages,
)
from formservice.jobs import PROCESS_DENIAL
from formservice.model import CaseFacts, Denial, Principal
from formservice.schemas.denial import DenialCorrectionSchema
from formservice.settings import Settings
from formservice.store import access, leases
from formservice.store.blobs import sha256_hex
from formservice.store.db import transaction
from formservice.store.models import CaseRow, DenialRow
from formservice.store.pa import refresh_next_due
from formservice.usecases.services import Services

PDF_MAGIC = b"%PDF-"


def extract_limits(settings: Settings) -> ExtractLimits:
    """The extraction limits named by the settings."""
    return ExtractLimits(
        max_bytes=settings.max_upload_bytes,
        max_pages=settings.max_pdf_pages,
        ocr_seconds_per_page=settings.ocr_seconds_per_page,
        ocr_dpi=settings.ocr_dpi,
        max_ocr_seconds=settings.ocr_seconds_per_page * settings.max_pdf_pages,
        max_page_pixels=settings.max_page_pixels,
    )


def check_upload(settings: Settings, data: bytes) -> None:
    """Size and type checks that need no parsing: 413, 415, or 422 for an empty file."""
    if not data:
        raise ValidationProblem("the uploaded file is empty", errors={"file": ["Empty file."]})
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLargeError(
            f"the file is {len(data)} bytes; the limit is {settings.max_upload_bytes}",
            limit=settings.max_upload_bytes,
        )
    # The PDF header may follow some junk (fax gateways prepend bytes): look in the first KiB.
    if PDF_MAGIC not in data[:1024]:
        raise UnsupportedMediaError("a denial letter must be a PDF file")


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
    if case_id:
        with services.sessions() as session:
            facility = access.get_case(session, principal, case_id).facility_npi
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
    digest, created = services.blobs.put(data)
    try:
        with transaction(services.sessions) as session:
            row = DenialRow(
                case_id=case_id,
                facility_npi=facility,
                status="processing" if background else "done",
                source_sha256=digest,
                filename=_safe_filename(filename),
                result=result,
                appeal_deadline=_deadline(result),
            )
            session.add(row)
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
        try:
            services.jobs.enqueue(PROCESS_DENIAL, row.id)
        except QueueUnavailableError:
            # The broker went away after the check: undo the row and the blob, then say so.
            with transaction(services.sessions) as session:
                session.execute(delete(DenialRow).where(DenialRow.id == row.id))
            if created:
                services.blobs.delete(digest)
            raise
        with services.sessions() as session:
            refreshed = session.get(DenialRow, row.id)
            assert refreshed is not None  # noqa: S101  # just written
            return refreshed
    return row


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
    with services.sessions() as session:
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
        session.flush()
        case_row = session.get(CaseRow, stored.case_id) if stored.case_id else None
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
        result = dict(row.result)
        evidence = dict(result.get("evidence") or {})
        reviewed = list(result.get("reviewed_fields") or [])
        for key, value in clean.items():
            result[key] = value.isoformat() if isinstance(value, date) else value
            if key != "needs_review":
                original = evidence.get(key)
                if isinstance(original, dict) and original.get("source") == "staff":
                    original = original.get("original")  # keep what the letter said, once
                evidence[key] = {
                    "source": "staff",
                    "reviewed_by": principal.label,
                    "original": original,
                }
                if key not in reviewed:
                    reviewed.append(key)
        result["evidence"], result["reviewed_fields"] = evidence, reviewed
        # A corrected fact is checked; a person who clears the review has checked them all.
        pending = [f for f in result.get("review_fields") or [] if f not in clean]
        result["review_fields"] = [] if clean.get("needs_review") is False else pending
        row.result = Denial.from_json(result).to_json()  # checked once more as a whole
        row.appeal_deadline = _deadline(row.result)
        session.flush()
        case_row = session.get(CaseRow, row.case_id) if row.case_id else None
        if case_row is not None:
            refresh_next_due(session, case_row)
        return row


def attach_denial(
    services: Services, principal: Principal, denial_id: str, case_id: str
) -> DenialRow:
    """Link a denial to a case the caller can see."""
    with transaction(services.sessions) as session:
        case = access.get_case(session, principal, case_id)
        row = access.get_denial(session, principal, denial_id)
        row.case_id, row.facility_npi = case.id, case.facility_npi
        session.flush()
        # The letter's appeal deadline now drives the case's next due date.
        refresh_next_due(session, case)
        return row


def read_denial_row(services: Services, principal: Principal, denial_id: str) -> DenialRow:
    """A denial the caller may see, or NotFoundError."""
    with services.sessions() as session:
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
    return out


def _deadline(result: dict[str, Any] | None) -> date | None:
    value = (result or {}).get("appeal_deadline")
    return date.fromisoformat(value) if value else None


def _safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "denial.pdf"
    return "".join(c for c in base if c.isprintable())[:200]


__all__ = [
    "facts_from_letter_file",
    "read_letter",
    "attach_denial",
    "check_upload",
    "correct_denial",
    "denial_json",
    "extract_limits",
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
