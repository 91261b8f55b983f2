"""customer value read model: each customer's stored value figures and the refreshes

Revision ID: 0010_values
Revises: 0009_sign_in
Create Date: 2026-12-01 12:00:00

The value figures move out of each app process's memory into the database: one row per
customer (money in hundredths, exact), refreshed outside page runs for every session and
replica, and a log of refreshes holding the population parts (cut-offs, model fit).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import crm_core.models.base
from alembic import op

revision: str = "0010_values"
# The brief said 0003; 0009_sign_in already follows 0003 on this branch, and two heads
# would stop `upgrade`. The coordinator re-chains at merge time.
down_revision: str | None = "0009_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = (
    "gross_revenue", "discounts", "cogs", "net_revenue", "gross_margin", "cost_to_serve",
    "profit",
)  # fmt: skip


_CHANGED = ("customers", "orders", "tickets", "interactions")


def upgrade() -> None:
    when = crm_core.models.base.UtcDateTime
    op.create_table(
        "customer_values",
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("as_of", when(), nullable=False),
        sa.Column("computed_at", when(), nullable=False),
        sa.Column("refresh_id", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _MONEY),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("average_order_value", sa.BigInteger(), nullable=True),
        sa.Column("first_order_at", when(), nullable=True),
        sa.Column("last_order_at", when(), nullable=True),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("historical_clv", sa.BigInteger(), nullable=True),
        sa.Column("predicted_clv", sa.Float(), nullable=True),
        sa.Column("predicted_purchases", sa.Float(), nullable=True),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("value_tier", sa.String(24), nullable=False),
        sa.Column("tier_reason", sa.Text(), nullable=False),
        sa.Column("r_score", sa.Integer(), nullable=True),
        sa.Column("f_score", sa.Integer(), nullable=True),
        sa.Column("m_score", sa.Integer(), nullable=True),
        sa.Column("rfm_segment", sa.String(24), nullable=True),
        sa.Column("segment_reason", sa.Text(), nullable=True),
        sa.Column("segment_detail", sa.Text(), nullable=True),
        sa.Column("churn_risk", sa.Float(), nullable=True),
        sa.Column("risk_band", sa.String(24), nullable=True),
        sa.Column("risk_reason", sa.Text(), nullable=True),
        sa.Column("risk_detail", sa.Text(), nullable=True),
        sa.Column("days_since_last_order", sa.Float(), nullable=True),
        sa.Column("usual_gap_days", sa.Float(), nullable=True),
    )
    op.create_index(
        "ix_customer_values_value_tier_profit", "customer_values", ["value_tier", "profit"]
    )
    op.create_index("ix_customer_values_rfm_segment", "customer_values", ["rfm_segment"])
    op.create_index("ix_customer_values_profit", "customer_values", ["profit"])
    op.create_index("ix_customer_values_net_revenue", "customer_values", ["net_revenue"])
    op.create_index("ix_customer_values_churn_risk", "customer_values", ["churn_risk"])
    op.create_index("ix_customer_values_last_order_at", "customer_values", ["last_order_at"])
    op.create_table(
        "value_refreshes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("started_at", when(), nullable=False),
        sa.Column("finished_at", when(), nullable=True),
        sa.Column("as_of", when(), nullable=False),
        sa.Column("changes_since", when(), nullable=True),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("population", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_value_refreshes_kind_finished_at", "value_refreshes", ["kind", "finished_at"]
    )
    for table in _CHANGED:  # who changed since the last refresh, without reading every row
        op.create_index(f"ix_{table}_updated_at", table, ["updated_at"])


def downgrade() -> None:
    for table in _CHANGED:
        op.drop_index(f"ix_{table}_updated_at", table)
    op.drop_index("ix_value_refreshes_kind_finished_at", "value_refreshes")
    op.drop_table("value_refreshes")
    for name in (
        "ix_customer_values_last_order_at", "ix_customer_values_churn_risk",
        "ix_customer_values_net_revenue", "ix_customer_values_profit",
        "ix_customer_values_rfm_segment", "ix_customer_values_value_tier_profit",
    ):  # fmt: skip
        op.drop_index(name, "customer_values")
    op.drop_table("customer_values")
