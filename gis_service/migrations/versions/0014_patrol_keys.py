"""One row per patrol ever stored, outside the month partitions: ``patrol_key``.

Since 0012 a key of ``patrol`` must hold the partition key, so the primary key is
(id, started_at) and a patrol id was unique only within a month: two uploads with one UUID
and different starts could both be stored (the upload path looked first, but two racing
uploads could not be stopped by the database). And every upload's look-ups — the same UUID,
the same chief's same points, the same geometry filed before, the chief's patrols at the same
time — had no partition key to prune by: each was planned and probed over every month
partition (4.5 ms of planning per statement with 40 months against 1 ms with 3).

``patrol_key`` (id, chief, content hash, geometry fingerprint, start, end) is a plain table:
its primary key makes an id unique across all months, its unique (chief, content) makes the
same points of a chief count once, and the look-ups read it alone. Rows of archived months
stay in it (an archived patrol's id is still taken; its points are still known).

Kept exact by the database, not by the writers' care: ``patrol.id`` references it (a patrol
cannot be stored without its key; writers insert the key first, in the same statement),
deleting a patrol deletes its key, and updating the keyed columns updates it (triggers; an
update that moves a patrol to another month is a delete and an insert to PostgreSQL, and
keeps the key with the new start).
The month maker locks ``patrol_key`` before the patrol tables: attaching a partition clones
the new foreign key, which locks the referenced table, and uploads write both (one order,
no deadlock).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_KEYED = "chief_id, content_sha256, geometry_fingerprint, started_at, ended_at"

# the month maker of 0012, with the tables it locks before attaching as a parameter
_PARTITION_FUNCTION = """
CREATE OR REPLACE FUNCTION patrol_month_partitions(starts timestamptz[]) RETURNS date[]
LANGUAGE plpgsql AS $fn$
DECLARE
    m date;
    suffix text;
    t text;
    refused date[] := '{}';
