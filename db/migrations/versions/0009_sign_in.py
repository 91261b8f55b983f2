"""sign-in: failed tries per typed username, remembered sign-ins, password change on first use

Revision ID: 0009_sign_in
Revises: 0006_marketing
Create Date: 2026-12-01 11:15:00

Failed tries move out of users into their own table keyed by the typed username, so that an
unknown username locks exactly like a real one and the count is one atomic upsert. Each
remember-me cookie gets a row, so signing out (or a password change) ends it whatever expiry
the cookie claims.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import crm_core.models.base
from alembic import op

revision: str = "0009_sign_in"
down_revision: str | None = "0006_marketing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempts",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", crm_core.models.base.UtcDateTime(), nullable=False),
    )
    op.create_table(
        "remembered_sign_ins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("expires_at", crm_core.models.base.UtcDateTime(), nullable=False),
        sa.Column("issued_at", crm_core.models.base.UtcDateTime(), nullable=False),
    )
    op.create_index("ix_remembered_sign_ins_user_id", "remembered_sign_ins", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.drop_column("failed_logins")
        batch.drop_column("last_failed_login_at")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_failed_login_at", crm_core.models.base.UtcDateTime(), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.drop_column("must_change_password")
    op.drop_index("ix_remembered_sign_ins_user_id", "remembered_sign_ins")
    op.drop_table("remembered_sign_ins")
    op.drop_table("sign_in_attempts")
