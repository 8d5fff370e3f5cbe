"""Timings of the two geography performance targets (issue 4), each to run in under 5 seconds.

1. Spatial join of ``--points`` (1,000,000) random points to the 533 BLMK LSOA11 polygons with
   :func:`blmk_health.geo.points_to_areas` (points given as x/y columns in EPSG:27700). The polygons
   are read from ``../shared/data/blmk/boundaries`` beside the project folder, or from
   ``$BLMK_SHARED_DATA/blmk/boundaries`` (OS/ONS generalised 2011 LSOAs, as in the tests); without
   that folder a synthetic grid of 533 squares over the same extent is used instead.
2. Rollup of ``--rows`` (1,000,000) patient rows (practice code, sex, age band, a count) to every
   level of the practice -> cluster -> place -> ICB hierarchy with :func:`blmk_health.geo.rollup`,
   on pandas, Polars (eager and lazy) and DuckDB. The hierarchy is the real ePCN one (99 practices,
   22 PCNs, 4 places) when the shared data are present, else a synthetic one of the same size.

The script checks the results (every point inside the LSOAs' extent is matched or reported, rollup
totals equal the input total at every level) and prints the median of ``--repeats`` runs after one
warm-up run. With ``--strict`` a time over 5 s gives exit status 2.

Usage (from the project folder)::

    python benchmarks/bench_geo.py
    python benchmarks/bench_geo.py --points 200000 --rows 200000 --repeats 3
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import blmk_health.geo as geo

#: The real BLMK files: ``$BLMK_SHARED_DATA/blmk``, by default ``../shared/data/blmk`` beside the project.
SHARED = Path(os.environ.get("BLMK_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "blmk"
TARGET = 5.0


def lsoas() -> Any:
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    paths = sorted(glob.glob(str(SHARED / "boundaries" / "lsoa_2011_E06*.geojson")))
    if paths:
        frames = [gpd.read_file(p) for p in paths]
        gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs).to_crs("EPSG:27700")
        gdf = gdf.rename(columns={"LSOA11CD": "lsoa_code"})[["lsoa_code", "geometry"]]
        gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
        return gdf, "real 533 LSOA11 polygons"
    cells = [(i, j) for i in range(41) for j in range(13)]
    return (
        gpd.GeoDataFrame(
            {"lsoa_code": [f"E{k:08d}" for k in range(len(cells))]},
            geometry=[
                box(480000 + i * 1500, 200000 + j * 5000, 481500 + i * 1500, 205000 + j * 5000) for i, j in cells
            ],
            crs="EPSG:27700",
        ),
        "synthetic grid of 533 squares",
    )


def hierarchy() -> tuple[geo.Hierarchy, str]:
    details = SHARED / "epcn_2020_BLMK_pcn_details.csv"
    partners = SHARED / "epcn_2020_BLMK_core_partner_details.csv"
    if details.exists():
        h = geo.Hierarchy.from_epcn(
            pd.read_csv(details, dtype=str),
            pd.read_csv(partners, dtype=str),
            overrides={"U52875": "E06000056", "U83511": "E06000056"},
        )
        return h, "real ePCN hierarchy"
    practices = pd.DataFrame({"practice_code": [f"E8{k:04d}" for k in range(99)]})
    practices["cluster_code"] = [f"U{k % 22:05d}" for k in range(99)]
    practices["place_code"] = [list(geo.PLACES)[k % 22 % 4] for k in range(99)]
    practices["icb_code"] = "QHG"
    return geo.Hierarchy.from_frame(practices), "synthetic hierarchy of 99 practices"


def to_pandas(result: Any) -> pd.DataFrame:
    """Any result frame as pandas, collecting lazy ones."""
    import narwhals.stable.v2 as nw

    if isinstance(result, pd.DataFrame):
        return result
    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def timed(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(20240401)
    failures = []

    areas, source = lsoas()
    minx, miny, maxx, maxy = areas.total_bounds
    points = pd.DataFrame({"x": rng.uniform(minx, maxx, args.points), "y": rng.uniform(miny, maxy, args.points)})

    def join() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return geo.points_to_areas(points, areas, crs="EPSG:27700", unmatched="ignore")

    seconds, joined = timed(join, args.repeats)
    matched = int(joined["lsoa_code"].notna().sum())
    print(f"spatial join: {args.points:,} points -> {len(areas)} polygons ({source})")
    print(f"  {seconds:.2f} s median of {args.repeats}; {matched:,} points inside an LSOA")
    if seconds > TARGET:
        failures.append("spatial join")

    h, h_source = hierarchy()
    codes = np.array(h.codes("practice"), dtype=object)
    rows = pd.DataFrame(
        {
            "practice_code": codes[rng.integers(0, len(codes), args.rows)],
            "sex": rng.choice(np.array(["F", "M"], dtype=object), args.rows),
            "age_band": rng.integers(0, 19, args.rows),
            "patients": np.ones(args.rows, dtype=np.int64),
        }
    )
    frames: dict[str, Callable[[], Any]] = {"pandas": lambda: rows}
    try:
        import polars as pl

        polars_rows = pl.from_pandas(rows)
        frames["polars"] = lambda: polars_rows
        frames["polars-lazy"] = lambda: polars_rows.lazy()
    except ImportError:  # pragma: no cover
        pass
    try:
        import duckdb
        import pyarrow as pa

        arrow_rows = pa.Table.from_pandas(rows, preserve_index=False)
        frames["duckdb"] = lambda: duckdb.from_arrow(arrow_rows)
    except ImportError:  # pragma: no cover
        pass

    print(f"rollup: {args.rows:,} patient rows to every level of the {h_source} (practice, cluster, place, icb)")
    for name, make in frames.items():

        def all_levels(make: Callable[[], Any] = make) -> list[pd.DataFrame]:
            return [to_pandas(geo.rollup(make(), h, level, sums="patients", by="sex")) for level in h.levels]

        seconds, results = timed(all_levels, args.repeats)
        for result in results:
            if int(result["patients"].sum()) != args.rows:
                print(f"  ERROR: {name} total {int(result['patients'].sum())} != {args.rows}")
                return 1
        print(f"  {name:12s} {seconds:.2f} s for all 4 levels (median of {args.repeats}); totals conserved")
        if seconds > TARGET:
            failures.append(f"rollup {name}")
    if failures:
        print(f"over {TARGET:.0f} s: {', '.join(failures)}")
        return 2 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
