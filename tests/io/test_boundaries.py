"""read_boundaries on small files written in each supported format."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from blmk_health import io as bio
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from tests.helpers import require_module

gpd = require_module("geopandas", "read_boundaries needs geopandas")
shapely = require_module("shapely", "read_boundaries needs shapely")
from shapely.geometry import Polygon, box  # noqa: E402


def frame(**columns: list[object]) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    geometry = [box(500_000 + i * 1000, 200_000, 500_900 + i * 1000, 200_900) for i in range(n)]
    return gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:27700")


def test_geopackage_layers(tmp_path: Path) -> None:
    path = tmp_path / "areas.gpkg"
    frame(lad19cd=["E06000032"], lad19nm=["Luton"]).to_file(path, layer="lad")
    frame(code=["E01015693", "E01015694"], extra=[1, 2]).to_file(path, layer="lsoa")
    with pytest.warns(UserWarning, match="More than one layer"):
        lad = bio.read_boundaries(path)
    assert lad["code"].tolist() == ["E06000032"]
    assert lad["name"].tolist() == ["Luton"]
    lsoa = bio.read_boundaries(path, layer="lsoa", to_crs="EPSG:4326")
    assert list(lsoa.columns) == ["code", "name", "extra", "geometry"]
    assert lsoa["name"].isna().all()
    assert lsoa.crs.to_epsg() == 4326


def test_shapefile_without_crs_needs_source_crs(tmp_path: Path) -> None:
    path = tmp_path / "wards.shp"
    with pytest.warns(UserWarning, match="crs"):
        frame(WD19CD=["E05000001"], WD19NM=["Ward"]).set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(SchemaError, match="source_crs"):
        bio.read_boundaries(path)
    out = bio.read_boundaries(path, source_crs="EPSG:27700")
    assert out.crs.to_epsg() == 27700
    assert out["code"].tolist() == ["E05000001"]


def test_geoparquet_and_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "pcn.parquet"
    frame(pcn=["U09531"], label=["Chiltern Hills"], name=["clash"]).to_parquet(path)
    out = bio.read_boundaries(path, code="pcn", name="label")
    assert out["code"].tolist() == ["U09531"]
    assert out["name"].tolist() == ["Chiltern Hills"]
    assert "name_file" in out.columns
    with path.open("rb") as handle:
        assert len(bio.read_boundaries(handle, code="pcn")) == 1


def test_invalid_geometry_is_repaired() -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    gdf = gpd.GeoDataFrame({"id": ["A1"]}, geometry=[bowtie], crs="EPSG:27700")
    out = bio.read_boundaries(io.BytesIO(gdf.to_json().encode()), source_crs="EPSG:27700", to_crs=None)
    assert out.attrs["repaired_geometries"] == 1
    assert out.is_valid.all()
    assert out.geometry.area.item() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("columns", "kwargs", "error", "match"),
    [
        ({"lsoa11cd": ["E01015693", "E01015693"]}, {}, SchemaError, "repeats 1 codes"),
        ({"lsoa11cd": ["E01015693", "E0101"]}, {}, ReferenceDataError, "LSOA code"),
        ({"lad13cd": ["E06000032", ""]}, {}, SchemaError, "empty in 1"),
        ({"value": [1, 2]}, {}, SchemaError, "no area code column"),
        ({"lsoa11cd": ["E01015693", "E01015694"]}, {"code": "LSOA"}, SchemaError, "code: column 'LSOA' not found"),
        ({"lsoa11cd": ["E01015693", "E01015694"]}, {"name": "nm"}, SchemaError, "name: column 'nm' not found"),
    ],
)
def test_bad_boundaries(
    tmp_path: Path, columns: dict[str, list[object]], kwargs: dict[str, str], error: type[Exception], match: str
) -> None:
    path = tmp_path / "bad.gpkg"
    frame(**columns).to_file(path)
    with pytest.raises(error, match=match):
        bio.read_boundaries(path, **kwargs)


def test_missing_geometry_raises(tmp_path: Path) -> None:
    gdf = frame(msoa11cd=["E02000001", "E02000002"])
    gdf.loc[1, "geometry"] = None
    path = tmp_path / "msoa.gpkg"
    gdf.to_file(path)
    with pytest.raises(DomainError, match="no geometry"):
        bio.read_boundaries(path)


def test_geojson_text_stream_assumed_wgs84() -> None:
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "E06000032"}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[-0.5, 51.9], [-0.4, 51.9], [-0.4, 51.8], [-0.5, 51.9]]]}}]}'
    )
    out = bio.read_boundaries(io.StringIO(text))
    assert out["code"].tolist() == ["E06000032"]
    assert out.attrs["code_column"] == "id"
    assert 500_000 < out.geometry.centroid.x.item() < 520_000


def test_folder_of_shapefiles_is_read_and_other_folders_are_not(tmp_path: Path) -> None:
    from blmk_health.errors import DataFileError

    folder = tmp_path / "wards"
    folder.mkdir()
    frame(WD19CD=["E05000001", "E05000002"], WD19NM=["A", "B"]).to_file(folder / "wards.shp")
    out = bio.read_boundaries(folder)
    assert out["code"].tolist() == ["E05000001", "E05000002"]
    assert out.attrs["driver"] == "ESRI Shapefile"
    (tmp_path / "csvs").mkdir()
    (tmp_path / "csvs" / "codes.csv").write_text("code\nE05000001\n")
    with pytest.raises(DataFileError, match=r"is a folder, not a file; expected a boundary file .*File Geodatabase"):
        bio.read_boundaries(tmp_path / "csvs")


def test_code_messages_name_rows_from_zero(tmp_path: Path) -> None:
    path = tmp_path / "lsoa.gpkg"
    frame(lsoa11cd=["E01015693", "E0101", "E01015694"]).to_file(path)
    with pytest.raises(ReferenceDataError, match=r"'lsoa11cd' holds 1 malformed code \(row 1: 'E0101'\); each must be"):
        bio.read_boundaries(path)
    frame(lad13cd=["", "E06000032", ""]).to_file(path)
    with pytest.raises(SchemaError, match=r"'lad13cd' is empty in 2 features \(rows 0, 2\)$"):
        bio.read_boundaries(path)
