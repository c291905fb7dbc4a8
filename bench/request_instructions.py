"""Benchmark: CPU instructions per LMN DOCX request, this code against an older revision.

Why instructions: this kind of machine is shared, and its speed changes by 20% within minutes
(`docs/bench-runs/`), so requests per second measured minutes apart, or even CPU seconds, cannot
show a 5% change. Valgrind's cachegrind counts the instructions a process executes; the count
moves by about 0.3% from run to run (``PYTHONHASHSEED=0``; 18.79 and 18.74 M for the same
code), loaded machine or not. What it does not see: cache misses, lock waits, and the kernel,
so the load bench (`http_load.py`, requests/s under gunicorn) stays the measure of throughput;
this is the steady measure of the work per request.

What is counted: the app in-process, called as a WSGI application with the bytes a hub sends
(``POST /api/v1/render/lmn?format=docx``, the sample case, a hub key): the key check, the schema,
the render, the audit row and its commit on SQLite, and the response iterated to its end. No
HTTP server. Each code runs twice under cachegrind, with ``--warm`` requests then 0 and then
``--requests`` more; the difference divided by ``--requests`` is its instructions per request
(startup, imports and the first renders cancel out). Before counting, each code's answer is
checked: a DOCX letter of medical necessity naming the sample patient.

    python bench/request_instructions.py [--baseline 52780aa] [--requests 100]

Needs valgrind (``apt-get install valgrind``; `make bench` installs it). Takes about 3 minutes
on 2 cores. The last line is ``ratio: X.XX`` = the baseline's instructions per request ÷ this
code's (target for issue 18: this code >= 1.5x the baseline per process).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import SERVICE_SETUP, baseline_code, header, loadavg  # noqa: E402

CASE = REPO / "samples" / "cases" / "01_breast_commercial_office.json"
PATH, QUERY = "/api/v1/render/lmn", "format=docx"


def serve_requests(code: Path, warm: int, count: int) -> None:
    """In this process (run under cachegrind): the app of `code`, `warm` then `count` requests.

    Prints ``checked: ...`` after the first answer is checked (SystemExit otherwise).
    """
    root = Path(tempfile.mkdtemp(prefix="formservice-instructions-"))
    os.environ.update(
        FORMSERVICE_ENV="production",
        FORMSERVICE_SECRET_KEY="i" * 64,
        FORMSERVICE_DATA_DIR=str(root),
    )
    for name in ("FORMSERVICE_DATABASE_URL", "FORMSERVICE_REDIS_URL"):
        os.environ.pop(name, None)
    # The setup runs in a child process: valgrind (without --trace-children) does not count it.
    setup = subprocess.run(
        [sys.executable, "-c", SERVICE_SETUP],
        env={**os.environ, "PYTHONPATH": str(code)},
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    )
    key = setup.stdout.strip().splitlines()[-1]
    sys.path.insert(0, str(code))
    import formservice

    if not Path(formservice.__file__).is_relative_to(code):
        raise SystemExit(f"imported {formservice.__file__}, not the code under {code}")
    app = formservice.create_app()
    body = CASE.read_bytes()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "QUERY_STRING": QUERY,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_AUTHORIZATION": f"Bearer {key}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    status: list[str] = []

    def start_response(line: str, _headers: object, _exc: object = None) -> None:
        status.append(line)

    def request() -> bytes:
        status.clear()
        answer = app({**environ, "wsgi.input": io.BytesIO(body)}, start_response)
        try:
            data = b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()
        if not status or not status[0].startswith("200"):
            raise SystemExit(f"{code}: answered {status[:1]}: {data[:300]!r}")
        return data

    print(f"checked: {letter_of(request())}", flush=True)
    for _ in range(warm + count - 1):
        request()


def letter_of(docx: bytes) -> str:
    """What is checked of an answer: a DOCX naming the sample patient and scalp cooling."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", xml).split())
    patient = json.loads(CASE.read_text())["patient"]
    for needed in (patient["last_name"], "scalp cooling"):
        if needed.lower() not in text.lower():
            raise SystemExit(f"the letter does not name {needed!r}")
    return f"a letter of medical necessity for the sample patient, {len(text.split())} words"


def count_instructions(code: Path, warm: int, count: int) -> tuple[int, str]:
    """Instructions cachegrind counts in a process serving `warm` + `count` requests."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--serve",
            str(code),
            "--warm",
            str(warm),
            "--requests",
            str(count),
        ],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{code}: the counted run failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    checked = next((line for line in done.stdout.splitlines() if line.startswith("checked: ")), "?")
    return int(found.group(1).replace(",", "")), checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="52780aa", help="the git revision to compare")
    parser.add_argument("--requests", type=int, default=100, help="requests counted per code")
    parser.add_argument("--warm", type=int, default=30, help="requests before the count")
    parser.add_argument("--serve", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_requests(Path(args.serve), args.warm, args.requests)
        return
    if args.requests < 1 or args.warm < 1:
        parser.error("--requests and --warm must be at least 1")
    if shutil.which("valgrind") is None:
        sys.stderr.write("error: valgrind is not installed (apt-get install valgrind)\n")
        raise SystemExit(2)
    header("Instructions per LMN DOCX request, in-process (valgrind cachegrind)")
    with tempfile.TemporaryDirectory() as root:
        codes = {"this code": REPO, args.baseline: baseline_code(args.baseline, Path(root))}
        runs = [(name, code, n) for name, code in codes.items() for n in (0, args.requests)]
        with ThreadPoolExecutor(max_workers=max(1, min(len(runs), os.cpu_count() or 1))) as pool:
            counted = list(pool.map(lambda r: count_instructions(r[1], args.warm, r[2]), runs))
    per_request = {}
    for name in codes:
        (base, checked), (total, _) = (
            c for (n, _, _), c in zip(runs, counted, strict=True) if n == name
        )
        per_request[name] = (total - base) / args.requests
        print(
            f"  {name:12s} {per_request[name] / 1e6:7.2f} M instructions per request  ({checked})"
        )
    print(f"load average at end: {loadavg()} (not in the count: instructions do not depend on it)")
    print(f"ratio: {per_request[args.baseline] / per_request['this code']:.2f}")


if __name__ == "__main__":
    main()
