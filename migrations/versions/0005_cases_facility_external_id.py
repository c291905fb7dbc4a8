"""external ids are unique per facility, not across facilities

A portal's external_id names a case within its facility. Unique across every facility, a clinic
posting an id another facility already uses got a 409 where a fresh id got a 201: an oracle for
other facilities' ids. Now (facility_npi, external_id) is unique, and the idempotency check of
POST /cases looks within the facility.

SQLite cannot drop a constraint in place: the table is rebuilt (copy, drop, rename) with foreign
keys off for the migration (migrations/env.py), so dropping the old table cascades to nothing.

Revision ID: 0005_cases_facility_external_id
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_cases_facility_external_id"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "uq_cases_facility_external_id"
# 0001 left the old constraint unnamed: PostgreSQL named it itself; SQLite gets a name here.
POSTGRES_OLD = "cases_external_id_key"
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("cases", naming_convention=SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint("uq_cases_external_id", type_="unique")
            batch_op.create_unique_constraint(NEW, ["facility_npi", "external_id"])
    else:
        op.drop_constraint(POSTGRES_OLD, "cases", type_="unique")
        op.create_unique_constraint(NEW, "cases", ["facility_npi", "external_id"])


def downgrade() -> None:
    # Fails (as it should) once two facilities share an external id.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("cases") as batch_op:
            batch_op.drop_constraint(NEW, type_="unique")
            batch_op.create_unique_constraint("uq_cases_external_id", ["external_id"])
    else:
        op.drop_constraint(NEW, "cases", type_="unique")
        op.create_unique_constraint(POSTGRES_OLD, "cases", ["external_id"])
