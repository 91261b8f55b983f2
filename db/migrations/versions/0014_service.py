"""service: the ticket's customer tier (its SLA targets) and reply link, saved queue views

Revision ID: 0014_service
Revises: 0010_values
Create Date: 2026-12-01 14:00:00

A ticket keeps the value tier its customer had when it was created, whose own SLA targets (a
manager's choice per tier, else the priority's default) its due times follow, and the hash of
the customer's reply link. Saved views of the ticket queue get a table of their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import crm_core.models.base
from alembic import op

revision: str = "0014_service"
down_revision: str | None = "0010_values"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = crm_core.models.base.UtcDateTime
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("customer_tier", sa.String(24), nullable=True))
        batch.add_column(sa.Column("reply_token_hash", sa.String(64), nullable=True))
    op.create_table(
        "ticket_views",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "owner_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_ticket_views_owner_id_users"),
            nullable=False,
        ),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.Column("updated_at", when(), nullable=False),
        sa.Column(
            "updated_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_ticket_views_updated_by_id_users"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_views"),
        sa.UniqueConstraint("owner_id", "name", name="uq_ticket_views_owner_id"),
    )
    op.create_index("ix_ticket_views_shared", "ticket_views", ["shared"])


def downgrade() -> None:
    op.drop_index("ix_ticket_views_shared", "ticket_views")
    op.drop_table("ticket_views")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("reply_token_hash")
        batch.drop_column("customer_tier")
