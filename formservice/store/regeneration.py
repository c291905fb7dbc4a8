"""Regeneration runs and items in the database: what is stale, what is pending, what happened.

The use case (`formservice.usecases.regeneration`) renders; this module reads and writes the rows.
A document may be superseded only once per template version (a unique constraint on the document
table), so whatever races or crashes, each document is regenerated exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from formservice.errors import NotFoundError
from formservice.store.db import reading, transaction
from formservice.store.models import (
    CaseRow,
    DocumentRow,
    RegenerationItem,
    RegenerationRun,
    TemplateVersionRow,
)

__all__ = [
    "CHUNK_SIZE",
    "TERMINAL",
    "RunSummary",
    "active_version",
    "add_items",
    "create_run",
    "ItemOutcome",
    "finish_if_complete",
    "pending_chunks",
    "record_outcomes",
    "remove_unstarted_run",
    "stale_count_and_list",
    "stale_documents",
    "summarize",
]

TERMINAL = ("done", "unchanged", "failed")
CHUNK_SIZE = 25  # items per queued task: amortises queue and transaction overhead


@dataclass
class RunSummary:
    """Where a run stands: counts, failures with reasons, and time taken."""

    id: str
    template: str
    template_version: int
    status: str
    total: int
    done: int = 0
    unchanged: int = 0
    failed: int = 0
    pending: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    created_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """The run has ended (`succeeded` or `failed`): nothing is pending any more."""
        return self.status in ("succeeded", "failed")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template": self.template,
            "template_version": self.template_version,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "pending": self.pending,
            "failures": self.failures,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def active_version(session: Session, name: str) -> TemplateVersionRow:
    """The active version row of a template; 404 for an unknown name."""
    row = session.scalars(
        select(TemplateVersionRow).where(
            TemplateVersionRow.name == name, TemplateVersionRow.active.is_(True)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no template named {name!r}")
    return row


def stale_documents(session: Session, name: str, sha256: str) -> Any:
    """Select the latest versions of documents of `name` made from another template version."""
    newer = aliased(DocumentRow)
    return (
        select(DocumentRow.id, DocumentRow.kind, DocumentRow.template_version, CaseRow.external_id)
        .join(CaseRow, CaseRow.id == DocumentRow.case_id)
        .outerjoin(newer, newer.supersedes_id == DocumentRow.id)
        .where(
            DocumentRow.template_name == name,
            DocumentRow.template_sha256 != sha256,
            newer.id.is_(None),
        )
        .order_by(DocumentRow.created_at, DocumentRow.id)
    )


def stale_count_and_list(
    session: Session, name: str, sha256: str, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many documents a run would regenerate, and the first `limit` of them."""
    query = stale_documents(session, name, sha256)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    listed = [
        {
            "document_id": r.id,
            "kind": r.kind,
            "template_version": r.template_version,
            "case": r.external_id,
        }
        for r in session.execute(query.limit(limit))
    ]
    return count, listed


def create_run(
    sessions: sessionmaker[Session], name: str, *, created_by: str | None
) -> tuple[str, str]:
    """A new run for the active version of `name` that takes over items left pending; (id, sha)."""
    with transaction(sessions) as session:
        active = active_version(session, name)
        run = RegenerationRun(
            template_name=name,
            template_version=active.version,
            template_sha256=active.sha256,
            created_by=created_by,
        )
        session.add(run)
        session.flush()
        run_id, sha = run.id, active.sha256
        session.execute(
            update(RegenerationItem)
            .where(RegenerationItem.template_sha256 == sha, RegenerationItem.status == "pending")
            .values(run_id=run_id)
        )
    return run_id, sha


def count_items(sessions: sessionmaker[Session], run_id: str) -> None:
    """Record the run's total; a run with nothing to do is finished at once."""
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).where(RegenerationItem.run_id == run_id))
        stored = session.get(RegenerationRun, run_id)
        assert stored is not None  # noqa: S101  # created by create_run
        stored.total = total or 0
        if not total:
            stored.status = "succeeded"
            stored.finished_at = datetime.now(UTC)


def add_items(
    sessions: sessionmaker[Session], run_id: str, name: str, sha: str, batch: int = 500
) -> None:
    """Add an item for every stale document not yet queued for this template version."""
    # Stream the stale documents in batches: never hold every document in memory.
    last: tuple[Any, str] | None = None
    while True:
        with transaction(sessions) as session:
            query = stale_documents(session, name, sha).with_only_columns(
                DocumentRow.id, DocumentRow.created_at
            )
            if last is not None:
                query = query.where(
                    (DocumentRow.created_at > last[0])
                    | and_(DocumentRow.created_at == last[0], DocumentRow.id > last[1])
                )
            rows = session.execute(query.limit(batch)).all()
            if not rows:
                return
            ids = [r.id for r in rows]
            have = set(
                session.scalars(
                    select(RegenerationItem.document_id).where(
                        RegenerationItem.template_sha256 == sha,
                        RegenerationItem.document_id.in_(ids),
                    )
                )
            )
            session.add_all(
                RegenerationItem(run_id=run_id, document_id=i, template_sha256=sha)
                for i in ids
                if i not in have
            )
            last = (rows[-1].created_at, rows[-1].id)


