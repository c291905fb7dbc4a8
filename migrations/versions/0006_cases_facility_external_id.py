"""external ids are unique per facility, not across facilities

A portal's external_id names a case within its facility. Unique across every facility, a clinic
posting an id another facility already uses got a 409 where a fresh id got a 201: an oracle for
other facilities' ids. Now (facility_npi, external_id) is unique, and the idempotency check of
POST /cases looks within the facility.

SQLite cannot drop a constraint in place: the table is rebuilt (copy, drop, rename) with foreign
keys off for the migration (migrations/env.py), so dropping the old table cascades to nothing.

With external ids unique per facility only, the due list (0005) needs the case's own id as its
last key to stay a total order for keyset paging: its two indexes are rebuilt with it (on SQLite
the table rebuild would lose them anyway: expression indexes are not reflected).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "uq_cases_facility_external_id"
# 0001 left the old constraint unnamed: PostgreSQL named it itself; SQLite gets a name here.
POSTGRES_OLD = "cases_external_id_key"
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


# The due order of 0005, written out as it compiles (a migration never imports code that may
# change): store.models.due_order_sql().
RANK = (
    "(CASE WHEN (next_due_kind = 'appeal') THEN 0 WHEN (next_due_kind = 'follow_up') THEN 1 "
    "ELSE 2 END)"
)
DUE = "coalesce(next_due, '9999-12-31')"
DUE_INDEXES = ("ix_cases_facility_due_order", "ix_cases_due_order")


def _due_indexes(*, with_id: bool) -> None:
    tail = ["external_id", "id"] if with_id else ["external_id"]
    op.create_index("ix_cases_due_order", "cases", [sa.text(RANK), sa.text(DUE), *tail])
    op.create_index(
        "ix_cases_facility_due_order",
        "cases",
        ["facility_npi", sa.text(RANK), sa.text(DUE), *tail],
    )


def upgrade() -> None:
    for name in DUE_INDEXES:
        op.drop_index(name, table_name="cases")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("cases", naming_convention=SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint("uq_cases_external_id", type_="unique")
            batch_op.create_unique_constraint(NEW, ["facility_npi", "external_id"])
    else:
        op.drop_constraint(POSTGRES_OLD, "cases", type_="unique")
        op.create_unique_constraint(NEW, "cases", ["facility_npi", "external_id"])
    _due_indexes(with_id=True)


def downgrade() -> None:
    # Fails (as it should) once two facilities share an external id.
    for name in DUE_INDEXES:
        op.drop_index(name, table_name="cases")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("cases") as batch_op:
            batch_op.drop_constraint(NEW, type_="unique")
            batch_op.create_unique_constraint("uq_cases_external_id", ["external_id"])
    else:
        op.drop_constraint(NEW, "cases", type_="unique")
        op.create_unique_constraint(POSTGRES_OLD, "cases", ["external_id"])
    _due_indexes(with_id=False)
