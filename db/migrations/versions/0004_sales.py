"""sales: pipelines, a lead's region and notes, the free text beside a lost reason

Revision ID: 0004_sales
Revises: 0003
Create Date: 2026-12-01 11:00:00

Every existing lead belongs to the default pipeline, "new business"; the pipelines themselves
(their stages, win probabilities and usual days) live in the sales settings row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sales"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(
            sa.Column("pipeline", sa.String(40), nullable=False, server_default="new business")
        )
        batch.add_column(sa.Column("region", sa.String(80), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lost_note", sa.Text(), nullable=True))
        batch.create_index("ix_leads_pipeline_stage", ["pipeline", "stage"])


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_pipeline_stage")
        batch.drop_column("lost_note")
        batch.drop_column("notes")
        batch.drop_column("region")
        batch.drop_column("pipeline")
