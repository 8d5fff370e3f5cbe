"""Every reader on the real BLMK files in ``../shared/data/blmk`` (skipped where the folder is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import blmk_health as bh
from blmk_health import io as bio

BLMK_LAS = {"E06000032", "E06000042", "E06000055", "E06000056"}


def test_gp_registrations_april_2026(blmk_dir: Path) -> None:
    df = bio.read_gp_registrations(blmk_dir / "gp-reg-pat-prac-all_2026-04_BLMK.csv")
    assert len(df) == 85
    assert df["practice_code"].nunique() == 85
    assert int(df["patients"].sum()) == 1_146_928
    assert df["patients"].dtype == "Int64"
    assert df["extract_date"].dtype == "datetime64[ns]"
    assert (df["extract_date"] == pd.Timestamp("2026-04-01")).all()
    assert set(df["sub_icb_code"]) == {"M1J4Y"}
    assert set(df["commissioner_type"]) == {"sub_icb"}
    assert set(df["ons_commissioner_code"]) == {"E38000249"}
    assert set(df["sex"]) == {"all"}
    assert set(df["age"]) == {"all"}
    row = df.set_index("practice_code").loc["Y07040"]
    assert row["postcode"] == "EN1 3LL"
    assert row["patients"] == 114
    assert df.attrs["rows_read"] == 85
    assert df.attrs["dropped"]["rows"] == 0


def test_gp_registrations_filter_reports_dropped_rows(blmk_dir: Path) -> None:
    path = blmk_dir / "gp-reg-pat-prac-all_2026-04_BLMK.csv"
    kept = bio.read_gp_registrations(path, commissioner="M1J4Y")
    assert len(kept) == 85
    none = bio.read_gp_registrations(path, commissioner=["06F", "06P", "04F"])
    assert none.empty
    assert none.attrs["dropped"]["rows"] == 85
    assert none.attrs["dropped"]["lines"][0] == 2
    assert none.attrs["dropped"]["values"][0] == "E81002"


def test_epraccur_december_2019(blmk_dir: Path) -> None:
    df = bio.read_epraccur(blmk_dir / "epraccur_2019-12_BLMK.csv")
    assert len(df) == 199
    assert ((df["status"] == "A") & (df["prescribing_setting"] == 4)).sum() == 100
    assert set(df["commissioner_code"].dropna()) <= {"06F", "06P", "04F"}
    assert df["open_date"].notna().all()
    first = df.set_index("practice_code").loc["E81001"]
    assert first["postcode"] == "LU2 0NN"
    assert first["open_date"] == pd.Timestamp("1974-04-01")
    gp = bio.read_epraccur(blmk_dir / "epraccur_2019-12_BLMK.csv", gp_only=True)
    assert (gp["prescribing_setting"] == 4).all()
    assert gp.attrs["dropped"]["rows"] == 199 - len(gp)
    assert gp.attrs["dropped"]["values"][0] == "A99946"


def test_epcn_2020(blmk_dir: Path) -> None:
    epcn = bio.read_epcn(
        blmk_dir / "epcn_2020_BLMK_pcn_details.csv", blmk_dir / "epcn_2020_BLMK_core_partner_details.csv"
    )
    assert isinstance(epcn, bio.EPCN)
    details, partners = epcn.details, epcn.core_partners
    assert len(details) == 22
    assert details["pcn_code"].is_unique
    assert len(partners) == 99
    for column in ("pcn_code", "pcn_name", "sub_icb_code", "commissioner_code", "open_date", "close_date", "postcode"):
        assert column in details.columns
    for column in ("practice_code", "practice_name", "pcn_code", "pcn_name", "start_date", "end_date"):
        assert column in partners.columns
    assert set(details["commissioner_code"]) == {"06F", "06P", "04F"}
    assert set(details["commissioner_type"]) == {"ccg"}
    assert details["sub_icb_code"].isna().all()
    assert details["close_date"].isna().all()
    assert partners["start_date"].dtype == "datetime64[ns]"
    assert partners["end_date"].isna().sum() >= 1
    assert set(partners["pcn_code"]) <= set(details["pcn_code"])


def test_epcn_from_a_workbook_with_newline_headers(blmk_dir: Path, tmp_path: Path) -> None:
    details = pd.read_csv(blmk_dir / "epcn_2020_BLMK_pcn_details.csv", dtype=str)
    partners = pd.read_csv(blmk_dir / "epcn_2020_BLMK_core_partner_details.csv", dtype=str)
    partners.columns = [c.replace(" ", "\n") for c in partners.columns]
    partners = partners.drop(columns=[partners.columns[-1]])
    path = tmp_path / "ePCN.xlsx"
    with pd.ExcelWriter(path) as writer:
        details.to_excel(writer, sheet_name="PCNDetails", index=False)
        partners.to_excel(writer, sheet_name="PCN Core Partner Details", index=False)
    epcn = bio.read_epcn(path)
    assert len(epcn.details) == 22
    assert len(epcn.core_partners) == 99
    with path.open("rb") as handle:
        again = bio.read_epcn(handle)
    pd.testing.assert_frame_equal(again.core_partners, epcn.core_partners)


def test_fingertips_gp_imd_score(blmk_dir: Path) -> None:
    df = bio.read_fingertips(blmk_dir / "fingertips_93553_imd2019_score_gp_practice_BLMK.csv")
    assert len(df) == 96
    assert set(df["indicator_id"]) == {93553}
    assert df["value"].dtype == "Float64"
    assert df["value"].notna().all()
    assert set(df["area_type"]) == {"GP"}
    assert df.loc[df["area_code"] == "E81001", "value"].round(4).item() == 27.2744


def test_imd_deciles(blmk_dir: Path) -> None:
    df = bio.read_imd(blmk_dir / "imd2019_decile_BLMK_lsoa11.csv")
    assert len(df) == 533
    assert df["lsoa_code"].is_unique
    assert df["imd_decile"].between(1, 10).all()
    assert set(df["la_code"]) == BLMK_LAS
    assert df["imd_score"].isna().all()


def test_ons_myeb3(blmk_dir: Path) -> None:
    df = bio.read_ons_population(blmk_dir / "ons_MYEB3_components_of_change_2018_geog19_BLMK.csv")
    assert set(df["la_code"]) == BLMK_LAS
    pop = df[df["component"] == "population"]
    assert sorted(pop["year"].unique()) == list(range(2001, 2019))
    luton = pop[(pop["la_code"] == "E06000032") & (pop["year"] == 2018)]
    assert luton["value"].item() == 214109
    assert luton["la_name"].item() == "Luton"
    births = df[(df["component"] == "births") & (df["la_code"] == "E06000032") & (df["year"] == 2002)]
    assert births["value"].item() == 2953
    assert df.attrs["layout"] == "myeb"


def test_ons_lsoa_age_sex(blmk_dir: Path) -> None:
    df = bio.read_ons_population(blmk_dir / "lsoa21_pop_agesex_BLMK_from_episkills_pop_mid_2015.csv")
    assert df["lsoa_code"].nunique() == 583
    total = df[df["age"] == "all"].set_index("lsoa_code")["value"]
    bands = df[df["age"] != "all"].groupby("lsoa_code")["value"].sum()
    pd.testing.assert_series_equal(total.sort_index(), bands.sort_index(), check_names=False)
    assert set(df.loc[df["age"] != "all", "sex"]) == {"female", "male"}
    assert {"0-15", "65+"} <= set(df["age"])
    assert df.attrs["layout"] == "age_sex"


def test_boundaries_topojson_lads(blmk_dir: Path) -> None:
    gdf = bio.read_boundaries(blmk_dir / "boundaries" / "topo_lad_eng.json")
    assert len(gdf) == 326
    assert gdf.crs.to_epsg() == 27700
    assert gdf.attrs["code_column"] == "LAD13CD"
    assert gdf.attrs["driver"] == "TopoJSON"
    assert gdf.is_valid.all()
    assert set(gdf["code"]) >= BLMK_LAS
    assert gdf.set_index("code").loc["E06000032", "name"] == "Luton"


def test_boundaries_lsoa_geojson(blmk_dir: Path) -> None:
    folder = blmk_dir / "boundaries"
    parts = [bio.read_boundaries(folder / f"lsoa_2011_{la}.geojson") for la in sorted(BLMK_LAS)]
    codes = pd.concat([p["code"] for p in parts])
    assert len(codes) == 533
    assert codes.is_unique
    imd = bio.read_imd(blmk_dir / "imd2019_decile_BLMK_lsoa11.csv")
    assert set(codes) == set(imd["lsoa_code"])
    area_km2 = sum(p.area.sum() for p in parts) / 1e6
    assert 1_450 < area_km2 < 1_650  # Bedford 476, Central Beds 716, Luton 43, MK 309 km²
    msoa = bio.read_boundaries(folder / "msoa_2011_E06000032.geojson", to_crs=None)
    assert msoa.attrs["code_column"] == "MSOA11CD"
    assert msoa.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("name", "practices", "rows"),
    [("qof_201718_PREVALENCE_1718_blmk.csv", 105, 2205), ("qof_201920_PREVALENCE_1920_blmk.csv", 99, 2079)],
)
def test_qof_prevalence_raw_files(blmk_dir: Path, name: str, practices: int, rows: int) -> None:
    """The raw files name the list size PATIENT_LIST_SIZE (and 2017-18 the group INDICATOR_GROUP_CODE)."""
    qof = bh.io.read_qof_prevalence(blmk_dir / name)
    assert len(qof) == rows
    assert qof["practice_code"].nunique() == practices
    assert list(qof.columns) == ["practice_code", "group_code", "register", "list_type", "list_size"]
    if name.startswith("qof_201718"):
        # rolled up, the published CCG tables: hypertension 67,728 + 28,268 + 36,360; AF 8,745 + 2,473 + 3,906
        totals = qof[qof["list_type"] == "TOTAL"].groupby("group_code")["register"].sum()
        assert totals["HYP"] == 67_728 + 28_268 + 36_360
        assert totals["AF"] == 8_745 + 2_473 + 3_906


def test_io_is_exported() -> None:
    assert bh.io.read_imd is bio.read_imd
    assert set(bio.__all__) == {
        "EPCN",
        "QOF_INDICATORS",
        "read_boundaries",
        "read_epcn",
        "read_epraccur",
        "read_fingertips",
        "read_gp_registrations",
        "read_gp_workforce",
        "read_imd",
        "read_ons_population",
        "read_qof_achievement",
        "read_qof_prevalence",
    }


@pytest.mark.parametrize("name", ["geopandas", "pyogrio", "openpyxl"])
def test_heavy_libraries_are_not_imported_at_module_level(name: str) -> None:
    import ast

    for path in Path(bio.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert not (module or "").startswith(name), f"{path.name} imports {name} at module level"
