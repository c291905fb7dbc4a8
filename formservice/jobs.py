"""The job queue (Huey): background work too slow for a request, run by `formservice worker`.

The queue is built from settings, never at import: `SqliteHuey` in a file beside the database by
default (one machine, no extra server) or `RedisHuey` when ``FORMSERVICE_REDIS_URL`` is set, so
workers on several machines share one queue. What a task does is the application's business:
`formservice.usecases.tasks` registers a handler under each fixed name below, in producers and
workers alike, so both agree on them. With ``huey_immediate`` (tests), tasks run in the calling
thread as they are enqueued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from formservice.settings import Settings

__all__ = ["PROCESS_DENIAL", "REGENERATE_CHUNK", "Jobs", "make_huey"]

log = logging.getLogger(__name__)

REGENERATE_CHUNK = "regenerate_chunk"
PROCESS_DENIAL = "process_denial"


def make_huey(settings: Settings) -> Huey:
    """The queue named by the settings."""
    if settings.redis_url:
        return RedisHuey(
            "formservice", url=settings.redis_url, immediate=settings.huey_immediate, results=False
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        "formservice",
        filename=str(settings.data_dir / "queue.sqlite3"),
        immediate=settings.huey_immediate,
        results=False,
        # Immediate mode keeps using the same file, so a test can watch the real storage.
        immediate_use_memory=False,
    )


class Jobs:
    """The queue, its tasks by name, and what a worker process shares between tasks."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._tasks: dict[str, Callable[..., Any]] = {}
        # Set by the worker entry (e.g. the regeneration committer) while this process consumes.
        self.worker_state: dict[str, Any] = {}

    def register(self, name: str, handler: Callable[..., None]) -> None:
        """Make `handler` the task called `name`."""
        self._tasks[name] = self.huey.task(name=name)(handler)

    def enqueue(self, name: str, *args: Any) -> None:
        """Queue the task `name` with `args` (run now in immediate mode)."""
        self._tasks[name](*args)

    def queued(self) -> int:
        """How many tasks wait in the queue."""
        return int(self.huey.pending_count())

    def consume(self, workers: int = 1) -> None:
        """Consume tasks in this process until interrupted (SIGINT/SIGTERM)."""
        consumer = self.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            max_delay=0.5,
            backoff=1.15,
            check_worker_health=True,
        )
        log.info("worker started: %d thread(s)", workers)
        consumer.run()
