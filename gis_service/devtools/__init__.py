"""Developer and first-run tooling, kept apart from the service's runtime code.

``localdb`` installs PostGIS with apt-get (as root or through sudo) and runs a project-local
cluster; ``provision`` is what ``gis-service setup`` does (cluster, database, migrations).
Nothing in ``api/``, ``services/`` or ``domain/`` imports from here: a deployment against an
existing PostGIS (``DATABASE_URL``) never runs this code.
"""
