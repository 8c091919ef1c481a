"""Sliding-window rate limits for the anonymous write routes (a signboard's public report):
per client address and per board, in memory, per server process (``serve --workers N``
multiplies the allowance by N; the per-board limit still bounds what one board can bring)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 100_000  # the oldest keys are forgotten beyond this (a flood of addresses)


class SlidingWindow:
    """At most ``limit`` events per ``window_s`` seconds for each key."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.events: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may act again (0: now)."""
        now = self.clock()
        times = self.events.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.window_s - now

    def record(self, key: str) -> None:
        times = self.events.setdefault(key, deque())
        times.append(self.clock())
        self.events.move_to_end(key)
        while len(self.events) > MAX_KEYS:
            self.events.popitem(last=False)


def retry_after(seconds: float) -> str:
    """``Retry-After`` in whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
