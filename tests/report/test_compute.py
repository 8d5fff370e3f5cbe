"""Every indicator computed from its definition: the tidy table, its numbers and its rollups."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import InputError
from blmk_health.report._compute import LEVEL_COLUMNS, LEVELS
from tests.indicators.test_catalogue import EXPECTED

INDICATORS = bh.indicators.catalogue()


@pytest.fixture(scope="module")
def bundle() -> bh.report.DataBundle:
    return bh.report.DataBundle.synthetic_blmk(scale=0.05, seed=0)


@pytest.fixture(scope="module")
def table(bundle: bh.report.DataBundle) -> pd.DataFrame:
    return bh.report.compute_indicators(bundle)


def test_schema_and_order(table: pd.DataFrame) -> None:
    assert list(table.columns) == list(bh.report.INDICATOR_COLUMNS)
    for column, dtype in bh.report.INDICATOR_COLUMNS.items():
        assert str(table[column].dtype) == dtype, column
    assert set(table["indicator_id"]) == set(INDICATORS["id"])
    assert set(table["sex"]) <= {"Persons", "Male", "Female"}
    rank = table["level"].map({level: i for i, level in enumerate(LEVELS)})
    keys = pd.DataFrame({"id": table["indicator_id"], "rank": rank, "area": table["area_code"]})
    assert keys.equals(keys.sort_values(["id", "rank", "area"], kind="stable"))
    assert (table["confidence"] == "95%").all()
    assert not table["suppressed"].any()


def test_every_definition_at_every_level(table: pd.DataFrame) -> None:
    published = {(row["id"], level) for row in INDICATORS.to_dict("records") for level in row["geography_levels"]}
    assert set(zip(table["indicator_id"], table["level"], strict=True)) == published


@pytest.mark.parametrize(
    ("indicator_id", "level"),
    [(row["id"], level) for row in INDICATORS.to_dict("records") for level in row["geography_levels"]],
)
def test_values_equal_a_direct_call_of_the_function(
    bundle: bh.report.DataBundle, table: pd.DataFrame, indicator_id: str, level: str
) -> None:
    """The tidy rows hold exactly what the definition's function gives on hand-prepared input."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # blank groups warn; their status is checked below
        expected = EXPECTED[indicator_id](bh.datasets.synthetic_blmk(scale=0.05, seed=0), level)
    rows = table[(table["indicator_id"] == indicator_id) & (table["level"] == level)]
    assert rows["area_code"].tolist() == expected[LEVEL_COLUMNS[level]].astype(str).tolist()
    output = {"value": "value", "lower": "lowercl", "upper": "uppercl"}
    output.update(INDICATORS.set_index("id").loc[indicator_id, "output"])
    for column, source in output.items():
        if column in ("numerator", "denominator"):
            continue  # the counts are checked by the rollup test
        if source is False:
            assert rows[column].isna().all(), column
            continue
        got = rows[column].to_numpy(dtype=float)
        want = (
            expected[source].to_numpy(dtype=float, na_value=np.nan) if source in expected else np.full(len(got), np.nan)
        )
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True, err_msg=column)
    blank = rows["value"].isna()
    assert (rows.loc[~blank, "status"] == "ok").all()
    assert rows.loc[blank, "status"].str.startswith("blank: ").all()


PRACTICE_LEVEL = [row["id"] for row in INDICATORS.to_dict("records") if "practice" in row["geography_levels"]]


