"""marketing: a campaign's test design (seed, control, planned sample, attribution window)

Revision ID: 0006_marketing
Revises: 0005_service
Create Date: 2026-12-01 11:00:00

One JSON document per campaign, written when the campaign is planned: the seed that assigns
members to variants, which variant is the hold-out control, the uplift the test should be
able to detect with its significance level and power, the planned members per variant and
the days after a send within which an order counts as the campaign's revenue. Existing rows
get an empty design (read as the defaults).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_marketing"
down_revision: str | None = "0005_service"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("design", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("design")
