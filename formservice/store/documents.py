"""Keeping a rendered document: its blob and the row that records its provenance, together."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from formservice.model import RenderedDocument
from formservice.store.blobs import BlobStore
from formservice.store.db import transaction
from formservice.store.models import DocumentRow, new_id

__all__ = ["case_documents", "document_row", "document_values", "save_document"]


def document_values(
    rendered: RenderedDocument,
    case_id: str,
    *,
    blob_sha256: str,
    supersedes_id: str | None = None,
) -> dict[str, Any]:
    """The column values of the row that records a rendered document (a new id included)."""
    return {
        "id": new_id(),
        "case_id": case_id,
        "kind": rendered.kind,
        "format": rendered.format,
        "form": rendered.form,
        "template_name": rendered.template_name,
        "template_sha256": rendered.template_sha256,
        "template_version": rendered.template_version,
        "input_sha256": rendered.input_sha256,
        "blob_sha256": blob_sha256,
        "media_type": rendered.media_type,
        "size": len(rendered.data),
        "filename": rendered.filename,
        "details": rendered.details or None,
        "supersedes_id": supersedes_id,
    }


def document_row(
    rendered: RenderedDocument,
    case_id: str,
    *,
    blob_sha256: str,
    supersedes_id: str | None = None,
) -> DocumentRow:
    """The row that records a rendered document (its provenance and where its bytes are)."""
    return DocumentRow(
        **document_values(rendered, case_id, blob_sha256=blob_sha256, supersedes_id=supersedes_id)
    )


def save_document(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    case_id: str,
    rendered: RenderedDocument,
    *,
    supersedes_id: str | None = None,
) -> DocumentRow:
    """Store the blob and its row together; if the row cannot be written, the blob goes too."""
    digest, created = blobs.put(rendered.data)
    try:
        with transaction(sessions) as session:
            row = document_row(rendered, case_id, blob_sha256=digest, supersedes_id=supersedes_id)
            session.add(row)
    except BaseException:
        if created:
            blobs.delete(digest)
        raise
    return row


def case_documents(session: Session, case_id: str) -> list[DocumentRow]:
    """A case's documents, oldest first."""
    return list(
        session.scalars(
            select(DocumentRow)
            .where(DocumentRow.case_id == case_id)
            .order_by(DocumentRow.created_at)
        )
    )
