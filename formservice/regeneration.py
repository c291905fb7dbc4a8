"""Regeneration runs: re-render every stored document of a template onto its active version.

A run has one item per (document, template version). Items are claimed and finished inside
database transactions, and a document may be superseded only once per template version (a
unique constraint), so a second run, two workers racing, or a run resumed after a worker was
killed all end with each document regenerated exactly once. The old file is never touched: the
new version is a new document row that points to the one it supersedes.

The letter keeps its original date: regeneration changes the template, nothing else, so an item
whose text comes out the same is reported as `unchanged` and no new version is written.
"""

from __future__ import annotations

import hashlib
import io
import logging
import queue
import struct
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from formservice.documents.generate import DocumentRequest, document_row, render_document
from formservice.errors import FormserviceError, NotFoundError
from formservice.schemas.case import case_from_stored
from formservice.security import Principal
from formservice.services import Services
from formservice.store.cases import case_facts, documents_made
from formservice.store.db import transaction
from formservice.store.models import (
    CaseRow,
    DocumentRow,
    RegenerationItem,
    RegenerationRun,
    TemplateVersionRow,
)
from formservice.store.pa import tracked_case

log = logging.getLogger(__name__)
TERMINAL = ("done", "unchanged", "failed")
CHUNK_SIZE = 25  # items per queued task: amortises queue and transaction overhead
_SYSTEM = Principal("user", "regeneration", "regeneration", "ops", None)


@dataclass
class RunSummary:
    """Where a run stands: counts, failures with reasons, and time taken."""

    id: str
    template: str
    template_version: int
    status: str
    total: int
    done: int = 0
    unchanged: int = 0
    failed: int = 0
    pending: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    created_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.pending == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template": self.template,
            "template_version": self.template_version,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "pending": self.pending,
            "failures": self.failures,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def content_sha256(data: bytes) -> str:
    """Hash of what a reader sees: every DOCX part but the document properties (PDFs whole).

    Built from the zip's central directory (name, CRC-32 and size of each part), so nothing is
    decompressed; read with struct because this runs twice per regenerated letter.
    """
    if not data.startswith(b"PK"):
        return hashlib.sha256(data).hexdigest()
    entries = _central_directory(data)
    digest = hashlib.sha256()
    for name, crc, size in sorted(entries):
        if not name.startswith("docProps/"):
            digest.update(f"{name}\0{crc:08x}\0{size}\n".encode())
    return digest.hexdigest()


_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"


def _central_directory(data: bytes) -> list[tuple[str, int, int]]:
    end = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if end >= 0:
        count, _size, offset = struct.unpack_from("<HIIH", data, end + 10)[:3]
        entries, pos = [], offset
        for _ in range(count):
            if data[pos : pos + 4] != _CENTRAL:
                break
            crc, _csize, usize, nlen, elen, clen = struct.unpack_from("<IIIHHH", data, pos + 16)
            name = data[pos + 46 : pos + 46 + nlen].decode("utf-8", "replace")
            entries.append((name, crc, usize))
            pos += 46 + nlen + elen + clen
        else:
            return entries
    # Anything unusual (zip64, a damaged directory): let zipfile read it.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, i.CRC, i.file_size) for i in zf.infolist()]


