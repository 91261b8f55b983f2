"""sales closed counts: the forecast's closed history counted per month, owner and pipeline

Revision ID: 0026_sales_closed_counts
Revises: 0025_import_chunks
Create Date: 2026-12-02 06:40:00

The forecast learned its win probabilities by summing the stays of every lead closed in the
last two years (190,000 leads, 500,000 stays at bench scale: most of its 4 s of CPU on
SQLite). `lead_closed_counts` holds those leads counted per month closed, owner and pipeline
(crm_core/sales/closed.py keeps it in the write's transaction); lead_facts names the key each
lead is counted under, and the leads are indexed by when they closed, for the history's first,
partial month counted from the leads themselves. Filled here from the rows already stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0026_sales_closed_counts"
down_revision: str | None = "0025_import_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lead_facts") as batch:
        batch.add_column(sa.Column("counted_month", sa.Date(), nullable=True))
        batch.add_column(sa.Column("counted_owner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("counted_pipeline", sa.String(40), nullable=True))
    op.create_index("ix_leads_closed_at", "leads", ["closed_at"])
    op.create_table(
        "lead_closed_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("closed_month", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("pipeline", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=True),
        sa.Column("leads", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_lead_closed_counts_key", "lead_closed_counts", ["closed_month", "owner_id", "pipeline"]
    )
    from crm_core.sales import closed  # the models as of this revision fill the new rows

    closed.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_lead_closed_counts_key", "lead_closed_counts")
    op.drop_table("lead_closed_counts")
    op.drop_index("ix_leads_closed_at", "leads")
    with op.batch_alter_table("lead_facts") as batch:
        batch.drop_column("counted_pipeline")
        batch.drop_column("counted_owner_id")
        batch.drop_column("counted_month")
