"""The queue's tasks and the worker: what `formservice worker` runs, by task name.

Handlers are registered on every process that builds the queue (producers and workers alike), so
an enqueued name always has its handler; in immediate mode (tests) the producer runs it at once.
"""

from __future__ import annotations

import gc
import uuid

from formservice.jobs import PROCESS_DENIAL, REGENERATE_CHUNK, Jobs
from formservice.usecases import denials, regeneration
from formservice.usecases.recovery import Housekeeper
from formservice.usecases.regeneration_commit import Committer
from formservice.usecases.services import Services

__all__ = ["register_tasks", "run_worker"]

_COMMITTER = "regeneration.committer"
_OWNER = "lease.owner"


def register_tasks(services: Services, jobs: Jobs) -> None:
    """Register the handler of every task name on `jobs`."""

    def regenerate_chunk(item_ids: list[str]) -> None:
        regeneration.process_items(
            services,
            item_ids,
            jobs.worker_state.get(_COMMITTER),
            owner=jobs.worker_state.get(_OWNER),
        )

    def process_denial(denial_id: str) -> None:
        denials.finish_denial(services, denial_id, owner=jobs.worker_state.get(_OWNER))

    jobs.register(REGENERATE_CHUNK, regenerate_chunk)
    jobs.register(PROCESS_DENIAL, process_denial)


def run_worker(services: Services, workers: int = 1) -> None:
    """Consume the queue in this process until interrupted (SIGINT/SIGTERM).

    Regeneration chunks are committed on a background thread while the next one renders; a
    graceful stop commits what was rendered. What a worker works on is leased to it (one owner
    id per process) and renewed by its `Housekeeper`, which also reaps: at start and then
    periodically, work left by killed workers is queued again (`usecases.recovery`).
    """
    jobs = services.jobs
    # What the worker has loaded by now (modules, settings, the queue) lives as long as it does:
    # full garbage collections, which a long regeneration run triggers, need not walk it again.
    gc.freeze()
    committer = Committer(services)
    owner = uuid.uuid4().hex
    jobs.worker_state[_COMMITTER] = committer
    jobs.worker_state[_OWNER] = owner
    housekeeper = Housekeeper(services, owner).start()
    try:
        jobs.consume(workers)
    finally:
        committer.close()
        housekeeper.stop()
        jobs.worker_state.pop(_COMMITTER, None)
        jobs.worker_state.pop(_OWNER, None)
