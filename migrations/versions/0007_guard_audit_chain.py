"""audit rows chained by hash; TRUNCATE and SQLite's INSERT OR REPLACE refused

0003 made the database refuse UPDATE and DELETE on audit_events, but two ways around it were
left: PostgreSQL's TRUNCATE (a statement-level operation no row trigger sees) and SQLite's
`INSERT OR REPLACE` / `REPLACE INTO`, whose conflict resolution deletes the old row without
firing delete triggers (unless `recursive_triggers` is on). Both are refused now: a BEFORE
TRUNCATE trigger on PostgreSQL, a BEFORE INSERT trigger on SQLite refusing an id already taken.

Each row now also carries `prev_hash` (the previous row's `row_hash`; 64 zeros for the first) and
`row_hash` = sha256 of the canonical JSON of its fields and `prev_hash`, so a row changed, removed
or slipped in by someone who can bypass the triggers (a superuser, a copy of the file) breaks the
chain, and `formservice audit verify` names the first broken row. Existing rows are chained here,
in id order. `external_id` holds the case's external id of a stateless render (no stored case).

The hash is written out below, not imported: a migration never imports code that may change.
It must stay byte-for-byte the same as `formservice.store.audit.row_hash`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:00:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
FIELDS = (
    "at",
    "actor",
    "actor_id",
    "role",
    "action",
    "method",
    "path",
    "status",
    "case_id",
    "document_id",
    "denial_id",
    "external_id",
    "remote_addr",
)
REFUSE = "audit_events is append-only"


def _hash(row: dict[str, Any], prev_hash: str) -> str:
    values = {name: row.get(name) for name in FIELDS}
    at = values["at"]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    values["at"] = at.isoformat(timespec="microseconds")
    values["prev_hash"] = prev_hash
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sqlite_triggers(create: bool) -> None:
    # 0003's UPDATE and DELETE triggers, and the INSERT one that refuses a taken id (REPLACE).
    for event in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{event.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
            )


def _chain_existing_rows() -> None:
    bind = op.get_bind()
    table = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        *(sa.column(n) for n in FIELDS),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    rows = bind.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    previous = GENESIS
    for row in rows:
        digest = _hash(dict(row), previous)
        bind.execute(
            table.update()
            .where(table.c.id == row["id"])
            .values(prev_hash=previous, row_hash=digest)
        )
        previous = digest


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        # Every writer serialises on pg_advisory_xact_lock before reading the last hash.
    else:
        _sqlite_triggers(create=False)
    # Plain ADD COLUMN (no batch rebuild): a rebuilt SQLite table would lose its triggers.
    op.add_column("audit_events", sa.Column("external_id", sa.String(80), nullable=True))
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_events", sa.Column("row_hash", sa.String(64), nullable=True))
    _chain_existing_rows()
    if postgres:
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        _sqlite_triggers(create=True)
        # INSERT OR REPLACE deletes the row it conflicts with, and SQLite fires no delete
        # trigger for that (recursive_triggers is off, and a per-connection pragma is no
        # guarantee anyway): refuse any insert that names an id already taken.
        op.execute(
            "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
            "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
    op.drop_column("audit_events", "row_hash")
    op.drop_column("audit_events", "prev_hash")
    op.drop_column("audit_events", "external_id")
