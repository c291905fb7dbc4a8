"""due-order indexes: the case list is ordered, filtered and paged in the database

The due list's order (reimbursement.due.due_order_key: appeal deadlines, then follow-ups, then
the rest; by date, no date last; then external_id) is the expression
store.models.due_order_sql(). These indexes are built on that very expression, written out here
as it compiles (a migration never imports code that may change), so the database walks an index
to the first page and to every page after a cursor instead of sorting every case.
tests/store/test_case_list.py checks that the list's query uses them on SQLite and PostgreSQL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL wants an index expression other than a function call in parentheses.
RANK = (
    "(CASE WHEN (next_due_kind = 'appeal') THEN 0 WHEN (next_due_kind = 'follow_up') THEN 1 "
    "ELSE 2 END)"
)
DUE = "coalesce(next_due, '9999-12-31')"


def upgrade() -> None:
    op.create_index("ix_cases_due_order", "cases", [sa.text(RANK), sa.text(DUE), "external_id"])
    op.create_index(
        "ix_cases_facility_due_order",
        "cases",
        ["facility_npi", sa.text(RANK), sa.text(DUE), "external_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_facility_due_order", table_name="cases")
    op.drop_index("ix_cases_due_order", table_name="cases")
