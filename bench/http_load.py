"""Benchmark: the production server under load, at 1 and 2 worker processes.

Starts the app under gunicorn (gthread workers, ``--threads`` each; one process per worker) on
its own data folder and SQLite database, then drives it with a bounded client: ``--clients``
threads (`RawClient`: the same request bytes each time, the answer read whole by its
Content-Length, a new connection per request unless ``--keep-alive``), each sending its next
request when the last one is answered. The client's own CPU per request is printed beside the
servers'. Measured per variant: requests/s, p50 and p95 latency, for

* LMN DOCX: ``POST /api/v1/render/lmn?format=docx`` (sample case body; auth and audit included),
* LMN PDF: the same with ``format=pdf`` (the warm LibreOffice; the converter pool is
  ``FORMSERVICE_CONVERTER_POOL_SIZE`` per process, compared at ``--pdf-pools``),
* PA form: ``POST /api/v1/render/pa_form?form=tx_nofr001``.

Every server is started before any timing and warmed (LibreOffice started in every slot).
Before timing, one response of every server is checked equivalent to the others for each
request (DOCX by content hash, PDFs by their text and form fields). Variants then run
interleaved: ``--rounds`` rounds in a rotating order, ``--seconds`` per variant in all.
With ``--baseline REV`` the same load also runs against that git revision of the code (exported
with ``git archive`` to a temporary folder and put first on PYTHONPATH), for the per-process
comparison with today's code; ``--baseline-differs`` for a revision whose letter was worded
otherwise (checked to be the LMN of the same patient, not the same bytes). The last line is
``ratio: X.XX`` = DOCX requests/s with 2 processes ÷ with 1.

    python bench/http_load.py [--clients 8] [--seconds 6] [--baseline 52780aa]
Targets: 2 processes >= 1.7x one for DOCX; this code >= 1.5x the baseline per process.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (  # noqa: E402
    SERVICE_SETUP,
    Timing,
    baseline_code,
    cpu_seconds,
    header,
    loadavg,
    peak_rss_mb,
)
from pypdf import PdfReader  # noqa: E402

from formservice.documents.provenance import content_sha256  # noqa: E402

CASE = (REPO / "samples" / "cases" / "01_breast_commercial_office.json").read_bytes()
REQUESTS = {
    "LMN DOCX": "/api/v1/render/lmn?format=docx",
    "LMN PDF": "/api/v1/render/lmn?format=pdf",
    "PA form": "/api/v1/render/pa_form?form=tx_nofr001",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One gunicorn master with its workers, on its own data folder."""

    name: str
    workers: int
    threads: int
    pool: int
    root: Path
    code: Path | None = None  # a baseline checkout put first on PYTHONPATH; None: this code
    port: int = field(default_factory=_free_port)
    key: str = ""
    process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        data = self.root / self.name
        env = {
            **os.environ,
            "FORMSERVICE_ENV": "production",
            "FORMSERVICE_SECRET_KEY": "h" * 64,
            "FORMSERVICE_DATA_DIR": str(data),
            "FORMSERVICE_CONVERTER_POOL_SIZE": str(self.pool),
        }
        env.pop("FORMSERVICE_REDIS_URL", None)
        env.pop("FORMSERVICE_DATABASE_URL", None)
        if self.code is not None:
            env["PYTHONPATH"] = str(self.code)
        return env

    def start(self) -> None:
        setup = subprocess.run(
            [sys.executable, "-c", SERVICE_SETUP],
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
            cwd=self.code or REPO,
        )
        where, *_, self.key = setup.stdout.strip().splitlines()
        if not Path(where).is_relative_to(self.code or REPO):
            raise SystemExit(f"{self.name} would run {where}, not the code under {self.code}")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
                "formservice:create_app()",
            ],
            env=self.env(),
            cwd=self.code or REPO,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in out.stdout.split()]

    def cpu(self) -> float:
        """CPU seconds used so far by every process of this server (workers, LibreOffice)."""
        if self.process is None:
            return 0.0
        out = subprocess.run(
            ["pgrep", "-s", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return sum(cpu_seconds(int(pid)) for pid in out.stdout.split())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _post(conn: http.client.HTTPConnection, server: Server, path: str) -> bytes:
    conn.request(
        "POST",
        path,
        body=CASE,
        headers={"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{server.name} {path}: {response.status} {body[:300]!r}")
    return body


class RawClient:
    """An HTTP/1.1 client that sends a prebuilt request and reads the answer.

    By default each request has a connection of its own (``Connection: close``), as a reverse
    proxy without upstream keep-alive sends them (nginx's default): each is accepted by whichever
    worker process takes it first. With `keep_alive` one connection carries every request, and it
    stays with the process that accepted it: with few clients one process can hold them all
    while the other idles (seen: a 2-process round at the 1-process rate).

    Why not http.client here: the client shares the machine's cores with the servers it loads,
    and http.client's header parsing costs about 1 ms of CPU per request on this kind of
    machine, a share that grows with the server's rate and so caps the 2-process figure. This
    sends the same bytes every time and reads the status line, Content-Length and the body
    whole; anything else (chunked bodies, a refused connection, a status other than 200) is an
    error that `drive` counts.
    """

    def __init__(self, port: int, raw_request: bytes, *, keep_alive: bool) -> None:
        self.port = port
        self.raw_request = raw_request
        self.keep_alive = keep_alive
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.scratch = memoryview(bytearray(1 << 20))
        if keep_alive:
            self._connect()

    def _connect(self) -> socket.socket:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=300)
        self.buffer = b""
        return self.sock

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise OSError("connection closed by the server")
        self.buffer += chunk

    def request(self) -> int:
        """Send the request, read the whole answer; the body's length in bytes."""
        sock = self.sock if self.keep_alive and self.sock is not None else self._connect()
        sock.sendall(self.raw_request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        if not lines[0].startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(f"answer {lines[0][:60]!r}")
        length = next(
            (int(line.split(b":", 1)[1]) for line in lines[1:]
             if line.lower().startswith(b"content-length:")),
            None,
        )  # fmt: skip
        if length is None:
            raise RuntimeError("answer without Content-Length")
        # The body is counted, not kept (a client holds one request at a time, so nothing of the
        # next answer can follow it): reading into one reused buffer costs no copies.
        remaining = length - len(self.buffer)
        self.buffer = b""
        while remaining > 0:
            got = sock.recv_into(self.scratch, min(remaining, len(self.scratch)))
            if not got:
                raise OSError("connection closed by the server")
            remaining -= got
        if not self.keep_alive:
            self.close()
        return length

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def raw_request(server: Server, path: str, *, keep_alive: bool) -> bytes:
    """The bytes of one POST of the sample case to `path`, as every client sends them."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        + ("" if keep_alive else "Connection: close\r\n")
        + f"Authorization: Bearer {server.key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(CASE)}\r\n\r\n"
    )
    return head.encode("ascii") + CASE


def drive(
    server: Server, path: str, clients: int, seconds: float, timing: Timing, keep_alive: bool
) -> int:
    """`clients` clients sending requests back to back for `seconds`; errors counted."""
    barrier = threading.Barrier(clients + 1)
    samples: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = [0.0]
    request_bytes = raw_request(server, path, keep_alive=keep_alive)

    def client(i: int) -> None:
        conn = RawClient(server.port, request_bytes, keep_alive=keep_alive)
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            before = time.perf_counter()
            try:
                conn.request()
            except (RuntimeError, OSError, ValueError):
                errors[i] += 1
                conn.close()
                conn = RawClient(server.port, request_bytes, keep_alive=keep_alive)
                continue
            samples[i].append(time.perf_counter() - before)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    cpu_before = server.cpu()
    client_before = time.process_time()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    client_used[timing.name] = (
        client_used.get(timing.name, 0.0) + time.process_time() - client_before
    )
    cpu_used[timing.name] = cpu_used.get(timing.name, 0.0) + server.cpu() - cpu_before
    done = [s for per_client in samples for s in per_client]
    timing.samples += done
    timing.seconds += elapsed
    timing.round_rates.append(len(done) / elapsed)
    return sum(errors)


# CPU seconds the server's processes used while each variant ran (a process that ends in a
# slice, such as a restarted LibreOffice, is not counted: the figure is a lower bound).
cpu_used: dict[str, float] = {}
# CPU seconds this process (the client threads) used while each variant ran.
client_used: dict[str, float] = {}


def cpu_ms_per_request(timing: Timing) -> float:
    return cpu_used.get(timing.name, 0.0) / max(timing.calls, 1) * 1000


def normalized(kind: str, body: bytes) -> Any:
    """What must agree between servers: a DOCX's content hash, a PDF's text and fields."""
    if kind == "LMN DOCX":
        return content_sha256(body)
    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    fields = {k: str(v.get("/V")) for k, v in (reader.get_fields() or {}).items()}
    return (len(reader.pages), text, fields)


def same_letter(body: bytes) -> str:
    """What is checked of a baseline letter whose wording has since changed: a DOCX naming the
    sample patient and the letter's subject (SystemExit otherwise); its word count."""
    with zipfile.ZipFile(io.BytesIO(body)) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", xml).split())
    patient = json.loads(CASE)["patient"]
    for needed in (patient["last_name"], "scalp cooling"):
        if needed.lower() not in text.lower():
            raise SystemExit(f"the baseline's letter does not name {needed!r}")
    return f"a letter of medical necessity for the sample patient, {len(text.split())} words"


def warm(server: Server, clients: int) -> None:
    """Start every LibreOffice slot of every worker and touch every code path once or more."""
    rounds = max(3, server.workers * server.pool * 2)
    for path in REQUESTS.values():
        threads = [
            threading.Thread(target=_warm_one, args=(server, path, rounds))
            for _ in range(min(clients, server.workers * server.threads))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _warm_one(server: Server, path: str, rounds: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    for _ in range(rounds):
        _post(conn, server, path)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent requests")
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds per variant")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--pdf-pools", default="1,2", help="converter pool sizes for 1 process")
    parser.add_argument("--baseline", default="", help="a git revision to compare per process")
    parser.add_argument(
        "--baseline-differs",
        action="store_true",
        help="the baseline's letter wording differs from today's: check it is the same letter "
        "for the same patient, not the same bytes",
    )
    parser.add_argument("--only", default="", help="comma-separated requests to run")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="keep each client's connection (pins it to the worker process that accepted it)",
    )
    args = parser.parse_args()
    connections = "kept alive" if args.keep_alive else "a new connection per request"
    header(
        f"HTTP load: gunicorn gthread x{args.threads} threads, {args.clients} clients, "
        + connections
    )
    kinds = [k for k in REQUESTS if not args.only or k in args.only.split(",")]
    pools = [int(p) for p in args.pdf_pools.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        root = Path(tmp)
        servers = {
            "1 process": Server("w1", 1, args.threads, 1, root),
            "2 processes": Server("w2", 2, args.threads, 1, root),
        }
        for pool in pools:
            if pool != 1:
                servers[f"1 process, pool {pool}"] = Server(
                    f"w1p{pool}", 1, args.threads, pool, root
                )
        if args.baseline:
            code = baseline_code(args.baseline, root)
            servers[f"1 process, {args.baseline}"] = Server("base", 1, args.threads, 1, root, code)
        plan: dict[str, list[str]] = {
            "LMN DOCX": ["1 process", "2 processes"]
            + ([f"1 process, {args.baseline}"] if args.baseline else []),
            "LMN PDF": ["1 process", "2 processes"]
            + [f"1 process, pool {p}" for p in pools if p != 1],
            "PA form": ["1 process", "2 processes"],
        }
        try:
            for server in servers.values():
                server.start()
            for server in servers.values():
                server.wait_ready()
                warm(server, args.clients)
            for kind in kinds:
                seen = {}
                for name in plan[kind]:
                    conn = http.client.HTTPConnection("127.0.0.1", servers[name].port, timeout=300)
                    body = _post(conn, servers[name], REQUESTS[kind])
                    conn.close()
                    if args.baseline_differs and name.endswith(f", {args.baseline}"):
                        print(f"{name}: {same_letter(body)}; content not compared")
                        continue
                    seen[name] = normalized(kind, body)
                if len({json.dumps(v, sort_keys=True, default=str) for v in seen.values()}) != 1:
                    raise SystemExit(f"{kind}: the servers' responses differ: {list(seen)}")
            print(f"responses equivalent across servers for: {', '.join(kinds)}")
            results: dict[str, dict[str, Timing]] = {}
            errors = 0
            for kind in kinds:
                variants = plan[kind]
                results[kind] = {name: Timing(f"{kind}, {name}") for name in variants}
                for round_no in range(args.rounds):
                    shift = round_no % len(variants)
                    for name in variants[shift:] + variants[:shift]:
                        errors += drive(
                            servers[name],
                            REQUESTS[kind],
                            args.clients,
                            args.seconds / args.rounds,
                            results[kind][name],
                            args.keep_alive,
                        )
                print(f"\n{kind} (load average {loadavg()}):")
                for timing in results[kind].values():
                    print("  " + timing.line("req"))
                    client_ms = client_used.get(timing.name, 0.0) / max(timing.calls, 1) * 1000
                    print(
                        f"    CPU per request: server {cpu_ms_per_request(timing):.2f} ms, "
                        f"client {client_ms:.2f} ms"
                    )
            memory = {
                name: [round(peak_rss_mb(pid)) for pid in server.worker_pids()]
                for name, server in servers.items()
            }
        finally:
            for server in servers.values():
                server.stop()
    print(f"\nworker peak RSS (MB, without LibreOffice): {memory}")
    print(f"errors: {errors}; load average at end: {loadavg()}")
    if "LMN PDF" in results:
        pdf = results["LMN PDF"]
        for name in pdf:
            if name != "1 process":
                print(f"LMN PDF {name} ÷ 1 process: {pdf[name].rate / pdf['1 process'].rate:.2f}")
    if "PA form" in results:
        pa = results["PA form"]
        print(f"PA form 2 ÷ 1 processes: {pa['2 processes'].rate / pa['1 process'].rate:.2f}")
    if "LMN DOCX" not in results:
        return
    docx = results["LMN DOCX"]
    if args.baseline:
        base = docx[f"1 process, {args.baseline}"]
        gain = docx["1 process"].rate / base.rate
        print(f"LMN DOCX per process, this code ÷ {args.baseline}: {gain:.2f} (requests/s)")
        cpu_gain = cpu_ms_per_request(base) / cpu_ms_per_request(docx["1 process"])
        print(f"LMN DOCX server CPU per request, {args.baseline} ÷ this code: {cpu_gain:.2f}")
    print(f"ratio: {docx['2 processes'].rate / docx['1 process'].rate:.2f}")


if __name__ == "__main__":
    main()
