"""The assignment cache is shared by the upload threads of a process: its LRU bookkeeping must
hold under concurrent use (an OrderedDict moved and popped from several threads at once
raises KeyError or loses its bound without the lock)."""

from __future__ import annotations

import functools
import sys
import threading

import numpy as np

from gis_service.domain.linear import LineSet
from gis_service.services.patrol_assignment import Assignment, AssignmentCache


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
