"""Writing rendered regeneration chunks: blobs stored and made durable first, then the rows.

`commit_chunk` stores the chunk's new blobs, flushes the blob store once for the chunk, then
writes every item's outcome in one transaction (one INSERT and one UPDATE batch); a conflict
(another worker superseded a document first) falls back to item by item, and the loser takes the
winner's document. A blob this chunk created that no row references is deleted. `Committer` does
this on a background thread per queue worker while the worker renders the next chunk. A run
whose last item is written is finished here (`RUN_FINISHED` is published).
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from formservice.jobs import RUN_FINISHED
from formservice.store import leases
from formservice.store import regeneration as runs
from formservice.store.db import reading, transaction
from formservice.store.documents import document_values
from formservice.store.models import DocumentRow, RegenerationItem
from formservice.store.orphans import referenced_digests
from formservice.store.regeneration import TERMINAL, ItemOutcome
from formservice.usecases.regeneration_render import Outcome, Work
from formservice.usecases.services import Services

__all__ = ["Committer", "commit_chunk"]

log = logging.getLogger(__name__)


def commit_chunk(services: Services, work: list[Work], outcomes: list[Outcome]) -> None:
    """Store a rendered chunk's new blobs, make them durable (one filesystem flush), then write
    its rows in one transaction."""
    for outcome in outcomes:
        if outcome.status == "done" and outcome.digest is None:
            outcome.digest, outcome.created_blob = services.blobs.put(
                outcome.rendered.data, sync=False
            )
    if any(o.created_blob for o in outcomes):
        services.blobs.sync()
    try:
        with transaction(services.sessions) as session:
            runs.record_outcomes(session, [_record(o) for o in outcomes])
        for outcome in outcomes:
            if outcome.status == "done":
                outcome.created_blob = False  # committed: the blob is referenced now
    except IntegrityError:
        # Another worker superseded one of these documents first: settle each on its own.
        for outcome in outcomes:
            try:
                with transaction(services.sessions) as session:
                    runs.record_outcomes(session, [_record(outcome)])
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
    """One background thread per worker that stores chunks' blobs, makes them durable and
    commits their rows, in order.

    Writing blobs and flushing the blob store wait on the disk, and the rows on the database;
    doing it here lets the worker's own thread render the next chunk meanwhile. At most `depth`
    rendered chunks wait (bounded memory); `close()` drains them. A worker killed before a chunk
    commits leaves its items leased to it; once the lease expires the reaper queues them again:
    still exactly once. A chunk that cannot be committed gives its leases up at once, for the
    reaper to queue again.
    """

    def __init__(self, services: Services, depth: int = 2) -> None:
        self.services = services
        self._queue: queue.Queue[tuple[list[Work], list[Outcome], str | None] | None] = queue.Queue(
            depth
        )
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._thread.start()

    def submit(
        self, work: list[Work], outcomes: list[Outcome], *, owner: str | None = None
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


def _record(outcome: Outcome) -> ItemOutcome:
    """The row values of an outcome (a done item's new document, with a new id each time)."""
    w = outcome.work
    if outcome.status != "done":
        return ItemOutcome(w.item_id, outcome.status, error=outcome.error)
    document = document_values(
        outcome.rendered, w.case_row.id, blob_sha256=str(outcome.digest), supersedes_id=w.old.id
    )
    return ItemOutcome(w.item_id, "done", document=document)


def _take_winner(services: Services, outcome: Outcome) -> None:
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
    with reading(services.sessions) as session:
        used = referenced_digests(session, [digest])
    if not used:
        services.blobs.delete(digest)