def _active(session: Session, name: str) -> TemplateVersionRow:
    row = session.scalars(
        select(TemplateVersionRow).where(
            TemplateVersionRow.name == name, TemplateVersionRow.active.is_(True)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no template named {name!r}")
    return row


def stale_documents(session: Session, name: str, sha256: str) -> Any:
    """Select the latest versions of documents of `name` made from another template version."""
    newer = aliased(DocumentRow)
    return (
        select(DocumentRow.id, DocumentRow.kind, DocumentRow.template_version, CaseRow.external_id)
        .join(CaseRow, CaseRow.id == DocumentRow.case_id)
        .outerjoin(newer, newer.supersedes_id == DocumentRow.id)
        .where(
            DocumentRow.template_name == name,
            DocumentRow.template_sha256 != sha256,
            newer.id.is_(None),
        )
        .order_by(DocumentRow.created_at, DocumentRow.id)
    )


def dry_run(services: Services, name: str, *, limit: int = 1000) -> dict[str, Any]:
    """Count and list what a run would regenerate; change nothing."""
    services.sync_templates()
    with services.sessions() as session:
        active = _active(session, name)
        query = stale_documents(session, name, active.sha256)
        count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        listed = [
            {
                "document_id": r.id,
                "kind": r.kind,
                "template_version": r.template_version,
                "case": r.external_id,
            }
            for r in session.execute(query.limit(limit))
        ]
    return {
        "template": name,
        "template_version": active.version,
        "count": count,
        "documents": listed,
        "listed": len(listed),
    }


def start_run(services: Services, name: str, *, created_by: str | None = None) -> RunSummary:
    """Create (or resume) the run for the active version of `name` and return it.

    Documents already regenerated onto this version are skipped; items left pending by an
    earlier run (a crash, a killed worker) are taken over by this one.
    """
    services.sync_templates()
    with transaction(services.sessions) as session:
        active = _active(session, name)
        run = RegenerationRun(
            template_name=name,
            template_version=active.version,
            template_sha256=active.sha256,
            created_by=created_by,
        )
        session.add(run)
        session.flush()
        run_id, sha = run.id, active.sha256
        session.execute(
            update(RegenerationItem)
            .where(RegenerationItem.template_sha256 == sha, RegenerationItem.status == "pending")
            .values(run_id=run_id)
        )
    _add_items(services, run_id, name, sha)
    with transaction(services.sessions) as session:
        total = session.scalar(select(func.count()).where(RegenerationItem.run_id == run_id))
        stored = session.get(RegenerationRun, run_id)
        assert stored is not None  # noqa: S101  # created above
        stored.total = total or 0
        if not total:
            stored.status = "finished"
            stored.finished_at = datetime.now(UTC)
    return summarize(services, run_id)


def _add_items(services: Services, run_id: str, name: str, sha: str, batch: int = 500) -> None:
    # Stream the stale documents in batches: never hold every document in memory.
    last: tuple[Any, str] | None = None
    while True:
        with transaction(services.sessions) as session:
            query = stale_documents(session, name, sha).with_only_columns(
                DocumentRow.id, DocumentRow.created_at
            )
            if last is not None:
                query = query.where(
                    (DocumentRow.created_at > last[0])
                    | and_(DocumentRow.created_at == last[0], DocumentRow.id > last[1])
                )
            rows = session.execute(query.limit(batch)).all()
            if not rows:
                return
            ids = [r.id for r in rows]
            have = set(
                session.scalars(
                    select(RegenerationItem.document_id).where(
                        RegenerationItem.template_sha256 == sha,
                        RegenerationItem.document_id.in_(ids),
                    )
                )
            )
            session.add_all(
                RegenerationItem(run_id=run_id, document_id=i, template_sha256=sha)
                for i in ids
                if i not in have
            )
            last = (rows[-1].created_at, rows[-1].id)


def pending_chunks(services: Services, run_id: str, size: int = CHUNK_SIZE) -> Iterator[list[str]]:
    """The run's unfinished item ids, in chunks, for the queue."""
    with services.sessions() as session:
        chunk: list[str] = []
        for item_id in session.scalars(
            select(RegenerationItem.id)
            .where(RegenerationItem.run_id == run_id, RegenerationItem.status == "pending")
            .order_by(RegenerationItem.id)
            .execution_options(yield_per=1000)
        ):
            chunk.append(item_id)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def process_items(
    services: Services, item_ids: list[str], committer: Committer | None = None
) -> None:
    """Regenerate a chunk of items once each; record done/unchanged/failed; finish the run.

    Reads the chunk in one query and writes it in one transaction (a worker's time goes to
    rendering, not to the database); a conflict falls back to item-by-item commits. With a
    `committer` (queue workers), making the blobs durable and committing happen on its thread
    while this one renders the next chunk; nothing is committed before its blobs are durable.
    """
    work = _load_chunk(services, item_ids)
    # Blob writes run on a small thread pool while the next item renders.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="blob") as pool:
        outcomes = [_render_item(services, w, pool) for w in work]
        for outcome in outcomes:
            if outcome.pending_put is not None:
                outcome.digest, outcome.created_blob = outcome.pending_put.result()
    if committer is None:
        commit_chunk(services, work, outcomes)
    else:
        committer.submit(work, outcomes)


def commit_chunk(services: Services, work: list[_Work], outcomes: list[_Outcome]) -> None:
    """Make a rendered chunk's blobs durable (one filesystem flush), then write its rows."""
    if any(o.created_blob for o in outcomes):
        services.blobs.sync()
    try:
        with transaction(services.sessions) as session:
            items = {
                i.id: i
                for i in session.scalars(
                    select(RegenerationItem).where(
                        RegenerationItem.id.in_([o.work.item_id for o in outcomes])
                    )
                )
            }
            for outcome in outcomes:
                _write_outcome(session, outcome, items.get(outcome.work.item_id))
        for outcome in outcomes:
            if outcome.status == "done":
                outcome.created_blob = False  # committed: the blob is referenced now
    except IntegrityError:
        # Another worker superseded one of these documents first: settle each on its own.
        for outcome in outcomes:
            try:
                with transaction(services.sessions) as session:
                    _write_outcome(
                        session, outcome, session.get(RegenerationItem, outcome.work.item_id)
                    )
                if outcome.status == "done":
                    outcome.created_blob = False
            except IntegrityError:
                _take_winner(services, outcome)
    for outcome in outcomes:
        if outcome.created_blob and outcome.digest:
            _drop_if_unreferenced(services, outcome.digest)
    for run_id in {w.run_id for w in work}:
        _finish_if_complete(services, run_id)


class Committer:
    """One background thread per worker that makes chunks durable and commits them, in order.

    The flush of the blob store waits on the disk; doing it here lets the worker's own thread
    render the next chunk meanwhile. At most `depth` rendered chunks wait (bounded memory);
    `close()` drains them. A worker killed before a chunk commits leaves its items pending,
    and the resumed run renders them again: still exactly once.
    """

    def __init__(self, services: Services, depth: int = 2) -> None:
        self.services = services
        self._queue: queue.Queue[tuple[list[_Work], list[_Outcome]] | None] = queue.Queue(depth)
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._thread.start()

    def submit(self, work: list[_Work], outcomes: list[_Outcome]) -> None:
        """Queue a rendered chunk (blocks while `depth` chunks already wait)."""
        self._queue.put((work, outcomes))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                commit_chunk(self.services, *job)
            except Exception:  # noqa: BLE001  # the items stay pending; a resumed run redoes them
                log.exception("could not commit a regeneration chunk")
            finally:
                self._queue.task_done()

    def close(self) -> None:
        """Commit what is queued and stop the thread."""
        self._queue.put(None)
        self._thread.join()


@dataclass
class _Work:
    """One pending item with the rows it needs, read in one query per chunk."""

    item_id: str
    run_id: str
    sha: str
    old: DocumentRow
    case_row: CaseRow
    facts: Any = None
    error: str | None = None


@dataclass
class _Outcome:
    """What rendering one item gave, before it is written."""

    work: _Work
    status: str  # done | unchanged | failed
    rendered: Any = None
    digest: str | None = None
    created_blob: bool = False
    error: str | None = None
    pending_put: Future[tuple[str, bool]] | None = None


def _load_chunk(services: Services, item_ids: list[str]) -> list[_Work]:
    with services.sessions() as session:
        rows = session.execute(
            select(RegenerationItem, DocumentRow, CaseRow)
            .join(DocumentRow, DocumentRow.id == RegenerationItem.document_id)
            .join(CaseRow, CaseRow.id == DocumentRow.case_id)
            .where(RegenerationItem.id.in_(item_ids), RegenerationItem.status == "pending")
        ).all()
        made = documents_made(session, list({case_row.id for _, _, case_row in rows}))
        work = []
        for item, old, case_row in rows:
            w = _Work(item.id, item.run_id, item.template_sha256, old, case_row)
            try:
                w.facts = case_facts(
                    session, _SYSTEM, case_row, _request_for(old), made=made[case_row.id]
                )
            except FormserviceError as exc:
                w.error = exc.detail
            work.append(w)
        session.expunge_all()
    return work


def _request_for(old: DocumentRow) -> DocumentRequest:
    details = old.details or {}
    return DocumentRequest(
        kind=old.kind,
        format=old.format,
        form=old.form,
        denial_id=details.get("denial_id"),
        flatten=bool(details.get("flattened", False)),
    )


def _render_item(services: Services, w: _Work, pool: ThreadPoolExecutor) -> _Outcome:
    if w.error:
        return _Outcome(w, "failed", error=w.error)
    letter_date = (w.old.details or {}).get("letter_date")
    try:
        template = services.template(w.old.template_name, sha256=w.sha)
        rendered = render_document(
            services,
            tracked_case(w.case_row, load=lambda row: case_from_stored(row.payload)),
            _request_for(w.old),
            w.facts,
            template=template,
            letter_date=date.fromisoformat(letter_date) if letter_date else None,
        )
    except Exception as exc:  # noqa: BLE001  # any failure of one item is recorded, the rest go on
        reason = exc.detail if isinstance(exc, FormserviceError) else f"{type(exc).__name__}: {exc}"
        return _Outcome(w, "failed", error=reason[:2000])
    if content_sha256(rendered.data) == content_sha256(services.blobs.get(w.old.blob_sha256)):
        return _Outcome(w, "unchanged", rendered=rendered)
    return _Outcome(
        w,
        "done",
        rendered=rendered,
        pending_put=pool.submit(services.blobs.put, rendered.data, sync=False),
    )


def _write_outcome(session: Session, outcome: _Outcome, item: RegenerationItem | None) -> None:
    w = outcome.work
    if item is None or item.status in TERMINAL:
        return
    item.attempts += 1
    if outcome.status != "done":
        item.status, item.error = outcome.status, outcome.error
        return
    # The id is set on the row, so rows need no flush each: one INSERT batch per chunk.
    new = document_row(
        outcome.rendered, w.case_row.id, blob_sha256=str(outcome.digest), supersedes_id=w.old.id
    )
    session.add(new)
    item.status, item.new_document_id = "done", new.id


def _take_winner(services: Services, outcome: _Outcome) -> None:
    w = outcome.work
    with transaction(services.sessions) as session:
        winner = session.scalars(
            select(DocumentRow.id).where(
                DocumentRow.supersedes_id == w.old.id, DocumentRow.template_sha256 == w.sha
            )
        ).first()
        item = session.get(RegenerationItem, w.item_id)
        if item is not None and item.status not in TERMINAL:
            item.status, item.new_document_id = "done", winner


def _drop_if_unreferenced(services: Services, digest: str) -> None:
    with services.sessions() as session:
        used = session.scalar(select(func.count()).where(DocumentRow.blob_sha256 == digest))
    if not used:
        services.blobs.delete(digest)


def _finish_if_complete(services: Services, run_id: str) -> None:
    with transaction(services.sessions) as session:
        pending = session.scalar(
            select(func.count()).where(
                RegenerationItem.run_id == run_id, RegenerationItem.status == "pending"
            )
        )
        run = session.get(RegenerationRun, run_id)
        if run is not None and not pending and run.status != "finished":
            run.status, run.finished_at = "finished", datetime.now(UTC)


def summarize(services: Services, run_id: str, *, max_failures: int = 100) -> RunSummary:
    """Counts, failures and elapsed time of a run."""
    with services.sessions() as session:
        run = session.get(RegenerationRun, run_id)
        if run is None:
            raise NotFoundError(f"no regeneration run {run_id}")
        counts = dict(
            session.execute(
                select(RegenerationItem.status, func.count())
                .where(RegenerationItem.run_id == run_id)
                .group_by(RegenerationItem.status)
            ).all()
        )
        failures = [
            {"document_id": doc_id, "error": error or ""}
            for doc_id, error in session.execute(
                select(RegenerationItem.document_id, RegenerationItem.error)
                .where(RegenerationItem.run_id == run_id, RegenerationItem.status == "failed")
                .limit(max_failures)
            )
        ]
        end = run.finished_at or datetime.now(UTC)
        start = run.created_at
        if start.tzinfo is None:  # SQLite hands back naive datetimes
            start = start.replace(tzinfo=UTC)
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return RunSummary(
            id=run.id,
            template=run.template_name,
            template_version=run.template_version,
            status=run.status,
            total=run.total,
            done=counts.get("done", 0),
            unchanged=counts.get("unchanged", 0),
            failed=counts.get("failed", 0),
            pending=counts.get("pending", 0),
            failures=failures,
            elapsed_seconds=(end - start).total_seconds(),
            created_at=run.created_at,
        )
