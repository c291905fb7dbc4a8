"""Benchmark: the case list, the due list and the staff page at 10,000 and 100,000 cases.

Seeds cases in bulk (one INSERT batch per 5,000 rows: the benchmark measures reading), 12.5%
with an appeal deadline, 20% with a follow-up, the rest with nothing due. At each size a fresh
child process (so its peak memory is the list's own) times, through the Flask app with a real
API key and staff login (auth, audit and JSON included):

* ``GET /api/v1/cases`` (first page of 100), the same after a cursor deep in the list, and
  ``GET /api/v1/cases?due_before=`` (the due list);
* ``GET /cases`` (the staff page, 50 per page);

and the list and due list use case alone (no HTTP), and prints p50/p95 and CPU per call for
each (CPU is steadier than the wall clock on a shared machine) and the child's peak RSS.
Up to ``--old-max`` cases it also runs the previous code path (every visible row loaded with its
payload, sorted in Python, cut to the limit) interleaved with the new one, after checking both
give the same page; the last line is ``ratio: X.XX`` = new ÷ old list throughput at the largest
size compared.

    python bench/cases_list.py [--sizes 10000,100000] [--postgres] [--seconds 2]
Target: p95 under 50 ms at 100,000 cases, with flat memory.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from _harness import header, interleaved, loadavg, peak_rss_mb  # noqa: E402

from formservice import create_app  # noqa: E402
from formservice.model import Principal  # noqa: E402
from formservice.reimbursement.due import APPEAL, FOLLOW_UP, due_order_key  # noqa: E402
from formservice.settings import Settings  # noqa: E402
from formservice.store import access  # noqa: E402
from formservice.store.db import transaction, upgrade_database  # noqa: E402
from formservice.store.models import CaseRow  # noqa: E402
from formservice.usecases import build_services  # noqa: E402
from formservice.usecases.accounts import create_user  # noqa: E402
from formservice.usecases.cases import list_cases  # noqa: E402
from formservice.usecases.keys import create_api_key  # noqa: E402

TODAY = date(2026, 11, 29)
DUE_BEFORE = TODAY + timedelta(days=14)
HUB = Principal("key", "bench", "bench", "hub", None)
PASSWORD = "bench password not secret"  # noqa: S105
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _seed(url: str, start: int, stop: int) -> None:
    """Cases start..stop-1 in bulk, with a realistic payload each."""
    base = json.loads((REPO / "samples" / "cases" / "01_breast_commercial_office.json").read_text())
    rng = random.Random(start)  # noqa: S311  # test data
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for i in range(start, stop):
            roll = rng.random()
            kind = APPEAL if roll < 0.125 else FOLLOW_UP if roll < 0.325 else None
            due = TODAY + timedelta(days=rng.randrange(-30, 120)) if kind else None
            payload = copy.copy(base)
            payload["external_id"] = f"BENCH-{i:07d}"
            payload["patient"] = {**base["patient"], "last_name": f"Benchcase{i}"}
            batch.append(
                {
                    "id": uuid.uuid4().hex,
                    "external_id": payload["external_id"],
                    "facility_npi": base["facility"]["npi"],
                    "payload": payload,
                    "payload_sha256": f"{i:064x}",
                    "pa_status": "denied" if kind == APPEAL else "submitted" if kind else "draft",
                    "next_due": due,
                    "next_due_reason": "bench" if kind else None,
                    "next_due_kind": kind,
                }
            )
            if len(batch) == 5000 or i == stop - 1:
                conn.execute(sa.insert(CaseRow), batch)
                batch = []
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE cases"))
    engine.dispose()


def old_list_cases(services: Any, due_before: date | None, limit: int) -> list[str]:
    """The list as it was: every visible row with its payload, sorted in Python, cut."""
    query = access.cases_for(HUB)
    if due_before is not None:
        query = query.where(CaseRow.next_due.is_not(None), CaseRow.next_due <= due_before)
    with services.sessions() as session:
        rows = list(session.scalars(query))
    rows.sort(key=lambda r: due_order_key(r.next_due_kind, r.next_due, r.external_id))
    return [r.id for r in rows[:limit]]


def new_list_cases(services: Any, due_before: date | None, limit: int) -> list[str]:
    return [s.id for s in list_cases(services, HUB, due_before=due_before, limit=limit).items]


def measure(url: str, data_dir: str, seconds: float, compare_old: bool) -> dict[str, Any]:
    """In a fresh process: time the new list through the app, then old vs new interleaved."""
    settings = Settings(env="test", secret_key="b" * 32, data_dir=Path(data_dir), database_url=url)
    services = build_services(settings)
    try:
        with transaction(services.sessions) as session:
            _, key = create_api_key(session, name=f"bench-{uuid.uuid4().hex[:6]}", role="hub")
            email = f"bench-{uuid.uuid4().hex[:8]}@hub.example"
            create_user(session, email=email, role="hub_staff", password=PASSWORD)
        app = create_app(settings, services=services)
        api, staff = app.test_client(), app.test_client()
        auth = {"Authorization": f"Bearer {key}"}
        staff.get("/login")
        with staff.session_transaction() as cookie:
            token = cookie["csrf"]
        staff.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        first = api.get("/api/v1/cases?limit=100", headers=auth)
        assert first.status_code == 200, first.text
        # A cursor deep in the list: walk 30 pages of 500 first.
        url_next, deep = "/api/v1/cases?limit=500", ""
        for _ in range(30):
            page = api.get(url_next, headers=auth)
            link = page.headers.get("Link")
            if not link:
                break
            deep = link.split(";")[0].strip("<>").split("localhost", 1)[1]
            url_next = deep
        deep = deep.replace("limit=500", "limit=100")

        def get(client: Any, path: str, headers: dict[str, str] | None = None) -> Any:
            def call() -> None:
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.status_code

            return call

        new = interleaved(
            {
                "API list (first 100)": get(api, "/api/v1/cases?limit=100", auth),
                "API list (deep cursor)": get(api, deep, auth),
                "API due list (due_before)": get(
                    api, f"/api/v1/cases?due_before={DUE_BEFORE.isoformat()}&limit=100", auth
                ),
                "staff page /cases": get(staff, "/cases"),
                "list_cases (use case only)": lambda: new_list_cases(services, None, 100),
                "due list (use case only)": lambda: new_list_cases(services, DUE_BEFORE, 100),
            },
            seconds=seconds,
        )
        result: dict[str, Any] = {
            "new": {
                name: {
                    "p50": t.p(50),
                    "p95": t.p(95),
                    "rate": t.rate,
                    "calls": t.calls,
                    "cpu": t.cpu_per_call,
                }
                for name, t in new.items()
            },
            "peak_rss_mb": peak_rss_mb(),
            "loadavg": loadavg(),
        }
        if compare_old:
            for due_before in (None, DUE_BEFORE):
                old, ours = (
                    old_list_cases(services, due_before, 100),
                    new_list_cases(services, due_before, 100),
                )
                if old != ours:
                    raise SystemExit(f"old and new lists differ (due_before={due_before})")
            both = interleaved(
                {
                    "old list (load all, sort)": lambda: old_list_cases(services, None, 100),
                    "new list (SQL, page)": lambda: new_list_cases(services, None, 100),
                    "old due list": lambda: old_list_cases(services, DUE_BEFORE, 100),
                    "new due list": lambda: new_list_cases(services, DUE_BEFORE, 100),
                },
                seconds=seconds,
                rounds=3,
            )
            result["compare"] = {
                name: {"p50": t.p(50), "p95": t.p(95), "rate": t.rate, "calls": t.calls}
                for name, t in both.items()
            }
        return result
    finally:
        services.close()


def _database(postgres: bool, tmp: str) -> tuple[str, Any]:
    if not postgres:
        return f"sqlite:///{tmp}/formservice.sqlite3", None
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_cases_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL on 127.0.0.1:5432")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per variant")
    parser.add_argument("--old-max", type=int, default=10000, help="largest size to run old on")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--compare-old", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.seconds, args.compare_old), default=str))
        return
    header(f"case list benchmark ({'PostgreSQL' if args.postgres else 'SQLite'})")
    sizes = [int(s) for s in args.sizes.split(",")]
    ratio = None
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        url, drop = _database(args.postgres, tmp)
        try:
            upgrade_database(url)
            seeded = 0
            for size in sizes:
                _seed(url, seeded, size)
                seeded = size
                command = [sys.executable, __file__, "--measure", url, tmp]
                command += ["--seconds", str(args.seconds)]
                if size <= args.old_max:
                    command.append("--compare-old")
                env = {**os.environ, "FORMSERVICE_ENV": "test"}
                out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"\n{size:,} cases (load average {result['loadavg']}):")
                for name, r in result["new"].items():
                    print(
                        f"  {name:<28} p50 {r['p50'] * 1000:7.2f} ms  p95 {r['p95'] * 1000:7.2f} ms"
                        f"  CPU {r['cpu'] * 1000:6.2f} ms/call  ({r['calls']} calls)"
                    )
                print(f"  peak RSS of the measuring process: {result['peak_rss_mb']:.0f} MB")
                if "compare" in result:
                    c = result["compare"]
                    for name, r in c.items():
                        print(
                            f"  {name:<28} p50 {r['p50'] * 1000:7.2f} ms  "
                            f"p95 {r['p95'] * 1000:7.2f} ms  ({r['calls']} calls, use case only)"
                        )
                    ratio = (
                        c["new list (SQL, page)"]["rate"] / c["old list (load all, sort)"]["rate"]
                    )
                    due = c["new due list"]["rate"] / c["old due list"]["rate"]
                    print(f"  new ÷ old: list {ratio:.1f}x, due list {due:.1f}x")
        finally:
            if drop is not None:
                drop()
    print(f"load average at end: {loadavg()}")
    if ratio is not None:
        print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
