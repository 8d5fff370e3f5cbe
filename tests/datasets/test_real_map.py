"""The synthetic BLMK on the real map: the package data of the 533 LSOAs, its reproducible build, and the
resident tables that are full size at every scale (so life-expectancy gaps have values on a small copy).

Tests that read ``../shared/data/blmk`` take the ``blmk_dir`` fixture: they skip with a reason where the
folder is absent and fail under CI.
"""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.datasets._small_areas import ATTRIBUTION, DATA_FILE, NOTICE_FILE, lsoa11
from blmk_health.datasets._synthetic import _constants as par

from .conftest import table_digest

ROOT = Path(__file__).resolve().parents[2]
COUNTS = {"E06000032": 121, "E06000042": 152, "E06000055": 103, "E06000056": 157}
#: Area of the 533 LSOAs, km² (the source polygons in EPSG:27700: 1,543.999 km²).
AREA_KM2 = 1_544.0
#: Tables that do not depend on ``scale`` (for a given seed).
RESIDENT_TABLES = ("lsoas", "population", "deaths", "general_health")


def _package_file(name: str) -> Path:
    return Path(str(resources.files("blmk_health.datasets").joinpath(name)))


@pytest.fixture(scope="module")
def shipped() -> Any:
    import geopandas as gpd

    return gpd.read_parquet(_package_file(DATA_FILE))


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_package_data", ROOT / "scripts" / "build_package_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the package data -----------------------------------------------------------------------------


def test_package_file_is_compact_and_attributed() -> None:
    assert _package_file(DATA_FILE).stat().st_size < 1_000_000  # well under 2 MB (about 125 kB)
    notice = _package_file(NOTICE_FILE).read_text(encoding="utf-8")
    for text in (
        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0; Contains OS data "
        "© Crown copyright and database right 2011",
        "English Indices of Deprivation 2019, Ministry of Housing, Communities and Local Government",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "Creative Commons Attribution 4.0",
    ):
        assert " ".join(text.split()) in " ".join(notice.split()), text
    assert "Open Government Licence v.3.0" in ATTRIBUTION


def test_package_data_schema_and_councils(shipped: Any) -> None:
    assert list(shipped.columns) == ["lsoa_code", "lsoa_name", "place_code", "imd_decile", "geometry"]
    assert shipped.crs.to_epsg() == 27700
    assert shipped["imd_decile"].dtype == np.int64
    assert len(shipped) == 533
    assert shipped["lsoa_code"].is_unique
    assert shipped["lsoa_code"].is_monotonic_increasing
    assert shipped["lsoa_code"].str.fullmatch(r"E01\d{6}").all()
    assert shipped.groupby("place_code").size().to_dict() == COUNTS
    names = {
        "E06000032": "Luton",
        "E06000042": "Milton Keynes",
        "E06000055": "Bedford",
        "E06000056": "Central Bedfordshire",
    }
    assert (shipped["lsoa_name"].str.replace(r" \d{3}[A-Z]$", "", regex=True) == shipped["place_code"].map(names)).all()
    assert shipped["imd_decile"].between(1, 10).all()


def test_decile_mix_of_the_generator_is_that_of_the_package_data(shipped: Any) -> None:
    mix = shipped.groupby(["place_code", "imd_decile"]).size().unstack(fill_value=0).reindex(columns=range(1, 11))
    assert {code: tuple(int(n) for n in row) for code, row in mix.fillna(0).iterrows()} == par.IMD_DECILE_MIX


def test_polygons_valid_non_overlapping_whole_metres(shipped: Any) -> None:
    import shapely

    geometry = shipped.geometry.to_numpy()
    assert shapely.is_valid(geometry).all()
    assert not shapely.is_empty(geometry).any()
    assert set(shipped.geom_type) == {"Polygon", "MultiPolygon"}
    assert (shipped.geom_type == "MultiPolygon").sum() == 3  # the three LSOAs in two parts
    coordinates = shapely.get_coordinates(geometry)
    np.testing.assert_array_equal(coordinates, np.round(coordinates))
    union = shapely.union_all(geometry)
    assert shipped.area.sum() == pytest.approx(union.area, abs=1.0)  # no overlaps
    assert shipped.area.sum() / 1e6 == pytest.approx(AREA_KM2, rel=1e-4)
    assert (shipped.area > 0).all()
    minx, miny, maxx, maxy = union.bounds  # the real BLMK extent, British National Grid metres
    assert (round(minx, -3), round(miny, -3), round(maxx, -3), round(maxy, -3)) == (476_000, 213_000, 527_000, 271_000)
    places = shipped.dissolve("place_code")
    for a in places.index:
        for b in places.index:
            if a < b:
                assert places.geometry[a].intersection(places.geometry[b]).area < 1.0
    assert places.area.sum() == pytest.approx(union.area, rel=1e-9)


