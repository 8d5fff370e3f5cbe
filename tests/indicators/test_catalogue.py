"""The indicator definitions: the schema, its validator, and every definition run from its definition alone.

The runner here (``run_definition``) is the minimal one the schema promises; the report builds the real one.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import SchemaError
from blmk_health.indicators._catalogue import (
    FIELDS,
    INPUT_TABLES,
    LEVEL_COLUMNS,
    OPTIONAL_FIELDS,
    _shipped_files,
    indicator_functions,
    load_entry,
    validate_entry,
)
from blmk_health.report._compute import _Definition, definition_result
from blmk_health.report._segmentation import SEGMENT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = {row["id"]: row.to_dict() for _, row in bh.indicators.catalogue().iterrows()}


def _cases(levels: bool) -> list[Any]:
    """(id) or (id, level) parameters."""
    cases = []
    for key, entry in DEFINITIONS.items():
        values = [(key, level) for level in entry["geography_levels"]] if levels else [(key,)]
        cases += [pytest.param(*v, id="-".join(v)) for v in values]
    return cases


@pytest.fixture(scope="module")
def synthetic() -> bh.datasets.SyntheticBLMK:
    return bh.datasets.synthetic_blmk(scale=0.05, seed=0)


# --- the runner the schema promises: bh.report's ---------------------------------------------------


def call_arguments(entry: Mapping[str, Any], level: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``columns`` and ``options`` at one level: the overrides merged, the level's code column first in ``by``."""
    return _Definition(entry, level, []).arguments()


def run_definition(entry: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], level: str) -> pd.DataFrame:
    """The definition's function output at one level, computed from its definition alone."""
    return definition_result(entry, tables, level)


# --- the shipped definitions ----------------------------------------------------------------------


def test_catalogue_table() -> None:
    table = bh.indicators.catalogue()
    assert list(table.columns) == list(FIELDS)
    assert table["id"].is_unique
    assert table["id"].tolist() == sorted(table["id"])
    assert len(table) == len(_shipped_files()) >= 4


def test_definitions_are_package_data() -> None:
    shipped = {path.name for path in _shipped_files()}
    folder = ROOT / "blmk_health" / "indicators" / "definitions"
    assert shipped == {path.name for path in folder.glob("*.toml")}
    assert all(path.is_file() for path in _shipped_files())
    assert (folder / "README.md").is_file()


def test_indicator_functions_are_the_public_callables() -> None:
    public = {name for name in bh.indicators.__all__ if callable(getattr(bh.indicators, name))}
    assert set(indicator_functions()) == public - {"catalogue", "acsc_codelist"}
    assert "ci" not in indicator_functions()


@pytest.mark.parametrize("definition_id", DEFINITIONS)
def test_function_accepts_the_arguments(definition_id: str) -> None:
    entry = DEFINITIONS[definition_id]
    function = getattr(bh.indicators, entry["function"])
    assert entry["function"] in bh.indicators.__all__
    assert callable(function)
    signature = inspect.signature(function)
    for level in entry["geography_levels"]:
        columns, options = call_arguments(entry, level)
        tables = dict.fromkeys(entry["tables"], pd.DataFrame())
        signature.bind_partial(pd.DataFrame(), **columns, **options, **tables)
        signature.bind(pd.DataFrame(), **columns, **options, **tables)  # nothing required is missing


def test_input_tables_are_those_of_synthetic_blmk(synthetic: bh.datasets.SyntheticBLMK) -> None:
    assert set(synthetic.tables()) == set(INPUT_TABLES)


