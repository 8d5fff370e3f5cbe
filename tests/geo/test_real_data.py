"""The real BLMK files in ../shared/data/blmk: ePCN hierarchy, 533 LSOA11 polygons, IMD deciles, maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import ReferenceDataError
from tests.geo.conftest import BEDFORD, CBEDS, LUTON, MK
from tests.helpers import Backend, to_pandas


def test_epcn_hierarchy(real_hierarchy: bh.geo.Hierarchy, epcn: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    on = real_hierarchy.at("2020-01-01")
    assert len(on.codes("cluster")) == 22
    assert len(on.to_frame().dropna(subset=["cluster_code"])) == 99
    assert on.codes("place") == sorted([LUTON, MK, BEDFORD, CBEDS])
    assert on.codes("icb") == ["QHG"]
    places = real_hierarchy.lookup("place", from_level="cluster").set_index("cluster_code")["place_code"]
    assert places.value_counts().to_dict() == {CBEDS: 7, MK: 6, LUTON: 5, BEDFORD: 4}
    assert places["U52875"] == CBEDS  # H is for Health: placed by its practices (Asplands, MK17, Bedfordshire CCG)
    assert real_hierarchy.map("E81008", to="place") == CBEDS  # Wheatfield, a Luton postcode in a Central Beds PCN
    assert real_hierarchy.names("cluster")["U64165"] == "TITAN PCN"
    # Before the PCNs started (1 October 2019) no practice had a cluster.
    assert real_hierarchy.at("2019-09-30").codes("cluster") == []


def test_epcn_place_needs_override_where_ambiguous(
    epcn: tuple[pd.DataFrame, pd.DataFrame], epraccur: pd.DataFrame
) -> None:
    details, partners = epcn
    with pytest.raises(ReferenceDataError, match=r"U83511 \(MK45 2TG; candidates: E06000055 Bedford, E06000056"):
        bh.geo.Hierarchy.from_epcn(details, partners, practices=epraccur)
    with pytest.raises(ReferenceDataError, match=r"2 PCN\(s\).*U52875.*U83511"):
        bh.geo.Hierarchy.from_epcn(details, partners)
    user = {"U52875": CBEDS, "U83511": CBEDS}
    h = bh.geo.Hierarchy.from_epcn(details, partners, places=user)
    assert h.map("E81002", to="place") == CBEDS


def test_epcn_ambiguous_places_can_be_left_out(epcn: tuple[pd.DataFrame, pd.DataFrame], epraccur: pd.DataFrame) -> None:
    """With ambiguous="leave" the Hilton PCN's three practices have no place but keep their cluster and ICB."""
    details, partners = epcn
    h = bh.geo.Hierarchy.from_epcn(details, partners, practices=epraccur, ambiguous="leave")
    lookup = h.lookup("place", at="2020-06-30")
    unplaced = sorted(lookup.loc[lookup["place_code"].isna(), "practice_code"])
    assert unplaced == sorted(partners.loc[partners["pcn_code"] == "U83511", "practice_code"])
    assert len(unplaced) == 3
    assert set(h.map(unplaced, to="cluster", at="2020-06-30")) == {"U83511"}
    assert set(h.map(unplaced, to="icb", at="2020-06-30")) == {"QHG"}
    with pytest.raises(bh.errors.DomainError, match="ambiguous: expected 'raise' or 'leave'"):
        bh.geo.Hierarchy.from_epcn(details, partners, ambiguous="guess")