def test_loader_returns_read_only_arrays() -> None:
    areas = lsoa11()
    assert areas is lsoa11()  # read once
    assert len(areas) == 533
    for values in (areas.code, areas.name, areas.place_code, areas.imd_decile, areas.geometry):
        assert not values.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            values[0] = values[1]


# --- against the real files in ../shared/data/blmk ------------------------------------------------


def test_codes_names_councils_and_deciles_are_the_published_ones(shipped: Any, blmk_dir: Path) -> None:
    imd = pd.read_csv(blmk_dir / "imd2019_decile_BLMK_lsoa11.csv", dtype={"lsoa11cd": str, "lad_cd": str})
    lookup = pd.read_csv(blmk_dir / "lsoa11_to_lad_BLMK_derived.csv", dtype=str)
    ours = pd.DataFrame(shipped.drop(columns="geometry")).set_index("lsoa_code")
    imd = imd.set_index("lsoa11cd").loc[ours.index]
    lookup = lookup.set_index("LSOA11CD").loc[ours.index]
    assert len(imd) == len(lookup) == 533
    assert (ours["imd_decile"] == imd["imd2019_decile"]).all()
    assert (ours["place_code"] == imd["lad_cd"]).all()
    assert (ours["place_code"] == lookup["LAD_CD"]).all()
    assert (ours["lsoa_name"] == lookup["LSOA11NM"]).all()


def test_areas_are_those_of_the_source_boundaries(shipped: Any, blmk_dir: Path) -> None:
    """Generalisation keeps the total within 0.01% and each LSOA within 1% of the published polygon."""
    import geopandas as gpd
    import shapely

    frames = [gpd.read_file(blmk_dir / "boundaries" / f"lsoa_2011_{code}.geojson") for code in sorted(COUNTS)]
    source = pd.concat(frames, ignore_index=True).set_index("LSOA11CD").loc[shipped["lsoa_code"]]
    source = gpd.GeoSeries(shapely.make_valid(source.geometry.to_numpy()), crs=frames[0].crs).to_crs(27700)
    before, after = source.area.to_numpy(), shipped.area.to_numpy()
    assert after.sum() == pytest.approx(before.sum(), rel=1e-4)
    assert np.abs(after / before - 1).max() < 0.01
    # the same places: each generalised polygon's interior point lies in its published polygon
    inside = shapely.contains(source.to_numpy(), shipped.representative_point().to_numpy())
    assert inside.all()


def test_build_is_reproducible(shipped: Any, blmk_dir: Path, tmp_path: Path) -> None:
    """Rebuilding from ../shared/data/blmk gives the shipped file: the same values and coordinates."""
    import geopandas as gpd
    import shapely

    script = _build_script()
    summary = script.build(blmk_dir, tmp_path / "rebuilt.parquet")
    assert summary["lsoas_by_place"] == COUNTS
    assert abs(summary["total_area_change"]) < script.TOTAL_AREA_TOLERANCE
    assert summary["largest_area_change"] < script.AREA_TOLERANCE
    rebuilt = gpd.read_parquet(tmp_path / "rebuilt.parquet")
    pd.testing.assert_frame_equal(
        pd.DataFrame(rebuilt.drop(columns="geometry")), pd.DataFrame(shipped.drop(columns="geometry"))
    )
    assert rebuilt.crs == shipped.crs
    assert shapely.equals_exact(rebuilt.geometry.to_numpy(), shipped.geometry.to_numpy(), tolerance=0).all()


# --- the synthetic data on that map ---------------------------------------------------------------


