"""Real queue workers (`formservice worker`, as the README starts them) on a test's data folder."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from formservice.settings import Settings
from formservice.store.orphans import referenced_digests
from formservice.usecases.services import Services
from tests.servers import FormserviceProcess, clean_env

# Short enough that a test sees a dead worker's lease expire, long enough that a live worker on a
# loaded machine renews its leases in time (it renews every third of this).
LEASE_SECONDS = 4
WORKER_SETTINGS = {
    "FORMSERVICE_LEASE_SECONDS": str(LEASE_SECONDS),
    "FORMSERVICE_REAPER_INTERVAL_SECONDS": "1",
    "FORMSERVICE_MAX_JOB_ATTEMPTS": "3",
    "FORMSERVICE_ORPHAN_BLOB_GRACE_SECONDS": "3",
    "FORMSERVICE_BLOB_SWEEP_INTERVAL_SECONDS": "1",
}


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a worker process sharing the test's database, blobs and queue."""
    env = clean_env(
        FORMSERVICE_ENV="test",
        FORMSERVICE_DATA_DIR=str(settings.data_dir),
        **WORKER_SETTINGS,
        **extra,
    )
    if settings.database_url:
        env["FORMSERVICE_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["FORMSERVICE_REDIS_URL"] = settings.redis_url
    return env


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., FormserviceProcess]]:
    """Start `formservice worker --workers 1` (on `settings`, default the test's); every worker
    started is killed at the end."""
    started: list[FormserviceProcess] = []

    def start(on: Settings | None = None) -> FormserviceProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        proc = FormserviceProcess(["worker", "--workers", "1"], worker_env(on or settings), log)
        started.append(proc.start())
        return proc

    yield start
    for proc in started:
        proc.kill()


def blob_files(services: Services) -> set[str]:
    """Every blob file in the local store (by digest), and temp files (by name)."""
    root = services.settings.resolved_blob_dir
    return {p.name for p in root.glob("??/??/*")}


def orphan_blobs(services: Services) -> set[str]:
    """Files in the blob store that no row names (temp files included)."""
    files = blob_files(services)
    with services.sessions() as session:
        used = referenced_digests(session, [f for f in files if len(f) == 64])
    return files - used


def wait_for(
    predicate: Callable[[], bool], *, timeout: float, every: float = 0.05, what: str = ""
) -> None:
    """Poll `predicate` until true; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(every)


def kill_9(proc: FormserviceProcess) -> None:
    """SIGKILL the worker's whole process group (no chance to clean up) and reap it."""
    assert proc.proc is not None
    os.killpg(proc.proc.pid, 9)
    proc.proc.wait(timeout=10)
