"""The issue-20 sample files come out of ``gis-service sample extras`` as committed: the
generator's queries (in the stores) and its random draws are deterministic."""

from __future__ import annotations

from gis_service.sample.seeds_extras import write_all

FILES = ("sections.csv", "water_quality.csv", "points.csv", "point_posts.csv", "signboards.csv")


def test_the_generator_rewrites_the_committed_files(sample_loaded, conn, sample_dir, tmp_path):
    counts = write_all(conn, tmp_path)
    assert counts == {"sections": 10, "samples": 120, "points": 36, "posts": 36, "signboards": 33}
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (sample_dir / name).read_bytes(), name
