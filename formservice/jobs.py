"""Background work on Huey: regeneration chunks (and anything else too slow for a request).

The queue is built from settings, never at import: `SqliteHuey` in a file beside the database by
default (one machine, no extra server) or `RedisHuey` when ``FORMSERVICE_REDIS_URL`` is set, so
workers on several machines share one queue. Tasks are closures over the process's `Services`
and are registered under fixed names, so a producer and a worker process agree on them.
With ``huey_immediate`` (tests), tasks run in the calling thread as they are enqueued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from formservice.services import Services
from formservice.settings import Settings

log = logging.getLogger(__name__)


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
    """The queue and the tasks this service puts on it."""

    def __init__(self, services: Services, huey: Huey | None = None) -> None:
        self.services = services
        self.huey = huey or make_huey(services.settings)
        # Set only while this process runs as a worker: enqueuers and immediate mode commit
        # each chunk in the calling thread.
        self.committer: Any = None
        self.regenerate_chunk: Callable[..., Any] = self.huey.task(name="regenerate_chunk")(
            self._regenerate_chunk
        )
        self.process_denial: Callable[..., Any] = self.huey.task(name="process_denial")(
            self._process_denial
        )

    def _regenerate_chunk(self, item_ids: list[str]) -> None:
        from formservice.regeneration import process_items

        process_items(self.services, item_ids, self.committer)

    def _process_denial(self, denial_id: str) -> None:
        from formservice.denials.service import finish_denial

        finish_denial(self.services, denial_id)

    def enqueue_run(self, run_id: str) -> int:
        """Queue every pending item of a run in chunks; return how many chunks."""
        from formservice.regeneration import pending_chunks

        count = 0
        for chunk in pending_chunks(self.services, run_id):
            self.regenerate_chunk(chunk)
            count += 1
        return count

    def queued(self) -> int:
        """How many tasks wait in the queue."""
        return int(self.huey.pending_count())

    def run_worker(self, workers: int = 1) -> None:
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
        from formservice.regeneration import Committer

        self.committer = Committer(self.services)
        log.info("worker started: %d thread(s)", workers)
        try:
            consumer.run()
        finally:
            # A graceful stop (SIGINT) commits what was rendered; a kill leaves it pending.
            self.committer.close()
            self.committer = None
