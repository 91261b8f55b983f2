"""change marks: the leads and follow-ups by their last change

Revision ID: 0028_change_marks
Revises: 0027_sales_expected_close
Create Date: 2026-12-03 14:40:00

The Lead funnel and the Pipeline keep their reads per change mark, the newest `updated_at`
of the leads (and of the follow-ups, for the Pipeline), read on every rerun: without an index
each read scanned the table, 11 ms at 20,000 leads on SQLite, about 0.1 s of every warm run
at the benchmark's 200,000; with one it is a seek to the index's last entry.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_change_marks"
down_revision: str | None = "0027_sales_expected_close"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_leads_updated_at", "leads", ["updated_at"])
    op.create_index("ix_tasks_updated_at", "tasks", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_updated_at", "tasks")
    op.drop_index("ix_leads_updated_at", "leads")
