"""Patrols partitioned by month: ``patrol``, ``patrol_raw`` and ``patrol_coverage`` become
PostgreSQL declarative RANGE partitions on the patrol's start (issue 19, "storage that grows").

A key of a partitioned table must hold the partition key, so the patrol's key becomes (id,
started_at), raw uploads and coverage rows carry their patrol's ``started_at`` (filled here
from the patrol) and refer to it by both columns, and so does a problem found on a patrol
(``problem.patrol_started_at``). Duplicate uploads are caught by (chief, content hash,
started_at): the same points start at the same time, so this is the old rule.

Months are those of China Standard Time (Asia/Shanghai, the country's one civil time): a
local month is one partition of each table. Partitions are made on demand by
``patrol_month_partitions(timestamptz[])`` (called before an upload's first statement on
the patrol tables, in its transaction); it raises for starts outside 1900-2199 and returns
the months that are archived (``patrol_archive``, written by ``gis-service patrols
archive``) instead of making them: the upload refuses those patrols by name.

Upgrade moves every row (existing months get their partitions first); downgrade moves them
back into plain tables, refusing while a month is archived (its rows are not in the tables).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("patrol", "patrol_raw", "patrol_coverage")

_PATROL_COLUMNS = """
    id uuid NOT NULL,
    chief_id varchar(32) NOT NULL,
    content_sha256 varchar(64) NOT NULL,
    geometry_fingerprint varchar(64) NOT NULL,
    source_format varchar(16) NOT NULL,
    file_name text,
    coord_system varchar(16) NOT NULL,
    mode varchar(16) NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    status varchar(16) NOT NULL,
    reasons jsonb,
    summary jsonb,
    dropped jsonb,
    track geometry(MULTILINESTRING, 4326),
    zoning_run_id integer,
    CONSTRAINT patrol_status CHECK (status IN ('valid', 'partial', 'invalid', 'suspicious')),
    CONSTRAINT patrol_times CHECK (ended_at >= started_at),
    CONSTRAINT patrol_chief_id_fkey FOREIGN KEY (chief_id) REFERENCES chief (id)
        ON DELETE RESTRICT,
    CONSTRAINT patrol_zoning_run_id_fkey FOREIGN KEY (zoning_run_id) REFERENCES zoning_run (id)
        ON DELETE RESTRICT
"""
_PATROL_NAMES = (
    "id, chief_id, content_sha256, geometry_fingerprint, source_format, file_name, "
    "coord_system, mode, started_at, ended_at, uploaded_at, status, reasons, summary, "
    "dropped, track, zoning_run_id"
)
_COVERAGE_COLUMNS = """
    target_type varchar(16) NOT NULL,
    target_id varchar(96) NOT NULL,
    run_id integer NOT NULL,
    water_body_code varchar(32) NOT NULL,
    length_m double precision NOT NULL,
    covered_m double precision NOT NULL,
    ratio double precision NOT NULL,
    extension_m double precision NOT NULL,
    covered jsonb,
    uncovered jsonb,
    covered_geom geometry(MULTILINESTRING, 4326),
    uncovered_geom geometry(MULTILINESTRING, 4326),
    CONSTRAINT patrol_coverage_run_id_fkey FOREIGN KEY (run_id) REFERENCES zoning_run (id)
        ON DELETE RESTRICT
"""
_COVERAGE_NAMES = (
    "id, patrol_id, target_type, target_id, run_id, water_body_code, length_m, covered_m, "
    "ratio, extension_m, covered, uncovered, covered_geom, uncovered_geom"
)
_PATROL_INDEXES = (
    "CREATE INDEX idx_patrol_track ON patrol USING gist (track)",
    "CREATE INDEX ix_patrol_chief_started ON patrol (chief_id, started_at)",
    "CREATE INDEX ix_patrol_period ON patrol USING gist (tstzrange(started_at, ended_at))",
    "CREATE INDEX ix_patrol_geometry_fingerprint ON patrol (geometry_fingerprint)",
    "CREATE INDEX ix_patrol_zoning_run_id ON patrol (zoning_run_id)",
    "CREATE INDEX ix_patrol_coverage_patrol_id ON patrol_coverage (patrol_id)",
    "CREATE INDEX ix_patrol_coverage_target_id ON patrol_coverage (target_id)",
    "CREATE INDEX ix_patrol_coverage_run_id ON patrol_coverage (run_id)",
)

# One function makes the months' partitions of the three tables. A partition is made as a
# table of its own and ATTACHed (SHARE UPDATE EXCLUSIVE on the parent: reads and writes of
# other months go on; CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE and stop
# every reader of the patrols until the upload commits). Attaching clones the foreign keys,
# which takes SHARE ROW EXCLUSIVE on the tables on both ends: taken first, in one order, so a
# concurrent upload's insert cannot hold one of them while waiting for another. The lock on
# patrol_archive lets one session make a month at a time, and (a table lock, unlike an
# advisory one) refreshes its view of the catalogue, so a waiter sees the tables made
# meanwhile (tests/db/test_partitions_db.py: four sessions bring a new month at once).
_PARTITION_FUNCTION = """
CREATE FUNCTION patrol_month_partitions(starts timestamptz[]) RETURNS date[]
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
        LOCK TABLE patrol, patrol_raw, patrol_coverage, problem IN SHARE ROW EXCLUSIVE MODE;
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


