"""Many cases written straight into the database, and the due order they must come back in."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from formservice.reimbursement.due import APPEAL, FOLLOW_UP, due_order_key
from formservice.store.models import CaseRow
from formservice.usecases import Services

N = 2000
FACILITY_A = "1003000126"
FACILITY_B = "1234567893"
START = date(2026, 3, 1)


def seed_cases(services: Services, n: int = N, seed: int = 18) -> list[dict[str, Any]]:
    """`n` cases in bulk: ~6% appeal deadlines, ~14% follow-ups, the rest with nothing due.

    Dates fall in a 60-day window so many cases share a date (the external_id decides).
    """
    rng = random.Random(seed)  # noqa: S311  # test data, not secrets
    rows = []
    for i in range(n):
        roll = rng.random()
        kind = APPEAL if roll < 0.06 else FOLLOW_UP if roll < 0.20 else None
        due = START + timedelta(days=rng.randrange(60)) if kind else None
        external_id = f"LIST-{rng.randrange(10**6):06d}-{i:05d}"
        rows.append(
            {
                "id": f"{rng.getrandbits(128):032x}",
                "external_id": external_id,
                "facility_npi": FACILITY_B if i % 10 == 0 else FACILITY_A,
                "payload": {"patient": {"first_name": "Case", "last_name": f"N{i}"}},
                "payload_sha256": f"{i:064d}",
                "pa_status": "denied" if kind == APPEAL else "submitted" if kind else "draft",
                "next_due": due,
                "next_due_reason": f"{kind} reason" if kind else None,
                "next_due_kind": kind,
            }
        )
    with services.engine.begin() as conn:
        conn.execute(insert(CaseRow), rows)
    return rows


def expected(rows: list[dict[str, Any]], **where: Any) -> list[str]:
    """External ids in due order, filtered as the list filters."""
    before = where.get("due_before")
    facility = where.get("facility")
    chosen = [
        r
        for r in rows
        if (facility is None or r["facility_npi"] == facility)
        and (before is None or (r["next_due"] is not None and r["next_due"] <= before))
    ]
    chosen.sort(
        key=lambda r: due_order_key(r["next_due_kind"], r["next_due"], r["external_id"], r["id"])
    )
    return [r["external_id"] for r in chosen]
