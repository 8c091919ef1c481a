"""Audit benchmark: re-aggregating stored per-patrol results for a generated province.

    .venv/bin/python -m benchmarks.audit_bench [--segments 40000] [--patrols 250000]

A quarter's audit from stored per-patrol coverage (what the service keeps in
patrol_coverage): per-segment coverage unions and gaps, per-post required vs counted, region
rates and reminders, for 40,000 segments and 250,000 patrols. Baseline: the obvious loop,
each segment filtering the coverage table for its own rows (measured on a subset of segments
and extrapolated). The county audit from raw points is not benchmarked yet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from gis_service.domain.audit import (
    audit_posts,
    audit_targets,
    counted_patrols,
    region_rates,
    reminders,
)
from gis_service.domain.periods import parse_period
from gis_service.domain.rules import load_rules


def province(n_segments: int, n_patrols: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    q3 = parse_period("2026-Q3")
    # 100 counties x 20 townships x 20 villages; one village segment chief per segment
    village = [
        f"99{c // 10:02d}{c % 10:02d}{t:03d}{v:03d}"
        for c in range(100)
        for t in range(1, 21)
        for v in range(1, 21)
    ]
    seg_village = rng.choice(village, n_segments)
    targets = pd.DataFrame(
        {
            "target_id": [f"S{k:06d}" for k in range(n_segments)],
            "length_m": rng.uniform(300, 5000, n_segments),
        }
    )
    posts = pd.DataFrame(
        {
            "post_id": np.arange(n_segments),
            "chief_id": [f"C{k:06d}" for k in range(n_segments)],
            "role": "segment_chief",
            "level": "village",
            "region_code": seg_village,
            "water_body_code": "R",
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": None,
        }
    )
    chief_of = rng.integers(0, n_segments, n_patrols)
    day = (np.datetime64(q3.start) + rng.integers(0, q3.days, n_patrols)).astype(object)
    patrols = pd.DataFrame(
        {
            "patrol_id": np.arange(n_patrols),
            "chief_id": posts["chief_id"].to_numpy()[chief_of],
            "day": day,
            "status": rng.choice(
                ["valid", "partial", "invalid", "suspicious"], n_patrols, p=[0.8, 0.08, 0.08, 0.04]
            ),
            "duration_s": rng.uniform(300, 5400, n_patrols),
            "distance_m": rng.uniform(500, 6000, n_patrols),
        }
    )
    length = targets["length_m"].to_numpy()[chief_of]
    a = rng.uniform(0, 0.6, n_patrols) * length
    b = np.minimum(length, a + rng.uniform(0.2, 0.8, n_patrols) * length)
    coverage = pd.DataFrame(
        {
            "patrol_id": np.arange(n_patrols),
            "target_id": targets["target_id"].to_numpy()[chief_of],
            "covered": [[[x, y]] for x, y in zip(a, b, strict=True)],
        }
    )
    ancestors = {}
    for v in village:
        t, c = v[:9], v[:6]
        ancestors[v] = (t, c, c[:4] + "00", "990000")
    holders = dict(zip(targets["target_id"], ([c] for c in posts["chief_id"]), strict=True))
    return q3, targets, posts, patrols, coverage, ancestors, holders, seg_village


def run(q3, targets, posts, patrols, coverage, ancestors, holders, seg_village, rules):
    counted = counted_patrols(patrols, rules)
    t_audit = audit_targets(targets, coverage, counted, holders, q3)
    covered = {t.target_id: (t.length_m, t.covered_m) for t in t_audit}
    own = {int(p): covered[f"S{int(p):06d}"] for p in posts["post_id"]}
    p_audit = audit_posts(posts, counted, own, rules, q3, ancestors, dt.date(2026, 10, 15))
    rates = region_rates(
        p_audit,
        t_audit,
        dict(zip(targets["target_id"], ([v] for v in seg_village), strict=True)),
        ancestors,
    )
    return t_audit, p_audit, rates, reminders(p_audit)


def naive_per_segment(targets, coverage, n: int) -> float:
    started = time.perf_counter()
    for target in targets["target_id"][:n]:
        rows = coverage[coverage["target_id"] == target]
        sum(b - a for ivs in rows["covered"] for a, b in ivs)
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=40_000)
    parser.add_argument("--patrols", type=int, default=250_000)
    args = parser.parse_args()
    rules = load_rules()
    started = time.perf_counter()
    data = province(args.segments, args.patrols)
    print(f"generate province case: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    _, p_audit, rates, due = run(*data, rules)
    seconds = time.perf_counter() - started
    print(
        f"province re-aggregation: {args.segments} segments, {args.patrols} patrols -> "
        f"{seconds:.1f} s (goal < 60 s); {len(p_audit)} posts, {len(rates)} regions, "
        f"{len(due)} reminders"
    )
    per = naive_per_segment(data[1], data[4], 200)
    print(
        f"baseline per-segment filtering: {per * 1000:.1f} ms/segment -> "
        f"{per * args.segments:.0f} s extrapolated; ratio {per * args.segments / seconds:.0f}x"
    )


if __name__ == "__main__":
    main()
