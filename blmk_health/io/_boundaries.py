"""Area boundaries: GeoJSON, TopoJSON, GeoPackage, Shapefile and GeoParquet, read with pyogrio / geopandas."""

from __future__ import annotations

import os
import re
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, SchemaError
from blmk_health.io._common import Source, check_codes, check_source, numbered, peek, reject_rows, source_name

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["read_boundaries"]

_CODE = re.compile(r"(?:[a-z]+\d{0,2}cd|gss_?code|area_?code|code|id)", re.IGNORECASE)
_NAME = re.compile(r"(?:[a-z]+\d{0,2}nm|area_?name|name)", re.IGNORECASE)
_KIND_OF_PREFIX = {"lsoa": "lsoa", "msoa": "msoa", "lad": "la", "ltla": "la", "utla": "la", "la": "la"}
_GEOGRAPHIC = ("GeoJSON", "TopoJSON", "GeoJSONSeq")
_FILE = (
    "a boundary file (GeoJSON, TopoJSON, GeoPackage, Shapefile, GeoParquet, or a File Geodatabase folder), "
    "such as those of the ONS Open Geography Portal (https://geoportal.statistics.gov.uk)"
)


_GENERIC = ("code", "gsscode", "gss_code", "areacode", "area_code", "id", "name", "areaname", "area_name")


def _pick(columns: list[str], pattern: re.Pattern[str]) -> str | None:
    """The first column matching ``pattern``, preferring GSS-style ``XXXnnCD`` names over ``code`` and ``id``."""
    matches = [c for c in columns if pattern.fullmatch(c)]
    specific = [c for c in matches if c.casefold() not in _GENERIC]
    if specific:
        return specific[0]
    matches.sort(key=lambda c: _GENERIC.index(c.casefold()))
    return matches[0] if matches else None


def _is_dataset_folder(path: str) -> bool:
    """Folders GDAL reads as one dataset: a File Geodatabase (``.gdb``) or a folder of Shapefiles."""
    return path.casefold().rstrip("/\\").endswith(".gdb") or any(
        name.casefold().endswith(".shp") for name in os.listdir(path)
    )


def _read(source: Source, layer: str | int | None) -> tuple[gpd.GeoDataFrame, str]:
    check_source(source, "path", _FILE, folder=_is_dataset_folder, urls=True)
    import geopandas as gpd
    import pyogrio

    if isinstance(source, (str, os.PathLike)):
        suffix = os.fspath(source).casefold()
        head = peek(source, 4) if os.path.isfile(source) else b""  # a folder GDAL reads, or a GDAL path
    else:
        suffix, head = "", peek(source, 4)
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
    DataFileError
        No file can be read at ``path`` (nothing there, a folder that is not a File Geodatabase or a
        folder of Shapefiles, or no permission to read it).
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
    frame, driver = _read(path, layer)
    code_column, name_column = _code_and_name(frame, path, code, name)
    codes = _codes(frame, code_column)
    frame, repaired = _geometry(frame, codes, driver, source_crs, to_crs)
    return _finish(frame, codes, code_column, name_column, repaired, driver)


def _code_and_name(frame: gpd.GeoDataFrame, path: Source, code: str | None, name: str | None) -> tuple[str, str | None]:
    """The columns holding the area code and name: as given, or found by their names."""
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    for arg, wanted in (("code", code), ("name", name)):
        if wanted is not None and wanted not in columns:
            shown = ", ".join(map(repr, columns))
            msg = f"{arg}: column {wanted!r} not found; {source_name(path)} has the columns {shown}"
            raise SchemaError(msg)
    code_column = code or _pick(columns, _CODE)
    if code_column is None:
        msg = (
            "path: no area code column found (expected a column such as 'LSOA11CD', 'LAD13CD', 'code' "
            f"or 'id'; pass code=...); the file has the columns {', '.join(map(repr, columns)) or 'none'}"
        )
        raise SchemaError(msg)
    return code_column, name or _pick([c for c in columns if c != code_column], _NAME)


def _codes(frame: gpd.GeoDataFrame, code_column: str) -> pd.Series:
    """The area codes as text: none missing, none repeated, well formed where the column says their kind."""
    argument = "path"
    rows = numbered(len(frame))
    codes: pd.Series = frame[code_column].astype("str").str.strip().reset_index(drop=True)
    missing = frame[code_column].isna().to_numpy() | (codes == "").to_numpy()
    message = "column {column!r} is empty in {n} {feature|features} ({where})"
    reject_rows(SchemaError, rows, missing, message, argument, column=code_column)
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
        check_codes(rows, codes, code_column, kind, argument)
    return codes


def _geometry(
    frame: gpd.GeoDataFrame, codes: pd.Series, driver: str, source_crs: Any, to_crs: Any
) -> tuple[gpd.GeoDataFrame, int]:
    """Features with a geometry, in ``to_crs``, invalid geometries repaired (and how many were)."""
    import shapely

    empty = (frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    if empty.any():
        msg = f"path: {int(empty.sum())} features have no geometry (codes {describe_values(codes[empty])})"
        raise DomainError(msg)
    if frame.crs is None:
        if source_crs is None and driver not in _GEOGRAPHIC:
            msg = (
                f"path: the {driver or 'file'} states no coordinate reference system; pass source_crs=, "
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
    return frame, int(invalid.sum())


def _finish(
    frame: gpd.GeoDataFrame, codes: pd.Series, code_column: str, name_column: str | None, repaired: int, driver: str
) -> gpd.GeoDataFrame:
    """``code``, ``name``, the file's other columns (renamed where they clash) and ``geometry``."""
    others = [str(c) for c in frame.columns if c not in (code_column, name_column, frame.geometry.name)]
    result = frame[[*others, frame.geometry.name]].reset_index(drop=True)
    result = result.rename(columns={c: f"{c}_file" for c in others if c in ("code", "name")})
    result.insert(0, "code", codes.astype("str"))
    if name_column is not None:
        result.insert(1, "name", frame[name_column].astype("str").reset_index(drop=True))
    else:
        result.insert(1, "name", pd.Series(pd.NA, index=result.index, dtype="str"))
    result.attrs.update(code_column=code_column, name_column=name_column, repaired_geometries=repaired, driver=driver)
    return result
