"""Audit benchmark: re-aggregating stored per-patrol results for a generated province.

    .venv/bin/python -m benchmarks.audit_bench [--segments 40000] [--patrols 250000]

A. a county's quarterly audit from raw points: ~2,000 village segments of a generated county,
   20,000 synthetic GPS tracks cleaned, matched, measured and judged (the pure pipeline, in
   ``--workers`` processes), then aggregated; baseline: per-point shapely projection.
B. a quarter's audit from stored per-patrol coverage (what the service keeps in
   patrol_coverage): per-segment coverage unions and gaps, per-post required vs counted,
   region rates and schedule nudges, for 40,000 segments and 250,000 patrols, side by side
   with the previous implementation (``gis_service/domain/audit.py`` at commit BEFORE, read
   from git and run in the same process on the same data). Baseline: the obvious loop, each
   segment filtering the coverage table for its own rows (measured on a subset of segments and
   extrapolated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd

from gis_service.domain.audit import (
    audit_posts,
    audit_targets,
    counted_patrols,
    due,
    region_rates,
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


BEFORE = "bf65f39"  # the audit before issue 13 (per-target and per-post Python loops)


def old_audit() -> types.ModuleType:
    """The previous ``domain/audit.py`` from git, as a module, to run side by side."""
    root = Path(__file__).resolve().parents[1]
    found = subprocess.run(
        ["git", "show", f"{BEFORE}:gis_service/domain/audit.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode:  # no checkout, or a shallow one without that commit
        raise SystemExit(
            f"cannot read gis_service/domain/audit.py of revision {BEFORE} from git "
            f"({found.stderr.strip()}); --skip-before runs without the old audit"
        )
    source = found.stdout
    module = types.ModuleType("audit_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{BEFORE}:gis_service/domain/audit.py", "exec"), module.__dict__)
    return module


def run(q3, targets, posts, patrols, coverage, ancestors, holders, seg_village, rules):
    counted = counted_patrols(patrols, rules)
    t_audit = audit_targets(targets, coverage, counted, holders, q3)
    post_targets = pd.DataFrame({"post_id": posts["post_id"], "target_id": targets["target_id"]})
    p_audit = audit_posts(
        posts, post_targets, targets, counted, coverage, rules, q3, ancestors, dt.date(2026, 10, 15)
    )
    rates = region_rates(
        p_audit,
        t_audit,
        dict(zip(targets["target_id"], ([v] for v in seg_village), strict=True)),
        ancestors,
    )
    return t_audit, p_audit, rates, due(p_audit)


def run_before(old, q3, targets, posts, patrols, coverage, ancestors, holders, seg_village, rules):
    counted = old.counted_patrols(patrols, rules)
    t_audit = old.audit_targets(targets, coverage, counted, holders, q3)
    covered = {t.target_id: (t.length_m, t.covered_m) for t in t_audit}
    own = {int(p): covered[f"S{int(p):06d}"] for p in posts["post_id"]}
    p_audit = old.audit_posts(posts, counted, own, rules, q3, ancestors, dt.date(2026, 10, 15))
    rates = old.region_rates(
        p_audit,
        t_audit,
        dict(zip(targets["target_id"], ([v] for v in seg_village), strict=True)),
        ancestors,
    )
    return t_audit, p_audit, rates, old.reminders(p_audit)


def naive_per_segment(targets, coverage, n: int) -> float:
    started = time.perf_counter()
    for target in targets["target_id"][:n]:
        rows = coverage[coverage["target_id"] == target]
        sum(b - a for ivs in rows["covered"] for a, b in ivs)
    return (time.perf_counter() - started) / n


# -- A: a county from raw points --------------------------------------------------------------

T0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC).timestamp()


def _county(seed: int = 1):
    from benchmarks.cases import segmented_county

    _, h, res = segmented_county(seed=seed)
    village = np.flatnonzero(res.segments.level == "village")
    return h, res, village


def _county_worker(args) -> list[tuple]:
    from gis_service.domain.coverage import LineMatcher, Target, measure
    from gis_service.domain.tracks import clean_track
    from gis_service.domain.verdict import PatrolContext, judge

    seed, specs = args
    _, res, village = _county(1)
    lines, seg = res.lines, res.segments
    matcher = LineMatcher(lines)
    rng = np.random.default_rng(seed)
    context = PatrolContext(
        now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC), post_periods=[(dt.date(2026, 1, 1), None)]
    )
    out = []
    for pid, k, frac, walk_m, day in specs:
        j = village[k]
        length = seg.end[j] - seg.start[j]
        start = seg.start[j] + frac * max(length - walk_m, 0.0)
        s = np.arange(start, min(start + walk_m, seg.end[j]), 6.0)
        if len(s) < 3:
            s = np.linspace(seg.start[j], seg.end[j], 3)
        xy = lines.interpolate(np.full(len(s), seg.river[j]), s) + rng.normal(0, 5, (len(s), 2))
        t = T0 + day * 86400 + np.arange(len(s)) * 5.0
        track = clean_track(xy[:, 0], xy[:, 1], t, np.full(len(s), 6.0))
        cov = measure(
            track,
            lines,
            [
                Target(
                    str(j), int(seg.river[j]), float(seg.start[j]), float(seg.end[j]), 30.0, 1000.0
                )
            ],
            matcher=matcher,
        )
        verdict = judge(track, cov, context)
        out.append(
            (
                pid,
                f"S{j}",
                [list(iv) for iv in cov.targets[0].covered],
                verdict.status,
                cov.total_time_s,
                cov.on_distance_m,
                day,
                len(s),
            )
        )
    return out


def bench_county(n_patrols: int, workers: int, rules) -> None:
    from gis_service.domain.coverage import LineMatcher  # noqa: F401 - warm import

    started = time.perf_counter()
    h, res, village = _county(1)
    seg = res.segments
    rng = np.random.default_rng(7)
    chief_of = rng.integers(0, len(village), n_patrols)
    specs = list(
        zip(
            range(n_patrols),
            chief_of,
            rng.uniform(0, 1, n_patrols),
            rng.uniform(500, 2500, n_patrols),
            rng.integers(0, 92, n_patrols),
            strict=True,
        )
    )
    chunks = [(k, specs[k::workers]) for k in range(workers)]
    with mp.get_context("fork").Pool(workers) as pool:
        parts = pool.map(_county_worker, chunks)
    rows = [r for part in parts for r in part]
    points = sum(r[7] for r in rows)
    q3 = parse_period("2026-Q3")
    targets = pd.DataFrame(
        {"target_id": [f"S{j}" for j in village], "length_m": seg.end[village] - seg.start[village]}
    )
    posts = pd.DataFrame(
        {
            "post_id": np.arange(len(village)),
            "chief_id": [f"C{j}" for j in village],
            "role": "segment_chief",
            "level": "village",
            "region_code": [
                str(h.codes[seg.region[j]]) if seg.region[j] >= 0 else "x" for j in village
            ],
            "water_body_code": "R",
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": None,
        }
    )
    patrols = pd.DataFrame(
        {
            "patrol_id": [r[0] for r in rows],
            "chief_id": [f"C{r[1][1:]}" for r in rows],
            "day": [q3.start + dt.timedelta(days=int(r[6])) for r in rows],
            "status": [r[3] for r in rows],
            "duration_s": [r[4] for r in rows],
            "distance_m": [r[5] for r in rows],
        }
    )
    coverage = pd.DataFrame(
        {
            "patrol_id": [r[0] for r in rows],
            "target_id": [r[1] for r in rows],
            "covered": [r[2] for r in rows],
        }
    )
    counted = counted_patrols(patrols, rules)
    audit_targets(targets, coverage, counted, {t: [f"C{t[1:]}"] for t in targets["target_id"]}, q3)
    post_targets = pd.DataFrame({"post_id": posts["post_id"], "target_id": targets["target_id"]})
    ancestors = {
        code: tuple(
            str(h.codes[a])
            for a in (
                h.ancestor(np.array([h.index_of[code]]), lv)[0] for lv in ("township", "county")
            )
            if a >= 0
        )
        for code in posts["region_code"]
        if code in h.index_of
    }
    p_audit = audit_posts(
        posts, post_targets, targets, counted, coverage, rules, q3, ancestors, dt.date(2026, 10, 15)
    )
    seconds = time.perf_counter() - started
    print(
        f"A. county audit from raw points: {len(village)} village segments, {len(rows)} "
        f"patrols, {points:,} points, {workers} workers -> {seconds:.1f} s (goal <= 15 s); "
        f"{len(counted)} patrols counted, "
        f"{sum(a.status == 'met' for a in p_audit)} of {len(p_audit)} posts met"
    )
    # baseline: per-point shapely projection of the same points, measured on 100 patrols
    import shapely

    sample = specs[:100]
    started = time.perf_counter()
    for _, k, _frac, walk_m, _ in sample:
        j = village[k]
        line = shapely.LineString(
            res.lines.interpolate(
                np.full(50, seg.river[j]), np.linspace(seg.start[j], seg.end[j], 50)
            )
        )
        s = np.arange(0, walk_m, 6.0)
        for x, y in res.lines.interpolate(np.full(len(s), seg.river[j]), seg.start[j] + s):
            p = shapely.Point(x, y)
            if line.distance(p) <= 50:
                line.project(p)
    naive = (time.perf_counter() - started) / len(sample) * len(rows)
    print(
        f"   baseline per-point shapely loop (projection only, one core): ~{naive:.0f} s "
        f"extrapolated -> ratio {naive / seconds:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=40_000)
    parser.add_argument("--patrols", type=int, default=250_000)
    parser.add_argument("--county-patrols", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-before", action="store_true", help="skip the old audit's run")
    args = parser.parse_args()
    rules = load_rules()
    bench_county(args.county_patrols, args.workers, rules)
    started = time.perf_counter()
    data = province(args.segments, args.patrols)
    print(f"generate province case: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    _, p_audit, rates, nudges = run(*data, rules)
    seconds = time.perf_counter() - started
    print(
        f"B. province re-aggregation: {args.segments} segments, {args.patrols} patrols -> "
        f"{seconds:.1f} s (goal <= 10 s); {len(p_audit)} posts, {len(rates)} regions, "
        f"{len(nudges)} behind schedule"
    )
    if not args.skip_before:
        old = old_audit()
        started = time.perf_counter()
        run_before(old, *data, rules)
        before = time.perf_counter() - started
        print(
            f"   the same with the audit before issue 13 ({BEFORE}): {before:.1f} s -> "
            f"ratio {before / seconds:.1f}x"
        )
    per = naive_per_segment(data[1], data[4], 200)
    print(
        f"baseline per-segment filtering: {per * 1000:.1f} ms/segment -> "
        f"{per * args.segments:.0f} s extrapolated; ratio {per * args.segments / seconds:.0f}x"
    )


if __name__ == "__main__":
    main()
