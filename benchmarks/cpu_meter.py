"""Where a load test's CPU goes: the server's processes, PostgreSQL's, and the load generator.

Throughput on a two-core machine is bounded by the CPU every upload costs *in all processes*
together (the server, the database and the phones' stand-in share the cores): at 100 uploads
per second each may cost 20 ms of CPU in all. Latency percentiles do not show which process
to make cheaper; these counters do. Read from ``/proc`` (Linux): user plus system time of
every thread, sampled at the start and the end of a run, so a process's start-up before the
run is not counted. PostgreSQL is every process of that name on the machine (run on a quiet
machine: another session's queries count too); one the meter cannot see (another machine, a
container) is reported as not measured, never as zero. A process that exits during the run
(a pooled connection closed) takes its CPU with it: the figures are a floor.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _ticks(pid: int) -> tuple[str, int, int] | None:
    """(command name, parent pid, user + system ticks) of a live process, else None."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    return name, int(fields[1]), int(fields[11]) + int(fields[12])


def _snapshot() -> dict[int, tuple[str, int, int]]:
    out = {}
    for entry in _PROC.iterdir() if _PROC.is_dir() else ():
        if entry.name.isdigit() and (seen := _ticks(int(entry.name))) is not None:
            out[int(entry.name)] = seen
    return out


def _descendants(root: int, snap: dict[int, tuple[str, int, int]]) -> set[int]:
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (_, parent, _) in snap.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree & snap.keys()


@dataclass(frozen=True)
class CpuSplit:
    """CPU seconds spent between two snapshots, per group of processes."""

    server: float
    postgres: float | None  # None: no PostgreSQL process visible on this machine
    load: float
    wall: float

    def line(self, requests: int) -> str:
        """Per request, in ms of CPU, and the share of the machine's cores used."""
        per = 1000 / max(requests, 1)
        pg = "not measured" if self.postgres is None else f"{self.postgres * per:.1f}"
        parts = [f"server {self.server * per:.1f}", f"postgres {pg}"]
        parts.append(f"load generator {self.load * per:.1f}")
        total = self.server + (self.postgres or 0.0) + self.load
        cores = os.cpu_count() or 1
        return (
            f"CPU per request (ms): {', '.join(parts)}; in all {total * per:.1f} ms, "
            f"{total / self.wall / cores:.0%} of {cores} cores over {self.wall:.1f} s"
        )


class CpuMeter:
    """Start with the server's pid; :meth:`split` gives the CPU used since."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.t0 = time.monotonic()
        self.before = _snapshot()

    def split(self) -> CpuSplit:
        after = _snapshot()
        wall = time.monotonic() - self.t0

        def used(pids: set[int]) -> float:
            ticks = 0
            for pid in pids:
                name, _, now = after[pid]
                was = self.before.get(pid)
                # a pid reused by another program in between counts from zero
                ticks += now - (was[2] if was is not None and was[0] == name else 0)
            return ticks / _HZ

        server = _descendants(self.server_pid, after)
        postgres = {pid for pid, (name, _, _) in after.items() if name.startswith("postgres")}
        return CpuSplit(
            server=used(server),
            postgres=used(postgres) if postgres else None,
            load=used(_descendants(os.getpid(), after) - server),
            wall=wall,
        )
