"""Entry point: write the whole sample region (regions, waters, chiefs, optionally tracks).

    python -m gis_service.sample.generate [OUT_DIR] [--no-tracks]

Everything derives from one seed through numpy's default_rng, features are written in code
order with a fixed coordinate precision, so two runs give byte-identical files.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from . import realdata_dir
from .problems import build_accountability, build_problems
from .region import build_regions
from .roster import build_roster
from .tracks import write_tracks
from .water import build_water

DEFAULT_OUT = Path("data/sample")
DEFAULT_SEED = 20260701
# chiefs the tests, notebooks and README follow: they patrol as their rules ask
FOLLOWED = {"P0145": "diligent", "P0210": "diligent"}
_GEOJSON_OPTIONS = {"COORDINATE_PRECISION": 7, "RFC7946": "YES", "WRITE_NAME": "NO"}


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options=_GEOJSON_OPTIONS)


def generate(
    out_dir: Path, *, with_tracks: bool = True, write_base: bool = True, seed: int = DEFAULT_SEED
) -> dict:
    """Build and write the sample; return counts and the planted roster defects.

    ``write_base=False`` writes only the tracks: the set-up uses it so that the committed
    regions, waters and roster are never rewritten on a user's machine.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    realdata = realdata_dir()
    # independent streams, so that changing one part does not reshuffle the others
    rng_regions, rng_water, rng_roster, rng_tracks, rng_problems = (
        np.random.default_rng([seed, k]) for k in range(5)
    )
    regions = build_regions(realdata, rng_regions)
    water = build_water(regions, realdata, rng_water)
    chiefs, segments, defects = build_roster(regions, water, rng_roster)
    person_ids = [f"P{i + 1:04d}" for i in range(max(s.person for s in segments) + 1)]

    if write_base:
        _write_geojson(regions, out_dir / "regions.geojson")
        _write_geojson(water, out_dir / "water_bodies.geojson")
        chiefs.to_csv(out_dir / "chiefs.csv", index=False, lineterminator="\n", encoding="utf-8")
        problems = build_problems(segments, regions, water, person_ids, rng_problems)
        problems.to_csv(
            out_dir / "problems.csv", index=False, lineterminator="\n", encoding="utf-8"
        )
        build_accountability(problems).to_csv(
            out_dir / "accountability.csv", index=False, lineterminator="\n", encoding="utf-8"
        )

    result: dict = {
        "regions": regions["level"].value_counts().sort_index().to_dict(),
        "water_bodies": water["kind"].value_counts().sort_index().to_dict(),
        "posts": len(chiefs),
        "people": int(chiefs["person_id"].nunique()),
        "roles": chiefs["role"].value_counts().sort_index().to_dict(),
        **defects,
    }
    if with_tracks:
        change = defects["chief_change"]
        manifest, plan = write_tracks(
            out_dir / "tracks",
            segments,
            chiefs,
            regions,
            water,
            person_ids,
            rng_tracks,
            # the chief replaced on 16 August and his successor: no patrol (audit test case)
            absent={change["old_person_id"], change["new_person_id"]},
            fixed=FOLLOWED,
        )
        result["tracks"] = manifest["kind"].value_counts().sort_index().to_dict()
        result["behaviour"] = (
            plan.drop_duplicates("person_id")["behaviour"].value_counts().to_dict()
        )
        result["expected_status"] = plan["expected_status"].value_counts().to_dict()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-tracks", action="store_true", help="skip the GPX patrol tracks")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    result = generate(args.out_dir, with_tracks=not args.no_tracks, seed=args.seed)
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
