"""Regeneration runs: re-render every stored document of a template onto its active version.

A run has one item per (document, template version). Items are claimed and finished inside
database transactions, and a document may be superseded only once per template version (a
unique constraint), so a second run, two workers racing, or a run resumed after a worker was
killed all end with each document regenerated exactly once. The old file is never touched: the
new version is a new document row that points to the one it supersedes.

The letter keeps its original date: regeneration changes the template, nothing else, so an item
whose text comes out the same is reported as `unchanged` and no new version is written.
The rows are read and written by `formservice.store.regeneration`; documents are made by the same
`usecases.documents` path as every other render. Here: a run's start, queueing, waiting and
summary, and `process_items` for one chunk, which `regeneration_render` reads and renders and
`regeneration_commit` writes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

from formservice.errors import QueueUnavailableError
from formservice.jobs import REGENERATE_CHUNK, RUN_FINISHED
from formservice.store import leases
from formservice.store import regeneration as runs
from formservice.store.db import reading
from formservice.store.regeneration import CHUNK_SIZE, RunSummary
from formservice.store.unit_of_work import current_unit, on_commit
from formservice.usecases.regeneration_commit import Committer, commit_chunk
from formservice.usecases.regeneration_render import load_chunk, render_item
from formservice.usecases.services import Services

__all__ = [
    "CHUNK_SIZE",
    "RunSummary",
    "dry_run",
    "enqueue_run",
    "send_run",
    "pending_chunks",
    "process_items",
    "start_run",
    "summarize",
    "wait_for_run",
]


def dry_run(services: Services, name: str, *, limit: int = 1000) -> dict[str, Any]:
    """Count and list what a run would regenerate; change nothing."""
    services.sync_templates()
    with reading(services.sessions) as session:
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


def enqueue_run(services: Services, run_id: str) -> None:
    """Queue every pending item of a run in chunks.

    In a request, the chunks are queued once the request has committed (a worker must find the
    items); if the broker fails then, the run stays `running` and the reaper queues its pending
    items once the broker is back (`usecases.recovery`). Outside one (the CLI): `send_run`.
    """
    if current_unit(services.sessions) is None:
        send_run(services, run_id)
        return
    # The client is told 202 with this run's id: a failed send keeps the run for the reaper.
    on_commit(services.sessions, partial(send_run, services, run_id, remove_unstarted=False))


def send_run(services: Services, run_id: str, *, remove_unstarted: bool = True) -> int:
    """Queue every pending item of a committed run in chunks; return how many chunks.

    If the broker fails before the first chunk is queued, the run and its items are removed
    (nothing was started: the caller gets the 503 and nothing is left `running`), unless
    `remove_unstarted` is false (a request already answered 202 with the run); after that,
    the reaper queues the rest once the broker is back (`usecases.recovery`).
    """
    count = 0
    try:
        for chunk in pending_chunks(services, run_id):
            services.jobs.enqueue(REGENERATE_CHUNK, chunk)
            count += 1
    except QueueUnavailableError:
        if count == 0 and remove_unstarted:
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
    conflict falls back to item-by-item commits. This thread only renders: storing the new blobs,
    making them durable and committing are `commit_chunk`'s, which with a `committer` (queue
    workers) runs on its thread while this one renders the next chunk. Nothing is committed
    before its blobs are durable.
    """
    owner = owner or uuid.uuid4().hex
    claimed = leases.claim_items(
        services.sessions, item_ids, owner=owner, lease_seconds=services.settings.lease_seconds
    )
    if not claimed:
        return
    try:
        work = load_chunk(services, claimed)
        outcomes = [render_item(services, w) for w in work]
        if committer is None:
            commit_chunk(services, work, outcomes)
        else:
            committer.submit(work, outcomes, owner=owner)
    except BaseException:
        # The chunk is dropped: hand it to the reaper now rather than renew its lease forever.
        leases.release(services.sessions, owner=owner, item_ids=claimed)
        raise
