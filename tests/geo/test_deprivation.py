"""IMD for small areas and practices, and local deciles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from tests.helpers import Backend, to_pandas

IMD = pd.DataFrame(
    {"lsoa_code": ["A", "B", "C", "D"], "imd_decile": [1, 4, 7, 10], "imd_score": [60.0, 25.0, 12.0, 2.0]}
)


def test_attach_on_every_backend(backend: Backend) -> None:
    people = pd.DataFrame({"id": [1, 2, 3, 4], "lsoa_code": ["C", "A", "D", "A"]})
    result = bh.geo.attach_deprivation(backend(people), "lsoa_code", IMD)
    backend.assert_kind(result)
    out = to_pandas(result)
    if backend.lazy:  # a lazy join keeps no row order
        out = out.sort_values("id").reset_index(drop=True)
    assert out["id"].tolist() == [1, 2, 3, 4]
    assert out["imd_decile"].tolist() == [7, 1, 10, 1]
    assert out["imd_score"].tolist() == [12.0, 60.0, 2.0, 60.0]


def test_attach_keeps_pandas_index_and_reports_unmatched() -> None:
    people = pd.DataFrame({"lsoa_code": ["B", "Z", None]}, index=[7, 8, 9])
    with pytest.warns(UserWarning, match=r"2 of 3 distinct code\(s\).*'Z', None"):
        out = bh.geo.attach_deprivation(people, "lsoa_code", IMD[["lsoa_code", "imd_decile"]])
    assert out.index.tolist() == [7, 8, 9]
    assert "imd_score" not in out.columns
    assert out["imd_decile"].iloc[0] == 4
    assert out["imd_decile"].iloc[1:].isna().all()
    with pytest.raises(ReferenceDataError, match="not in the IMD table"):
        bh.geo.attach_deprivation(people, "lsoa_code", IMD, unmatched="raise")
    bh.geo.attach_deprivation(people, "lsoa_code", IMD, unmatched="ignore")


def test_attach_bad_input() -> None:
    people = pd.DataFrame({"lsoa_code": ["A"]})
    with pytest.raises(SchemaError, match="repeats 1 code"):
        bh.geo.attach_deprivation(people, "lsoa_code", pd.concat([IMD, IMD.iloc[:1]]))
    with pytest.raises(DomainError, match="not deciles 1-10"):
        bh.geo.attach_deprivation(people, "lsoa_code", IMD.assign(imd_decile=[0, 1, 2, 11]))
    with pytest.raises(SchemaError, match="none of the columns"):
        bh.geo.attach_deprivation(people, "lsoa_code", IMD.drop(columns="imd_decile"))
    with pytest.raises(SchemaError, match="'imd_score2' not found"):
        bh.geo.attach_deprivation(people, "lsoa_code", IMD, score="imd_score2")
    with pytest.raises(SchemaError, match="overwritten"):
        bh.geo.attach_deprivation(people.assign(imd_decile=1), "lsoa_code", IMD)
    with pytest.raises(SchemaError, match="lsoa='lsoa'"):
        bh.geo.attach_deprivation(people, "lsoa", IMD)
    with pytest.raises(DomainError, match="unmatched"):
        bh.geo.attach_deprivation(people, "lsoa_code", IMD, unmatched="drop")
    named = IMD.rename(columns={"lsoa_code": "LSOA", "imd_decile": "d"})
    out = bh.geo.attach_deprivation(people, "lsoa_code", named, imd_code="LSOA", decile="d")
    assert out["imd_decile"].tolist() == [1]


def test_practice_deprivation(backend: Backend) -> None:
    reg = pd.DataFrame(
        {
            "practice_code": ["P1", "P1", "P1", "P2", "P2", "P3"],
            "lsoa_code": ["A", "B", "C", "D", "Z", "Z"],
            "patients": [100, 100, 200, 300, 50, 10],
        }
    )
    with pytest.warns(UserWarning, match="holding 60 patients"):
        result = bh.geo.practice_deprivation(backend(reg), IMD)
    backend.assert_kind(result)
    out = to_pandas(result).set_index("practice_code")
    assert out.loc["P1", "imd_score"] == pytest.approx((100 * 60 + 100 * 25 + 200 * 12) / 400)
    assert out.loc["P1", "imd_decile"] == 4  # the 200th of 400 patients lives in decile 4
    assert out.loc["P1", "imd_decile_mean"] == pytest.approx((100 + 400 + 1400) / 400)
    assert out.loc["P2", "patients"] == 350
    assert out.loc["P2", "patients_matched"] == 300
    assert pd.isna(out.loc["P3", "imd_decile"])
    assert np.isnan(out.loc["P3", "imd_score"])


def test_practice_deprivation_bad_input() -> None:
    reg = pd.DataFrame({"practice_code": ["P1"], "lsoa_code": ["A"], "patients": [-1]})
    with pytest.raises(DomainError, match="negative"):
        bh.geo.practice_deprivation(reg, IMD)
    with pytest.raises(SchemaError, match="must be numeric"):
        bh.geo.practice_deprivation(reg.assign(patients="x"), IMD)
    no_score = bh.geo.practice_deprivation(reg.assign(patients=[5.5]), IMD[["lsoa_code", "imd_decile"]])
    assert "imd_score" not in no_score.columns
    assert no_score["patients"].tolist() == [5.5]


def test_local_deciles(backend: Backend) -> None:
    df = pd.DataFrame({"place_code": ["L"] * 10 + ["M"] * 10, "imd_score": list(range(10)) + list(range(100, 110))})
    out = to_pandas(bh.geo.local_deciles(backend(df), "imd_score"))
    out = out.sort_values(["place_code", "imd_score"])
    assert out["local_decile"].tolist() == list(range(10, 0, -1)) * 2
    quint = bh.geo.local_deciles(df, by=None, n=5, name="q")
    assert quint["q"].tolist() == [5] * 4 + [4] * 4 + [3] * 2 + [3] * 2 + [2] * 4 + [1] * 4
    with pytest.raises(SchemaError, match="overwritten"):
        bh.geo.local_deciles(df.assign(local_decile=1))


def test_geodataframes_stay_geodataframes() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"lsoa_code": ["A", "B"], "place_code": ["L", "L"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700
    )
    out = bh.geo.attach_deprivation(gdf, "lsoa_code", IMD)
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs == gdf.crs
    with pytest.warns(UserWarning, match="fewer than n=10"):
        deciles = bh.geo.local_deciles(out, "imd_score")
    assert isinstance(deciles, gpd.GeoDataFrame)
