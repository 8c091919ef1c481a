"""The side-by-side benchmarks' earlier revision: its tree out of git, its migration head, a
worker process that imports the tree it was given (not today's package), the pipe framing."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import pytest

from benchmarks.path_worker import read_frame, write_frame
from benchmarks.revision import ROOT, PathWorker, RevisionError, extract_tree, schema_head


def test_frames_round_trip_and_a_cut_frame_is_an_error() -> None:
    sent = [
        ("ingest", (b"\x00" * 70_000, dt.datetime(2026, 11, 23, tzinfo=dt.UTC))),
        ("ok", {"tokens": {"c1": "t"}}),
        None,
    ]
    stream = io.BytesIO()
    for obj in sent:
        write_frame(stream, obj)
    whole = stream.getvalue()
    stream.seek(0)
    assert [read_frame(stream) for _ in sent] == sent
    with pytest.raises(EOFError, match="the pipe closed"):
        read_frame(stream)
    with pytest.raises(EOFError, match="bytes into a frame"):
        read_frame(io.BytesIO(whole[:20]))


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_extract_tree_takes_the_revision_asked_for(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "gis_service").mkdir(parents=True)
    (repo / "data").mkdir()
    (repo / "tests").mkdir()
    _git(repo, "init", "-q")
    (repo / "gis_service" / "__init__.py").write_text("VERSION = 'old'\n")
    (repo / "data" / "x.csv").write_text("a\n1\n")
    (repo / "tests" / "t.py").write_text("")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "old")
    old = _git(repo, "rev-parse", "--short", "HEAD")
    (repo / "gis_service" / "__init__.py").write_text("VERSION = 'new'\n")
    _git(repo, "commit", "-qam", "new")

    tree = extract_tree(old, tmp_path / "tree", repo=repo)

    assert (tree / "gis_service" / "__init__.py").read_text() == "VERSION = 'old'\n"
    assert (tree / "data" / "x.csv").read_text() == "a\n1\n"
    assert not (tree / "tests").exists()  # only the package and its data
    with pytest.raises(RevisionError, match="'nosuchrev'"):
        extract_tree("nosuchrev", tmp_path / "other", repo=repo)


def _migration(folder: Path, revision: str, down: str) -> None:
    (folder / f"{revision}_m.py").write_text(
        f'"""m"""\n\nrevision = "{revision}"\ndown_revision: str | None = {down}\n'
    )


def test_schema_head_is_the_revision_nothing_follows(tmp_path: Path) -> None:
    _migration(tmp_path, "0001", "None")
    _migration(tmp_path, "0003", '"0002"')  # files in any order
    _migration(tmp_path, "0002", '"0001"')
    assert schema_head(tmp_path) == "0003"
    _migration(tmp_path, "0004", '"0002"')  # a branch: two heads
    with pytest.raises(RevisionError, match=r"\['0003', '0004'\]"):
        schema_head(tmp_path)
    _migration(tmp_path, "0005", '("0003", "0004")')  # the merge
    assert schema_head(tmp_path) == "0005"


def test_schema_head_of_todays_migrations_is_the_last_file() -> None:
    versions = ROOT / "gis_service" / "migrations" / "versions"
    last = sorted(p.name for p in versions.glob("[0-9]*.py"))[-1]
    assert schema_head(versions) == last.split("_", 1)[0]


def test_worker_imports_the_tree_it_was_given(tmp_path: Path) -> None:
    fake = tmp_path / "tree"
    (fake / "gis_service").mkdir(parents=True)
    (fake / "gis_service" / "__init__.py").write_text("")
    with PathWorker("fake", fake) as worker:
        assert worker.call("hello") == {"gis_service": str((fake / "gis_service").resolve())}
    with PathWorker("today") as worker:
        assert Path(worker.call("hello")["gis_service"]) == (ROOT / "gis_service").resolve()


def test_worker_errors_name_the_path(tmp_path: Path) -> None:
    broken = tmp_path / "tree"
    (broken / "gis_service").mkdir(parents=True)
    (broken / "gis_service" / "__init__.py").write_text("raise ImportError('old tree broken')\n")
    with pytest.raises(RevisionError, match=r"(?s)\[abc1234\] 'hello' failed.*old tree broken"):
        PathWorker("abc1234", broken)
