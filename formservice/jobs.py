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
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from redis import ConnectionPool, Redis
from redis.exceptions import RedisError

from formservice.errors import QueueUnavailableError
from formservice.settings import Settings

__all__ = ["PROCESS_DENIAL", "REGENERATE_CHUNK", "RUN_FINISHED", "Jobs", "make_huey"]

# What a broker that cannot take work raises: Redis down or unreachable, the SQLite queue's file
# unwritable.
_BROKER_ERRORS = (RedisError, sqlite3.Error, OSError)

log = logging.getLogger(__name__)

REGENERATE_CHUNK = "regenerate_chunk"
PROCESS_DENIAL = "process_denial"
# The channel a worker announces a finished regeneration run on (the message is the run id).
RUN_FINISHED = "formservice:regeneration:finished"

Listener = Callable[[float], str | None]


def make_huey(settings: Settings) -> Huey:
    """The queue named by the settings."""
    if settings.redis_url:
        # A broker that does not answer must not hold a request (or a readiness probe) for the
        # operating system's TCP timeout: connecting is bounded.
        pool = ConnectionPool.from_url(
            settings.redis_url, socket_connect_timeout=settings.readiness_timeout_seconds
        )
        return RedisHuey(
            "formservice",
            connection_pool=pool,
            immediate=settings.huey_immediate,
            results=False,
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


def _broker_down(exc: BaseException) -> str:
    # The exception's class and message name the broker's address and what failed, never data.
    return f"the job queue cannot take work now ({type(exc).__name__}: {exc})"


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
        """Queue the task `name` with `args` (run now in immediate mode).

        QueueUnavailableError (503) when the broker cannot take it.
        """
        if self.huey.immediate:  # no broker: the task runs here, its errors are its own
            self._tasks[name](*args)
            return
        try:
            self._tasks[name](*args)
        except _BROKER_ERRORS as exc:
            raise QueueUnavailableError(_broker_down(exc)) from exc

    def queued(self) -> int:
        """How many tasks wait in the queue."""
        return int(self.huey.pending_count())

    def check(self, timeout: float = 2.0) -> None:
        """Raise QueueUnavailableError unless the broker answers within `timeout` seconds.

        Called before writing anything for work that needs the queue, and by `/readyz`.
        """
        if self.huey.immediate:
            return
        try:
            if isinstance(self.huey, RedisHuey):
                pool = self.huey.storage.pool
                kwargs = {**pool.connection_kwargs, "socket_timeout": timeout}
                kwargs["socket_connect_timeout"] = timeout
                probe = Redis(connection_pool=ConnectionPool(pool.connection_class, **kwargs))
                try:
                    probe.ping()
                finally:
                    probe.close()
                    probe.connection_pool.disconnect()
            else:
                self.huey.pending_count()
        except _BROKER_ERRORS as exc:
            raise QueueUnavailableError(_broker_down(exc)) from exc

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

    def _redis(self) -> Any:
        """The broker's Redis client, when the queue is on Redis (None on SQLite)."""
        if isinstance(self.huey, RedisHuey) and not self.huey.immediate:
            return self.huey.storage.conn
        return None

    def publish(self, channel: str, message: str) -> None:
        """Tell whoever listens on `channel` (Redis pub/sub); nothing on the SQLite queue."""
        redis = self._redis()
        if redis is not None:
            redis.publish(channel, message)

    @contextmanager
    def listen(self, channel: str) -> Iterator[Listener | None]:
        """A function that waits up to N seconds for the next message on `channel`.

        None when the broker cannot push messages (the SQLite queue): the caller polls.
        Subscribe before reading the state you wait on, so no message falls in between.
        """
        redis = self._redis()
        if redis is None:
            yield None
            return
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(channel)

        def next_message(timeout: float) -> str | None:
            deadline = time.monotonic() + timeout
            while True:
                # The subscription's own confirmation comes back as None: keep waiting.
                left = deadline - time.monotonic()
                message = pubsub.get_message(timeout=max(left, 0.0))
                if message is not None and message.get("type") == "message":
                    data = message["data"]
                    return data.decode() if isinstance(data, bytes) else str(data)
                if left <= 0:
                    return None

        try:
            yield next_message
        finally:
            pubsub.close()
