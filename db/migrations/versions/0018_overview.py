"""overview: each person's monthly targets, set by a manager

Revision ID: 0018_overview
Revises: 0017_value
Create Date: 2026-12-01 14:00:00

One row per person, metric and month (revenue won, leads won, tickets resolved, SLA
attainment, CSAT), versioned and audited like every editable row.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import crm_core.models.base
from alembic import op

revision: str = "0018_overview"
down_revision: str | None = "0017_value"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = crm_core.models.base.UtcDateTime
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.Column("updated_at", when(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_targets_user_id_users")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_targets_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("user_id", "metric", "month", name=op.f("uq_targets_user_id")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_targets_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_targets_user_id"))
    op.drop_table("targets")