def _drop_keys(table: str) -> None:
    """Free the schema-wide names of a table's keys and indexes (and drop its foreign keys),
    so its successor can take them; the rows stay."""
    op.execute(
        f"""
        DO $$ DECLARE r record; BEGIN
          FOR r IN SELECT conname FROM pg_constraint
                   WHERE conrelid = '{table}'::regclass AND contype IN ('f', 'p', 'u')
                   AND conparentid = 0 LOOP
            EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', r.conname);
          END LOOP;
          FOR r IN SELECT indexrelid::regclass::text AS name FROM pg_index
                   WHERE indrelid = '{table}'::regclass LOOP
            EXECUTE 'DROP INDEX ' || r.name;
          END LOOP;
        END $$
        """
    )


def _set_aside(suffix: str) -> None:
    """Rename the three tables to ``<table>_<suffix>`` without their keys (and the problem's
    reference to the patrol)."""
    op.execute("ALTER TABLE problem DROP CONSTRAINT IF EXISTS problem_patrol_id_fkey")
    op.execute("ALTER TABLE problem DROP CONSTRAINT IF EXISTS problem_patrol_fkey")
    for table in reversed(TABLES):  # the references first, then the key they refer to
        op.execute(f"ALTER TABLE {table} RENAME TO {table}_{suffix}")
        _drop_keys(f"{table}_{suffix}")
    op.execute("ALTER SEQUENCE patrol_coverage_id_seq OWNED BY NONE")


def upgrade() -> None:
    bind = op.get_bind()
    orphans = bind.execute(
        text("SELECT count(*) FROM patrol_coverage WHERE patrol_id IS NULL")
    ).scalar()
    if orphans:
        raise RuntimeError(
            f"{orphans} patrol_coverage rows name no patrol: a partitioned coverage row needs "
            "its patrol's start; delete them (they count for nobody) and migrate again"
        )
    op.execute(
        "CREATE TABLE patrol_archive (month date PRIMARY KEY, directory text NOT NULL, "
        "files jsonb NOT NULL, dropped boolean NOT NULL DEFAULT false, "
        "archived_at timestamptz NOT NULL DEFAULT now(), archived_by text)"
    )
    op.execute(_PARTITION_FUNCTION)
    _set_aside("plain")
    op.execute(
        f"CREATE TABLE patrol ({_PATROL_COLUMNS}, "
        "CONSTRAINT patrol_pkey PRIMARY KEY (id, started_at)) PARTITION BY RANGE (started_at)"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_patrol_chief_content ON patrol "
        "(chief_id, content_sha256, started_at)"
    )
    op.execute(
        "CREATE TABLE patrol_raw (patrol_id uuid NOT NULL, started_at timestamptz NOT NULL, "
        "data bytea NOT NULL, encoding varchar(8) NOT NULL DEFAULT 'zlib', "
        "sha256 varchar(64) NOT NULL, "
        "CONSTRAINT patrol_raw_pkey PRIMARY KEY (patrol_id, started_at), "
        "CONSTRAINT patrol_raw_patrol_fkey FOREIGN KEY (patrol_id, started_at) "
        "REFERENCES patrol (id, started_at) ON DELETE CASCADE) PARTITION BY RANGE (started_at)"
    )
    # uploads arrive zlib-compressed by the service: no second (pglz) compression on insert
    # (partitions take the column's storage from the parent)
    op.execute("ALTER TABLE patrol_raw ALTER COLUMN data SET STORAGE EXTERNAL")
    op.execute("ALTER SEQUENCE patrol_coverage_id_seq AS bigint")
    op.execute(
        "CREATE TABLE patrol_coverage (id bigint NOT NULL "
        "DEFAULT nextval('patrol_coverage_id_seq'), started_at timestamptz NOT NULL, "
        f"patrol_id uuid NOT NULL, {_COVERAGE_COLUMNS}, "
        "CONSTRAINT patrol_coverage_pkey PRIMARY KEY (id, started_at), "
        "CONSTRAINT patrol_coverage_patrol_fkey FOREIGN KEY (patrol_id, started_at) "
        "REFERENCES patrol (id, started_at) ON DELETE CASCADE) PARTITION BY RANGE (started_at)"
    )
    op.execute("ALTER SEQUENCE patrol_coverage_id_seq OWNED BY patrol_coverage.id")
    for statement in _PATROL_INDEXES:
        op.execute(statement)
    # every month with rows gets its partitions, then the rows move
    op.execute(
        "SELECT patrol_month_partitions(array_agg(DISTINCT date_trunc('month', started_at, "
        "'Asia/Shanghai'))) FROM patrol_plain"
    )
    op.execute(f"INSERT INTO patrol ({_PATROL_NAMES}) SELECT {_PATROL_NAMES} FROM patrol_plain")
    op.execute(
        "INSERT INTO patrol_raw (patrol_id, started_at, data, encoding, sha256) "
        "SELECT w.patrol_id, p.started_at, w.data, w.encoding, w.sha256 "
        "FROM patrol_raw_plain w JOIN patrol_plain p ON p.id = w.patrol_id"
    )
    coverage = ", ".join(f"c.{n.strip()}" for n in _COVERAGE_NAMES.split(","))
    op.execute(
        f"INSERT INTO patrol_coverage (started_at, {_COVERAGE_NAMES}) "
        f"SELECT p.started_at, {coverage} "
        "FROM patrol_coverage_plain c JOIN patrol_plain p ON p.id = c.patrol_id"
    )
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}_plain")
    op.execute("ALTER TABLE problem ADD COLUMN patrol_started_at timestamptz")
    op.execute(
        "UPDATE problem SET patrol_started_at = p.started_at FROM patrol p "
        "WHERE p.id = problem.patrol_id"
    )
    op.execute(
        "ALTER TABLE problem ADD CONSTRAINT problem_patrol_key "
        "CHECK ((patrol_id IS NULL) = (patrol_started_at IS NULL))"
    )
    op.execute(
        "ALTER TABLE problem ADD CONSTRAINT problem_patrol_fkey "
        "FOREIGN KEY (patrol_id, patrol_started_at) REFERENCES patrol (id, started_at) "
        "ON DELETE SET NULL"
    )


