"""import chunks: a batch's state, so that an import written in chunks is revertible

Revision ID: 0025_import_chunks
Revises: 0024_service_indexes
Create Date: 2026-12-02 09:00:00

On SQLite one import transaction held the write lock for its whole file (236 s at 100,000
rows: editors got "database is locked", sign-in failed). An import now commits in short
chunks; its batch is `in_progress` until the last one (`progressed_at` says when a chunk last
committed), `failed` when a chunk failed and the chunks before it are being reverted, `done`
after. A batch whose process died mid-way is found by its state and reverted at the next
import. Batches stored before this revision were single transactions: they are `done`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crm_core.models.base

revision: str = "0025_import_chunks"
down_revision: str | None = "0024_service_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("state", sa.String(20), nullable=False, server_default="done"))
        batch.add_column(
            sa.Column("progressed_at", crm_core.models.base.UtcDateTime(), nullable=True)
        )
        batch.create_index("ix_import_batches_state", ["state"])


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_index("ix_import_batches_state")
        batch.drop_column("progressed_at")
        batch.drop_column("state")