def pending_chunks(
    sessions: sessionmaker[Session], run_id: str, size: int = CHUNK_SIZE
) -> Iterator[list[str]]:
    """The run's unfinished item ids, in chunks, for the queue."""
    with reading(sessions) as session:
        chunk: list[str] = []
        for item_id in session.scalars(
            select(RegenerationItem.id)
            .where(RegenerationItem.run_id == run_id, RegenerationItem.status == "pending")
            .order_by(RegenerationItem.id)
            .execution_options(yield_per=1000)
        ):
            chunk.append(item_id)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def remove_unstarted_run(sessions: sessionmaker[Session], run_id: str) -> None:
    """Delete a run none of whose items was ever claimed, with its items (nothing was queued).

    Items it took over from an earlier run go too: a later run adds them again (`add_items`).
    """
    with transaction(sessions) as session:
        started = session.scalar(
            select(func.count()).where(
                RegenerationItem.run_id == run_id,
                (RegenerationItem.status != "pending") | RegenerationItem.leased_until.is_not(None),
            )
        )
        if started:
            return
        session.execute(delete(RegenerationItem).where(RegenerationItem.run_id == run_id))
        session.execute(delete(RegenerationRun).where(RegenerationRun.id == run_id))


def finish_if_complete(sessions: sessionmaker[Session], run_id: str) -> bool:
    """End the run once no item is pending; True when this call ended it.

    A run ends `succeeded` when every item is done or unchanged, `failed` when one or more
    failed (the summary lists them with their reasons).
    """
    pending = exists().where(
        RegenerationItem.run_id == run_id, RegenerationItem.status == "pending"
    )
    with reading(sessions) as session:
        # Every chunk asks; only the last finds nothing pending (an index lookup, no counting).
        if session.scalar(select(pending)):
            return False
    with transaction(sessions) as session:
        counts = dict(
            session.execute(
                select(RegenerationItem.status, func.count())
                .where(RegenerationItem.run_id == run_id)
                .group_by(RegenerationItem.status)
            ).all()
        )
        run = session.get(RegenerationRun, run_id)
        if run is not None and not counts.get("pending") and run.status == "running":
            run.status = "failed" if counts.get("failed") else "succeeded"
            run.finished_at = datetime.now(UTC)
            return True
    return False


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one item: its new status, the reason it failed, the new document's row."""

    item_id: str
    status: str  # done | unchanged | failed
    error: str | None = None
    document: dict[str, Any] | None = None  # `store.documents.document_values`, when done


def record_outcomes(session: Session, outcomes: Sequence[ItemOutcome]) -> None:
    """Write the outcomes of a chunk's items that are still pending, and clear their leases.

    Items already finished (by another worker) are left alone. The new document rows go in as
    one INSERT batch and the items change in one UPDATE batch per kind of outcome, without the
    ORM's unit of work: a worker's time goes to rendering. IntegrityError when a document was
    superseded onto this template version already (the caller settles those items one by one).
    """
    if not outcomes:
        return
    pending = set(
        session.scalars(
            select(RegenerationItem.id).where(
                RegenerationItem.id.in_([o.item_id for o in outcomes]),
                RegenerationItem.status == "pending",
            )
        )
    )
    live = [o for o in outcomes if o.item_id in pending]
    if not live:
        return
    documents = [o.document for o in live if o.status == "done" and o.document is not None]
    if documents:
        session.execute(insert(cast(Table, DocumentRow.__table__)), documents)
    items = cast(Table, RegenerationItem.__table__)
    now = datetime.now(UTC)
    done = [
        {"item_id": o.item_id, "new_id": (o.document or {}).get("id")}
        for o in live
        if o.status == "done"
    ]
    other = [
        {"item_id": o.item_id, "new_status": o.status, "reason": o.error}
        for o in live
        if o.status != "done"
    ]
    where = (items.c.id == bindparam("item_id"), items.c.status == "pending")
    cleared = {"lease_owner": None, "leased_until": None, "updated_at": now}
    if done:
        session.execute(
            update(items)
            .where(*where)
            .values(status="done", new_document_id=bindparam("new_id"), **cleared),
            done,
        )
    if other:
        session.execute(
            update(items)
            .where(*where)
            .values(status=bindparam("new_status"), error=bindparam("reason"), **cleared),
            other,
        )


def summarize(
    sessions: sessionmaker[Session], run_id: str, *, max_failures: int = 100
) -> RunSummary:
    """Counts, failures and elapsed time of a run."""
    with reading(sessions) as session:
        run = session.get(RegenerationRun, run_id)
        if run is None:
            raise NotFoundError(f"no regeneration run {run_id}")
        counts = dict(
            session.execute(
                select(RegenerationItem.status, func.count())
                .where(RegenerationItem.run_id == run_id)
                .group_by(RegenerationItem.status)
            ).all()
        )
        failures = [
            {"document_id": doc_id, "error": error or ""}
            for doc_id, error in session.execute(
                select(RegenerationItem.document_id, RegenerationItem.error)
                .where(RegenerationItem.run_id == run_id, RegenerationItem.status == "failed")
                .limit(max_failures)
            )
        ]
        end = run.finished_at or datetime.now(UTC)
        start = run.created_at
        if start.tzinfo is None:  # SQLite hands back naive datetimes
            start = start.replace(tzinfo=UTC)
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return RunSummary(
            id=run.id,
            template=run.template_name,
            template_version=run.template_version,
            status=run.status,
            total=run.total,
            done=counts.get("done", 0),
            unchanged=counts.get("unchanged", 0),
            failed=counts.get("failed", 0),
            pending=counts.get("pending", 0),
            failures=failures,
            elapsed_seconds=(end - start).total_seconds(),
            created_at=run.created_at,
        )