def downgrade() -> None:
    bind = op.get_bind()
    archived = bind.execute(
        text("SELECT coalesce(string_agg(to_char(month, 'YYYY-MM'), ', '), '') FROM patrol_archive")
    ).scalar()
    if archived:
        raise RuntimeError(
            f"patrols of {archived} are archived outside the tables: restore them "
            "(gis-service patrols restore) before going back to unpartitioned patrols"
        )
    twice = bind.execute(
        text(
            "SELECT coalesce(string_agg(id::text, ', '), '') FROM "
            "(SELECT id FROM patrol GROUP BY id HAVING count(*) > 1 LIMIT 10) d"
        )
    ).scalar()
    if twice:
        raise RuntimeError(
            f"patrol ids stored with two starts ({twice}): revision 0009 keys patrols by id "
            "alone; delete one of each before going back"
        )
    _set_aside("partitioned")
    op.execute(f"CREATE TABLE patrol ({_PATROL_COLUMNS}, CONSTRAINT patrol_pkey PRIMARY KEY (id))")
    op.execute("CREATE UNIQUE INDEX uq_patrol_chief_content ON patrol (chief_id, content_sha256)")
    op.execute(
        "CREATE TABLE patrol_raw (patrol_id uuid NOT NULL, data bytea NOT NULL, "
        "encoding varchar(8) NOT NULL DEFAULT 'zlib', sha256 varchar(64) NOT NULL, "
        "CONSTRAINT patrol_raw_pkey PRIMARY KEY (patrol_id), "
        "CONSTRAINT patrol_raw_patrol_id_fkey FOREIGN KEY (patrol_id) REFERENCES patrol (id) "
        "ON DELETE CASCADE)"
    )
    op.execute("ALTER TABLE patrol_raw ALTER COLUMN data SET STORAGE EXTERNAL")
    op.execute("ALTER SEQUENCE patrol_coverage_id_seq AS integer")
    op.execute(
        "CREATE TABLE patrol_coverage (id integer NOT NULL "
        "DEFAULT nextval('patrol_coverage_id_seq'), patrol_id uuid, "
        f"{_COVERAGE_COLUMNS}, CONSTRAINT patrol_coverage_pkey PRIMARY KEY (id), "
        "CONSTRAINT patrol_coverage_patrol_id_fkey FOREIGN KEY (patrol_id) "
        "REFERENCES patrol (id) ON DELETE CASCADE)"
    )
    op.execute("ALTER SEQUENCE patrol_coverage_id_seq OWNED BY patrol_coverage.id")
    for statement in _PATROL_INDEXES:
        op.execute(statement)
    op.execute(
        f"INSERT INTO patrol ({_PATROL_NAMES}) SELECT {_PATROL_NAMES} FROM patrol_partitioned"
    )
    op.execute(
        "INSERT INTO patrol_raw (patrol_id, data, encoding, sha256) "
        "SELECT patrol_id, data, encoding, sha256 FROM patrol_raw_partitioned"
    )
    op.execute(
        f"INSERT INTO patrol_coverage ({_COVERAGE_NAMES}) "
        f"SELECT {_COVERAGE_NAMES} FROM patrol_coverage_partitioned"
    )
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}_partitioned")  # with its partitions
    op.execute("DROP FUNCTION patrol_month_partitions(timestamptz[])")
    op.execute("DROP TABLE patrol_archive")
    op.execute("ALTER TABLE problem DROP CONSTRAINT problem_patrol_key")
    op.execute("ALTER TABLE problem DROP COLUMN patrol_started_at")
    op.execute(
        "ALTER TABLE problem ADD CONSTRAINT problem_patrol_id_fkey FOREIGN KEY (patrol_id) "
        "REFERENCES patrol (id) ON DELETE SET NULL"
    )
