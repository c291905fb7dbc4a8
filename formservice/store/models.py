"""The tables. Rows hold metadata and hashes; generated files live in the blob store."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from formservice.reimbursement.due import DUE_RANKS, NO_DUE_DATE, NOTHING_DUE_RANK


def new_id() -> str:
    """A random, non-guessable row id (ids appear in URLs and must not be enumerable)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UtcDateTime(),
    }


class ApiKey(Base):
    """An API key, stored as the SHA-256 of its secret; the key itself is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    facility_npi: Mapped[str | None] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class CaseRow(Base):
    """A validated case payload, keyed for idempotency by its facility and the portal's
    external_id (unique within a facility only: another facility's ids are none of its business).
    """

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str] = mapped_column(String(80))
    facility_npi: Mapped[str] = mapped_column(String(10), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    pa_status: Mapped[str] = mapped_column(String(30), default="not_submitted")
    # [{"status", "on" (ISO date), "note"}...]: every PA step with its date, oldest first.
    pa_history: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    # The benefits-investigation result (schemas.benefits), once the hub has called the payer.
    benefits: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The next date someone must act (PA follow-up or appeal deadline), for the due list.
    next_due: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    next_due_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    # "appeal" | "follow_up" (reimbursement.due): the due list shows appeal deadlines first.
    next_due_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("facility_npi", "external_id", name="uq_cases_facility_external_id"),
    )


def due_rank_sql() -> ColumnElement[int]:
    """`reimbursement.due.due_rank` as SQL: 0 for an appeal deadline, 1 for a follow-up, else 2.

    Constants are written inline (not bound), so the expression is the very one the due-order
    indexes were built on, and the database can walk an index instead of sorting.
    """
    whens = [
        (CaseRow.next_due_kind == literal_column(f"'{kind}'"), literal_column(str(rank), Integer))
        for kind, rank in DUE_RANKS.items()
    ]
    return case(*whens, else_=literal_column(str(NOTHING_DUE_RANK), Integer))


def due_date_sql() -> ColumnElement[date]:
    """The due date as the due list orders it: none sorts after every date."""
    return func.coalesce(CaseRow.next_due, literal_column(f"'{NO_DUE_DATE.isoformat()}'", Date))


def due_order_sql() -> tuple[ColumnElement[Any], ColumnElement[Any], Any, Any]:
    """`reimbursement.due.due_order_key` as SQL: (rank, due date, external_id, id)."""
    return (due_rank_sql(), due_date_sql(), CaseRow.external_id, CaseRow.id)


# The due list, read in order and paged by keyset (migrations 0005, 0006): every visible case,
# and a clinic's own cases.
Index("ix_cases_due_order", *due_order_sql())
Index("ix_cases_facility_due_order", CaseRow.facility_npi, *due_order_sql())


class DocumentRow(Base):
    """One generated file version: what made it (template, inputs) and where its bytes are."""

    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(10))
    form: Mapped[str | None] = mapped_column(String(60))
    template_name: Mapped[str] = mapped_column(String(120))
    template_sha256: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer, default=1)
    input_sha256: Mapped[str] = mapped_column(String(64))
    blob_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_documents_template", "template_name", "template_sha256"),
        # Which rows name a blob (the orphan sweep, undoing a write): migration 0008.
        Index("ix_documents_blob_sha256", "blob_sha256"),
        # A document is superseded at most once per template version: regeneration is exactly-once.
        UniqueConstraint("supersedes_id", "template_sha256", name="uq_documents_supersedes"),
    )


class DenialRow(Base):
    """A denial letter: its source file's blob, the parsed facts, and processing status."""

    __tablename__ = "denials"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    facility_npi: Mapped[str | None] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(20), default="done")  # processing | done | failed
    source_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    appeal_deadline: Mapped[date | None] = mapped_column(Date, default=None)
    # The letter checked against its case (model.Reconciliation.stored_json), once attached.
    reconciliation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # A background read is leased by the worker doing it (migration 0008): past `leased_until`
    # the worker is taken for dead and the reaper queues the letter again, up to a number of
    # attempts (claims), then marks it failed.
    lease_owner: Mapped[str | None] = mapped_column(String(32), default=None)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_denials_status_leased", "status", "leased_until"),
        Index("ix_denials_source_sha256", "source_sha256"),
    )


class TemplateVersionRow(Base):
    """An immutable, content-hashed version of a letter template; one per name is active."""

    __tablename__ = "template_versions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(20), default="shipped")  # shipped | published
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_template_name_version"),
        UniqueConstraint("name", "sha256", name="uq_template_name_sha"),
    )


class RegenerationRun(Base):
    """A batch re-render of every document of a template onto its active version."""

    __tablename__ = "regeneration_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    template_name: Mapped[str] = mapped_column(String(120), index=True)
    template_version: Mapped[int] = mapped_column(Integer)
    template_sha256: Mapped[str] = mapped_column(String(64))
    # running | succeeded (every item done or unchanged) | failed (one item or more failed)
    status: Mapped[str] = mapped_column(String(20), default="running")
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class RegenerationItem(Base):
    """One document to re-render onto one template version: done exactly once, whatever happens."""

    __tablename__ = "regeneration_items"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("regeneration_runs.id"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))
    template_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # pending | done | unchanged | failed
    new_document_id: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Claims by a worker; each claim leases the item until `leased_until` (migration 0008).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(32), default=None)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("document_id", "template_sha256", name="uq_regeneration_item"),
        Index("ix_regeneration_items_run_status", "run_id", "status"),
        Index("ix_regeneration_items_status_leased", "status", "leased_until"),
    )


class User(Base):
    """A person who logs in to the staff pages; the password is kept only as a slow hash."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))  # hub_admin | hub_staff | clinic_staff
    facility_npi: Mapped[str | None] = mapped_column(String(10), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # Changed at logout and on a password change, so every cookie issued before stops working.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_id)
    disabled: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """One access to patient data or one security event; rows are only ever added."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(260), index=True)  # "user:<email>" | "key:<name>"
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    action: Mapped[str] = mapped_column(String(40), index=True)
    method: Mapped[str | None] = mapped_column(String(10), default=None)
    path: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    case_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    document_id: Mapped[str | None] = mapped_column(String(32), default=None)
    denial_id: Mapped[str | None] = mapped_column(String(32), default=None)
    remote_addr: Mapped[str | None] = mapped_column(String(64), default=None)
    # The case's external id when there is no stored case (a stateless /render).
    external_id: Mapped[str | None] = mapped_column(String(80), default=None)
    # The hash chain (store.audit.row_hash): the previous row's hash, and this row's.
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    row_hash: Mapped[str | None] = mapped_column(String(64), default=None)
