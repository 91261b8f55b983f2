"""customer search: trigram indexes for search by part of a word (PostgreSQL only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00

The customers list matches `lower(column) LIKE '%part%'` on a customer's name, email and
phone and on the account's name. PostgreSQL answers that from pg_trgm GIN indexes (a few
milliseconds instead of 70 to 380 ms at 100,000 customers). SQLite has no such index:
nothing to do there, it scans (about 50 ms a pass at 100,000 customers).

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. Where
it cannot be created, the indexes are skipped with a warning; search still works, slower.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOG = logging.getLogger("alembic.runtime.migration")
# name -> (table, column); the same expressions as crm_core.models.people.SEARCH_INDEXES.
INDEXES = {
    "ix_customers_name_trgm": ("customers", "name"),
    "ix_customers_email_trgm": ("customers", "email_normalized"),
    "ix_customers_phone_trgm": ("customers", "phone_normalized"),
    "ix_accounts_name_trgm": ("accounts", "name"),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _has_pg_trgm(bind):
        return
    for name, (table, column) in INDEXES.items():
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (lower({column}) gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # pg_trgm itself stays: other schemas in the database may use it.


def _has_pg_trgm(bind: sa.Connection) -> bool:
    installed = "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    if bind.execute(sa.text(installed)).first():
        return True
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        _LOG.warning(
            "pg_trgm could not be created (%s): customer search works without its indexes, "
            "slower. Run `CREATE EXTENSION pg_trgm;` as a superuser, then create the indexes "
            "of migration 0002 (db/migrations/versions/0002_customer_search.py).",
            exc.orig,
        )
        return False
    savepoint.commit()
    return True
