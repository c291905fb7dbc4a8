"""Regeneration runs: re-render every stored document of a template onto its active version.

A run has one item per (document, template version). Items are claimed and finished inside
database transactions, and a document may be superseded only once per template version (a
unique constraint), so a second run, two workers racing, or a run resumed after a worker was
killed all end with each document regenerated exactly once. The old file is never touched: the
new version is a new document row that points to the one it supersedes.

The letter keeps its original date: regeneration changes the template, nothing else, so an item
whose text comes out the same is reported as `unchanged` and no new version is written.
The rows are read and written by `formservice.store.regeneration`; documents are made by the same
`usecases.documents` path as every other render.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formservice.documents import content_sha256
from formservice.errors import FormserviceError, QueueUnavailableError
from formservice.jobs import REGENERATE_CHUNK, RUN_FINISHED
from formservice.model import DocumentRequest, Principal
from formservice.schemas.case import case_from_stored
from formservice.store import leases
from formservice.store import regeneration as runs
from formservice.store.cases import documents_made
from formservice.store.db import transaction
from formservice.store.documents import document_row
from formservice.store.models import CaseRow, DocumentRow, RegenerationItem
from formservice.store.orphans import referenced_digests
from formservice.store.pa import tracked_case
from formservice.store.regeneration import CHUNK_SIZE, TERMINAL, RunSummary
from formservice.usecases.cases import case_facts
from formservice.usecases.documents import render_for_case
from formservice.usecases.services import Services

__all__ = [
    "CHUNK_SIZE",
    "Committer",
    "RunSummary",
    "commit_chunk",
    "dry_run",
    "enqueue_run",
    "pending_chunks",
    "process_items",
    "start_run",
    "summarize",
    "wait_for_run",
]

log = logging.getLogger(__name__)
_SYSTEM = Principal("user", "regeneration", "regeneration", "ops", None)


def dry_run(services: Services, name: str, *, limit: int = 1000) -> dict[str, Any]:
    """Count and list what a run would regenerate; change nothing."""
    services.sync_templates()
    with services.sessions() as session:
        active = runs.active_version(session, name)
        count, listed = runs.stale_count_and_list(session, name, active.sha256, limit)
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
    earlier run (a crash, a killed worker) are taken over by this one. QueueUnavailableError
    (503) before anything is written when the queue's broker cannot take work.
    """
    services.jobs.check(services.settings.readiness_timeout_seconds)
    services.sync_templates()
    run_id, sha = runs.create_run(services.sessions, name, created_by=created_by)
    runs.add_items(services.sessions, run_id, name, sha)
    runs.count_items(services.sessions, run_id)
    return summarize(services, run_id)


def pending_chunks(services: Services, run_id: str, size: int = CHUNK_SIZE) -> Iterator[list[str]]:
    """The run's unfinished item ids, in chunks of `size`."""
    return runs.pending_chunks(services.sessions, run_id, size)


def enqueue_run(services: Services, run_id: str) -> int:
    """Queue every pending item of a run in chunks; return how many chunks.

    If the broker fails before the first chunk is queued, the run and its items are removed
    (nothing was started: the caller gets the 503 and nothing is left `running`); after that,
    the reaper queues the rest once the broker is back (`usecases.recovery`).
    """
    count = 0
    try:
        for chunk in pending_chunks(services, run_id):
            services.jobs.enqueue(REGENERATE_CHUNK, chunk)
            count += 1
    except QueueUnavailableError:
        if count == 0:
            runs.remove_unstarted_run(services.sessions, run_id)
        raise
    return count


def summarize(services: Services, run_id: str, *, max_failures: int = 100) -> RunSummary:
    """Counts, failures and elapsed time of a run."""
    return runs.summarize(services.sessions, run_id, max_failures=max_failures)


