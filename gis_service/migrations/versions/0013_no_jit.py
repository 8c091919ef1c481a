"""The service's database plans without JIT compilation (``ALTER DATABASE … SET jit = off``).

Found by the re-match benchmark at 100,000 stored patrols (issue 19): once ``patrol`` is
partitioned by month (0012), the planner's cost estimate of an upload's prefetch (one
statement over every month partition) passes ``jit_above_cost``, and PostgreSQL spent 4.9 s
compiling a statement that ran in 0.4 s — on every upload batch and every re-match chunk.
The service's statements are short; none gains from JIT. Applied to new sessions; without
the right to alter the database (a managed server), the migration says so and goes on (set
``jit = off`` for the service's role or database there).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _database_setting(clause: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            EXECUTE format('ALTER DATABASE %I {clause}', current_database());
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'cannot alter database %: set jit = off for it or its role',
                current_database();
        END $$
        """
    )


def upgrade() -> None:
    _database_setting("SET jit = off")
    op.execute("SET jit = off")  # this session too


def downgrade() -> None:
    _database_setting("RESET jit")