@pytest.mark.parametrize(("definition_id", "level"), _cases(levels=True))
def test_inputs_and_columns_exist(synthetic: bh.datasets.SyntheticBLMK, definition_id: str, level: str) -> None:
    """Follow the columns through the prepare steps without computing anything."""
    entry = DEFINITIONS[definition_id]
    tables = {name: set(table.columns) for name, table in synthetic.tables().items()}
    missing = [name for name in entry["inputs"] if name not in tables]
    assert not missing, f"input tables not in synthetic_blmk(): {missing}"
    have = set(tables[entry["inputs"][0]])
    for step in entry["prepare"]:
        if "records" in step:  # spells from episodes: the episode columns go, the spell columns come
            assert step["records"] == "spells"
            have = {c for c in have if not c.startswith("episode_")} | set(bh.records.SPELL_COLUMNS)
        elif "segmentation" in step:  # the tiers' 0/1 columns summed by practice
            assert step["segmentation"] == "tiers"
            have = {"practice_code", *SEGMENT_COLUMNS}
        elif "filter" in step:
            assert set(step["filter"]) <= have, step
        elif "join" in step:
            assert set(step["on"]) <= have, step
            assert set(step["on"] + step["columns"]) <= tables[step["join"]], step
            have |= set(step["columns"])
        else:
            keys = {LEVEL_COLUMNS[level], *step["by"]}
            assert keys | set(step["sum"]) <= have, step
            have = keys | set(step["sum"])
    columns, _ = call_arguments(entry, level)
    named = {c for value in columns.values() for c in ([value] if isinstance(value, str) else value)}
    assert named <= have, f"{definition_id} at {level}: columns not in the prepared input: {named - have}"


# --- every definition computed from its definition alone ------------------------------------------