def wait_for_run(
    services: Services, run_id: str, *, timeout: float, poll_seconds: float = 1.0
) -> RunSummary:
    """The run's summary once nothing is pending, or when `timeout` seconds have passed.

    On the Redis queue the worker that finishes a run announces it (`RUN_FINISHED`), so this
    wakes at once and reads the database only then; on the SQLite queue it reads every
    `poll_seconds`. Either way the run's own `finished_at`, set by the worker, says when it ended.
    """
    deadline = time.monotonic() + timeout
    with services.jobs.listen(RUN_FINISHED) as next_message:
        while True:
            summary = summarize(services, run_id)
            left = deadline - time.monotonic()
            if summary.finished or left <= 0:
                return summary
            if next_message is None:
                time.sleep(min(poll_seconds, left))
                continue
            # Any run's end wakes us (and a check every 30 s guards against a lost message).
            while next_message(min(left, 30.0)) not in (run_id, None):
                left = deadline - time.monotonic()


def process_items(
    services: Services,
    item_ids: list[str],
    committer: Committer | None = None,
    *,
    owner: str | None = None,
) -> None:
    """Regenerate a chunk of items once each; record done/unchanged/failed; finish the run.

    The chunk's pending items are first leased to `owner` (the worker; a fresh id if None) for
    `Settings.lease_seconds`: items held by another live worker are skipped, and items left by a
    killed one are handed back by the reaper (`usecases.recovery`). Reads the chunk in one query
    and writes it in one transaction (a worker's time goes to rendering, not to the database); a
    conflict falls back to item-by-item commits. With a `committer` (queue workers), making the
    blobs durable and committing happen on its thread while this one renders the next chunk;
    nothing is committed before its blobs are durable.
    """
    owner = owner or uuid.uuid4().hex
    claimed = leases.claim_items(
        services.sessions, item_ids, owner=owner, lease_seconds=services.settings.lease_seconds
    )
    if not claimed:
        return
    try:
        work = _load_chunk(services, claimed)
        # Blob writes run on a small thread pool while the next item renders.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="blob") as pool:
            outcomes = [_render_item(services, w, pool) for w in work]
            for outcome in outcomes:
                if outcome.pending_put is not None:
                    outcome.digest, outcome.created_blob = outcome.pending_put.result()
        if committer is None:
            commit_chunk(services, work, outcomes)
        else:
            committer.submit(work, outcomes, owner=owner)
    except BaseException:
        # The chunk is dropped: hand it to the reaper now rather than renew its lease forever.
        leases.release(services.sessions, owner=owner, item_ids=claimed)
        raise


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
        if runs.finish_if_complete(services.sessions, run_id):
            services.jobs.publish(RUN_FINISHED, run_id)  # wakes `wait_for_run` (Redis queue)


class Committer:
    """One background thread per worker that makes chunks durable and commits them, in order.

    The flush of the blob store waits on the disk; doing it here lets the worker's own thread
    render the next chunk meanwhile. At most `depth` rendered chunks wait (bounded memory);
    `close()` drains them. A worker killed before a chunk commits leaves its items leased to
    it; once the lease expires the reaper queues them again: still exactly once. A chunk that
    cannot be committed gives its leases up at once, for the reaper to queue again.
    """

    def __init__(self, services: Services, depth: int = 2) -> None:
        self.services = services
        self._queue: queue.Queue[tuple[list[_Work], list[_Outcome], str | None] | None] = (
            queue.Queue(depth)
        )
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._thread.start()

    def submit(
        self, work: list[_Work], outcomes: list[_Outcome], *, owner: str | None = None
    ) -> None:
        """Queue a rendered chunk leased to `owner` (blocks while `depth` chunks already wait)."""
        self._queue.put((work, outcomes, owner))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                work, outcomes, owner = job
                try:
                    commit_chunk(self.services, work, outcomes)
                except Exception:
                    if owner is not None:
                        leases.release(
                            self.services.sessions,
                            owner=owner,
                            item_ids=[w.item_id for w in work],
                        )
                    raise
            except Exception:  # noqa: BLE001  # the items stay pending; the reaper requeues them
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
                    session,
                    _SYSTEM,
                    case_row,
                    _request_for(old),
                    made=made[case_row.id],
                    blobs=services.blobs,
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
    item.lease_owner, item.leased_until = None, None
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
            item.lease_owner, item.leased_until = None, None


def _drop_if_unreferenced(services: Services, digest: str) -> None:
    with services.sessions() as session:
        used = referenced_digests(session, [digest])
    if not used:
        services.blobs.delete(digest)
