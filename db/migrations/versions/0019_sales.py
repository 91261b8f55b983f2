"""sales read model: per lead the furthest funnel stage reached and its stays in stages

Revision ID: 0019_sales
Revises: 0018_overview
Create Date: 2026-12-01 14:00:00

The funnel and the forecast count and sum in SQL over these rows instead of loading every
lead and move of a cohort (crm_core/sales/facts.py keeps them current). Filled here from the
stage history already stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

import crm_core.models.base
from alembic import op

revision: str = "0019_sales"
down_revision: str | None = "0018_overview"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = crm_core.models.base.UtcDateTime
    op.create_table(
        "lead_facts",
        sa.Column(
            "lead_id",
            sa.Integer(),
            sa.ForeignKey("leads.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("furthest_stage", sa.String(24), nullable=False),
        sa.Column("stage_since", when(), nullable=True),
    )
    op.create_table(
        "lead_stays",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "lead_id", sa.Integer(), sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("entered_at", when(), nullable=False),
        sa.Column("left_at", when(), nullable=True),
        sa.Column("days", sa.Float(), nullable=True),
    )
    op.create_index(
        "ix_lead_stays_lead_id_stage_days", "lead_stays", ["lead_id", "stage", "days"]
    )
    from crm_core.sales import facts  # the models as of this revision fill the new tables

    facts.refresh_all(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_lead_stays_lead_id_stage_days", "lead_stays")
    op.drop_table("lead_stays")
    op.drop_table("lead_facts")
