"""The queue's tasks and the worker: what `formservice worker` runs, by task name.

Handlers are registered on every process that builds the queue (producers and workers alike), so
an enqueued name always has its handler; in immediate mode (tests) the producer runs it at once.
"""

from __future__ import annotations

from formservice.jobs import PROCESS_DENIAL, REGENERATE_CHUNK, Jobs
from formservice.usecases import denials, regeneration
from formservice.usecases.services import Services

__all__ = ["register_tasks", "run_worker"]

_COMMITTER = "regeneration.committer"


def register_tasks(services: Services, jobs: Jobs) -> None:
    """Register the handler of every task name on `jobs`."""

    def regenerate_chunk(item_ids: list[str]) -> None:
        regeneration.process_items(services, item_ids, jobs.worker_state.get(_COMMITTER))

    def process_denial(denial_id: str) -> None:
        denials.finish_denial(services, denial_id)

    jobs.register(REGENERATE_CHUNK, regenerate_chunk)
    jobs.register(PROCESS_DENIAL, process_denial)


def run_worker(services: Services, workers: int = 1) -> None:
    """Consume the queue in this process until interrupted (SIGINT/SIGTERM).

    Regeneration chunks are committed on a background thread while the next one renders; a
    graceful stop commits what was rendered, a kill leaves it pending for the next run.
    """
    jobs = services.jobs
    committer = regeneration.Committer(services)
    jobs.worker_state[_COMMITTER] = committer
    try:
        jobs.consume(workers)
    finally:
        committer.close()
        jobs.worker_state.pop(_COMMITTER, None)
