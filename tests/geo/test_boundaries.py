"""Dissolving, cluster polygons, GeoParquet and the spatial join of points, with synthetic squares."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from tests.helpers import Backend, to_pandas

X0, Y0 = 500_000, 220_000


def grid() -> gpd.GeoDataFrame:
    """Six 1 km squares in British National Grid: L1-L4 in place L, M1-M2 in place M."""
    cells = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1)]
    return gpd.GeoDataFrame(
        {
            "lsoa_code": ["L1", "L2", "L3", "L4", "M1", "M2"],
            "place_code": ["L", "L", "L", "L", "M", "M"],
            "pop": [10, 20, 30, 40, 50, 60],
        },
        geometry=[box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000) for i, j in cells],
        crs="EPSG:27700",
    )


def test_dissolve_to_places_and_icb() -> None:
    places = bh.geo.dissolve_areas(grid(), "place_code", sums="pop")
    assert places["place_code"].tolist() == ["L", "M"]
    assert places["n_areas"].tolist() == [4, 2]
    assert places["pop"].tolist() == [100, 110]
    assert places.area.tolist() == pytest.approx([4e6, 2e6])
    icb = bh.geo.dissolve_areas(grid().assign(icb_code="QHG"), "icb_code")
    assert icb.area.sum() == pytest.approx(grid().area.sum())
    assert icb.crs == grid().crs


def test_dissolve_with_lookup_and_errors() -> None:
    areas = grid().drop(columns="place_code")
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4", "M1"], "place_code": ["L"] * 4 + ["M"]})
    with pytest.raises(ReferenceDataError, match=r"1 area\(s\) have no 'place_code' value: 'M2'"):
        bh.geo.dissolve_areas(areas, "place_code", lookup=lookup)
    lookup = pd.concat([lookup, pd.DataFrame({"lsoa_code": ["M2"], "place_code": ["M"]})])
    assert bh.geo.dissolve_areas(areas, "place_code", lookup=lookup)["n_areas"].tolist() == [4, 2]
    with pytest.raises(SchemaError, match="add it or pass lookup"):
        bh.geo.dissolve_areas(areas, "place_code")
    with pytest.raises(SchemaError, match="lookup: column 'ward'"):
        bh.geo.dissolve_areas(areas, "ward", lookup=lookup)
    with pytest.raises(SchemaError, match="sums"):
        bh.geo.dissolve_areas(grid(), "place_code", sums="nope")
    with pytest.raises(SchemaError, match="GeoDataFrame"):
        bh.geo.dissolve_areas(pd.DataFrame(grid()), "place_code")
    with pytest.raises(SchemaError, match="no CRS"):
        bh.geo.dissolve_areas(grid().set_crs(None, allow_override=True), "place_code")


def test_invalid_geometry_is_named_or_repaired() -> None:
    bow_tie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    areas = grid()
    areas.loc[5, "geometry"] = bow_tie
    with pytest.raises(DomainError, match=r"1 area\(s\) have invalid geometry \('M2': Self-intersection"):
        bh.geo.dissolve_areas(areas, "place_code")
    fixed = bh.geo.dissolve_areas(areas, "place_code", make_valid=True)
    assert fixed.is_valid.all()
    empty = grid()
    empty.loc[0, "geometry"] = None
    with pytest.raises(DomainError, match="have no geometry: 'L1'"):
        bh.geo.dissolve_areas(empty, "place_code")


def _hierarchy() -> bh.geo.Hierarchy:
    return bh.geo.Hierarchy.from_frame(
        pd.DataFrame(
            {"practice_code": ["P1", "P2", "P3"], "cluster_code": ["C1", "C2", "C2"], "cluster_name": ["A", "B", "B"]}
        ),
        place=None,
        icb=None,
    )


def _registrations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practice_code": ["P1", "P1", "P1", "P2", "P3", "P2", "P2", "P3", "P1"],
            "lsoa_code": ["L1", "L2", "L3", "L3", "L3", "L4", "M1", "M2", "M2"],
            "patients": [100, 80, 50, 30, 30, 90, 70, 40, 40],
        }
    )


def test_assign_areas_on_every_backend(backend: Backend) -> None:
    out = bh.geo.assign_areas(backend(_registrations()), _hierarchy())
    assert out["lsoa_code"].tolist() == ["L1", "L2", "L3", "L4", "M1", "M2"]
    # L3: C2 has 60 of 110 patients (P2 + P3) against C1's 50; M2 is a 40-40 tie, which goes to C1.
    assert out["cluster_code"].tolist() == ["C1", "C1", "C2", "C2", "C2", "C1"]
    assert out["share"].tolist() == pytest.approx([1, 1, 60 / 110, 1, 1, 0.5])


def test_cluster_boundaries() -> None:
    out = bh.geo.cluster_boundaries(grid(), _registrations(), _hierarchy())
    assert out["cluster_code"].tolist() == ["C1", "C2"]
    assert out["cluster_name"].tolist() == ["A", "B"]
    assert out["n_areas"].tolist() == [3, 3]
    assert out["patients"].sum() == _registrations()["patients"].sum()
    assert out.area.sum() == pytest.approx(grid().area.sum())
    partial = _registrations()[_registrations()["lsoa_code"] != "M1"]
    with pytest.raises(ReferenceDataError, match=r"1 area\(s\) have no registered patients.*'M1'"):
        bh.geo.cluster_boundaries(grid(), partial, _hierarchy())
    grouped = bh.geo.cluster_boundaries(grid(), partial, _hierarchy(), unassigned="group")
    assert grouped["cluster_code"].tolist() == ["C1", "C2", "unassigned"]
    with pytest.raises(DomainError, match="unassigned"):
        bh.geo.cluster_boundaries(grid(), partial, _hierarchy(), unassigned="drop")
    stray = pd.concat(
        [_registrations(), pd.DataFrame({"practice_code": ["P9"], "lsoa_code": ["M1"], "patients": [999]})]
    )
    with pytest.raises(ReferenceDataError, match="'P9'"):
        bh.geo.cluster_boundaries(grid(), stray, _hierarchy())
    kept = bh.geo.cluster_boundaries(grid(), stray, _hierarchy(), unmapped="group")
    assert kept.set_index("cluster_code").loc["C2", "n_areas"] == 3  # P9's 999 patients do not compete


def test_geoparquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "places.parquet"
    places = bh.geo.dissolve_areas(grid(), "place_code")
    bh.geo.write_geoparquet(places, path)
    back = bh.geo.read_geoparquet(path)
    assert back.crs.to_epsg() == 27700
    assert back["place_code"].tolist() == ["L", "M"]
    assert back.geometry.equals(places.geometry)
    lonlat = bh.geo.read_geoparquet(path, to_crs="EPSG:4326")
    assert lonlat.crs.to_epsg() == 4326
    with pytest.raises(SchemaError, match="GeoDataFrame"):
        bh.geo.write_geoparquet(pd.DataFrame({"a": [1]}), path)
    no_crs = tmp_path / "nocrs.parquet"
    places.set_crs(None, allow_override=True).to_parquet(no_crs)
    with pytest.raises(SchemaError, match="no CRS"):
        bh.geo.read_geoparquet(no_crs)


def _points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "x": [X0 + 500, X0 + 2500, X0 + 1000, X0 + 9000, np.nan],
            "y": [Y0 + 500, Y0 + 1500, Y0 + 500, Y0 + 500, Y0],
        }
    )


def test_points_to_areas_on_every_backend(backend: Backend) -> None:
    with pytest.warns(UserWarning, match=r"2 of 5 point\(s\) fall outside"):
        result = bh.geo.points_to_areas(backend(_points()), grid(), crs="EPSG:27700")
    backend.assert_kind(result)
    out = to_pandas(result).sort_values("id")
    # Point 3 is on the L1/L2 edge: the lowest code wins.
    assert [v if isinstance(v, str) else None for v in out["lsoa_code"]] == ["L1", "M2", "L1", None, None]


def test_points_reprojected_from_lon_lat() -> None:
    pts = gpd.GeoDataFrame(
        _points().iloc[:3], geometry=gpd.points_from_xy(_points()["x"][:3], _points()["y"][:3]), crs=27700
    )
    lonlat = pts.to_crs("EPSG:4326")
    plain = pd.DataFrame({"lon": lonlat.geometry.x, "lat": lonlat.geometry.y})
    out = bh.geo.points_to_areas(plain, grid(), x="lon", y="lat", crs="EPSG:4326")
    assert out["lsoa_code"].tolist()[:2] == ["L1", "M2"]
    geo_out = bh.geo.points_to_areas(lonlat, grid())
    assert isinstance(geo_out, gpd.GeoDataFrame)
    assert geo_out["lsoa_code"].tolist()[:2] == ["L1", "M2"]


def test_points_bad_crs_and_input() -> None:
    with pytest.raises(SchemaError, match="never guessed"):
        bh.geo.points_to_areas(_points(), grid())
    lonlat_labelled_bng = pd.DataFrame({"x": [-0.4, -0.5], "y": [52.1, 52.0]})
    with pytest.raises(DomainError, match="looks like longitude/latitude"):
        bh.geo.points_to_areas(lonlat_labelled_bng, grid(), crs="EPSG:27700")
    with pytest.raises(DomainError, match="outside longitude/latitude range"):
        bh.geo.points_to_areas(_points(), grid(), crs="EPSG:4326")
    with pytest.raises(ReferenceDataError, match="fall outside"):
        bh.geo.points_to_areas(_points(), grid(), crs=27700, unmatched="raise")
    assert bh.geo.points_to_areas(_points(), grid(), crs=27700, unmatched="ignore")["lsoa_code"].isna().sum() == 2
    with pytest.raises(DomainError, match="unmatched"):
        bh.geo.points_to_areas(_points(), grid(), crs=27700, unmatched="drop")
    with pytest.raises(SchemaError, match="overwritten"):
        bh.geo.points_to_areas(_points().assign(lsoa_code="x"), grid(), crs=27700)
    polys = gpd.GeoDataFrame({"a": [1]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=27700)
    with pytest.raises(DomainError, match="must be points"):
        bh.geo.points_to_areas(polys, grid())
    already = gpd.GeoDataFrame({"lsoa_code": ["x"]}, geometry=[Point(X0, Y0)], crs=27700)
    with pytest.raises(SchemaError, match="already has a column"):
        bh.geo.points_to_areas(already, grid())
    all_missing = pd.DataFrame({"x": [np.nan], "y": [np.nan]})
    assert bh.geo.points_to_areas(all_missing, grid(), crs=27700, unmatched="ignore")["lsoa_code"].isna().all()
