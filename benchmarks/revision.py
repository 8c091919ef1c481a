"""An earlier revision of the service, next to today's, for the side-by-side benchmarks.

``extract_tree`` takes the revision's ``gis_service`` and ``data`` out of git (``git
archive``) into a scratch folder; ``PathWorker`` runs ``path_worker.py`` in a process whose
``PYTHONPATH`` puts that tree first (or today's code, without a tree). The earlier revision
then prepares its own scratch database with its own migrations: its code cannot write into a
database at today's schema (migration 0012 partitioned the patrol tables by month and changed
their keys), and today's cannot write into its.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.path_worker import read_frame, write_frame

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("path_worker.py")
TREE_PATHS = ("gis_service", "data")


class RevisionError(RuntimeError):
    """The earlier revision could not be extracted or run; the message names it and why."""


def extract_tree(revision: str, dest: Path, *, repo: Path = ROOT) -> Path:
    """``revision``'s ``gis_service`` and ``data`` extracted into ``dest``; ``dest``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, *TREE_PATHS],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        message = archive.stderr.decode(errors="replace").strip()
        raise RevisionError(f"git archive of revision {revision!r} failed: {message}")
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


_REVISION = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(.+)$", re.M)


def schema_head(versions: Path) -> str:
    """The Alembic head of a migrations folder (the one revision no other follows), read
    from the files: what an extracted tree migrates a database to. One head only."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down is not None:
            followed.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = sorted(revisions - followed)
    if len(heads) != 1:
        raise RevisionError(f"{versions}: expected one migration head, found {heads or 'none'}")
    return heads[0]


class PathWorker:
    """``path_worker.py`` in its own process: ``tree`` first on its ``PYTHONPATH`` (an
    earlier revision), or today's package when ``tree`` is None. ``label`` names the path
    in every error message."""

    def __init__(self, label: str, tree: Path | None = None) -> None:
        self.label = label
        self.tree = tree
        env = dict(os.environ)
        if tree is not None:
            env["PYTHONPATH"] = str(tree)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self._process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        try:
            package = Path(self.call("hello")["gis_service"])
            expected = (tree / "gis_service") if tree is not None else ROOT / "gis_service"
            if package.resolve() != expected.resolve():
                raise RevisionError(
                    f"[{label}] the worker imported gis_service from {package}, not {expected}"
                )
        except BaseException:
            self.close()
            raise

    def call(self, command: str, *args: object) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            write_frame(self._process.stdin, (command, args))
            status, value = read_frame(self._process.stdout)
        except (EOFError, BrokenPipeError) as exc:
            raise RevisionError(
                f"[{self.label}] the worker died during {command!r} ({exc}); its stderr:\n"
                f"{self._tail()}"
            ) from None
        if status != "ok":
            raise RevisionError(f"[{self.label}] {command!r} failed in the worker:\n{value}")
        return value

    def _tail(self, lines: int = 30) -> str:
        self._stderr.seek(0)
        return "\n".join(self._stderr.read().decode(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> PathWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