def test_epcn_relationship_end_dates(epcn: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The real file has no ended relationship; end one and start a successor to test the as-of logic."""
    details, partners = epcn
    partners = partners.copy()
    code_col = "practice_code" if "practice_code" in partners.columns else "Partner Organisation Code"
    pcn_col = "pcn_code" if "pcn_code" in partners.columns else "PCN Code"
    end_col = "end_date" if "end_date" in partners.columns else "Practice to PCN Relationship End Date"
    start_col = "start_date" if "start_date" in partners.columns else "Practice to PCN Relationship Start Date"
    row = partners[partners[code_col] == "E81008"].iloc[0].copy()
    partners[end_col] = partners[end_col].astype(object)
    partners.loc[partners[code_col] == "E81008", end_col] = (
        pd.Timestamp("2021-03-31") if end_col == "end_date" else "20210331"
    )
    row[pcn_col] = "U09531"
    row[start_col] = pd.Timestamp("2021-04-01") if start_col == "start_date" else "20210401"
    partners = pd.concat([partners, row.to_frame().T], ignore_index=True)
    h = bh.geo.Hierarchy.from_epcn(details, partners, overrides={"U52875": CBEDS, "U83511": CBEDS})
    assert h.at("2021-03-31").map("E81008", to="cluster") == "U64165"
    assert h.at("2021-04-01").map("E81008", to="cluster") == "U09531"
    assert "E81008" in h.at("2021-03-31").members("cluster", "U64165")
    assert "E81008" not in h.at("2021-04-01").members("cluster", "U64165")
    with pytest.raises(ReferenceDataError, match="pass at="):
        h.map("E81008", to="cluster")


def test_rollup_of_real_registrations(blmk_dir: Path, real_hierarchy: bh.geo.Hierarchy, backend: Backend) -> None:
    reg = pd.read_csv(blmk_dir / "gp-reg-pat-prac-all_2026-04_BLMK.csv", usecols=["CODE", "NUMBER_OF_PATIENTS"])
    data = backend(reg)
    with pytest.raises(ReferenceDataError, match=r"2 practice code\(s\).*'Y06810', 'Y07040'"):
        bh.geo.rollup(data, real_hierarchy, "place", on="CODE")
    total = int(reg["NUMBER_OF_PATIENTS"].sum())
    for level in ("cluster", "place", "icb"):
        out = to_pandas(bh.geo.rollup(data, real_hierarchy, level, on="CODE", unmapped="group"))
        assert int(out["NUMBER_OF_PATIENTS"].sum()) == total == 1_146_928
        assert out[f"{level}_code"].iloc[-1] == "unmapped"
        assert out["n_practices"].iloc[-1] == 2


def test_lsoas_dissolve_to_four_places(real_lsoas: Any) -> None:
    from blmk_health.errors import DomainError

    assert len(real_lsoas) == 533
    with pytest.raises(DomainError, match="E01017486"):
        bh.geo.dissolve_areas(real_lsoas, "place_code")
    places = bh.geo.dissolve_areas(real_lsoas, "place_code", make_valid=True)
    assert places["place_code"].tolist() == sorted([LUTON, MK, BEDFORD, CBEDS])
    assert places["n_areas"].tolist() == [121, 152, 103, 157]
    lsoa_area = real_lsoas.area.sum()
    assert places.area.sum() == pytest.approx(lsoa_area, rel=1e-6)
    for i in range(4):
        for j in range(i + 1, 4):
            overlap = places.geometry.iloc[i].intersection(places.geometry.iloc[j]).area
            assert overlap < 1e-6 * lsoa_area
    icb = bh.geo.dissolve_areas(real_lsoas.assign(icb_code="QHG"), "icb_code", make_valid=True)
    assert icb.area.iloc[0] == pytest.approx(places.area.sum(), rel=1e-6)


def test_imd_attached_to_all_533(real_lsoas: Any, real_imd: pd.DataFrame) -> None:
    out = bh.geo.attach_deprivation(real_lsoas, "lsoa_code", real_imd, unmatched="raise")
    assert out["imd_decile"].notna().sum() == 533
    assert set(out["imd_decile"].dropna().astype(int)) <= set(range(1, 11))
    counts = out.groupby("place_code")["imd_decile"].apply(lambda s: (s <= 2).sum()).to_dict()
    assert counts[LUTON] > counts[CBEDS]  # Luton has more LSOAs in the most deprived fifth


def test_points_and_maps_on_real_lsoas(real_lsoas: Any, real_imd: pd.DataFrame, tmp_path: Path) -> None:
    import shapely

    lsoas = real_lsoas.copy()
    lsoas["geometry"] = shapely.make_valid(lsoas.geometry.values)
    centroids = lsoas.representative_point()
    pts = pd.DataFrame({"x": centroids.x, "y": centroids.y, "want": lsoas["lsoa_code"]})
    out = bh.geo.points_to_areas(pts, lsoas, crs="EPSG:27700")
    assert (out["lsoa_code"] == out["want"]).all()
    lonlat = centroids.to_crs("EPSG:4326")
    out = bh.geo.points_to_areas(pd.DataFrame({"x": lonlat.x, "y": lonlat.y}), lsoas, crs="EPSG:4326")
    assert (out["lsoa_code"].to_numpy() == lsoas["lsoa_code"].to_numpy()).mean() > 0.99

    mapped = bh.geo.attach_deprivation(lsoas, "lsoa_code", real_imd)
    mapped.loc[mapped.index[:5], "imd_decile"] = np.nan
    places = bh.geo.dissolve_areas(lsoas, "place_code")
    for name, gdf, column in (
        ("lsoas", mapped.assign(imd_decile=mapped["imd_decile"].astype(float)), "imd_decile"),
        ("places", places, "n_areas"),
    ):
        ax = bh.geo.choropleth(gdf, column, k=5, title=name)
        path = tmp_path / f"{name}.png"
        ax.figure.savefig(path, dpi=50)
        plt.close(ax.figure)
        assert path.stat().st_size > 5000
