"""Rendering a chunk of regeneration items: read what each needs, render it, compare.

`load_chunk` reads a chunk's pending items with their document and case rows in one query, and
each case's facts (as the system principal); `render_item` renders one onto the run's template
version with the letter's original date, and says whether the text came out the same
(`unchanged`) or new (`done`) or the render failed (`failed`). The `Outcome`s, blobs and rows,
are written by `regeneration_commit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from formservice.documents import same_content
from formservice.errors import FormserviceError
from formservice.model import DocumentRequest, Principal
from formservice.schemas.case import case_from_stored
from formservice.store.cases import documents_made
from formservice.store.db import reading
from formservice.store.models import CaseRow, DocumentRow, RegenerationItem
from formservice.store.pa import tracked_case
from formservice.usecases.cases import case_facts
from formservice.usecases.documents import render_for_case
from formservice.usecases.services import Services

__all__ = ["OldDocument", "Outcome", "Work", "load_chunk", "render_item"]

_SYSTEM = Principal("user", "regeneration", "regeneration", "ops", None)


@dataclass(frozen=True)
class OldDocument:
    """What regeneration needs of the document an item supersedes (columns, not an ORM row)."""

    id: str
    kind: str
    format: str
    form: str | None
    template_name: str
    blob_sha256: str
    details: dict[str, Any] | None


@dataclass
class Work:
    """One pending item with the rows it needs, read in one query per chunk."""

    item_id: str
    run_id: str
    sha: str
    old: OldDocument
    case_row: CaseRow
    facts: Any = None
    error: str | None = None


@dataclass
class Outcome:
    """What rendering one item gave, before it is written."""

    work: Work
    status: str  # done | unchanged | failed
    rendered: Any = None
    digest: str | None = None
    created_blob: bool = False
    error: str | None = None


def load_chunk(services: Services, item_ids: list[str]) -> list[Work]:
    """The chunk's pending items with their rows and facts (an item whose facts fail: `error`)."""
    with reading(services.sessions) as session:
        # Only the case is loaded as an ORM row (what the case readers take); the item and the
        # old document as plain columns.
        rows = session.execute(
            select(
                RegenerationItem.id,
                RegenerationItem.run_id,
                RegenerationItem.template_sha256,
                DocumentRow.id,
                DocumentRow.kind,
                DocumentRow.format,
                DocumentRow.form,
                DocumentRow.template_name,
                DocumentRow.blob_sha256,
                DocumentRow.details,
                CaseRow,
            )
            .join(DocumentRow, DocumentRow.id == RegenerationItem.document_id)
            .join(CaseRow, CaseRow.id == DocumentRow.case_id)
            .where(RegenerationItem.id.in_(item_ids), RegenerationItem.status == "pending")
        ).all()
        made = documents_made(session, list({row[-1].id for row in rows}))
        work = []
        for item_id, run_id, sha, *columns, case_row in rows:
            w = Work(item_id, run_id, sha, OldDocument(*columns), case_row)
            try:
                w.facts = case_facts(
                    session,
                    _SYSTEM,
                    case_row,
                    _request_for(w.old),
                    made=made[case_row.id],
                    blobs=services.blobs,
                )
            except FormserviceError as exc:
                w.error = exc.detail
            work.append(w)
        session.expunge_all()
    return work


def _request_for(old: OldDocument) -> DocumentRequest:
    details = old.details or {}
    return DocumentRequest(
        kind=old.kind,
        format=old.format,
        form=old.form,
        denial_id=details.get("denial_id"),
        flatten=bool(details.get("flattened", False)),
    )


def render_item(services: Services, w: Work) -> Outcome:
    """Render one item (its new blob is stored by `regeneration_commit.commit_chunk`)."""
    if w.error:
        return Outcome(w, "failed", error=w.error)
    letter_date = (w.old.details or {}).get("letter_date")
    try:
        template = services.template(w.old.template_name, sha256=w.sha)
        rendered = render_for_case(
            services,
            tracked_case(w.case_row, load=lambda row: case_from_stored(row.payload)),
            _request_for(w.old),
            w.facts,
            template=template,
            letter_date=date.fromisoformat(letter_date) if letter_date else None,
        )
    except Exception as exc:  # noqa: BLE001  # any failure of one item is recorded, the rest go on
        reason = exc.detail if isinstance(exc, FormserviceError) else f"{type(exc).__name__}: {exc}"
        return Outcome(w, "failed", error=reason[:2000])
    if same_content(rendered.data, services.blobs.get(w.old.blob_sha256)):
        return Outcome(w, "unchanged", rendered=rendered)
    return Outcome(w, "done", rendered=rendered)
