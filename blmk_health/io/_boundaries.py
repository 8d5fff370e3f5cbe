"""Area boundaries: GeoJSON, TopoJSON, GeoPackage, Shapefile and GeoParquet, read with pyogrio / geopandas."""

from __future__ import annotations

import os
import re
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.io._common import CODE_PATTERNS, Source, _head, _name

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["read_boundaries"]

_CODE = re.compile(r"(?:[a-z]+\d{0,2}cd|gss_?code|area_?code|code|id)", re.IGNORECASE)
_NAME = re.compile(r"(?:[a-z]+\d{0,2}nm|area_?name|name)", re.IGNORECASE)
_KIND_OF_PREFIX = {"lsoa": "lsoa", "msoa": "msoa", "lad": "la", "ltla": "la", "utla": "la", "la": "la"}
_GEOGRAPHIC = ("GeoJSON", "TopoJSON", "GeoJSONSeq")


_GENERIC = ("code", "gsscode", "gss_code", "areacode", "area_code", "id", "name", "areaname", "area_name")


def _pick(columns: list[str], pattern: re.Pattern[str]) -> str | None:
    """The first column matching ``pattern``, preferring GSS-style ``XXXnnCD`` names over ``code`` and ``id``."""
    matches = [c for c in columns if pattern.fullmatch(c)]
    specific = [c for c in matches if c.casefold() not in _GENERIC]
    if specific:
        return specific[0]
    matches.sort(key=lambda c: _GENERIC.index(c.casefold()))
    return matches[0] if matches else None


def _read(source: Source, layer: str | int | None) -> tuple[gpd.GeoDataFrame, str]:
    import geopandas as gpd
    import pyogrio

    head = _head(source, 4)
    suffix = os.fspath(source).casefold() if isinstance(source, (str, os.PathLike)) else ""
    if head == b"PAR1" or suffix.endswith((".parquet", ".geoparquet")):
        return gpd.read_parquet(source), "Parquet"
    target: str | os.PathLike[str] | bytes
    if isinstance(source, (str, os.PathLike)):
        target = source
    else:
        data = source.read()
        target = data.encode("utf-8") if isinstance(data, str) else data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # read_dataframe below warns about other layers once
        info = pyogrio.read_info(target, layer=layer)
    frame = pyogrio.read_dataframe(target, layer=layer)
    return frame, str(info.get("driver", ""))


