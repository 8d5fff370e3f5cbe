"""Boundaries: dissolving small areas, cluster polygons, GeoParquet, and points to small areas."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._frames import Frame, as_list, assemble, collect, to_pandas
from blmk_health._inputs import prepare
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.geo._common import UNMATCHED, check_option, describe_codes, pick_column
from blmk_health.geo._hierarchy import Hierarchy

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "assign_areas",
    "cluster_boundaries",
    "dissolve_areas",
    "points_to_areas",
    "read_geoparquet",
    "write_geoparquet",
]

_AREA_CODES = ("lsoa_code", "code", "lsoa11cd", "lsoa21cd", "LSOA11CD", "LSOA21CD", "msoa_code", "area_code")


def _geoframe(gdf: Any, argument: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{argument}: expected a geopandas GeoDataFrame, got {type(gdf).__module__}.{type(gdf).__qualname__}"
        raise SchemaError(msg)
    if gdf.crs is None:
        msg = (
            f"{argument}: the GeoDataFrame has no CRS, so its coordinates cannot be checked or joined safely; "
            "set it with .set_crs('EPSG:27700') (British National Grid) or .set_crs('EPSG:4326') (longitude/latitude)"
        )
        raise SchemaError(msg)
    return gdf


def _area_code(gdf: gpd.GeoDataFrame, code: str | None, argument: str) -> str:
    return pick_column([c for c in gdf.columns if c != gdf.geometry.name], code, _AREA_CODES, f"{argument} code")


def _checked_geometry(gdf: gpd.GeoDataFrame, code: str, argument: str, make_valid: bool) -> gpd.GeoDataFrame:
    """Reject (or repair, with ``make_valid``) missing, empty and invalid geometries, naming the areas."""
    import shapely

    geoms = gdf.geometry.values
    empty = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms), dtype=bool)
    if empty.any():
        msg = f"{argument}: {int(empty.sum())} area(s) have no geometry: {describe_codes(gdf.loc[empty, code])}"
        raise DomainError(msg)
    valid = np.asarray(shapely.is_valid(geoms), dtype=bool)
    if valid.all():
        return gdf
    if not make_valid:
        reasons = shapely.is_valid_reason(geoms[~valid])
        shown = "; ".join(f"{c!r}: {r}" for c, r in list(zip(gdf.loc[~valid, code], reasons, strict=True))[:5])
        msg = (
            f"{argument}: {int((~valid).sum())} area(s) have invalid geometry ({shown}); "
            "pass make_valid=True to repair them with shapely.make_valid"
        )
        raise DomainError(msg)
    out = gdf.copy()
    repaired = shapely.make_valid(geoms[~valid])
    polygonal = shapely.get_type_id(repaired) == 7  # collections: keep the polygonal parts
    if polygonal.any():
        parts = [
            shapely.union_all([p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)])
            for g in repaired[polygonal]
        ]
        repaired[polygonal] = parts
    out.loc[~valid, out.geometry.name] = repaired
    return out


def _projected(gdf: gpd.GeoDataFrame, argument: str) -> None:
    if not gdf.crs.is_projected:
        msg = (
            f"{argument}: CRS {gdf.crs.to_string()} is geographic (degrees); areas and distances need a projected CRS. "
            "Reproject first, e.g. .to_crs('EPSG:27700')"
        )
        raise SchemaError(msg)


def dissolve_areas(
    areas: Any,
    by: str,
    *,
    lookup: Any = None,
    code: str | None = None,
    sums: str | Sequence[str] | None = None,
    make_valid: bool = False,
) -> gpd.GeoDataFrame:
    """Dissolve small-area polygons (LSOAs) into larger areas (places, the ICB, clusters).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Small areas with a CRS, e.g. ``bh.io.read_boundaries(...)`` or the synthetic ``lsoas``.
    by : str
        Column of the larger area's code, in ``areas`` or in ``lookup``. For the ICB, add a
        constant column first: ``areas.assign(icb_code="QHG")``.
    lookup : DataFrame, optional
        Any supported frame with ``code`` and ``by`` columns (e.g. the LSOA -> local-authority file),
        used when ``by`` is not a column of ``areas``.
    code : str, optional
        Column of small-area codes (``lsoa_code`` or ``code`` by default).
    sums : str or list of str, optional
        Numeric columns of ``areas`` to sum (populations, counts).
    make_valid : bool, default False
        Repair invalid polygons with ``shapely.make_valid`` instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per ``by`` value, sorted: ``by``, ``n_areas``, the sums and the dissolved geometry,
        in the CRS of ``areas``.

    Raises
    ------
    SchemaError
        Not a GeoDataFrame, no CRS, or a missing column.
    DomainError
        Invalid, missing or empty geometry (naming the areas).
    ReferenceDataError
        Small areas with no ``by`` value (naming them).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> lsoas = gpd.GeoDataFrame({"lsoa_code": ["A", "B", "C"], "place_code": ["L", "L", "M"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)], crs="EPSG:27700")
    >>> places = bh.geo.dissolve_areas(lsoas, "place_code")
    >>> places[["place_code", "n_areas"]].assign(area=places.area)
      place_code  n_areas  area
    0          L        2   2.0
    1          M        1   2.0
    """
    gdf = _geoframe(areas, "areas")
    code_col = _area_code(gdf, code, "areas")
    sum_cols = as_list(sums, "sums")
    gdf = _checked_geometry(gdf, code_col, "areas", make_valid)
    if by not in gdf.columns:
        if lookup is None:
            msg = f"by: column {by!r} is not in areas (columns: {list(gdf.columns)[:20]!r}); add it or pass lookup="
            raise SchemaError(msg)
        table = to_pandas(lookup, "lookup")
        key = pick_column(
            list(table.columns), code_col if code_col in table.columns else None, _AREA_CODES, "lookup code"
        )
        if by not in table.columns:
            msg = f"lookup: column {by!r} not found (columns: {list(table.columns)[:20]!r})"
            raise SchemaError(msg)
        pairs = table[[key, by]].drop_duplicates(key)
        mapped = gdf[code_col].map(dict(zip(pairs[key], pairs[by], strict=True)))
        gdf = gdf.assign(**{by: mapped})
    missing = [c for c in sum_cols if c not in gdf.columns]
    if missing:
        msg = f"sums: column(s) {missing!r} not in areas"
        raise SchemaError(msg)
    orphan = gdf[by].isna().to_numpy(dtype=bool)
    if orphan.any():
        msg = (
            f"areas: {int(orphan.sum())} area(s) have no {by!r} value: {describe_codes(gdf.loc[orphan, code_col])}; "
            "every area must belong to one larger area"
        )
        raise ReferenceDataError(msg)
    work = gdf[[by, code_col, *sum_cols, gdf.geometry.name]].copy()
    work["n_areas"] = 1
    agg: dict[str, str] = {"n_areas": "sum", **dict.fromkeys(sum_cols, "sum")}
    dissolved = work.drop(columns=[code_col]).dissolve(by=by, aggfunc=agg, sort=True).reset_index()
    return dissolved[[by, "n_areas", *sum_cols, dissolved.geometry.name]]


def assign_areas(
    registrations: Any,
    hierarchy: Hierarchy,
    to: str = "cluster",
    *,
    lsoa: str = "lsoa_code",
    practice: str = "practice_code",
    patients: str = "patients",
    at: Any = None,
    unmapped: str = "raise",
) -> pd.DataFrame:
    """Assign each small area to the ``to`` area (cluster) holding most of its registered patients.

    The practice counts of each LSOA are rolled up to level ``to`` (:func:`rollup`), and the LSOA
    goes to the area with the most patients; a tie goes to the lowest code. Patients of practices
    outside the hierarchy (``unmapped="group"``) do not compete.

    Returns
    -------
    pandas.DataFrame
        ``lsoa``, ``<to>_code``, ``patients`` (all registered patients living in the LSOA),
        ``patients_assigned`` (those of the chosen area) and ``share`` (their proportion), by LSOA.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({"practice_code": ["P1", "P2"], "cluster_code": ["C1", "C2"]}),
    ...                                 place=None, icb=None)
    >>> reg = pd.DataFrame({"practice_code": ["P1", "P2", "P2"], "lsoa_code": ["A", "A", "B"],
    ...                     "patients": [70, 30, 50]})
    >>> bh.geo.assign_areas(reg, h)
      lsoa_code cluster_code  patients  patients_assigned  share
    0         A           C1       100                 70    0.7
    1         B           C2        50                 50    1.0
    """
    from blmk_health.geo._rollup import UNMAPPED, rollup

    frame = prepare(
        registrations,
        argument="registrations",
        columns=[("lsoa", lsoa), ("practice", practice), ("patients", patients)],
    ).frame
    rolled = rollup(
        frame.frame.select(nw.col(practice), nw.col(lsoa), nw.col(patients)),
        hierarchy,
        to,
        on=practice,
        sums=[patients],
        by=[lsoa],
        at=at,
        unmapped=unmapped,
    )
    table = to_pandas(rolled, "registrations")
    key = f"{to}_code"
    table = table[[lsoa, key, patients]].copy()
    table[patients] = pd.to_numeric(table[patients]).fillna(0)
    totals = table.groupby(lsoa, sort=True)[patients].sum()
    ranked = table[table[key] != UNMAPPED].sort_values([lsoa, patients, key], ascending=[True, False, True])
    best = ranked.drop_duplicates(lsoa).set_index(lsoa)
    out = pd.DataFrame({lsoa: totals.index.astype(object)})
    out[key] = out[lsoa].map(best[key]).astype(object)
    out["patients"] = totals.to_numpy()
    out["patients_assigned"] = out[lsoa].map(best[patients]).fillna(0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = out["patients_assigned"] / out["patients"]
    return out.reset_index(drop=True)


def cluster_boundaries(
    areas: Any,
    registrations: Any,
    hierarchy: Hierarchy,
    to: str = "cluster",
    *,
    code: str | None = None,
    lsoa: str = "lsoa_code",
    practice: str = "practice_code",
    patients: str = "patients",
    at: Any = None,
    unmapped: str = "raise",
    unassigned: str = "raise",
    make_valid: bool = False,
) -> gpd.GeoDataFrame:
    """Cluster (PCN) polygons: each LSOA goes to the cluster holding most of its registered patients.

    Clusters are lists of practices, not territories, and their patients overlap. A map needs a
    territory, so each small area is assigned to the cluster with the largest number of its
    residents registered (:func:`assign_areas`; ties to the lowest code), and the areas of each
    cluster are dissolved. The ``share`` column tells how dominant the cluster is: a low share marks a
    boundary that is a convention, not a fact.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Small-area polygons with a CRS.
    registrations : DataFrame
        Registered patients by practice and LSOA of residence (any supported frame).
    hierarchy : Hierarchy
        Practices -> clusters.
    to : str, default "cluster"
        The level to build polygons for.
    code : str, optional
        Small-area code column of ``areas`` (``lsoa_code`` or ``code`` by default).
    lsoa, practice, patients : str
        Columns of ``registrations``.
    at : date, optional
        Use the hierarchy in force on this date.
    unmapped : {"raise", "group"}, default "raise"
        Practices outside the hierarchy: raise, or leave their patients out of the competition.
    unassigned : {"raise", "group"}, default "raise"
        Areas with no registered patients: raise naming them, or dissolve them into an
        ``"unassigned"`` polygon.
    make_valid : bool, default False
        Repair invalid polygons instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``<to>_code``, ``<to>_name`` (when known), ``n_areas``, ``patients`` (registered residents of
        those areas), ``patients_assigned`` (of them, registered in the cluster), ``share`` and the
        geometry, sorted by code.

    Raises
    ------
    SchemaError, DomainError, ReferenceDataError
        As :func:`dissolve_areas` and :func:`rollup`; and areas without patients when
        ``unassigned="raise"``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> lsoas = gpd.GeoDataFrame({"lsoa_code": ["A", "B", "C"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:27700")
    >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({"practice_code": ["P1", "P2"], "cluster_code": ["C1", "C2"]}),
    ...                                 place=None, icb=None)
    >>> reg = pd.DataFrame({"practice_code": ["P1", "P1", "P2", "P2"], "lsoa_code": ["A", "B", "B", "C"],
    ...                     "patients": [90, 60, 40, 80]})
    >>> bh.geo.cluster_boundaries(lsoas, reg, h)[["cluster_code", "n_areas", "patients", "share"]]
      cluster_code  n_areas  patients  share
    0           C1        2       190    0.789474
    1           C2        1        80    1.0
    """
    check_option(unassigned, "unassigned", ("raise", "group"))
    gdf = _geoframe(areas, "areas")
    code_col = _area_code(gdf, code, "areas")
    assigned = assign_areas(
        registrations, hierarchy, to, lsoa=lsoa, practice=practice, patients=patients, at=at, unmapped=unmapped
    )
    key = f"{to}_code"
    by_area = assigned.set_index(lsoa)
    work = gdf[[code_col, gdf.geometry.name]].copy()
    work[key] = work[code_col].map(by_area[key]).astype(object)
    work["patients"] = work[code_col].map(by_area["patients"]).fillna(0).to_numpy()
    work["patients_assigned"] = work[code_col].map(by_area["patients_assigned"]).fillna(0).to_numpy()
    orphan = work[key].isna().to_numpy(dtype=bool)
    if orphan.any():
        if unassigned == "raise":
            msg = (
                f"areas: {int(orphan.sum())} area(s) have no registered patients in a {to} and cannot be assigned: "
                f"{describe_codes(work.loc[orphan, code_col])}; pass unassigned='group' to keep them as 'unassigned'"
            )
            raise ReferenceDataError(msg)
        work.loc[orphan, key] = "unassigned"
    out = dissolve_areas(work, key, code=code_col, sums=["patients", "patients_assigned"], make_valid=make_valid)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = out["patients_assigned"] / out["patients"]
    names = hierarchy.names(to)
    columns = [key]
    if names:
        out[f"{to}_name"] = out[key].map(names).astype(object)
        columns.append(f"{to}_name")
    return out[[*columns, "n_areas", "patients", "patients_assigned", "share", out.geometry.name]]


def write_geoparquet(gdf: Any, path: str | PathLike[str]) -> None:
    """Write a GeoDataFrame to GeoParquet, keeping its CRS.

    Raises :class:`SchemaError` for something that is not a GeoDataFrame or has no CRS.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> gdf = gpd.GeoDataFrame({"code": ["A"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:27700")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bh.geo.write_geoparquet(gdf, pathlib.Path(tmp) / "a.parquet")
    ...     bh.geo.read_geoparquet(pathlib.Path(tmp) / "a.parquet").crs.to_epsg()
    27700
    """
    frame = _geoframe(gdf, "gdf")
    frame.to_parquet(path, index=False)


def read_geoparquet(path: str | PathLike[str], to_crs: Any = "EPSG:27700") -> gpd.GeoDataFrame:
    """Read a GeoParquet file, reprojected to ``to_crs`` (British National Grid by default; ``None`` keeps it).

    Raises :class:`SchemaError` when the file has no CRS.

    Examples
    --------
    See :func:`write_geoparquet`.
    """
    import geopandas as gpd

    gdf = gpd.read_parquet(path)
    _geoframe(gdf, f"path ({path})")
    if to_crs is not None and gdf.crs != to_crs:
        gdf = gdf.to_crs(to_crs)
    return gdf


def points_to_areas(
    points: Any,
    areas: Any,
    *,
    x: str = "x",
    y: str = "y",
    crs: Any = None,
    code: str | None = None,
    unmatched: str = "warn",
) -> Any:
    """The small area containing each point (e.g. residence coordinates -> LSOA).

    Points are reprojected to the CRS of ``areas`` when their CRS differs. The search is shapely's
    spatial index (``STRtree``) with exact point-in-polygon tests, so that a million points join to the
    533 BLMK LSOAs in about a second. A point on the boundary between two areas goes to the area with
    the lowest code.

    Parameters
    ----------
    points : DataFrame or geopandas.GeoDataFrame
        Any supported frame with coordinate columns ``x`` and ``y`` (then ``crs`` is required), or a
        GeoDataFrame of points.
    areas : geopandas.GeoDataFrame
        Polygons with a CRS and a code column.
    x, y : str, default "x", "y"
        Coordinate columns (easting/northing, or longitude/latitude).
    crs : CRS, optional
        CRS of ``x``/``y`` (e.g. ``"EPSG:27700"`` or ``"EPSG:4326"``); required for a plain frame.
    code : str, optional
        Code column of ``areas`` (``lsoa_code`` or ``code`` by default); the result gets a column of
        that name.
    unmatched : {"warn", "raise", "ignore"}, default "warn"
        Points outside every area (or with missing coordinates) get a missing code; warn with their
        number, raise :class:`ReferenceDataError`, or say nothing.

    Returns
    -------
    DataFrame or GeoDataFrame
        ``points`` (of the kind given, rows in order) with the area code column added.

    Raises
    ------
    SchemaError
        No CRS, a missing column, or a code column that already exists in ``points``.
    DomainError
        Coordinates that do not fit the stated CRS (e.g. longitude/latitude labelled EPSG:27700),
        or invalid area geometry.
    ReferenceDataError
        Unmatched points with ``unmatched="raise"``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> lsoas = gpd.GeoDataFrame({"lsoa_code": ["A", "B"]},
    ...                          geometry=[box(500000, 220000, 501000, 221000), box(501000, 220000, 502000, 221000)],
    ...                          crs="EPSG:27700")
    >>> pts = pd.DataFrame({"id": [1, 2, 3], "x": [500500, 501500, 501000], "y": [220500, 220500, 220500]})
    >>> bh.geo.points_to_areas(pts, lsoas, crs="EPSG:27700")
       id       x       y lsoa_code
    0   1  500500  220500         A
    1   2  501500  220500         B
    2   3  501000  220500         A
    """
    check_option(unmatched, "unmatched", UNMATCHED)
    target = _geoframe(areas, "areas")
    code_col = _area_code(target, code, "areas")
    target = _checked_geometry(target, code_col, "areas", make_valid=False)
    points_in = _Points.of(points, code_col, x, y, crs)
    xs, ys = _in_crs(points_in.xs, points_in.ys, points_in.crs, target.crs)
    index = _locate(xs, ys, target.geometry.values, target[code_col].to_numpy(dtype=object))
    codes = np.empty(len(xs), dtype=object)
    found = index >= 0
    codes[found] = target[code_col].to_numpy(dtype=object)[index[found]]
    codes[~found] = None
    n_lost = int((~found).sum())
    if n_lost and unmatched != "ignore":
        msg = (
            f"points: {n_lost} of {len(xs)} point(s) fall outside every area or have missing coordinates "
            f"(first row positions: {describe_codes(np.nonzero(~found)[0][:5].tolist())}); "
            f"their {code_col!r} is missing"
        )
        if unmatched == "raise":
            raise ReferenceDataError(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    if points_in.frame is None:
        return points.assign(**{code_col: codes})
    return assemble(points_in.eager, {code_col: codes}, points_in.frame, keep_index=True)


@dataclass(frozen=True)
class _Points:
    """The coordinates of the points and their CRS, and for a plain frame, the frame to add the codes to."""

    xs: np.ndarray[Any, Any]
    ys: np.ndarray[Any, Any]
    crs: Any
    frame: Frame | None = None
    eager: Any = None

    @classmethod
    def of(cls, points: Any, code_col: str, x: str, y: str, crs: Any) -> _Points:
        """Read a GeoDataFrame of points, or the ``x``, ``y`` columns of any supported frame (with ``crs``)."""
        import geopandas as gpd
        import pyproj
        import shapely

        if isinstance(points, gpd.GeoDataFrame):
            pts = _geoframe(points, "points")
            if code_col in pts.columns:
                msg = f"points: already has a column {code_col!r}; rename it first"
                raise SchemaError(msg)
            geoms = pts.geometry.values
            kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
            if kinds - {0}:
                msg = "points: the geometry must be points (for polygons, use a spatial overlay or their centroids)"
                raise DomainError(msg)
            return cls(
                np.asarray(shapely.get_x(geoms), dtype=float), np.asarray(shapely.get_y(geoms), dtype=float), pts.crs
            )
        frame = prepare(points, argument="points", columns=[("x", x), ("y", y)], outputs=[code_col], clash="data").frame
        if crs is None:
            msg = (
                "crs: the CRS of the point coordinates is required (e.g. crs='EPSG:27700' for eastings/northings or "
                "crs='EPSG:4326' for longitude/latitude); it is never guessed"
            )
            raise SchemaError(msg)
        eager = collect(frame.frame, frame)
        xs = np.asarray(pd.to_numeric(pd.Series(eager.get_column(x).to_numpy())), dtype=float)
        ys = np.asarray(pd.to_numeric(pd.Series(eager.get_column(y).to_numpy())), dtype=float)
        return cls(xs, ys, pyproj.CRS.from_user_input(crs), frame, eager)


def _in_crs(
    xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any], source: Any, target: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The coordinates checked against their CRS, and reprojected to ``target`` when it differs."""
    import pyproj

    _plausible(xs, ys, pyproj.CRS.from_user_input(source))
    if pyproj.CRS.from_user_input(source) == target:
        return xs, ys
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)
    new_x, new_y = transformer.transform(xs, ys)
    return np.asarray(new_x, dtype=float), np.asarray(new_y, dtype=float)


def _plausible(xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any], crs: Any) -> None:
    """Raise when coordinates cannot be in the stated CRS (the usual lon/lat vs metres mix-up)."""
    ok = ~(np.isnan(xs) | np.isnan(ys))
    if not ok.any():
        return
    x, y = xs[ok], ys[ok]
    looks_degrees = bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())
    if crs.is_geographic and not looks_degrees:
        msg = (
            f"crs: coordinates are outside longitude/latitude range (x up to {np.abs(x).max():.0f}, "
            f"y up to {np.abs(y).max():.0f}) but the CRS is {crs.to_string()}; eastings/northings need crs='EPSG:27700'"
        )
        raise DomainError(msg)
    if crs.is_projected and looks_degrees and (np.abs(x).max() > 0 or np.abs(y).max() > 0) and crs.to_epsg() == 27700:
        msg = (
            "crs: every coordinate is within +/-180, +/-90, which looks like longitude/latitude, but the CRS is "
            "EPSG:27700 (metres); pass crs='EPSG:4326' for longitude/latitude"
        )
        raise DomainError(msg)


def _locate(
    xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any], polygons: Any, codes: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Index of the polygon holding each point (-1 for none); boundary points go to the lowest code.

    The search is shapely's STRtree (an R-tree of the polygons' bounding boxes) followed by exact
    point-in-polygon tests, in one vectorised query.
    """
    import shapely

    result = np.full(len(xs), -1, dtype=np.int64)
    present = np.nonzero(~(np.isnan(xs) | np.isnan(ys)))[0]
    if not len(present) or not len(polygons):
        return result
    polygons = np.asarray(polygons, dtype=object)
    shapely.prepare(polygons)
    tree = shapely.STRtree(polygons)
    px, py = xs[present], ys[present]
    point_idx, polygon_idx = tree.query(shapely.points(px, py))  # bounding boxes only
    inside = shapely.intersects_xy(polygons[polygon_idx], px[point_idx], py[point_idx])
    point_idx, polygon_idx = point_idx[inside], polygon_idx[inside]
    # a point on a shared boundary matches several polygons: keep the one with the lowest code
    rank = np.argsort(np.argsort(np.array([str(c) for c in codes], dtype=object), kind="stable"), kind="stable")
    order = np.lexsort((rank[polygon_idx], point_idx))
    point_idx, polygon_idx = point_idx[order], polygon_idx[order]
    first = np.r_[True, point_idx[1:] != point_idx[:-1]] if len(point_idx) else np.zeros(0, dtype=bool)
    result[present[point_idx[first]]] = polygon_idx[first]
    return result
