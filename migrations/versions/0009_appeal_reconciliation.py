"""denials.reconciliation: the letter checked against its case (issue 13)

One nullable JSON column on denials: `model.Reconciliation.stored_json()` (every fact compared,
who acknowledged the warnings, a hub user's identity override and its reason). Null until the
letter is attached to a case.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("denials") as batch_op:
        batch_op.add_column(sa.Column("reconciliation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("denials") as batch_op:
        batch_op.drop_column("reconciliation")
