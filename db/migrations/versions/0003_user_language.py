"""user language: each user's own choice of the language Relasi speaks to them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00

Nullable: a user who has not chosen reads the team's default language (team settings).
A VARCHAR like every enum column here, so SQLite and PostgreSQL store it alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "ui_language",
                sa.Enum("en", "id", name="language", native_enum=False, length=24),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("ui_language")
