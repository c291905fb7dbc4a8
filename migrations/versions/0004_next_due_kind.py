"""next_due_kind: whether a case's next due date is an appeal deadline or a PA follow-up

The due list (API and staff pages) orders appeal deadlines first; the kind is stored beside the
date so the database can order and filter by it. Existing rows: a denied PA's due date is its
appeal deadline; any other due date is a follow-up. The next write to a case recomputes both.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_kind", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE cases SET next_due_kind = CASE WHEN pa_status = 'denied' THEN 'appeal' "
        "ELSE 'follow_up' END WHERE next_due IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("next_due_kind")
