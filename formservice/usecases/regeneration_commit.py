"""Writing rendered regeneration chunks: blobs made durable first, then the rows, in order.

`commit_chunk` flushes the blob store once for the chunk, then writes every item's outcome in one
transaction; a conflict (another worker superseded a document first) falls back to item by item,
and the loser takes the winner's document. A blob this chunk created that no row references is
deleted. `Committer` does this on a background thread per queue worker while the worker renders
the next chunk. A run whose last item is written is finished here (`RUN_FINISHED` is published).
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formservice.jobs import RUN_FINISHED
from formservice.store import leases
from formservice.store import regeneration as runs
from formservice.store.db import transaction
from formservice.store.documents import document_row
from formservice.store.models import DocumentRow, RegenerationItem
from formservice.store.orphans import referenced_digests
from formservice.store.regeneration import TERMINAL
from formservice.usecases.regeneration_render import Outcome, Work
from formservice.usecases.services import Services

__all__ = ["Committer", "commit_chunk"]

log = logging.getLogger(__name__)


def commit_chunk(services: Services, work: list[Work], outcomes: list[Outcome]) -> None:
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


def _write_outcome(session: Session, outcome: Outcome, item: RegenerationItem | None) -> None:
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
    with services.sessions() as session:
        used = referenced_digests(session, [digest])
    if not used:
        services.blobs.delete(digest)