BEGIN
    FOR m IN SELECT DISTINCT (date_trunc('month', s, 'Asia/Shanghai')
                              AT TIME ZONE 'Asia/Shanghai')::date
             FROM unnest(starts) AS s WHERE s IS NOT NULL ORDER BY 1 LOOP
        IF m < DATE '1900-01-01' OR m >= DATE '2200-01-01' THEN
            RAISE EXCEPTION 'a patrol starting in % cannot be stored: patrols are stored '
                'from 1900 to 2199 (the device clock is wrong)', to_char(m, 'YYYY-MM')
                USING ERRCODE = '22008';
        END IF;
        IF EXISTS (SELECT 1 FROM patrol_archive WHERE month = m) THEN
            refused := refused || m;  -- archived: the caller refuses its patrols by name
            CONTINUE;
        END IF;
        suffix := to_char(m, '"_y"YYYY"m"MM');
        CONTINUE WHEN to_regclass('patrol' || suffix) IS NOT NULL
            AND to_regclass('patrol_raw' || suffix) IS NOT NULL
            AND to_regclass('patrol_coverage' || suffix) IS NOT NULL;
        LOCK TABLE patrol_archive IN SHARE ROW EXCLUSIVE MODE;
        LOCK TABLE {locks} IN SHARE ROW EXCLUSIVE MODE;
        FOREACH t IN ARRAY ARRAY['patrol', 'patrol_raw', 'patrol_coverage'] LOOP
            CONTINUE WHEN to_regclass(t || suffix) IS NOT NULL;
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                'INCLUDING STORAGE)', t || suffix, t);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                t, t || suffix, m::timestamp AT TIME ZONE 'Asia/Shanghai',
                (m + 1 * interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai');
        END LOOP;
    END LOOP;
    RETURN refused;
END
$fn$
"""
_LOCKS_0012 = "patrol, patrol_raw, patrol_coverage, problem"
_LOCKS = "patrol_key, " + _LOCKS_0012

_TRIGGERS = f"""
CREATE FUNCTION patrol_key_forget() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- an update moving a patrol to another month is a delete and an insert: its row is
    -- there again when this (after) trigger runs, and the key stays
    DELETE FROM patrol_key k WHERE k.id = OLD.id
        AND NOT EXISTS (SELECT 1 FROM patrol p WHERE p.id = OLD.id);
    RETURN NULL;
END
$fn$;
CREATE FUNCTION patrol_key_follow() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE patrol_key SET chief_id = NEW.chief_id, content_sha256 = NEW.content_sha256,
        geometry_fingerprint = NEW.geometry_fingerprint, started_at = NEW.started_at,
        ended_at = NEW.ended_at
    WHERE id = NEW.id AND (chief_id, content_sha256, geometry_fingerprint, started_at, ended_at)
        IS DISTINCT FROM (NEW.chief_id, NEW.content_sha256, NEW.geometry_fingerprint,
                          NEW.started_at, NEW.ended_at);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER patrol_key_forget AFTER DELETE ON patrol
    FOR EACH ROW EXECUTE FUNCTION patrol_key_forget();
CREATE TRIGGER patrol_key_follow AFTER UPDATE ON patrol FOR EACH ROW
    WHEN (({", ".join("OLD." + c for c in _KEYED.split(", "))})
          IS DISTINCT FROM ({", ".join("NEW." + c for c in _KEYED.split(", "))}))
    EXECUTE FUNCTION patrol_key_follow();
-- the insert half of a move to another month (a fresh upload's key is equal: no write)
CREATE TRIGGER patrol_key_moved AFTER INSERT ON patrol
    FOR EACH ROW EXECUTE FUNCTION patrol_key_follow();
"""


def _refuse_twice() -> None:
    """Ids stored with two starts (possible since 0012), or a chief's same points twice,
    cannot be keyed: named, nothing changed."""
    bind = op.get_bind()
    twice = bind.execute(
        text(
            "SELECT coalesce(string_agg(k, ', '), '') FROM (SELECT id::text AS k FROM patrol "
            "GROUP BY id HAVING count(*) > 1 UNION ALL SELECT chief_id || ' ' || "
            "content_sha256 FROM patrol GROUP BY chief_id, content_sha256 HAVING count(*) > 1 "
            "LIMIT 10) d"
        )
    ).scalar()
    if twice:
        raise RuntimeError(
            f"patrols stored twice under one id or one chief's same points ({twice}): "
            "delete one of each, then migrate again"
        )


def upgrade() -> None:
    _refuse_twice()
    op.execute(
        "CREATE TABLE patrol_key (id uuid NOT NULL, chief_id varchar NOT NULL, "
        "content_sha256 varchar(64) NOT NULL, geometry_fingerprint varchar(64) NOT NULL, "
        "started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL, "
        "CONSTRAINT patrol_key_pkey PRIMARY KEY (id), "
        "CONSTRAINT uq_patrol_key_chief_content UNIQUE (chief_id, content_sha256))"
    )
    op.execute(f"INSERT INTO patrol_key (id, {_KEYED}) SELECT id, {_KEYED} FROM patrol")
    op.execute(
        "CREATE INDEX ix_patrol_key_fingerprint ON patrol_key (geometry_fingerprint, started_at)"
    )
    op.execute("CREATE INDEX ix_patrol_key_chief_ended ON patrol_key (chief_id, ended_at)")
    op.execute(
        "ALTER TABLE patrol ADD CONSTRAINT patrol_id_key_fkey FOREIGN KEY (id) "
        "REFERENCES patrol_key (id)"
    )
    op.execute(_TRIGGERS)
    op.execute(_PARTITION_FUNCTION.replace("{locks}", _LOCKS))
    # their questions are the key's now
    op.execute("DROP INDEX uq_patrol_chief_content")
    op.execute("DROP INDEX ix_patrol_geometry_fingerprint")
    op.execute("ANALYZE patrol_key")


def downgrade() -> None:
    op.execute(_PARTITION_FUNCTION.replace("{locks}", _LOCKS_0012))
    op.execute(
        "CREATE UNIQUE INDEX uq_patrol_chief_content ON patrol "
        "(chief_id, content_sha256, started_at)"
    )
    op.execute("CREATE INDEX ix_patrol_geometry_fingerprint ON patrol (geometry_fingerprint)")
    op.execute("DROP TRIGGER patrol_key_moved ON patrol")
    op.execute("DROP TRIGGER patrol_key_follow ON patrol")
    op.execute("DROP TRIGGER patrol_key_forget ON patrol")
    op.execute("DROP FUNCTION patrol_key_follow()")
    op.execute("DROP FUNCTION patrol_key_forget()")
    op.execute("ALTER TABLE patrol DROP CONSTRAINT patrol_id_key_fkey")
    op.execute("DROP TABLE patrol_key")
