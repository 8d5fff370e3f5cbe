"""Build the BLMK small-area package data from the real public files in ``../shared/data/blmk/``.

Writes ``blmk_health/datasets/data/blmk_lsoa11.parquet``: the 533 LSOAs (2011) of Bedford, Central
Bedfordshire, Luton and Milton Keynes with their code, name, council (place) code, IMD 2019 national
decile and generalised polygons in British National Grid (EPSG:27700), as GeoParquet. The licence and
attribution are in ``blmk_health/datasets/data/NOTICE.md`` (kept by hand, not written here).

Run from the project folder::

    .venv/bin/python scripts/build_package_data.py [--source ../shared/data/blmk] [--out PATH]

The build is deterministic: the same inputs and library versions give the same codes, names, deciles and
coordinates (``tests/datasets/test_package_data.py`` rebuilds it and compares). How:

1. The four GeoJSON files (lon/lat, CRS84) are read with :func:`blmk_health.io.read_boundaries`, which
   repairs the one self-intersecting ring (E01017486). Codes, names and councils are checked against
   ``lsoa11_to_lad_BLMK_derived.csv`` and the IMD deciles read from ``imd2019_decile_BLMK_lsoa11.csv``.
2. Reprojection to EPSG:27700 uses one fixed transformation, the 7-parameter Helmert EPSG:1314
   ("OSGB36 to WGS 84 (6)", about 2 m accurate), whatever PROJ grids are installed (with the OSTN15 grid
   PROJ would otherwise pick another one and the coordinates would move by up to a metre or two).
3. Shared-boundary generalisation, so that neighbours stay exact neighbours: every boundary is noded on a
   1 m grid (all coordinates become whole metres), merged into arcs between junctions, and the arcs are
   simplified together with GEOS's topology-preserving simplifier at :data:`TOLERANCE` metres (arc ends
   are kept and no two arcs come to cross). The simplified arcs are polygonised, and each face is given to
   the source LSOA it overlaps most, so the LSOAs tile the same area with no gaps or overlaps.
4. Checks (the build fails otherwise): 533 LSOAs, every polygon valid and non-empty, no overlaps (areas
   add up to the area of the union), total area within :data:`TOTAL_AREA_TOLERANCE` and each LSOA's area
   within :data:`AREA_TOLERANCE` of the source, file under :data:`MAX_BYTES`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "blmk"
DEFAULT_OUT = ROOT / "blmk_health" / "datasets" / "data" / "blmk_lsoa11.parquet"

#: The councils (places) whose LSOA boundary files are read, in this order.
PLACE_CODES = ("E06000032", "E06000042", "E06000055", "E06000056")
#: Simplification tolerance of the shared arcs, metres.
TOLERANCE = 5.0
#: Grid the boundaries are noded on, metres (every output coordinate is a whole number of metres).
GRID = 1.0
#: Largest relative change of the total area, and of any one LSOA's area, from the source polygons.
TOTAL_AREA_TOLERANCE = 1e-4
AREA_TOLERANCE = 0.01
#: The largest package file accepted, bytes.
MAX_BYTES = 1_000_000
#: EPSG:1314 (inverse: WGS 84 to OSGB36, Helmert, position vector) then British National Grid (EPSG:19916).
PIPELINE = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 "
    "+step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=446.448 +y=-125.157 +z=542.06 "
    "+rx=0.15 +ry=0.247 +rz=0.842 +s=-20.489 +convention=position_vector +step +inv +proj=cart +ellps=airy "
    "+step +proj=pop +v_3 +step +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 "
    "+ellps=airy"
)
COLUMNS = ("lsoa_code", "lsoa_name", "place_code", "imd_decile", "geometry")


def read_sources(source: Path) -> pd.DataFrame:
    """The 533 LSOAs in CRS84 with code, name, place code and IMD decile, sorted by code; checked against
    the lookup and the IMD file."""
    import blmk_health as bh

    frames = []
    for place in PLACE_CODES:
        gdf = bh.io.read_boundaries(source / "boundaries" / f"lsoa_2011_{place}.geojson", to_crs=None)
        frames.append(pd.DataFrame({"lsoa_code": gdf["code"], "lsoa_name": gdf["name"], "place_code": place}))
        frames[-1]["geometry"] = gdf.geometry.to_numpy()
    areas = pd.concat(frames, ignore_index=True).sort_values("lsoa_code", ignore_index=True)
    lookup = pd.read_csv(source / "lsoa11_to_lad_BLMK_derived.csv", dtype=str).sort_values("LSOA11CD")
    imd = bh.io.read_imd(source / "imd2019_decile_BLMK_lsoa11.csv").sort_values("lsoa_code")
    _check_equal("LSOA codes of the lookup", areas["lsoa_code"], lookup["LSOA11CD"])
    _check_equal("LSOA names of the lookup", areas["lsoa_name"], lookup["LSOA11NM"])
    _check_equal("councils of the lookup", areas["place_code"], lookup["LAD_CD"])
    _check_equal("LSOA codes of the IMD file", areas["lsoa_code"], imd["lsoa_code"])
    _check_equal("councils of the IMD file", areas["place_code"], imd["la_code"])
    areas["imd_decile"] = imd["imd_decile"].to_numpy(dtype=np.int64)
    if not areas["imd_decile"].between(1, 10).all():
        raise SystemExit("IMD deciles outside 1-10")
    return areas


def _check_equal(what: str, ours: pd.Series, theirs: pd.Series) -> None:
    if len(ours) != len(theirs) or (ours.to_numpy(dtype=object) != theirs.to_numpy(dtype=object)).any():
        raise SystemExit(f"the boundary files disagree with the {what}")


def to_british_national_grid(geometries: np.ndarray) -> np.ndarray:
    """Longitude/latitude geometries in EPSG:27700 through the fixed :data:`PIPELINE`, made valid."""
    import pyproj
    import shapely

    transformer = pyproj.Transformer.from_pipeline(PIPELINE)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(geometries, project)
    return np.asarray(shapely.make_valid(projected))


def generalise(polygons: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Simplify shared boundaries once for both neighbours, then give each face to the polygon it overlaps
    most; returns one normalised Polygon or MultiPolygon per input polygon, in input order."""
    import shapely

    noded = shapely.union_all(shapely.boundary(polygons), grid_size=GRID)
    arcs = shapely.simplify(shapely.line_merge(noded), tolerance, preserve_topology=True)
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(arcs))))
    face, source = shapely.STRtree(polygons).query(faces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(faces[face], polygons[source]))
    best = (
        pd.DataFrame({"face": face, "source": source, "overlap": overlap})
        .sort_values(["face", "overlap", "source"], ascending=[True, False, True], kind="stable")
        .drop_duplicates("face")
    )
    best = best[best["overlap"] > 0]
    owner = np.full(len(faces), -1)
    owner[best["face"].to_numpy()] = best["source"].to_numpy()
    parts = [faces[owner == i] for i in range(len(polygons))]
    merged = [p[0] if len(p) == 1 else shapely.union_all(p, grid_size=GRID) for p in parts]
    return np.asarray(shapely.normalize(np.asarray(merged, dtype=object)))