def test_synthetic_lsoas_are_the_package_areas(small: bh.datasets.SyntheticBLMK, shipped: Any) -> None:
    import shapely

    lsoas = small.lsoas
    assert list(lsoas.columns) == [
        "lsoa_code",
        "lsoa_name",
        "place_code",
        "place_name",
        "imd_decile",
        "imd_local_decile",
        "population",
        "population_male",
        "population_female",
        "geometry",
    ]
    for column in ("lsoa_code", "lsoa_name", "place_code", "imd_decile"):
        assert (lsoas[column].to_numpy() == shipped[column].to_numpy()).all(), column
    assert shapely.equals_exact(lsoas.geometry.to_numpy(), shipped.geometry.to_numpy(), tolerance=0).all()
    names = {p.code: p.name for p in par.PLACES}
    assert (lsoas["place_name"] == lsoas["place_code"].map(names)).all()
    assert (lsoas["population"] == lsoas["population_male"] + lsoas["population_female"]).all()
    assert lsoas["population"].between(700, 3_500).all()  # about 1,760 residents an LSOA


def test_changing_the_table_leaves_the_package_data() -> None:
    lsoas = bh.datasets.synthetic_blmk(scale=0.001).lsoas
    lsoas.loc[0, "geometry"] = None
    assert lsoa11().geometry[0] is not None
    assert bh.datasets.synthetic_blmk(scale=0.001).lsoas.geometry[0] is not None


def test_local_deciles_follow_the_national_deciles(small: bh.datasets.SyntheticBLMK) -> None:
    lsoas = small.lsoas
    for _, place in lsoas.groupby("place_code"):
        # ranked on the national decile first: a local decile is never less deprived than the next one
        national = place.groupby("imd_local_decile")["imd_decile"].agg(["min", "max"])
        assert (national["max"].to_numpy()[:-1] <= national["min"].to_numpy()[1:]).all()
        sizes = place.groupby("imd_local_decile").size()
        assert list(sizes.index) == list(range(1, 11))
        assert sizes.max() - sizes.min() <= 1
    other = bh.datasets.synthetic_blmk(scale=0.002, seed=5).lsoas
    assert (other["imd_local_decile"] == lsoas["imd_local_decile"]).all()  # not random


def test_practices_lie_in_their_place(small: bh.datasets.SyntheticBLMK) -> None:
    import shapely

    places = small.lsoas.dissolve("place_code")
    practices = small.practices
    for code, geometry in places.geometry.items():
        mine = practices[practices["place_code"] == code]
        assert shapely.contains_xy(geometry, mine["easting"], mine["northing"]).all(), code


def test_resident_tables_do_not_depend_on_scale(small: bh.datasets.SyntheticBLMK) -> None:
    tiny = bh.datasets.synthetic_blmk(scale=0.002, seed=0)
    for name in RESIDENT_TABLES:
        assert table_digest(getattr(tiny, name)) == table_digest(getattr(small, name)), name
    assert len(tiny.patients) < len(small.patients)
    places = small.population.groupby("place_code")["population"].sum()
    assert places.to_dict() == {p.code: p.population_mid2018 for p in par.PLACES}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_le_gap_has_values_at_one_percent(small: bh.datasets.SyntheticBLMK) -> None:
    """The generated SII (docs/synthetic-data.md) is found for every place and sex on scale=0.01."""
    deaths = small.deaths.merge(small.lsoas[["lsoa_code", "imd_local_decile"]], on="lsoa_code")
    out = bh.indicators.le_gap(
        deaths, "deaths", "person_years", "age_band", "imd_local_decile", by=["place_code", "sex"], seed=1
    )
    assert len(out) == 8
    assert out["value"].notna().all()
    assert (out["lowercl"] > 0).all()
    sii = out.set_index(["place_code", "sex"])["value"]
    for (code, sex), target in par.SII_TARGET.items():
        assert sii[code, sex] == pytest.approx(target, abs=1.0), (code, sex)
    assert sii.xs("Male", level="sex").idxmax() == "E06000032"  # Luton
    assert sii.xs("Female", level="sex").idxmax() == "E06000042"  # Milton Keynes


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_life_expectancy_by_place_is_the_same_at_every_scale() -> None:
    def by_place(scale: float) -> pd.DataFrame:
        deaths = bh.datasets.synthetic_blmk(scale=scale, seed=3).deaths
        cells = deaths.groupby(["place_code", "sex", "age_band"], observed=True)[["deaths", "person_years"]].sum()
        return bh.indicators.life_expectancy(
            cells.reset_index(), "deaths", "person_years", "age_band", by=["place_code", "sex"], at_age=0
        )

    small, tiny = by_place(0.01), by_place(0.001)
    pd.testing.assert_frame_equal(small, tiny)
    assert small["value"].notna().all()
    assert small["value"].between(76, 86).all()
