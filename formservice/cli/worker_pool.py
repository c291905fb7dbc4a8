"""Queue workers started by the CLI as child processes (one machine, no extra server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType


class WorkerPool:
    """N `formservice worker` processes for the duration of a `with` block."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> WorkerPool:
        for _ in range(self.count):
            self.processes.append(
                subprocess.Popen(  # noqa: S603  # our own CLI, with our own interpreter
                    [sys.executable, "-m", "formservice.cli", "worker", "--workers", "1"],
                    env=os.environ.copy(),
                    start_new_session=True,
                )
            )
        return self

    def peak_memory_mb(self) -> list[float]:
        """Each live worker's peak resident memory (VmHWM), in MB."""
        peaks = []
        for proc in self.processes:
            status = Path(f"/proc/{proc.pid}/status")
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return peaks

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # Huey's graceful stop: finish the current task
        for proc in self.processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