def check(generalised: np.ndarray, source: np.ndarray) -> dict[str, float]:
    """Validity, tiling and area conservation of the generalised polygons (raises SystemExit if broken)."""
    import shapely

    problems = []
    if not (shapely.is_valid(generalised).all() and not shapely.is_empty(generalised).any()):
        problems.append("invalid or empty polygons")
    if not np.isin(shapely.get_type_id(generalised), [3, 6]).all():
        problems.append("geometries that are not (multi)polygons")
    area, before = shapely.area(generalised), shapely.area(source)
    union = shapely.union_all(generalised, grid_size=GRID).area
    overlap = float(area.sum() - union)
    total_change = float(area.sum() / before.sum() - 1.0)
    largest_change = float(np.abs(area / before - 1.0).max())
    if overlap > 1.0:
        problems.append(f"overlaps of {overlap:.1f} m²")
    if abs(total_change) > TOTAL_AREA_TOLERANCE or largest_change > AREA_TOLERANCE:
        problems.append(f"area changed by {total_change:.2e} in total, {largest_change:.2%} for one LSOA")
    if problems:
        raise SystemExit("generalised polygons fail their checks: " + "; ".join(problems))
    return {
        "area_km2": float(area.sum() / 1e6),
        "overlap_m2": overlap,
        "total_area_change": total_change,
        "largest_area_change": largest_change,
        "vertices_before": float(shapely.get_num_coordinates(source).sum()),
        "vertices_after": float(shapely.get_num_coordinates(generalised).sum()),
    }


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Build the package file at ``out`` from the files in ``source``; returns a summary of the checks."""
    import geopandas as gpd

    areas = read_sources(source)
    polygons = to_british_national_grid(areas["geometry"].to_numpy())
    generalised = generalise(polygons)
    summary: dict[str, Any] = check(generalised, polygons)
    table = gpd.GeoDataFrame(
        {
            "lsoa_code": areas["lsoa_code"].astype("str"),
            "lsoa_name": areas["lsoa_name"].astype("str"),
            "place_code": areas["place_code"].astype("str"),
            "imd_decile": areas["imd_decile"].astype(np.int64),
        },
        geometry=gpd.GeoSeries(generalised, crs="EPSG:27700"),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False, compression="zstd", schema_version="1.0.0", write_covering_bbox=False)
    summary["bytes"] = out.stat().st_size
    if summary["bytes"] > MAX_BYTES:
        raise SystemExit(f"{out} is {summary['bytes']:,} bytes, more than {MAX_BYTES:,}")
    summary["lsoas_by_place"] = table.groupby("place_code").size().to_dict()
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of the real BLMK files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="GeoParquet file to write")
    args = parser.parse_args(argv)
    summary = build(args.source, args.out)
    print(f"wrote {args.out}")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