def test_counts_roll_up_from_the_practices(bundle: bh.report.DataBundle, table: pd.DataFrame) -> None:
    """Numerators and denominators at cluster, place and ICB equal the sums of the practices below them."""
    practices = pd.DataFrame(bundle.tables["practices"])
    assert len(PRACTICE_LEVEL) >= 12
    for indicator_id in PRACTICE_LEVEL:
        rows = table[table["indicator_id"] == indicator_id]
        below = rows[rows["level"] == "practice"].merge(
            practices[["practice_code", "cluster_code", "place_code", "icb_code"]],
            left_on="area_code",
            right_on="practice_code",
        )
        for level in ("cluster", "place", "icb"):
            sums = below.groupby(LEVEL_COLUMNS[level])[["numerator", "denominator"]].sum()
            upper = rows[rows["level"] == level].set_index("area_code")[["numerator", "denominator"]]
            pd.testing.assert_frame_equal(
                upper.sort_index(), sums.sort_index(), check_names=False, rtol=1e-12, obj=f"{indicator_id} {level}"
            )


def test_names_periods_and_sexes(table: pd.DataFrame) -> None:
    le = table[(table["indicator_id"] == "life_expectancy_at_birth") & (table["level"] == "place")]
    assert set(le["area_name"]) == {"Bedford", "Central Bedfordshire", "Luton", "Milton Keynes"}
    assert (le["period"] == "2016-18").all()
    assert sorted(le["sex"].unique()) == ["Female", "Male"]
    icb = table[(table["level"] == "icb")]
    assert set(icb["area_name"]) == {"Bedfordshire, Luton and Milton Keynes"}
    dsr = table[table["indicator_id"] == "mortality_all_causes_dsr"]
    assert (dsr["sex"] == "Persons").all()
    assert (dsr["numerator"] == dsr["numerator"].round()).all()


def test_a_missing_table_skips_with_the_reason(bundle: bh.report.DataBundle) -> None:
    tables = {k: v for k, v in bundle.tables.items() if k != "deaths"}
    partial = bh.report.DataBundle(tables, bundle.hierarchy, True, "test", bundle.periods, {"deaths": "not given"})
    table = bh.report.compute_indicators(partial)
    skipped = table[table["status"].str.startswith("skipped: ")]
    assert set(skipped["indicator_id"]) == {
        "life_expectancy_at_birth",
        "healthy_life_expectancy_at_birth",
        "sii_life_expectancy_at_birth",
        "le_range_gap_at_birth",
        "mortality_all_causes_dsr",
    }
    assert skipped["status"].str.contains("the data have no 'deaths' table \\(deaths: not given\\)").all()
    assert skipped["area_code"].isna().all()
    assert skipped["value"].isna().all()
    computed = set(table.loc[~table.index.isin(skipped.index), "indicator_id"])
    needs_deaths = {row["id"] for row in INDICATORS.to_dict("records") if "deaths" in row["inputs"]}
    assert computed == set(INDICATORS["id"]) - needs_deaths


def test_a_missing_column_skips_with_the_reason(bundle: bh.report.DataBundle) -> None:
    tables = dict(bundle.tables)
    tables["qof_registers"] = pd.DataFrame(tables["qof_registers"]).drop(columns="practice_list_size")
    partial = bh.report.DataBundle(tables, bundle.hierarchy, True, "test")
    table = bh.report.compute_indicators(partial, indicators=["recorded_prevalence_hypertension"], levels=["place"])
    assert table["status"].item() == (
        "skipped: the input has no column(s) ['practice_list_size'] (needed at the place level)"
    )


def test_choice_of_indicators_and_levels(bundle: bh.report.DataBundle) -> None:
    table = bh.report.compute_indicators(bundle, indicators=["mortality_all_causes_dsr"], levels=["icb"])
    assert table[["indicator_id", "level", "area_code"]].values.tolist() == [["mortality_all_causes_dsr", "icb", "QHG"]]
    with pytest.raises(InputError, match=r"indicators: unknown indicator id\(s\) \['nope'\]"):
        bh.report.compute_indicators(bundle, indicators=["nope"])
    with pytest.raises(InputError, match=r"levels: unknown level\(s\) \['ward'\]"):
        bh.report.compute_indicators(bundle, levels=["ward"])


# --- a folder of real published files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(blmk_dir: Path) -> bh.report.DataBundle:
    return bh.report.DataBundle.from_folder(blmk_dir)


