"""The case list in the database: due order, keyset pages, due_before, facility walls, indexes.

2,000 cases, most with nothing due, on SQLite and on PostgreSQL: every page is in
`reimbursement.due.due_order_key` order, the appeal deadlines all come first, and walking the
pages by their cursors returns every case exactly once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, text

from formservice import create_app
from formservice.errors import ValidationProblem
from formservice.model import Principal
from formservice.reimbursement.due import APPEAL, FOLLOW_UP
from formservice.settings import Settings
from formservice.store.case_list import list_case_summaries
from formservice.store.models import CaseRow
from formservice.usecases import Services, build_services
from formservice.usecases.cases import list_cases
from tests.conftest import make_key
from tests.helpers.case_list import FACILITY_A, FACILITY_B, START, N, expected, seed_cases

HUB = Principal("key", "k", "hub", "hub", None)


@pytest.fixture
def seeded(storage_settings: Settings) -> Iterator[tuple[Services, list[dict[str, Any]]]]:
    services = build_services(storage_settings)
    try:
        yield services, seed_cases(services)
    finally:
        services.close()


def walk(services: Services, principal: Principal, limit: int, **filters: Any) -> list[str]:
    """Every page of the list by its cursors; the external ids in the order served."""
    seen: list[str] = []
    cursor = None
    for _ in range(N):  # more pages than cases would mean the cursor does not advance
        page = list_cases(services, principal, limit=limit, cursor=cursor, **filters)
        seen += [s.external_id for s in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the pages never end")


def test_pages_walk_every_case_once_in_due_order(
    seeded: tuple[Services, list[dict[str, Any]]],
) -> None:
    services, rows = seeded
    served = walk(services, HUB, limit=97)
    assert served == expected(rows)
    assert len(set(served)) == N
    appeals = {r["external_id"] for r in rows if r["next_due_kind"] == APPEAL}
    assert set(served[: len(appeals)]) == appeals  # every appeal deadline before anything else
    first = list_cases(services, HUB, limit=100).items
    assert [s.next_due_kind for s in first] == [APPEAL] * 100


def test_the_same_external_id_in_two_facilities_is_served_once_each(
    storage_settings: Settings,
) -> None:
    """External ids are unique per facility only: the hub's pages still list every case once."""
    services = build_services(storage_settings)
    try:
        rows = [
            {
                "id": f"{i:032x}",
                "external_id": f"SHARED-{i // 2:03d}",  # each id in both facilities
                "facility_npi": FACILITY_A if i % 2 else FACILITY_B,
                "payload": {},
                "payload_sha256": f"{i:064d}",
                "pa_status": "submitted",
                "next_due": START,
                "next_due_reason": "follow-up",
                "next_due_kind": FOLLOW_UP,
            }
            for i in range(40)
        ]
        with services.engine.begin() as conn:
            conn.execute(insert(CaseRow), rows)
        seen: list[str] = []
        cursor = None
        while True:
            page = list_cases(services, HUB, limit=3, cursor=cursor)
            seen += [s.id for s in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(r["id"] for r in rows)
        assert len(set(seen)) == len(rows)
    finally:
        services.close()


def test_due_before_boundaries_across_pages(
    seeded: tuple[Services, list[dict[str, Any]]],
) -> None:
    services, rows = seeded
    day = START + timedelta(days=20)
    on_the_day = {r["external_id"] for r in rows if r["next_due"] == day}
    assert on_the_day
    through = walk(services, HUB, limit=33, due_before=day)
    assert through == expected(rows, due_before=day)
    assert on_the_day <= set(through)  # due on that day counts
    before = walk(services, HUB, limit=33, due_before=day - timedelta(days=1))
    assert before == expected(rows, due_before=day - timedelta(days=1))
    assert not on_the_day & set(before)
    assert walk(services, HUB, limit=50, due_before=START - timedelta(days=1)) == []


def test_a_clinic_pages_through_its_own_cases_only(
    seeded: tuple[Services, list[dict[str, Any]]],
) -> None:
    services, rows = seeded
    clinic = Principal("key", "c", "clinic", "clinic", FACILITY_B)
    assert walk(services, clinic, limit=41) == expected(rows, facility=FACILITY_B)
    due = START + timedelta(days=30)
    assert walk(services, clinic, limit=7, due_before=due) == expected(
        rows, facility=FACILITY_B, due_before=due
    )


def test_a_cursor_that_is_not_ours_is_refused(
    seeded: tuple[Services, list[dict[str, Any]]],
) -> None:
    services, _ = seeded
    forged = [
        [9, "2026-01-01", "X"],  # no such rank
        [True, "2026-01-01", "X"],
        [0, "2026-13-01", "X"],
        [0, "2026-01-01", "X" * 81],
        [0, "2026-01-01", "nul\x00byte"],
    ]
    as_cursors = [
        base64.urlsafe_b64encode(json.dumps(f).encode()).decode().rstrip("=") for f in forged
    ]
    for bad in ("nope", "W10", "WzEsIjIwMjYtMDEtMDEiXQ", "!!!", *as_cursors):
        with pytest.raises(ValidationProblem):
            list_cases(services, HUB, cursor=bad)


def test_the_list_walks_the_due_order_index(
    seeded: tuple[Services, list[dict[str, Any]]],
) -> None:
    """Every query of a page is a range of a due-order index, in its order: nothing is sorted
    and no page reads the cases before it, on either database."""
    services, _ = seeded
    clinic = Principal("key", "c", "clinic", "clinic", FACILITY_B)
    with services.sessions() as session:
        listed = list_case_summaries(session, HUB, limit=1600)
        early, deep = listed[50].position, listed[-1].position  # an appeal; nothing due
        variants = [
            ("ix_cases_due_order", HUB, {}),
            ("ix_cases_due_order", HUB, {"after": early}),
            ("ix_cases_due_order", HUB, {"after": deep}),
            ("ix_cases_due_order", HUB, {"due_before": START + timedelta(days=10)}),
            ("ix_cases_due_order", HUB, {"due_before": START + timedelta(days=10), "after": early}),
            ("ix_cases_facility_due_order", clinic, {}),
            ("ix_cases_facility_due_order", clinic, {"after": deep}),
        ]
        dialect = services.engine.dialect.name
        if dialect == "postgresql":
            session.execute(text("ANALYZE cases"))
            session.execute(text("SET enable_seqscan = off"))
            session.execute(text("SET enable_sort = off"))
        for index, who, variant in variants:
            plans = _plans(session, who, variant, dialect)
            assert plans
            for plan in plans:
                assert index in plan, plan
                for sign_of_a_sort_or_a_full_walk in ("TEMP B-TREE", "Sort", "SCAN"):
                    assert sign_of_a_sort_or_a_full_walk not in plan, plan


def _plans(session: Any, who: Principal, variant: dict[str, Any], dialect: str) -> list[str]:
    """The plan of every query one page runs (each query answered as if empty, so all run)."""
    statements: list[Any] = []
    real = session.execute

    def capture(statement: Any, *_: Any, **__: Any) -> Any:
        statements.append(statement)
        return []

    session.execute = capture
    try:
        list_case_summaries(session, who, limit=100, **variant)
    finally:
        session.execute = real
    explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    plans = []
    for statement in statements:
        compiled = statement.compile(
            dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
        )
        rows = session.execute(text(explain + str(compiled))).all()
        plans.append("\n".join(" ".join(str(c) for c in row) for row in rows))
    return plans


def test_the_api_pages_by_link_headers(storage_settings: Settings) -> None:
    """GET /api/v1/cases keeps its list shape; `Link: <...>; rel="next"` leads to every page."""
    services = build_services(storage_settings)
    try:
        rows = seed_cases(services)
        client: FlaskClient = create_app(storage_settings, services=services).test_client()
        auth = {"Authorization": f"Bearer {make_key(services)}"}
        day = START + timedelta(days=45)
        for query, want in (
            ("?limit=250", expected(rows)),
            (f"?limit=40&due_before={day.isoformat()}", expected(rows, due_before=day)),
        ):
            served, url = [], f"/api/v1/cases{query}"
            while url:
                response = client.get(url, headers=auth)
                assert response.status_code == 200, response.json
                assert isinstance(response.json, list)
                served += [c["external_id"] for c in response.json]
                assert set(response.json[0]) == {
                    "id",
                    "external_id",
                    "facility_npi",
                    "pa_status",
                    "next_due",
                    "next_due_reason",
                    "created_at",
                }
                link = response.headers.get("Link")
                url = link.split(";")[0].strip("<>").split("localhost", 1)[1] if link else ""
            assert served == want
        bad = client.get("/api/v1/cases?cursor=garbage", headers=auth)
        assert bad.status_code == 422
        assert "cursor" in bad.json["errors"]
    finally:
        services.close()
