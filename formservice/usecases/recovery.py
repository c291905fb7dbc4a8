"""Work that survives a killed worker: leases renewed, expired ones reaped, orphan blobs swept.

A worker leases what it works on (`store.leases`). While it lives, its `Housekeeper` thread
renews those leases; once it dies they expire after `Settings.lease_seconds`. Every worker's
housekeeper runs `reap` when it starts and then every `Settings.reaper_interval_seconds`:

* regeneration items and letters whose lease expired are queued again, or marked failed with the
  reason once claimed `Settings.max_job_attempts` times;
* when the queue is empty, pending work nobody ever claimed (its task was lost between the queue
  and the claim) is queued again too, once older than a lease;
* runs with nothing pending left are ended `succeeded` or `failed`, so every run ends.

Soon after it starts, then every `Settings.blob_sweep_interval_seconds`, it removes blobs no row
names that are older than `Settings.orphan_blob_grace_seconds` (`store.orphans`). Several workers
may do all this at once: each step is a conditional UPDATE that only one of them wins, and a task
queued twice finds its rows already claimed (`store.leases.claim_items`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from formservice.jobs import PROCESS_DENIAL, REGENERATE_CHUNK, RUN_FINISHED
from formservice.store import leases
from formservice.store import regeneration as runs
from formservice.store.orphans import sweep_orphan_blobs
from formservice.store.regeneration import CHUNK_SIZE
from formservice.usecases.services import Services

__all__ = ["Housekeeper", "ReapReport", "reap", "sweep_blobs"]

log = logging.getLogger(__name__)


@dataclass
class ReapReport:
    """What one pass of the reaper did (counts only: ids of patient data stay out of logs)."""

    requeued_items: int = 0
    failed_items: int = 0
    requeued_denials: int = 0
    failed_denials: int = 0
    ended_runs: int = 0

    def __bool__(self) -> bool:
        return any(vars(self).values())


def reap(services: Services) -> ReapReport:
    """Queue again what dead workers held, fail what killed its workers too often, end runs."""
    settings = services.settings
    jobs = services.jobs
    # Work never claimed is only taken for lost when no task waits in the queue at all.
    unclaimed = settings.lease_seconds if jobs.queued() == 0 else None
    items = leases.reap_items(
        services.sessions, max_attempts=settings.max_job_attempts, unclaimed_after_seconds=unclaimed
    )
    for start in range(0, len(items.item_ids), CHUNK_SIZE):
        jobs.enqueue(REGENERATE_CHUNK, items.item_ids[start : start + CHUNK_SIZE])
    letters = leases.reap_denials(
        services.sessions, max_attempts=settings.max_job_attempts, unclaimed_after_seconds=unclaimed
    )
    for denial_id in letters.denial_ids:
        jobs.enqueue(PROCESS_DENIAL, denial_id)
    ended = 0
    for run_id in items.run_ids | set(leases.unfinished_runs(services.sessions)):
        if runs.finish_if_complete(services.sessions, run_id):
            ended += 1
            jobs.publish(RUN_FINISHED, run_id)
    report = ReapReport(
        requeued_items=len(items.item_ids),
        failed_items=items.failed_items,
        requeued_denials=len(letters.denial_ids),
        failed_denials=letters.failed_denials,
        ended_runs=ended,
    )
    if report:
        log.info("reaper: %s", report)
    return report


def sweep_blobs(services: Services) -> int:
    """Remove blobs no row names, older than `Settings.orphan_blob_grace_seconds`; how many."""
    return sweep_orphan_blobs(
        services.sessions, services.blobs, grace_seconds=services.settings.orphan_blob_grace_seconds
    )


class Housekeeper:
    """A worker's background thread: renew its leases, reap, sweep blobs, until stopped."""

    def __init__(self, services: Services, owner: str) -> None:
        self.services = services
        self.owner = owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeper", daemon=True)

    def start(self) -> Housekeeper:
        """Reap once now (a restarted worker recovers at once), then periodically; the first
        sweep runs on the thread's first tick (listing a large store must not delay the queue).
        """
        self._step("reap", lambda: reap(self.services))
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _step(self, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:  # noqa: BLE001  # a database or broker blip: try again next time
            log.exception("housekeeping step %s failed", what)

    def _run(self) -> None:
        settings = self.services.settings
        # Renew well before a lease runs out, so one slow database round trip loses nothing.
        tick = min(
            settings.lease_seconds / 3,
            settings.reaper_interval_seconds,
            settings.blob_sweep_interval_seconds,
        )
        next_reap = time.monotonic() + settings.reaper_interval_seconds
        next_sweep = time.monotonic()  # the first tick sweeps
        while not self._stop.wait(tick):
            self._step(
                "renew",
                lambda: leases.renew_leases(
                    self.services.sessions, owner=self.owner, lease_seconds=settings.lease_seconds
                ),
            )
            now = time.monotonic()
            if now >= next_reap:
                self._step("reap", lambda: reap(self.services))
                next_reap = now + settings.reaper_interval_seconds
            if now >= next_sweep:
                self._step("sweep", lambda: sweep_blobs(self.services))
                next_sweep = now + settings.blob_sweep_interval_seconds
