"""What an uploaded denial letter must pass before anything is stored.

Size (413), type (415), empty (422), and the same file already on record (409,
DuplicateUploadError); the extraction limits come from the settings (docs/CONTRACT.md §limits).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from formservice.denials import ExtractLimits
from formservice.errors import (
    DuplicateUploadError,
    PayloadTooLargeError,
    UnsupportedMediaError,
    ValidationProblem,
)
from formservice.model import Principal
from formservice.settings import Settings
from formservice.store import access
from formservice.store.blobs import sha256_hex
from formservice.store.db import hold_write_lock, lock_key, reading
from formservice.store.models import DenialRow
from formservice.usecases.services import Services

__all__ = [
    "PDF_MAGIC",
    "check_not_uploaded_before",
    "check_upload",
    "refuse_duplicate",
    "extract_limits",
    "safe_filename",
]

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


def check_not_uploaded_before(services: Services, principal: Principal, data: bytes) -> None:
    """409 (DuplicateUploadError) when the caller can already see this very file as a denial.

    The same bytes are the same letter, and a letter belongs to one patient: a second copy would
    be a second denial to review, attach and appeal, or the same letter linked to another case.
    A copy whose reading failed does not count (uploading again is the retry). This is the early
    check, before any reading work; `refuse_duplicate` repeats it where the row is written.
    """
    with reading(services.sessions) as session:
        _refuse_if_known(session, principal, sha256_hex(data))


def refuse_duplicate(session: Session, principal: Principal, digest: str) -> None:
    """The same check in the transaction that stores the denial, under a lock on the file's
    hash (`store.db.hold_write_lock`): of two uploads of one file at the same moment, the
    second waits for the first to commit, then finds its row and is refused (409)."""
    hold_write_lock(session.connection(), lock_key(f"denial-upload:{digest}"))
    _refuse_if_known(session, principal, digest)


def _refuse_if_known(session: Session, principal: Principal, digest: str) -> None:
    query = (
        access.denials_for(principal)
        .where(DenialRow.source_sha256 == digest, DenialRow.status != "failed")
        .order_by(DenialRow.created_at)
        .limit(1)
    )
    earlier = session.scalars(query).first()
    if earlier is None:
        return
    when = earlier.created_at.strftime("%Y-%m-%d %H:%M UTC")
    where = "attached to a case" if earlier.case_id else "not attached to a case yet"
    raise DuplicateUploadError(
        f"this file was already uploaded on {when} as denial {earlier.id} ({where})",
        errors={
            "file": [
                "Already uploaded: open the earlier upload (and attach it to the case) "
                "instead of uploading it again."
            ]
        },
        existing_denial_id=earlier.id,
        uploaded_at=earlier.created_at.isoformat(),
    )


def safe_filename(name: str) -> str:
    """The uploaded file's own name without folders or unprintable characters (200 at most)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "denial.pdf"
    return "".join(c for c in base if c.isprintable())[:200]
