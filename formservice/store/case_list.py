"""The case list in the database: filtered, in due order, one page at a time, summaries only.

The order is `reimbursement.due.due_order_key` written as SQL (`store.models.due_order_sql`), and
the indexes of migration 0005 are built on the same expression, so a page is an index walk from
the start or from where the previous page stopped (keyset paging: the position is the last row's
(rank, due date, external_id, id), unique because the id is). Nothing reads the payload except,
for the staff page, the patient's name and the payer of the rows shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, literal_column, or_
from sqlalchemy.orm import Session

from formservice.model import Principal
from formservice.reimbursement.due import DUE_RANKS, NOTHING_DUE_RANK
from formservice.store.access import cases_for
from formservice.store.models import CaseRow, due_date_sql, due_rank_sql

__all__ = ["RANKS", "CaseSummary", "DuePosition", "list_case_summaries"]


@dataclass(frozen=True)
class DuePosition:
    """Where a case stands in the due order: `due_order_key` of the case."""

    rank: int
    due: date
    external_id: str
    id: str


@dataclass(frozen=True)
class CaseSummary:
    """A case as a list shows it (no payload)."""

    id: str
    external_id: str
    facility_npi: str
    pa_status: str
    next_due: date | None
    next_due_reason: str | None
    next_due_kind: str | None
    created_at: datetime
    position: DuePosition
    # With `names` only (the staff page): from the payload, for the rows of the page.
    patient_first_name: str | None = None
    patient_last_name: str | None = None
    payer_name: str | None = None
    coverage_status: str | None = None


# Every rank, first to last.
RANKS = tuple(sorted({*DUE_RANKS.values(), NOTHING_DUE_RANK}))

_SUMMARY = (
    CaseRow.id,
    CaseRow.external_id,
    CaseRow.facility_npi,
    CaseRow.pa_status,
    CaseRow.next_due,
    CaseRow.next_due_reason,
    CaseRow.next_due_kind,
    CaseRow.created_at,
)


def _names() -> tuple[Any, ...]:
    payload = CaseRow.payload
    return (
        payload[("patient", "first_name")].as_string().label("patient_first_name"),
        payload[("patient", "last_name")].as_string().label("patient_last_name"),
        payload[("coverage", "payer", "name")].as_string().label("payer_name"),
        payload[("coverage", "status")].as_string().label("coverage_status"),
    )


def list_case_summaries(
    session: Session,
    principal: Principal,
    *,
    due_before: date | None = None,
    after: DuePosition | None = None,
    limit: int = 100,
    names: bool = False,
) -> list[CaseSummary]:
    """Up to `limit` visible cases in due order, after `after`; with `due_before`, only those due
    on or before that day (appeal deadlines and follow-ups).

    The list is read as segments of the index, each a range scan already in order: the rest of
    the cursor's date ((external_id, id) after it), the rest of its rank (later dates), then
    each later rank. A page stops reading as soon as it is full, so no query ever touches more
    than the rows it returns (plus the one that tells there is more), however deep the page.
    """
    rank, due = due_rank_sql(), due_date_sql()
    columns = _SUMMARY + (rank.label("due_rank"), due.label("due_key"))
    if names:
        columns += _names()
    base = cases_for(principal).with_only_columns(*columns)
    if due_before is not None:
        base = base.where(CaseRow.next_due.is_not(None), due <= due_before)
    segments: list[Select[Any]] = []
    for r in RANKS:
        if due_before is not None and r == NOTHING_DUE_RANK:
            continue  # nothing due is never due before a day
        if after is not None and r < after.rank:
            continue
        in_rank = base.where(rank == literal_column(str(r), Integer))
        if after is not None and r == after.rank:
            # Equal leading keys are left out of ORDER BY: SQLite would sort rather than see
            # that an expression equal to a constant keeps the index order.
            same_id = and_(CaseRow.external_id == after.external_id, CaseRow.id > after.id)
            later = or_(CaseRow.external_id > after.external_id, same_id)
            segments.append(
                in_rank.where(due == after.due, later).order_by(CaseRow.external_id, CaseRow.id)
            )
            segments.append(
                in_rank.where(due > after.due).order_by(due, CaseRow.external_id, CaseRow.id)
            )
        else:
            segments.append(in_rank.order_by(due, CaseRow.external_id, CaseRow.id))
    found: list[CaseSummary] = []
    for segment in segments:
        rows = session.execute(segment.limit(limit - len(found)))
        found += [_summary(row, names) for row in rows]
        if len(found) >= limit:
            break
    return found


def _summary(row: Any, names: bool) -> CaseSummary:
    extra = (
        {
            "patient_first_name": row.patient_first_name,
            "patient_last_name": row.patient_last_name,
            "payer_name": row.payer_name,
            "coverage_status": row.coverage_status,
        }
        if names
        else {}
    )
    return CaseSummary(
        id=row.id,
        external_id=row.external_id,
        facility_npi=row.facility_npi,
        pa_status=row.pa_status,
        next_due=row.next_due,
        next_due_reason=row.next_due_reason,
        next_due_kind=row.next_due_kind,
        created_at=row.created_at,
        position=DuePosition(int(row.due_rank), _as_date(row.due_key), row.external_id, row.id),
        **extra,
    )


def _as_date(value: Any) -> date:
    # SQLite hands back the coalesced text when no row type applies; PostgreSQL a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
