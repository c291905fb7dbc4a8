"""Benchmark: regenerate N stored LMN letters with 1 and with 2 queue worker processes.

Seeds N cases with one stored LMN each (rows inserted in bulk: the benchmark measures
regeneration, not seeding). Each round publishes a new template version and regenerates every
letter: rounds alternate 1 worker, 2 workers, 1, 2, ... (``--rounds`` of each), and between them
the in-process renderer (``render_for_case`` with the same pinned template) is timed for at
least a second, so a neighbour's burst on a shared machine lands on every variant alike.

Fair by construction:

* workers are started before the clock and the clock starts only when every worker is waiting
  on the queue (on Redis: each worker's blocking pop is seen in ``CLIENT LIST``);
* the clock stops when the worker that commits the last chunk announces the run's end on the
  queue's Redis (pub/sub, `usecases.regeneration.wait_for_run`): no polling in the way. On the
  SQLite queue (``--queue sqlite``) the end is the run's ``finished_at``, written by the worker;
* an untimed warm-up run comes first, and its output is checked against the in-process
  renderer (same text) before anything is timed.

Prints letters/s per round, the medians, the in-process rate, each worker's peak memory, and
last ``ratio: X.XX`` = median 2-worker ÷ median 1-worker throughput.

    python bench/regenerate.py [--n 2000] [--rounds 3] [--queue redis|sqlite]
Targets: ratio >= 1.7; a worker within 1.5x of the in-process renderer per letter;
worker peak memory < 250 MB at N = 10,000.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from docx import Document
from sqlalchemy import insert, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import cpu_seconds, header, interleaved, loadavg, median  # noqa: E402

from formservice.cli.worker_pool import WorkerPool  # noqa: E402
from formservice.documents.docx.render import document_text  # noqa: E402
from formservice.model import DocumentRequest  # noqa: E402
from formservice.schemas.case import dump_case, load_case  # noqa: E402
from formservice.settings import Settings  # noqa: E402
from formservice.store.cases import payload_hash  # noqa: E402
from formservice.store.db import upgrade_database  # noqa: E402
from formservice.store.models import CaseRow, DocumentRow, RegenerationRun, new_id  # noqa: E402
from formservice.usecases import build_services, regeneration  # noqa: E402
from formservice.usecases.documents import render_for_case  # noqa: E402
from formservice.usecases.templates import publish_template  # noqa: E402

LMN = "letter_of_medical_necessity"
SQLITE_WORKER_START_SECONDS = 5.0
SAMPLE = REPO / "samples" / "cases" / "01_breast_commercial_office.json"


def _template_with(text: str) -> bytes:
    doc = Document(io.BytesIO((REPO / "templates" / "docx" / f"{LMN}.docx").read_bytes()))
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _seed(services: Any, n: int) -> None:
    case = load_case(json.loads(SAMPLE.read_text()))
    rendered = render_for_case(services, case, DocumentRequest("lmn"))
    sha, _ = services.blobs.put(rendered.data)
    batch_cases, batch_docs = [], []
    with services.engine.begin() as conn:
        for i in range(n):
            payload = copy.deepcopy(dump_case(case))
            payload["external_id"] = f"BENCH-{i:06d}"
            payload["patient"]["last_name"] = f"Benchcase{i}"
            case_id = new_id()
            batch_cases.append(
                {
                    "id": case_id,
                    "external_id": payload["external_id"],
                    "facility_npi": payload["facility"]["npi"],
                    "payload": payload,
                    "payload_sha256": payload_hash(payload),
                    "pa_status": "not_submitted",
                }
            )
            batch_docs.append(
                {
                    "id": new_id(),
                    "case_id": case_id,
                    "kind": "lmn",
                    "format": "docx",
                    "template_name": LMN,
                    "template_sha256": rendered.template_sha256,
                    "template_version": 1,
                    "input_sha256": rendered.input_sha256,
                    "blob_sha256": sha,
                    "media_type": rendered.media_type,
                    "size": len(rendered.data),
                    "filename": f"BENCH-{i:06d}-lmn.docx",
                    "details": {"letter_date": rendered.details["letter_date"]},
                }
            )
            if len(batch_cases) == 1000 or i == n - 1:
                conn.execute(insert(CaseRow), batch_cases)
                conn.execute(insert(DocumentRow), batch_docs)
                batch_cases, batch_docs = [], []


def _redis_db() -> str | None:
    """A Redis URL on an empty database of the local server (None when there is none)."""
    try:
        import redis

        for db in range(12, 0, -1):
            url = f"redis://127.0.0.1:6379/{db}"
            client = redis.Redis.from_url(url, socket_connect_timeout=2)
            if client.dbsize() == 0:
                return url
    except Exception:  # noqa: BLE001  # no Redis here: the SQLite queue it is
        return None
    return None


def _wait_ready(services: Any, workers: int) -> None:
    """Return once every worker waits on the queue."""
    redis = services.jobs._redis()
    if redis is None:
        time.sleep(SQLITE_WORKER_START_SECONDS)
        return
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        waiting = [
            c
            for c in redis.client_list()
            if int(c.get("db", -1)) == db and c.get("cmd") in ("brpop", "rpop", "blpop")
        ]
        if len(waiting) >= workers:
            return
        time.sleep(0.05)
    raise SystemExit("the workers did not start within 120 s")


def _regenerate(services: Any, workers: int, text: str) -> tuple[float, list[float], str, float]:
    """One run with `workers` worker processes.

    Returns letters/s, each worker's peak MB, the run id, and the workers' CPU seconds per
    letter (every thread: rendering, committing, the queue), which a busy neighbour on a shared
    machine disturbs far less than the wall clock.
    """
    publish_template(services, LMN, _template_with(text))
    summary = regeneration.start_run(services, LMN, created_by="bench")
    with WorkerPool(workers) as pool:
        _wait_ready(services, workers)
        cpu_before = sum(cpu_seconds(p.pid) for p in pool.processes)
        wall = datetime.now(UTC)
        start = time.perf_counter()
        regeneration.enqueue_run(services, summary.id)
        current = regeneration.wait_for_run(services, summary.id, timeout=3600)
        woke = time.perf_counter()
        cpu = sum(cpu_seconds(p.pid) for p in pool.processes) - cpu_before
        peaks = pool.peak_memory_mb()
    if current.failed or current.done != summary.total:
        raise SystemExit(f"run did not complete cleanly: {current.to_json()}")
    if services.jobs._redis() is not None:
        elapsed = woke - start
    else:
        with services.sessions() as session:
            finished = session.scalar(
                select(RegenerationRun.finished_at).where(RegenerationRun.id == summary.id)
            )
        if finished is None:
            raise SystemExit("the run has no finished_at")
        elapsed = (finished.replace(tzinfo=UTC) - wall).total_seconds()
    return summary.total / elapsed, peaks, summary.id, cpu / summary.total


def _check_equivalent(services: Any, run_id: str) -> None:
    """A regenerated letter says what the in-process renderer says for it."""
    with services.sessions() as session:
        new = session.scalars(
            select(DocumentRow).where(DocumentRow.supersedes_id.is_not(None)).limit(1)
        ).one()
        row = session.get(CaseRow, new.case_id)
    assert row is not None
    template = services.template(LMN, sha256=new.template_sha256)
    case = load_case(row.payload)
    ours = render_for_case(
        services,
        case,
        DocumentRequest("lmn"),
        template=template,
        letter_date=date.fromisoformat(new.details["letter_date"]),
    )
    if document_text(ours.data) != document_text(services.blobs.get(new.blob_sha256)):
        raise SystemExit(f"run {run_id}: a worker's letter differs from the in-process render")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each worker count")
    parser.add_argument("--queue", choices=("redis", "sqlite"), default="redis")
    args = parser.parse_args()
    header(f"regeneration benchmark: {args.n} letters, {args.queue} queue")
    with tempfile.TemporaryDirectory(prefix="regen-bench-") as tmp:
        redis_url = _redis_db() if args.queue == "redis" else None
        if args.queue == "redis" and redis_url is None:
            raise SystemExit("no Redis with a free database on 127.0.0.1:6379 (--queue sqlite)")
        os.environ.update(FORMSERVICE_ENV="test", FORMSERVICE_DATA_DIR=tmp)
        if redis_url:
            os.environ["FORMSERVICE_REDIS_URL"] = redis_url
        else:
            os.environ.pop("FORMSERVICE_REDIS_URL", None)
        settings = Settings(
            env="test", secret_key="b" * 32, data_dir=Path(tmp), redis_url=redis_url or ""
        )
        upgrade_database(settings.resolved_database_url)
        services = build_services(settings)
        try:
            t0 = time.perf_counter()
            _seed(services, args.n)
            print(f"seeded {args.n} stored letters in {time.perf_counter() - t0:.1f}s")
            case = load_case(json.loads(SAMPLE.read_text()))
            _, _, warm_run, _ = _regenerate(services, 2, "Benchmark warm-up.")
            _check_equivalent(services, warm_run)
            print("warm-up run done; its letters match the in-process renderer")
            template = services.active_template(LMN)

            def in_process() -> None:
                render_for_case(services, case, DocumentRequest("lmn"), template=template)

            rates: dict[int, list[float]] = {1: [], 2: []}
            cpus: dict[int, list[float]] = {1: [], 2: []}
            renderer: list[float] = []
            renderer_cpu: list[float] = []
            peaks: list[float] = []
            for round_no in range(args.rounds):
                order = (1, 2) if round_no % 2 == 0 else (2, 1)
                for workers in order:
                    rate, p, run_id, cpu = _regenerate(
                        services, workers, f"Edit {round_no}/{workers}."
                    )
                    _check_equivalent(services, run_id)
                    rates[workers].append(rate)
                    cpus[workers].append(cpu)
                    peaks += p
                    print(
                        f"round {round_no + 1}: {workers} worker(s) {rate:7.1f} letters/s, "
                        f"{cpu * 1000:5.2f} ms CPU/letter (load average {loadavg()})"
                    )
                    cpu_start = time.process_time()
                    timing = interleaved({"in-process": in_process}, seconds=1.0, rounds=1)
                    renderer.append(timing["in-process"].rate)
                    renderer_cpu.append(
                        (time.process_time() - cpu_start) / (timing["in-process"].calls + 1)
                    )
        finally:
            services.close()
    one, two, alone = median(rates[1]), median(rates[2]), median(renderer)
    print(f"in-process renderer:      {alone:7.1f} letters/s (median of {len(renderer)})")
    print(f"1 worker:                 {one:7.1f} letters/s (median; best {max(rates[1]):.1f})")
    print(f"2 workers:                {two:7.1f} letters/s (median; best {max(rates[2]):.1f})")
    print(
        f"CPU per letter: in-process {median(renderer_cpu) * 1000:.2f} ms, 1 worker "
        f"{median(cpus[1]) * 1000:.2f} ms, 2 workers {median(cpus[2]) * 1000:.2f} ms"
    )
    print(f"per-letter wall, worker ÷ in-process: {alone / one:.2f}x slower (target <= 1.5)")
    print(
        f"per-letter CPU, worker ÷ in-process:  "
        f"{median(cpus[1]) / median(renderer_cpu):.2f}x (every worker thread counted)"
    )
    print(f"worker peak memory (MB): {max(peaks):.0f} (target < 250 at N = 10,000)")
    print(f"load average at end: {loadavg()}")
    print(f"ratio: {two / one:.2f}")


if __name__ == "__main__":
    main()
