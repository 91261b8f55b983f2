"""stored figures: aggregates over every customer, written by the full value refresh

Revision ID: 0023_stored_figures
Revises: 0022_tier_snapshots
Create Date: 2026-12-02 06:15:00

The Segments page's cohorts, churn per month and lost customers read every sold order, the
touchpoints and the tickets (3 s of CPU at 100,000 customers) in a viewer's first page run;
the full refresh now stores them as JSON, one row per figure, and the page reads that row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crm_core.models.base

revision: str = "0023_stored_figures"
down_revision: str | None = "0022_tier_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_figures",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("refresh_id", sa.BigInteger(), nullable=False),
        sa.Column("as_of", crm_core.models.base.UtcDateTime(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stored_figures")
