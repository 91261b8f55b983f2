"""tier snapshots: each customer's value tier at the last quarter's end, stored

Revision ID: 0022_tier_snapshots
Revises: 0021_lead_conversions
Create Date: 2026-12-02 06:00:00

The Segments page compares today's tiers with those of the last quarter's end. Computing them
sums every order line up to that day (3 s and more at 100,000 customers, in a viewer's page
run); the full value refresh now writes them here and the page reads them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_tier_snapshots"
down_revision: str | None = "0021_lead_conversions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "value_tier_snapshots",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("value_tier", sa.String(24), nullable=False),
        sa.Column("refresh_id", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("value_tier_snapshots")