def _expected_life_expectancy(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
    deaths = synthetic.deaths.assign(icb_code="QHG")  # BLMK is one ICB
    key = LEVEL_COLUMNS[level]
    cells = deaths.groupby([key, "sex", "age_band"], observed=True)[["deaths", "person_years"]].sum().reset_index()
    return bh.indicators.life_expectancy(cells, "deaths", "person_years", "age_band", by=[key, "sex"], at_age=0)


def _expected_gap(method: str) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        local = pd.DataFrame(synthetic.lsoas)[["lsoa_code", "imd_local_decile"]]
        deaths = synthetic.deaths.merge(local, on="lsoa_code").assign(icb_code="QHG")
        key, decile = ("place_code", "imd_local_decile") if level == "place" else ("icb_code", "imd_decile")
        options: dict[str, Any] = {"seed": 1} if method == "sii" else {}
        return bh.indicators.le_gap(
            deaths, "deaths", "person_years", "age_band", decile, by=[key, "sex"], method=method, **options
        )

    return expected


def _expected_healthy_life_expectancy(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
    keys = [LEVEL_COLUMNS[level], "sex", "age_band"]
    cells = synthetic.deaths.groupby(keys, observed=True)[["deaths", "person_years"]].sum().reset_index()
    cells = cells.merge(synthetic.general_health, on=keys, validate="one_to_one")
    result: pd.DataFrame = bh.indicators.healthy_life_expectancy(
        cells, "deaths", "person_years", "age_band", "good_health", "respondents", by=keys[:2], at_age=0
    )
    return result


def _expected_mortality(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
    key = LEVEL_COLUMNS[level]
    deaths = synthetic.deaths.assign(icb_code="QHG")
    cells = deaths.groupby([key, "age_band"], observed=True)[["deaths", "person_years"]].sum().reset_index()
    result: pd.DataFrame = bh.indicators.dsr(cells, "deaths", "person_years", by=[key], age_band="age_band")
    return result


def _expected_recorded_prevalence(code: str) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        key = LEVEL_COLUMNS[level]
        qof = synthetic.qof_registers
        rows = qof[(qof["group_code"] == code) & (qof["patient_list_type"] == "TOTAL")]
        rows = rows.merge(synthetic.practices[["practice_code", "cluster_code", "place_code", "icb_code"]])
        sums = rows.groupby(key)[["register", "practice_list_size"]].sum().reset_index()
        result: pd.DataFrame = bh.indicators.proportion(
            sums, "register", "practice_list_size", by=[key], multiplier=100
        )
        return result

    return expected


_LEVEL_CODES = ["practice_code", "cluster_code", "place_code", "icb_code"]


def _expected_workforce(staff: str) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        registrations = synthetic.registrations.merge(synthetic.practices[_LEVEL_CODES], on="practice_code")
        result: pd.DataFrame = bh.indicators.patients_per_gp(
            registrations, synthetic.workforce, by=[LEVEL_COLUMNS[level]], staff=staff, measure="fte"
        )
        return result

    return expected


def _expected_prevalence_gap(code: str, condition: str) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        qof = synthetic.qof_registers
        register = qof[(qof["group_code"] == code) & (qof["patient_list_type"] == "TOTAL")]
        register = register.merge(synthetic.practices[_LEVEL_CODES], on="practice_code")
        cases = synthetic.expected_prevalence[synthetic.expected_prevalence["condition"] == condition]
        result: pd.DataFrame = bh.indicators.prevalence_gap(register, cases, by=[LEVEL_COLUMNS[level]])
        return result

    return expected


def _expected_treatment(code: str) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        rows = synthetic.qof_achievement[synthetic.qof_achievement["indicator_code"] == code]
        rows = rows.merge(synthetic.practices[_LEVEL_CODES], on="practice_code")
        result: pd.DataFrame = bh.indicators.treatment_gap(rows, by=[LEVEL_COLUMNS[level]])
        return result

    return expected


def _expected_admissions(function: str, **options: Any) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        lookup = synthetic.practices[_LEVEL_CODES]
        spells = bh.records.spells(synthetic.admissions).merge(lookup, on="practice_code")
        key = [LEVEL_COLUMNS[level]]
        if function == "readmissions":
            result: pd.DataFrame = bh.indicators.readmissions(spells, by=key, period="latest", **options)
            return result
        population = synthetic.registrations.merge(lookup, on="practice_code")
        result = getattr(bh.indicators, function)(spells, population, by=key, period="latest", **options)
        return result  # noqa: RET504 - typed as a DataFrame

    return expected


_TIERED: dict[int, pd.DataFrame] = {}


def _tiered_patients(synthetic: bh.datasets.SyntheticBLMK) -> pd.DataFrame:
    """The documented chain, written out: condition flags, the CMS, a logistic risk model cross-fitted over two
    stratified halves (seed 0), and the 2/18/80 tiers of the whole system with care-home residents first."""
    from sklearn.model_selection import StratifiedKFold

    if id(synthetic) in _TIERED:
        return _TIERED[id(synthetic)]
    patients = synthetic.patients
    flags = bh.records.condition_flags(
        synthetic.events,
        synthetic.codelists,
        code="snomed_code",
        coding_system="snomedct",
        population=patients[["patient_id"]],
        dates=False,
    )
    names = {"anxiety_depression": "depression_anxiety", "schizophrenia_bipolar": "smi"}
    cms = bh.segmentation.cambridge_multimorbidity_score(flags, conditions=names, missing="absent")
    data = patients.merge(cms[["patient_id", "cms"]], on="patient_id")
    y = data["emergency_admission_next_year"].to_numpy()
    data["risk"] = 0.0
    for fit, score in StratifiedKFold(2, shuffle=True, random_state=0).split(data, y):
        model = bh.segmentation.RiskModel(calibrate=False).fit(data.iloc[fit], y[fit])
        data.loc[data.index[score], "risk"] = model.predict_risk(data.iloc[score])
    tiered = bh.segmentation.assign_tiers(data, "risk", overrides={"care_home": "complex"})
    tiered = tiered.drop(columns=["cluster_code", "place_code"]).merge(
        synthetic.practices[_LEVEL_CODES], on="practice_code"
    )
    _TIERED[id(synthetic)] = tiered
    return tiered


def _expected_segment(
    tiers: tuple[str, ...], admitted: bool
) -> Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]:
    def expected(synthetic: bh.datasets.SyntheticBLMK, level: str) -> pd.DataFrame:
        key = LEVEL_COLUMNS[level]
        tiered = _tiered_patients(synthetic)
        if admitted:
            tiered = tiered[tiered["emergency_admission_next_year"]]
        counts = tiered.assign(x=tiered["tier"].isin(tiers).astype("int64"), n=1)
        sums = counts.groupby(key, observed=True)[["x", "n"]].sum().reset_index()
        sums.columns = [
            key,
            *(
                ["admitted_complex" if tiers == ("complex",) else "admitted_top_20"]
                if admitted
                else [f"tier_{tiers[0]}"]
            ),
            "admitted_next_year" if admitted else "registered",
        ]
        x, n = sums.columns[1], sums.columns[2]
        result: pd.DataFrame = bh.indicators.proportion(sums, x, n, by=[key], multiplier=100)
        return result

    return expected


EXPECTED: dict[str, Callable[[bh.datasets.SyntheticBLMK, str], pd.DataFrame]] = {
    "segment_complex_share": _expected_segment(("complex",), admitted=False),
    "segment_high_need_share": _expected_segment(("high_need",), admitted=False),
    "segment_healthy_share": _expected_segment(("healthy",), admitted=False),
    "emergency_admitted_in_complex_tier": _expected_segment(("complex",), admitted=True),
    "emergency_admitted_in_top_20_tiers": _expected_segment(("complex", "high_need"), admitted=True),
    "emergency_spells_crude": _expected_admissions("emergency_admissions", standardise=None),
    "emergency_spells_dsr": _expected_admissions("emergency_admissions"),
    "emergency_bed_days_dsr": _expected_admissions("emergency_admissions"),
    "emergency_respiratory_admissions_0_4": _expected_admissions(
        "emergency_admissions", standardise=None, ages=(0, 4), diagnoses="J"
    ),
    "acsc_chronic_admissions": _expected_admissions("acsc_admissions"),
    "emergency_readmissions_30_days": _expected_admissions("readmissions"),
    "patients_per_gp_fte": _expected_workforce("gp_excl_registrars"),
    "gp_fte_per_10000": _expected_workforce("gp_excl_registrars"),
    "patients_per_nurse_fte": _expected_workforce("nurses"),
    "expected_prevalence_hypertension": _expected_prevalence_gap("HYP", "hypertension"),
    "undiagnosed_hypertension": _expected_prevalence_gap("HYP", "hypertension"),
    "detection_ratio_hypertension": _expected_prevalence_gap("HYP", "hypertension"),
    "expected_prevalence_atrial_fibrillation": _expected_prevalence_gap("AF", "atrial_fibrillation"),
    "undiagnosed_atrial_fibrillation": _expected_prevalence_gap("AF", "atrial_fibrillation"),
    "detection_ratio_atrial_fibrillation": _expected_prevalence_gap("AF", "atrial_fibrillation"),
    "treatment_gap_hypertension": _expected_treatment("HYP006"),
    "treatment_gap_atrial_fibrillation": _expected_treatment("AF007"),
    "mortality_all_causes_dsr": _expected_mortality,
    "recorded_prevalence_hypertension": _expected_recorded_prevalence("HYP"),
    "recorded_prevalence_atrial_fibrillation": _expected_recorded_prevalence("AF"),
    "life_expectancy_at_birth": _expected_life_expectancy,
    "healthy_life_expectancy_at_birth": _expected_healthy_life_expectancy,
    "sii_life_expectancy_at_birth": _expected_gap("sii"),
    "le_range_gap_at_birth": _expected_gap("range"),
}


def test_every_definition_has_an_expected_calculation() -> None:
    assert set(DEFINITIONS) == set(EXPECTED)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("definition_id", "level"), _cases(levels=True))
def test_definition_runs_on_synthetic_data(
    synthetic: bh.datasets.SyntheticBLMK, definition_id: str, level: str
) -> None:
    entry = DEFINITIONS[definition_id]
    got = run_definition(entry, synthetic.tables(), level)
    expected = EXPECTED[definition_id](synthetic, level)
    pd.testing.assert_frame_equal(got, expected)
    areas = {"practice": len(synthetic.practices), "cluster": len(synthetic.clusters), "place": 4, "icb": 1}
    assert got[LEVEL_COLUMNS[level]].nunique() == areas[level]
    if "sex" in entry["columns"].get("by", []):
        assert set(got["sex"].astype(str)) == {"Male", "Female"}
    blank = got["value"].isna()
    assert not got.loc[blank, "statistic"].isna().any()  # a blank value says why


def chiang_life_expectancy(deaths: np.ndarray, person_years: np.ndarray) -> float:
    """Life expectancy at birth from the 20 bands 0, 1-4, 5-9, ..., 90+ (Chiang II), written out by hand."""
    width = np.array([1, 4] + [5] * 17, dtype=float)
    a = np.where(np.arange(19) == 0, 0.1, 0.5)
    m = deaths / person_years
    q = np.minimum(width * m[:19] / (1 + width * (1 - a) * m[:19]), 1.0)
    survivors = np.concatenate([[1.0], np.cumprod(1 - q)])
    lived = width * (survivors[1:] + a * survivors[:19] * q)
    return float(lived.sum() + survivors[19] / m[19])


def test_life_expectancy_definition_against_synthetic_truth(synthetic: bh.datasets.SyntheticBLMK) -> None:
    got = run_definition(DEFINITIONS["life_expectancy_at_birth"], synthetic.tables(), "icb").set_index("sex")
    for sex, generated in (("Male", 79.6), ("Female", 83.0)):  # docs/synthetic-data.md, section 5
        cells = synthetic.deaths[synthetic.deaths["sex"] == sex].groupby("start_age")[["deaths", "person_years"]].sum()
        by_hand = chiang_life_expectancy(cells["deaths"].to_numpy(float), cells["person_years"].to_numpy(float))
        assert got.loc[sex, "value"] == pytest.approx(by_hand, rel=1e-9)
        assert got.loc[sex, "value"] == pytest.approx(generated, abs=1.5)
        assert got.loc[sex, "lowercl"] < got.loc[sex, "value"] < got.loc[sex, "uppercl"]


def _general_health(synthetic: bh.datasets.SyntheticBLMK, share: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """A made-up survey table in the shape the healthy life expectancy definition reads."""
    cells = synthetic.deaths[["place_code", "sex", "age_band", "start_age"]].drop_duplicates()
    return cells.assign(good_health=share(cells["start_age"]), respondents=400).drop(columns="start_age")


def test_healthy_life_expectancy_definition_runs_given_general_health(synthetic: bh.datasets.SyntheticBLMK) -> None:
    entry = DEFINITIONS["healthy_life_expectancy_at_birth"]
    everyone = {**synthetic.tables(), "general_health": _general_health(synthetic, lambda age: age * 0 + 1.0)}
    hle = run_definition(entry, everyone, "place")
    le = run_definition(DEFINITIONS["life_expectancy_at_birth"], everyone, "place")
    # Sullivan: when everyone is in good health, healthy life expectancy is life expectancy.
    np.testing.assert_allclose(hle["value"], le["value"], rtol=1e-12)
    tables = {**synthetic.tables(), "general_health": _general_health(synthetic, lambda age: 0.9 - age / 200)}
    got = run_definition(entry, tables, "place")
    cells = (
        synthetic.deaths.groupby(["place_code", "sex", "age_band"], observed=True)[["deaths", "person_years"]]
        .sum()
        .reset_index()
        .merge(tables["general_health"], on=["place_code", "sex", "age_band"])
    )
    expected = bh.indicators.healthy_life_expectancy(
        cells, "deaths", "person_years", "age_band", "good_health", "respondents", by=["place_code", "sex"], at_age=0
    )
    pd.testing.assert_frame_equal(got, expected)
    computed = got["value"].notna()
    assert computed.any()
    assert (got.loc[computed, "value"] < le.loc[computed, "value"]).all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_deprivation_gaps_against_synthetic_truth() -> None:
    """At full size every local decile has more than 5,000 people, so the gaps have values."""
    full = bh.datasets.synthetic_blmk()
    sii = run_definition(DEFINITIONS["sii_life_expectancy_at_birth"], full.tables(), "place")
    sii = sii.set_index(["place_code", "sex"])["value"]
    # the generated SII targets (docs/synthetic-data.md): Luton men about 10, Milton Keynes women about 8
    assert sii.xs("Male", level="sex").idxmax() == "E06000032"
    assert sii["E06000032", "Male"] == pytest.approx(10, abs=1)
    assert sii.xs("Female", level="sex").idxmax() == "E06000042"
    assert sii["E06000042", "Female"] == pytest.approx(8, abs=1)
    gap = run_definition(DEFINITIONS["le_range_gap_at_birth"], full.tables(), "place")
    row = gap.set_index(["place_code", "sex"]).loc[("E06000032", "Male")]
    local = pd.DataFrame(full.lsoas)[["lsoa_code", "imd_local_decile"]]
    luton = full.deaths[(full.deaths["place_code"] == "E06000032") & (full.deaths["sex"] == "Male")]
    luton = luton.merge(local, on="lsoa_code")
    by_decile = {}
    for decile in (1, 10):
        cells = luton[luton["imd_local_decile"] == decile].groupby("start_age")[["deaths", "person_years"]].sum()
        by_decile[decile] = chiang_life_expectancy(
            cells["deaths"].to_numpy(float), cells["person_years"].to_numpy(float)
        )
    assert row["value"] == pytest.approx(by_decile[10] - by_decile[1], rel=1e-9)


# --- the validator --------------------------------------------------------------------------------


def good_entry() -> dict[str, Any]:
    return {
        "id": "mortality_rate",
        "title": "Deaths, all ages",
        "definition": "Deaths from all causes per 100,000 person-years.",
        "numerator": "Deaths registered",
        "denominator": "Person-years at risk",
        "unit": "per 100,000 person-years",
        "multiplier": 100_000,
        "method": "Crude rate with Byar's limits",
        "low_is_good": True,
        "function": "crude_rate",
        "inputs": ["deaths", "places"],
        "prepare": [{"join": "places", "on": ["place_code"], "columns": ["icb_code"]}],
        "columns": {"x": "deaths", "n": "person_years", "by": ["sex"]},
        "options": {"multiplier": 100_000},
        "geography_levels": ["place", "icb"],
        "level_overrides": {"icb": {"n": "population"}},
        "tables": {},
        "output": {},
        "source": "ONS death registrations",
        "references": ["ONS, Deaths registered in England and Wales"],
        "authored_by": "A. Analyst",
        "checked_by": "B. Checker",
        "date_reviewed": dt.date(2026, 11, 1),
        "next_review": dt.date(2027, 11, 1),
    }


def test_good_entry_passes_and_gets_its_defaults() -> None:
    entry = good_entry()
    assert validate_entry(entry) == entry
    for name in OPTIONAL_FIELDS:
        del entry[name]
    entry["inputs"] = ["deaths"]  # nothing to join
    checked = validate_entry(entry)
    assert checked["prepare"] == []
    assert checked["level_overrides"] == {}
    checked["prepare"].append("changed")
    assert OPTIONAL_FIELDS["prepare"] == []


def test_every_required_field_is_required() -> None:
    for name in set(FIELDS) - set(OPTIONAL_FIELDS):
        entry = good_entry()
        del entry[name]
        with pytest.raises(SchemaError, match=f"missing fields: {name}"):
            validate_entry(entry)


_SUM = {"sum": ["deaths"], "by": ["sex"]}
_INVALID: list[tuple[dict[str, Any], str]] = [
    ({"title": None}, "missing fields: title"),
    ({"colour": "red"}, "unknown fields: colour"),
    ({"multiplier": "100000"}, "multiplier: expected int or float, got '100000'"),
    ({"multiplier": True}, "multiplier: expected int or float, got True"),
    ({"multiplier": 0}, "multiplier: must be > 0, got 0"),
    ({"id": "Mortality Rate"}, "id: must be snake_case, got 'Mortality Rate'"),
    ({"low_is_good": "sometimes"}, "low_is_good: true, false or 'not applicable', got 'sometimes'"),
    ({"definition": "  "}, "definition: must not be empty"),
    ({"references": []}, "references: expected a non-empty list of strings"),
    ({"date_reviewed": "2026-11-01"}, "date_reviewed: expected date, got '2026-11-01'"),
    ({"next_review": dt.date(2026, 1, 1)}, "next_review (2026-01-01) must be after date_reviewed (2026-11-01)"),
    # the function and its arguments
    ({"function": 3}, "function: expected str, got 3"),
    ({"function": "guesswork"}, "function: 'guesswork' is not one of acsc_admissions, crude_rate, dsr,"),
    ({"function": "catalogue"}, "function: 'catalogue' is not one of"),
    ({"function": "ci"}, "function: 'ci' is not one of"),
    ({"columns": ["deaths"]}, "columns: expected table, got ['deaths']"),
    ({"options": "multiplier=100000"}, "options: expected table, got 'multiplier=100000'"),
    ({"columns": {"x": "deaths", "n": 7}}, "columns: n: expected a column name or a list of them, got 7"),
    ({"columns": {"x": "deaths", "n": "person_years", "by": ["place_code"]}}, "columns: by: must not name a level's"),
    ({"options": {"per": 1000}}, "crude_rate() does not accept the argument(s) per"),
    ({"options": {"data": "deaths"}}, "crude_rate() does not accept the argument(s) data"),
    ({"columns": {"x": "deaths"}, "level_overrides": {}}, "crude_rate() requires the argument(s) n"),
    ({"options": {"x": "deaths"}}, "options: ['x'] also given in columns"),
    ({"options": {"by": ["sex"]}}, "options: by names columns; give it in columns"),
    ({"columns": {"x": "deaths", "n": "person_years", "by": "sex"}}, "columns: by: expected a list of column names"),
    # input tables and preparation
    ({"inputs": []}, "inputs: expected a non-empty list of distinct table names, got []"),
    ({"inputs": ["deaths", "deaths"]}, "inputs: expected a non-empty list of distinct table names"),
    ({"inputs": ["mortality"], "prepare": []}, "inputs: unknown input table 'mortality' (known: places,"),
    ({"inputs": ["deaths", "places", "lsoas"]}, "inputs: 'lsoas' not joined by any prepare step"),
    ({"prepare": {"join": "places"}}, "prepare: expected list, got {'join': 'places'}"),
    ({"prepare": ["sum deaths"]}, "prepare step 1: expected a table, got 'sum deaths'"),
    ({"prepare": [{"join": "places", "on": ["place_code"]}]}, "prepare step 1: expected the keys join, on, columns"),
    ({"prepare": [{"group": ["sex"]}]}, "prepare step 1: expected the keys join, on, columns (a join), sum, by"),
    ({"prepare": [{"filter": {}}]}, "prepare step 1: filter: expected a table of column = value"),
    ({"tables": {"expected": "lsoas"}}, "tables: expected: 'lsoas' is not one of the inputs"),
    (
        {"tables": {"expected": {"name": "places"}}},
        "tables: expected: expected a table name or {table, filter, join, on, columns}",
    ),
    ({"tables": {"expected": {"table": "places", "filter": {"x": []}}}}, "tables: expected: filter: ['x'] must"),
    ({"tables": {"wrong_argument": "places"}}, "does not accept the argument(s) wrong_argument"),
    ({"output": {"colour": "value"}}, "output: unknown key(s) ['colour']"),
    ({"output": {"value": ""}}, "output: ['value'] must each name an output column"),
    ({"output": {"lower": True}}, "output: ['lower'] must each name an output column (or be false: none)"),
    ({"prepare": [{"filter": {"sex": {"a": 1}}}]}, "prepare step 1: filter: ['sex'] must each be a value"),
    ({"prepare": [{"filter": {"sex": []}}]}, "prepare step 1: filter: ['sex'] must each be a value"),
    (
        {"prepare": [{"join": "lsoas", "on": ["lsoa_code"], "columns": ["imd_decile"]}]},
        "prepare step 1: join: 'lsoas' is not one of the inputs after the first ['places']",
    ),
    (
        {"prepare": [{"join": "places", "on": "place_code", "columns": ["icb_code"]}]},
        "prepare step 1: on: expected a non-empty list of column names",
    ),
    ({"inputs": ["deaths"], "prepare": [{"sum": [], "by": ["sex"]}]}, "prepare step 1: sum: expected a non-empty list"),
    ({"inputs": ["deaths"], "prepare": [{**_SUM, "by": "sex"}]}, "prepare step 1: by: expected a list of column names"),
    (
        {"inputs": ["deaths"], "prepare": [{**_SUM, "by": ["lsoa_code"]}]},
        "prepare step 1: by: must not name a level's code column ['lsoa_code'] (the runner adds it)",
    ),
    # levels
    ({"geography_levels": ["ward"]}, "geography_levels: expected a non-empty list of distinct levels from"),
    ({"geography_levels": []}, "geography_levels: expected a non-empty list of distinct levels"),
    ({"geography_levels": ["icb", "icb"]}, "geography_levels: expected a non-empty list of distinct levels"),
    ({"level_overrides": {"practice": {"n": "population"}}}, "level_overrides: practice: not one of the geography_"),
    ({"level_overrides": {"icb": "population"}}, "level_overrides: icb: expected a table of arguments"),
    ({"level_overrides": [{"icb": {}}]}, "level_overrides: expected table, got [{'icb': {}}]"),
    ({"level_overrides": {"icb": {"seed": 1}}}, "level_overrides: icb: ['seed'] not in columns or options"),
    ({"level_overrides": {"icb": {"n": 5}}}, "level_overrides: icb: n: expected a column name or a list of them"),
]


@pytest.mark.parametrize(
    ("change", "message"), _INVALID, ids=[f"{i}-{m.split(':')[0]}" for i, (_, m) in enumerate(_INVALID)]
)
def test_validator_rejects(change: dict[str, Any], message: str) -> None:
    entry = good_entry()
    for key, value in change.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    with pytest.raises(SchemaError) as err:
        validate_entry(entry, "x.toml")
    text = str(err.value)
    assert text.startswith("x.toml: indicator definition is invalid:\n- ")
    assert message in text


def test_validator_lists_every_problem() -> None:
    entry = {**good_entry(), "function": "guesswork", "geography_levels": ["ward"], "multiplier": -1}
    with pytest.raises(SchemaError) as err:
        validate_entry(entry, "x.toml")
    assert len(re.findall(r"^- ", str(err.value), flags=re.MULTILINE)) == 3


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def test_entry_round_trips_through_toml(tmp_path: Path) -> None:
    entry = good_entry()
    path = tmp_path / "mortality_rate.toml"
    path.write_text("\n".join(f"{key} = {_toml(value)}" for key, value in entry.items()))
    assert load_entry(path) == entry


def test_load_entry_problems(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("id = ")
    with pytest.raises(SchemaError, match=r"broken\.toml: not valid TOML"):
        load_entry(bad)
    other = tmp_path / "other_name.toml"
    other.write_text("\n".join(f"{key} = {_toml(value)}" for key, value in good_entry().items()))
    with pytest.raises(SchemaError, match="must equal the file name 'other_name'"):
        load_entry(other)


# --- the documentation ----------------------------------------------------------------------------


def test_docs_describe_every_field_and_definition() -> None:
    for page in (ROOT / "docs" / "catalogue.md", ROOT / "blmk_health" / "indicators" / "definitions" / "README.md"):
        text = page.read_text(encoding="utf-8")
        undocumented = [name for name in FIELDS if f"`{name}`" not in text]
        assert not undocumented, f"{page.name} does not describe {undocumented}"
    docs = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    assert all(f"`{key}`" in docs for key in DEFINITIONS)
    assert all(f"`{level}`" in docs for level in LEVEL_COLUMNS)
    assert all(f"`{name}`" in docs for name in INPUT_TABLES)
