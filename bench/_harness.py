"""What every benchmark here shares: interleaved timing, percentiles, load average, memory.

Fairness rules (issue #18): the variants a benchmark compares run interleaved, round after round
in a rotating order, so a neighbour's burst on a shared machine lands on all of them alike; each
variant is timed for at least `seconds` in all; outputs are checked equivalent before any timing;
the ratio is printed last. Not a benchmark itself (the Makefile runs bench/[!_]*.py).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Timing:
    """The calls of one variant: each call's seconds, and each round's calls per second."""

    name: str
    samples: list[float] = field(default_factory=list)
    round_rates: list[float] = field(default_factory=list)
    seconds: float = 0.0
    # CPU seconds this process used while the variant ran (every thread): less disturbed by a
    # busy neighbour than the wall clock, so per-call CPU is the steadier figure to compare.
    cpu: float = 0.0

    @property
    def cpu_per_call(self) -> float:
        return self.cpu / self.calls if self.calls else 0.0

    @property
    def calls(self) -> int:
        return len(self.samples)

    @property
    def rate(self) -> float:
        """Calls per second over every timed call."""
        return self.calls / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        """The q-th percentile of the call times, in seconds."""
        return percentile(self.samples, q)

    def line(self, unit: str = "calls") -> str:
        rounds = ", ".join(f"{r:.1f}" for r in self.round_rates)
        cpu = f"; CPU {self.cpu_per_call * 1000:.2f} ms/call" if self.cpu else ""
        return (
            f"{self.name:<34} {self.rate:9.1f} {unit}/s  p50 {self.p(50) * 1000:8.2f} ms  "
            f"p95 {self.p(95) * 1000:8.2f} ms  ({self.calls} in {self.seconds:.1f} s{cpu}; "
            f"rounds/s: {rounds})"
        )


def process_cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (cold soffice, pdftk).

    Long-lived children (the warm LibreOffice) are not counted until they end.
    """
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank on sorted values); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def interleaved(
    variants: Mapping[str, Callable[[], Any]],
    *,
    seconds: float = 1.0,
    rounds: int = 5,
    warmup: int = 1,
) -> dict[str, Timing]:
    """Time each variant for at least `seconds` in all, in `rounds` rotating-order rounds."""
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            variants[name]()
    timings = {name: Timing(name) for name in names}
    slice_seconds = seconds / rounds
    for round_no in range(rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            call, timing = variants[name], timings[name]
            cpu_started = process_cpu()
            started = now = time.perf_counter()
            calls = 0
            while calls == 0 or now - started < slice_seconds:
                before = time.perf_counter()
                call()
                now = time.perf_counter()
                timing.samples.append(now - before)
                calls += 1
            timing.seconds += now - started
            timing.cpu += process_cpu() - cpu_started
            timing.round_rates.append(calls / (now - started))
    return timings


def loadavg() -> str:
    """The 1, 5 and 15-minute load averages (the machine may be shared: figures are provisional)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def cpus() -> int:
    return os.cpu_count() or 1


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB; 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds a process has used so far (all its threads); 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def header(title: str) -> None:
    """The first lines of every benchmark: what, where, and how loaded the machine is."""
    print(f"{title}")
    print(f"cpus: {cpus()}; load average at start: {loadavg()} (shared machine: provisional)")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


# Run in a new process with FORMSERVICE_DATA_DIR set: migrates the data folder, loads the shipped
# templates, prints the formservice module it imported (to check which code runs) and then an
# API key of the hub role.
SERVICE_SETUP = """
import formservice
print(formservice.__file__)
from formservice.settings import load_settings
from formservice.store.db import transaction, upgrade_database
from formservice.usecases import build_services
from formservice.usecases.keys import create_api_key
settings = load_settings()
upgrade_database(settings.resolved_database_url)
services = build_services(settings)
services.sync_templates()
with transaction(services.sessions) as session:
    print(create_api_key(session, name="bench", role="hub")[1])
services.close()
"""


def baseline_code(rev: str, root: Path) -> Path:
    """The code of git revision `rev` of this repository, exported under `root` (git archive)."""
    repo = Path(__file__).resolve().parent.parent
    target = root / f"code-{rev}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target
