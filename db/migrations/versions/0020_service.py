"""service: tickets sent through the public support form carry an unverified sender

Revision ID: 0020_service
Revises: 0019_sales
Create Date: 2026-12-01 18:20:00

The form matches a customer by the email typed, which nobody verified, and hands the sender
the ticket's reply link: until an agent has confirmed who writes, the ticket says so. Tickets
already sent through the form (channel web, a reply link made by the form's receiver at
creation) cannot be told apart from others afterwards, so existing tickets start verified.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_service"
down_revision: str | None = "0019_sales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("sender_unverified", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("sender_unverified")
