"""leases on background work; regeneration runs end succeeded or failed

A queue worker killed mid-task took its task with it: a regeneration chunk stayed `pending` and
its run `running` forever, and a letter read in the background stayed `processing`. Now a worker
leases what it works on (`lease_owner`, `leased_until`) and counts its claims (`attempts`); the
reaper (usecases.recovery) queues expired leases again and fails a job after too many attempts.

Documents and denials get an index on the blob they name, for the orphan-blob sweep
(usecases.recovery). Runs end `succeeded` (every item done or unchanged) or `failed` (an item failed); finished runs
are renamed accordingly.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("regeneration_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_regeneration_items_status_leased",
        "regeneration_items",
        ["status", "leased_until"],
    )
    with op.batch_alter_table("denials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index("ix_denials_status_leased", "denials", ["status", "leased_until"])
    # The orphan sweep asks which rows name a blob, a batch of digests at a time.
    op.create_index("ix_documents_blob_sha256", "documents", ["blob_sha256"])
    op.create_index("ix_denials_source_sha256", "denials", ["source_sha256"])
    op.execute(
        "UPDATE regeneration_runs SET status = CASE WHEN EXISTS (SELECT 1 FROM "
        "regeneration_items i WHERE i.run_id = regeneration_runs.id AND i.status = 'failed') "
        "THEN 'failed' ELSE 'succeeded' END WHERE status = 'finished'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE regeneration_runs SET status = 'finished' WHERE status IN ('succeeded', 'failed')"
    )
    op.drop_index("ix_denials_source_sha256", table_name="denials")
    op.drop_index("ix_documents_blob_sha256", table_name="documents")
    op.drop_index("ix_denials_status_leased", table_name="denials")
    with op.batch_alter_table("denials", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("leased_until")
        batch_op.drop_column("lease_owner")
    op.drop_index("ix_regeneration_items_status_leased", table_name="regeneration_items")
    with op.batch_alter_table("regeneration_items", schema=None) as batch_op:
        batch_op.drop_column("leased_until")
        batch_op.drop_column("lease_owner")