def read_boundaries(
    path: Source,
    layer: str | int | None = None,
    to_crs: Any = "EPSG:27700",
    *,
    code: str | None = None,
    name: str | None = None,
    source_crs: Any = None,
) -> gpd.GeoDataFrame:
    """Read area boundaries into a GeoDataFrame with ``code``, ``name`` and ``geometry`` columns.

    GeoJSON, TopoJSON, GeoPackage, Shapefile (or a zipped one) and any other format GDAL reads are read
    with pyogrio; GeoParquet with :func:`geopandas.read_parquet`. Invalid geometries (self-intersecting
    rings are common in generalised boundaries and in TopoJSON) are **repaired** with
    :func:`shapely.make_valid` (``method="structure"``) after reprojection; how many were repaired is
    in ``attrs["repaired_geometries"]``. A missing or empty geometry raises.

    Parameters
    ----------
    path : str, path-like or file-like
        The boundary file.
    layer : str or int, optional
        The layer of a multi-layer source (GeoPackage, TopoJSON object); the first by default.
    to_crs : str, pyproj.CRS or None, default "EPSG:27700"
        The CRS of the result (British National Grid by default, so areas and distances are in
        metres). ``None`` keeps the file's CRS.
    code : str, optional
        The column holding the area code. By default the first column named like a GSS code column
        (``LSOA11CD``, ``lsoa11cd``, ``LAD13CD``, ``MSOA21CD``, ...), else ``code``, ``gss_code``,
        ``area_code`` or ``id``.
    name : str, optional
        The column holding the area name. By default the first named like ``LSOA11NM`` or ``name``;
        when there is none, the ``name`` column is missing.
    source_crs : str or pyproj.CRS, optional
        The CRS of a file that does not state one. GeoJSON and TopoJSON without one are taken to be
        WGS 84 longitude/latitude (``OGC:CRS84``), as their specifications say.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (str), ``name`` (str, missing when the file has no name column), then the file's other
        attribute columns unchanged, then ``geometry``, in ``to_crs``. One row per feature, in file order.
        ``attrs["code_column"]`` and ``attrs["name_column"]`` name the columns used.

    Raises
    ------
    SchemaError
        No code column can be found (or ``code``/``name`` is not a column; the message lists the
        columns), codes repeat, or the file has no CRS and is not GeoJSON/TopoJSON.
    DomainError
        A feature has no geometry, or an empty one.
    ReferenceDataError
        A malformed LSOA, MSOA or local authority code, when the code column says which it holds
        (``LSOA11CD``, ``MSOA11CD``, ``LAD13CD``, ...).

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> geojson = io.StringIO(
    ...     '{"type": "FeatureCollection", "features": [{"type": "Feature", '
    ...     '"properties": {"LSOA11CD": "E01015693", "LSOA11NM": "Luton 007A"}, '
    ...     '"geometry": {"type": "Polygon", "coordinates": '
    ...     '[[[-0.42, 51.90], [-0.41, 51.90], [-0.41, 51.91], [-0.42, 51.90]]]}}]}'
    ... )
    >>> gdf = bh.io.read_boundaries(geojson)
    >>> gdf[["code", "name"]]
            code        name
    0  E01015693  Luton 007A
    >>> gdf.crs.to_epsg()
    27700
    """
    import shapely

    frame, driver = _read(path, layer)
    argument = "path"
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    for arg, wanted in (("code", code), ("name", name)):
        if wanted is not None and wanted not in columns:
            msg = f"{arg}: column {wanted!r} not found; {_name(path)} has the columns {', '.join(map(repr, columns))}"
            raise SchemaError(msg)
    code_column = code or _pick(columns, _CODE)
    if code_column is None:
        msg = (
            f"{argument}: no area code column found (expected a column such as 'LSOA11CD', 'LAD13CD', 'code' "
            f"or 'id'; pass code=...); the file has the columns {', '.join(map(repr, columns)) or 'none'}"
        )
        raise SchemaError(msg)
    name_column = name or _pick([c for c in columns if c != code_column], _NAME)

    codes = frame[code_column].astype("str").str.strip()
    missing = frame[code_column].isna() | (codes == "")
    if missing.any():
        msg = f"{argument}: column {code_column!r} is empty in {int(missing.sum())} features (rows {_rows(missing)})"
        raise SchemaError(msg)
    repeated = codes.duplicated(keep=False)
    if repeated.any():
        msg = (
            f"{argument}: column {code_column!r} repeats {int(codes.duplicated().sum())} codes "
            f"(first: {describe_values(codes[repeated].unique())}); dissolve the features first"
        )
        raise SchemaError(msg)
    prefix = re.match(r"[a-z]+", code_column.casefold())
    kind = _KIND_OF_PREFIX.get(prefix.group(0) if prefix else "")
    if kind is not None:
        pattern, description = CODE_PATTERNS[kind]
        bad = ~codes.str.fullmatch(pattern).astype(bool)
        if bad.any():
            msg = (
                f"{argument}: column {code_column!r} holds {int(bad.sum())} malformed codes (rows {_rows(bad)}: "
                f"{describe_values(codes[bad])}); each must be {description}"
            )
            raise ReferenceDataError(msg)

    geometry = frame.geometry
    empty = geometry.isna() | geometry.is_empty
    if empty.any():
        msg = f"{argument}: {int(empty.sum())} features have no geometry (codes {describe_values(codes[empty])})"
        raise DomainError(msg)
    if frame.crs is None:
        if source_crs is None and driver not in _GEOGRAPHIC:
            msg = (
                f"{argument}: the {driver or 'file'} states no coordinate reference system; pass source_crs=, "
                "e.g. source_crs='EPSG:27700' for British National Grid"
            )
            raise SchemaError(msg)
        frame = frame.set_crs(source_crs or "OGC:CRS84")
    if to_crs is not None:
        frame = frame.to_crs(to_crs)
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        repaired = shapely.make_valid(frame.geometry[invalid].to_numpy(), method="structure", keep_collapsed=False)
        frame.loc[invalid, frame.geometry.name] = repaired

    others = [c for c in columns if c not in (code_column, name_column)]
    result = frame[[*others, frame.geometry.name]].copy()
    result = result.rename(columns={c: f"{c}_file" for c in others if c in ("code", "name")})
    result.insert(0, "code", codes.astype("str"))
    if name_column is not None:
        result.insert(1, "name", frame[name_column].astype("str"))
    else:
        result.insert(1, "name", pd.Series(pd.NA, index=frame.index, dtype="str"))
    result = result.reset_index(drop=True)
    result.attrs.update(
        code_column=code_column, name_column=name_column, repaired_geometries=int(invalid.sum()), driver=driver
    )
    return result


def _rows(mask: Any) -> str:
    return ", ".join(str(int(i)) for i in mask[mask].index[:5])
