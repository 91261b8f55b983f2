"""service: CSAT comment and time, the routing reason, the SLA pause, the survey link

Revision ID: 0005_service
Revises: 0003
Create Date: 2026-12-01 11:00:00

All nullable: tickets from before keep working (no reason shown, clock running, no survey).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_service"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("csat_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("csat_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("routing_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("paused_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("survey_token_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for column in ("survey_token_hash", "paused_at", "routing_reason", "csat_at"):
            batch.drop_column(column)
        batch.drop_column("csat_comment")
