"""The assignment cache is shared by the upload threads of a process: its LRU bookkeeping must
hold under concurrent use (an OrderedDict moved and popped from several threads at once
raises KeyError or loses its bound without the lock)."""

from __future__ import annotations

import functools
import sys
import threading

import numpy as np
import shapely

from gis_service.domain.coverage import LineMatcher, Target
from gis_service.domain.linear import LineSet
from gis_service.services.patrol_assignment import Assignment, AssignmentCache, TargetMeta


def _assignment(tag: int) -> Assignment:
    lines = LineSet.from_lines(np.array([], dtype=object))
    return Assignment(lines, [], {str(tag): None})  # type: ignore[dict-item]


def test_the_cache_returns_what_was_built_and_evicts_the_oldest():
    cache = AssignmentCache(size=2)
    built: list[int] = []

    def build(k: int):
        built.append(k)
        return _assignment(k)

    a = cache.get(1, lambda: build(1))
    assert cache.get(1, lambda: build(99)) is a  # a hit builds nothing
    cache.get(2, lambda: build(2))
    cache.get(1, lambda: build(1))  # 1 is now the most recent
    cache.get(3, lambda: build(3))  # evicts 2
    cache.get(2, lambda: build(2))
    assert built == [1, 2, 3, 2] and len(cache) == 2


def test_the_cache_holds_under_many_threads():
    cache = AssignmentCache(size=8)
    errors: list[BaseException] = []
    wrong: list[tuple[int, object]] = []
    start = threading.Barrier(8)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:

        def worker(seed: int) -> None:
            rng = np.random.default_rng(seed)
            start.wait()
            try:
                for key in (int(k) for k in rng.integers(0, 12, 5000)):
                    value = cache.get(key, functools.partial(_assignment, key))
                    if list(value.meta) != [str(key)]:
                        wrong.append((int(key), value))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == [] and wrong == []
    assert len(cache) == 8


def _lines_assignment() -> Assignment:
    lines = LineSet.from_lines(np.array([shapely.LineString([(0, 0), (1000, 0)])], dtype=object))
    return Assignment(
        lines,
        [Target("s1", 0, 0.0, 1000.0, 50.0)],
        {"s1": TargetMeta("segment", "R1", 0, False)},
        LineMatcher(lines),
        {},
        7,
    )


def test_a_shared_folder_gives_another_process_the_assignment_built_once(tmp_path):
    """A re-match run's folder: what one worker process built, another reads (equal
    lines, targets and matches) instead of building it again; without it, each builds."""
    first, second = AssignmentCache(), AssignmentCache()
    built = []

    def build() -> Assignment:
        built.append(1)
        return _lines_assignment()

    first.share(tmp_path / "run")
    second.share(tmp_path / "run")
    made = first.get(("db", 7, 4545, 50.0, "C1", (1,)), build)
    read = second.get(("db", 7, 4545, 50.0, "C1", (1,)), build)
    assert len(built) == 1
    assert read is not made and read.targets == made.targets and read.meta == made.meta
    assert np.array_equal(read.lines.lengths, made.lines.lengths)
    xy = np.array([[10.0, 3.0], [500.0, -20.0], [900.0, 400.0]])
    assert read.matcher is not None and made.matcher is not None
    got = read.matcher.match(xy[:, 0], xy[:, 1], 0, 60.0)
    want = made.matcher.match(xy[:, 0], xy[:, 1], 0, 60.0)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)  # NaN where unmatched, on both
    assert np.asarray(got[0]).tolist() == [True, True, False]
    # another key, or sharing stopped: built again
    second.get(("db", 7, 4545, 50.0, "C2", (2,)), build)
    third = AssignmentCache()
    third.get(("db", 7, 4545, 50.0, "C1", (1,)), build)
    assert len(built) == 3
