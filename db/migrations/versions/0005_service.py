"""service: CSAT comment and time, the routing reason, the SLA pause, the survey link;
canned answers and knowledge-base articles

Revision ID: 0005_service
Revises: 0004_sales
Create Date: 2026-12-01 11:00:00

All nullable: tickets from before keep working (no reason shown, clock running, no survey).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_service"
down_revision: str | None = "0004_sales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "service_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("articlekind", "canned", "article"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "category",
            _enum(
                "ticketcategory", "billing", "delivery", "product", "technical", "account", "other"
            ),
            nullable=True,
        ),
        sa.Column("language", _enum("language", "en", "id"), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_service_articles_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_articles")),
    )
    with op.batch_alter_table("service_articles") as batch:
        batch.create_index("ix_service_articles_kind_category", ["kind", "category"])
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
    op.drop_table("service_articles")
