"""Real formservice processes for tests: the production server and queue workers, on 127.0.0.1.

Each process runs in its own session (process group), is stopped with SIGTERM as an operator
would, and is killed with its whole group only if it does not stop in time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import IN_CI, POSTGRES_URL, REPO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without FORMSERVICE_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMSERVICE_")}
    env.update(settings)
    return env


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain `text` (e.g. a data folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline[:200]}")
    return found


def call(
    url: str, *, method: str = "GET", body: Any = None, key: str | None = None, timeout: float = 120
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request: (status, headers, body); error statuses are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310  # 127.0.0.1
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class FormserviceProcess:
    """``formservice ARGS...`` as a child process with its own environment and log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> FormserviceProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603  # our own CLI, fixed arguments
                [sys.executable, "-m", "formservice.cli", *self.args],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, wait up to `timeout` s; then kill the whole group. The exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            raise AssertionError(f"{self.args[0]} did not stop within {timeout}s") from None

    def kill(self) -> None:
        """Kill the process group if anything of it still runs (test clean-up)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def __enter__(self) -> FormserviceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


class AppServer(FormserviceProcess):
    """``formservice serve`` on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["serve", "--port", str(self.port), "--workers", str(workers)], env, log)

    def start(self) -> AppServer:
        super().start()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until /healthz answers (the app is built and a worker serves)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.output()}")
            try:
                if call(f"{self.url}/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"server not ready within {timeout}s:\n{self.output()}")


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database on the machine's server, dropped afterwards.

    PostgreSQL unreachable → fail in CI, skip locally with the command that starts it.
    """
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    name = f"formservice_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + " (start it: pg_ctlcluster $(ls /etc/postgresql) main start)")
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
