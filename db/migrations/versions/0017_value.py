"""order summary: each order keeps its lines' totals, so value figures read orders, not lines

Revision ID: 0017_value
Revises: 0014_service
Create Date: 2026-12-01 14:00:00

A full value refresh summed every order line (a join and GROUP BY over a million lines at the
benchmark's scale) each time. Lines never change after their order is written, so the order's
write path now stores the sums with it: `gross_cents` (quantity x unit price) and
`cost_cents` (quantity x unit cost), in hundredths. Existing orders are backfilled here from
their lines; an order without lines keeps NULL (as one written around the write path would).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0017_value"
down_revision: str | None = "0014_service"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whole hundredths of each line, summed: exact on every engine (SQLite keeps NUMERIC as REAL).
_SUMS = """
    SELECT order_id,
           SUM(quantity * CAST(ROUND(unit_price * 100) AS BIGINT)) AS gross,
           SUM(quantity * CAST(ROUND(unit_cost * 100) AS BIGINT)) AS cost
    FROM order_items GROUP BY order_id
"""


def upgrade() -> None:
    op.add_column("orders", sa.Column("gross_cents", sa.BigInteger(), nullable=True))
    op.add_column("orders", sa.Column("cost_cents", sa.BigInteger(), nullable=True))
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33
    op.execute(
        f"UPDATE orders SET gross_cents = s.gross, cost_cents = s.cost FROM ({_SUMS}) AS s "
        "WHERE s.order_id = orders.id"
    )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("cost_cents")
        batch.drop_column("gross_cents")