def test_real_folder_computes_what_its_files_allow(real: bh.report.DataBundle) -> None:
    assert not real.synthetic
    assert {"registrations", "practices", "clusters", "places", "lsoas", "qof_registers"} <= set(real.tables)
    assert "deaths" in real.skipped
    table = bh.report.compute_indicators(real)
    prevalence = table[table["indicator_id"] == "recorded_prevalence_hypertension"]
    assert (prevalence["status"] != "ok").sum() == 0
    assert set(prevalence["level"]) == {"practice", "cluster", "place", "icb"}
    # the QOF 2019-20 file: 138,538 on the register out of 1,038,666 registered patients, in 99 practices
    practices = prevalence[prevalence["level"] == "practice"]
    registered = set(real.tables["practices"]["practice_code"])
    assert set(practices["area_code"]) <= registered
    icb = prevalence[prevalence["level"] == "icb"].iloc[0]
    assert practices["numerator"].sum() == icb["numerator"]
    assert icb["period"] == "2019-20"
    skipped = table[table["status"].str.startswith("skipped")]
    assert "life_expectancy_at_birth" in set(skipped["indicator_id"])
    life = skipped[skipped["indicator_id"] == "life_expectancy_at_birth"]
    assert life["status"].str.contains("skipped: the data have no 'deaths'").all()
    undiagnosed = skipped[skipped["indicator_id"] == "undiagnosed_hypertension"]
    assert undiagnosed["status"].str.contains("no expected-prevalence estimates by practice").all()


def test_real_folder_reports_practices_without_a_place(real: bh.report.DataBundle) -> None:
    assert any("U83511" in note or "cannot be told from postcodes" in note for note in real.notes)
    assert len(real.tables["places"]) == 4
    assert len(real.tables["lsoas"]) == 533


def test_a_folder_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(bh.errors.DataFileError, match="is not there; give the folder"):
        bh.report.DataBundle.from_folder(tmp_path / "missing")
    (tmp_path / "file.csv").write_text("x")
    with pytest.raises(bh.errors.DataFileError, match="is a file, not a folder"):
        bh.report.DataBundle.from_folder(tmp_path / "file.csv")


def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "qof_PREVALENCE_1920.csv").write_text("not,a,qof,file\n1,2,3,4\n")
    with pytest.raises(InputError, match=r"data: cannot read qof_PREVALENCE_1920.csv as a QOF prevalence file"):
        bh.report.DataBundle.from_folder(tmp_path)


def test_spells_of_practices_missing_from_the_list_are_noted_not_placed(bundle: bh.report.DataBundle) -> None:
    tables = dict(bundle.tables)
    registrations = pd.DataFrame(tables["registrations"])
    gone = registrations["practice_code"].iloc[0]
    tables["registrations"] = registrations[registrations["practice_code"] != gone]
    partial = bh.report.DataBundle(tables, bundle.hierarchy, True, "test", bundle.periods)
    table = bh.report.compute_indicators(partial, indicators=["emergency_spells_crude"])
    assert table["area_code"].notna().all()
    assert gone not in set(table["area_code"])
    spells = bh.records.spells(pd.DataFrame(bundle.tables["admissions"]))
    emergency = spells["admission_method"].astype(str).str.startswith("2")
    in_year = spells["admission_date"].between("2018-04-01", "2019-03-31")
    lost = int((emergency & in_year & (spells["practice_code"] == gone)).sum())
    note = next(n for n in table.attrs["notes"] if n.startswith("emergency_spells_crude:"))
    assert note.startswith(f"emergency_spells_crude: {lost:,} spells of no practice in the data are left out")
    assert f"practice_code not in the population ({gone})" in note
    icb = table[table["level"] == "icb"]
    whole = bh.report.compute_indicators(bundle, indicators=["emergency_spells_crude"], levels=["icb"])
    assert icb["numerator"].item() == whole["numerator"].item() - lost
