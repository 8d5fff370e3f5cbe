"""The synthetic BLMK dataset at 1% size: schema, determinism, integrity, geography and the model."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._mortality import base_mortality, expected_sii, life_expectancy_at_birth
from blmk_health.errors import DomainError, InputError

from .conftest import chiang_life_expectancy, table_digest

CONDITIONS = par.CONDITION_KEYS

SCHEMAS = {
    "places": ["place_code", "place_name", "icb_code", "icb_name", "population_mid2018"],
    "clusters": ["cluster_code", "cluster_name", "place_code", "place_name", "n_practices"],
    "practices": [
        "practice_code",
        "practice_name",
        "cluster_code",
        "cluster_name",
        "place_code",
        "place_name",
        "icb_code",
        "icb_name",
        "list_size",
        "postcode",
        "open_date",
    ],
    "lsoas": [
        "lsoa_code",
        "lsoa_name",
        "place_code",
        "place_name",
        "imd_decile",
        "imd_local_decile",
        "population",
        "geometry",
    ],
    "population": ["lsoa_code", "place_code", "imd_decile", "sex", "age_band", "start_age", "population"],
    "deaths": ["period", "lsoa_code", "sex", "age_band", "start_age", "population", "person_years", "deaths"],
    "general_health": ["place_code", "sex", "age_band", "good_health", "respondents"],
    "patients": [
        "patient_id",
        "practice_code",
        "cluster_code",
        "place_code",
        "lsoa_code",
        "sex",
        "age",
        "imd_decile",
        "care_home",
        *(f"{c}_{s}" for c in CONDITIONS for s in ("true", "diagnosed")),
        "efi_score",
        "frailty_category",
        "prior_emergency_admissions",
        "prior_bed_days",
        "emergency_admission_probability",
        "emergency_admission_next_year",
    ],
    "events": ["patient_id", "snomed_code", "date"],
    "codelists": ["condition", "coding_system", "code", "term"],
    "registrations": ["extract_date", "practice_code", "sex", "age_group_5", "number_of_patients"],
    "workforce": ["extract_date", "practice_code", "practice_name", "staff_group", "staff_role", "measure", "value"],
    "qof_registers": ["practice_code", "group_code", "register", "patient_list_type", "practice_list_size"],
    "admissions": [
        "spell_id",
        "episode_order",
        "patient_id",
        "provider_code",
        "admission_method",
        "admission_date",
        "discharge_date",
        "diag_01",
        "diag_02",
        "age",
        "sex",
        "practice_code",
        "lsoa_code",
    ],
    "prevalence_rates": ["condition", "sex", "age_band", "start_age", "imd_decile", "prevalence", "p_diagnosed"],
    "qof_achievement": ["practice_code", "indicator_code", "indicator", "numerator", "denominator", "exceptions"],
    "expected_prevalence": ["practice_code", "condition", "expected", "population", "applies_to"],
}


def test_every_table_has_its_columns(small: bh.datasets.SyntheticBLMK) -> None:
    tables = small.tables()
    assert set(tables) == set(SCHEMAS)
    for name, columns in SCHEMAS.items():
        missing = set(columns) - set(tables[name].columns)
        assert not missing, (name, missing)
        assert len(tables[name]) > 0


def test_repr_and_metadata(small: bh.datasets.SyntheticBLMK) -> None:
    text = repr(small)
    assert text.startswith("SyntheticBLMK(scale=0.01, seed=0")
    assert "patients=" in text
    assert small.reference_date.isoformat() == "2019-03-31"
    with pytest.raises(AttributeError):
        small.seed = 1  # type: ignore[misc]


def test_same_seed_gives_identical_tables(small: bh.datasets.SyntheticBLMK) -> None:
    again = bh.datasets.synthetic_blmk(scale=0.01, seed=0)
    for name, table in small.tables().items():
        assert table_digest(table) == table_digest(getattr(again, name)), name


def test_other_seed_gives_other_tables(small: bh.datasets.SyntheticBLMK) -> None:
    other = bh.datasets.synthetic_blmk(scale=0.01, seed=1)
    fixed = {"places", "codelists", "prevalence_rates"}  # not random: reference values and exact totals
    for name, table in small.tables().items():
        same = table_digest(table) == table_digest(getattr(other, name))
        assert same == (name in fixed), name


def test_numpy_integer_seed_is_accepted() -> None:
    data = bh.datasets.synthetic_blmk(scale=0.002, seed=np.int64(3))
    assert data.seed == 3
    assert isinstance(data.seed, int)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scale": 0}, DomainError, "scale"),
        ({"scale": -1.0}, DomainError, "scale"),
        ({"scale": 3.0}, DomainError, "2.0"),
        ({"scale": float("nan")}, DomainError, "scale"),
        ({"scale": float("inf")}, DomainError, "scale"),
        ({"scale": "1"}, InputError, "number"),
        ({"scale": True}, InputError, "number"),
        ({"seed": -1}, DomainError, "non-negative"),
        ({"seed": 1.5}, InputError, "integer"),
        ({"seed": "0"}, InputError, "integer"),
        ({"seed": False}, InputError, "integer"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bh.datasets.synthetic_blmk(**kwargs)  # type: ignore[arg-type]


def test_places_clusters_and_practices(small: bh.datasets.SyntheticBLMK) -> None:
    places = small.places.set_index("place_code")
    assert places["population_mid2018"].to_dict() == {
        "E06000055": 171_623,
        "E06000056": 283_606,
        "E06000032": 214_109,
        "E06000042": 268_607,
    }
    assert set(places["icb_code"]) == {"QHG"}
    assert set(places["icb_name"]) == {"Bedfordshire, Luton and Milton Keynes"}
    counts = small.clusters.set_index("cluster_name")["n_practices"]
    assert counts["Bedford"] == 24
    assert counts["Ivel Valley"] == 9
    assert counts["Kingsway"] == 8
    assert counts["Milton Keynes West"] == 6
    assert counts.sum() == 108
    practices = small.practices
    assert len(practices) == 108
    assert practices["practice_code"].is_unique
    assert practices["practice_code"].str.fullmatch(r"SYN\d{3}").all()
    # real ODS GP codes are a letter and five digits (E81001, K82009, Y01234)
    assert not practices["practice_code"].str.fullmatch(r"[A-Z]\d{5}").any()
    assert practices["postcode"].str.fullmatch(r"ZZ[1-4] [1-9][A-Z]{2}").all()
    assert (practices["list_size"] >= 1).all()
    assert (
        practices.groupby("cluster_code").size().to_dict()
        == small.clusters.set_index("cluster_code")["n_practices"].to_dict()
    )
    assert practices["open_date"].between("1948-07-05", "2015-12-31").all()


def test_referential_integrity(small: bh.datasets.SyntheticBLMK) -> None:
    practices = small.practices.set_index("practice_code")
    patients = small.patients
    assert patients["patient_id"].is_unique
    assert patients["practice_code"].isin(practices.index).all()
    assert patients["lsoa_code"].isin(small.lsoas["lsoa_code"]).all()
    assert patients["cluster_code"].isin(small.clusters["cluster_code"]).all()
    codes = patients["practice_code"].astype(str)
    assert (patients["cluster_code"].astype(str).to_numpy() == practices.loc[codes, "cluster_code"].to_numpy()).all()
    assert (patients["place_code"].astype(str).to_numpy() == practices.loc[codes, "place_code"].to_numpy()).all()
    lsoa_place = small.lsoas.set_index("lsoa_code")["place_code"]
    assert (lsoa_place.loc[patients["lsoa_code"].astype(str)].to_numpy() == patients["place_code"].astype(str)).all()
    assert small.clusters["place_code"].isin(small.places["place_code"]).all()
    ids = set(patients["patient_id"])
    assert set(small.events["patient_id"]) <= ids
    assert set(small.admissions["patient_id"]) <= ids
    for name in ("registrations", "qof_registers"):
        assert set(getattr(small, name)["practice_code"]) == set(practices.index), name
    assert set(small.workforce["practice_code"]) < set(practices.index)  # a few practices made no return
    assert set(small.population["lsoa_code"].astype(str)) == set(small.lsoas["lsoa_code"])
    # admissions carry the patient's practice, LSOA and sex
    adm = small.admissions.merge(
        patients[["patient_id", "practice_code", "lsoa_code", "sex"]].astype(
            {"practice_code": str, "lsoa_code": str, "sex": str}
        ),
        on="patient_id",
        suffixes=("", "_patient"),
    )
    for col in ("practice_code", "lsoa_code", "sex"):
        assert (adm[col].astype(str) == adm[f"{col}_patient"]).all(), col


def test_list_sizes_registrations_and_places_agree(small: bh.datasets.SyntheticBLMK) -> None:
    practices = small.practices.set_index("practice_code")
    assert practices["list_size"].sum() == len(small.patients)
    per_practice = small.registrations.groupby("practice_code")["number_of_patients"].sum()
    assert per_practice.sort_index().to_dict() == practices["list_size"].sort_index().to_dict()
    assert set(small.registrations["sex"]) == {"MALE", "FEMALE"}
    assert small.registrations["age_group_5"].nunique() == 20
    places = small.places.set_index("place_code")
    assert places["registered_patients"].sum() == len(small.patients)
    lsoa_pop = small.lsoas.groupby("place_code")["population"].sum()
    assert (lsoa_pop.reindex(places.index) == places["synthetic_population"]).all()
    # residents are generated at full size whatever the scale; registered lists scale
    assert (places["synthetic_population"] == places["population_mid2018"]).all()
    assert small.population["population"].sum() == small.lsoas["population"].sum() == 937_945
    registered = {"E06000055": 176_061, "E06000056": 290_939, "E06000032": 230_000, "E06000042": 287_000}
    assert places["registered_patients"].to_dict() == {code: round(n * 0.01) for code, n in registered.items()}


def test_small_areas_are_the_real_lsoas(small: bh.datasets.SyntheticBLMK) -> None:
    """Polygons, councils and deciles: tests/datasets/test_real_map.py; here the table's shape."""
    lsoas = small.lsoas
    assert lsoas.crs.to_epsg() == 27700
    assert len(lsoas) == 533
    assert lsoas["lsoa_code"].is_unique
    assert lsoas["lsoa_code"].str.fullmatch(r"E01\d{6}").all()
    assert list(lsoas["lsoa_code"]) == sorted(lsoas["lsoa_code"])
    assert lsoas.geometry.is_valid.all()
    assert set(lsoas.geometry.geom_type) == {"Polygon", "MultiPolygon"}
    counts = lsoas.groupby("place_code").size()
    assert counts.to_dict() == {"E06000055": 103, "E06000056": 157, "E06000032": 121, "E06000042": 152}
    assert small.places.set_index("place_code")["n_lsoas"].to_dict() == counts.to_dict()
    # Luton is the smallest and densest place
    places = lsoas.dissolve("place_code", aggfunc={"population": "sum"})
    assert places.area.idxmin() == "E06000032"
    assert (places["population"] / places.area).idxmax() == "E06000032"


def test_deprivation_pattern(small: bh.datasets.SyntheticBLMK) -> None:
    mean_decile = small.lsoas.groupby("place_name")["imd_decile"].mean()
    assert mean_decile.idxmin() == "Luton"
    assert mean_decile.idxmax() == "Central Bedfordshire"
    assert small.lsoas["imd_decile"].between(1, 10).all()
    local = small.lsoas.groupby(["place_code", "imd_local_decile"]).size().unstack()
    assert (local.max(axis=1) - local.min(axis=1) <= 1).all()  # equal-sized local deciles
    # a patient's decile is their LSOA's decile
    dec = small.lsoas.set_index("lsoa_code")["imd_decile"]
    assert (dec.loc[small.patients["lsoa_code"].astype(str)].to_numpy() == small.patients["imd_decile"]).all()


def test_condition_flags(small: bh.datasets.SyntheticBLMK) -> None:
    patients = small.patients
    for key in CONDITIONS:
        assert not (patients[f"{key}_diagnosed"] & ~patients[f"{key}_true"]).any(), key
    assert patients["hypertension_true"].mean() == pytest.approx(0.24, abs=0.03)
    assert not patients.loc[patients["age"] < 16, "hypertension_true"].any()
    older = patients["age"] >= 65
    assert patients.loc[older, "frailty_category"].notna().all()
    assert patients.loc[~older, "frailty_category"].isna().all()
    assert patients.loc[~older, "efi_score"].isna().all()
    assert not patients.loc[~older, "care_home"].any()
    assert list(patients["frailty_category"].cat.categories) == ["fit", "mild", "moderate", "severe"]
    assert patients["emergency_admission_probability"].between(0, 1).all()


def test_events_reproduce_diagnosed_flags(small: bh.datasets.SyntheticBLMK) -> None:
    snomed = small.codelists[small.codelists["coding_system"] == "snomedct"]
    events = small.events.assign(snomed_code=small.events["snomed_code"].astype(str))
    coded = events.merge(snomed, left_on="snomed_code", right_on="code")
    assert coded["date"].max() <= pd.Timestamp("2019-03-31")
    flags = coded.groupby(["patient_id", "condition"]).size().unstack(fill_value=0) > 0
    flags = flags.reindex(small.patients["patient_id"], fill_value=False)
    for key in CONDITIONS:
        assert (flags[key].to_numpy() == small.patients[f"{key}_diagnosed"].to_numpy()).all(), key
    assert set(small.events["snomed_code"].astype(str)) <= set(snomed["code"]) | {c for c, _ in par.SNOMED_OTHER}
    assert small.codelists["code"].str.fullmatch(r"\d{6,18}|[A-Z]\d{2}[0-9X]").all()


def test_qof_registers_count_diagnosed_patients(small: bh.datasets.SyntheticBLMK) -> None:
    qof = small.qof_registers
    assert len(qof) == 108 * 13
    hyp = qof[qof["group_code"] == "HYP"].set_index("practice_code")["register"]
    observed = small.patients.groupby("practice_code", observed=True)["hypertension_diagnosed"].sum()
    assert hyp.sort_index().to_dict() == observed.sort_index().to_dict()
    dm = qof[qof["group_code"] == "DM"]
    assert set(dm["patient_list_type"]) == {"17OV"}
    adults = (small.patients["age"] >= 17).groupby(small.patients["practice_code"], observed=True).sum()
    assert dm.set_index("practice_code")["practice_list_size"].sort_index().to_dict() == adults.sort_index().to_dict()


def test_workforce_layout(small: bh.datasets.SyntheticBLMK) -> None:
    """More in test_synthetic_workforce.py."""
    wf = small.workforce
    assert set(wf["measure"]) == {"fte", "headcount"}
    assert set(wf["staff_group"]) == {"GP", "Nurses", "Direct Patient Care", "Admin/Non-Clinical"}
    assert (wf["value"] >= 0).all()
    assert len(wf) == 105 * (5 + 2 + 3 + 3) * 2  # 105 practices with a return, 13 roles (with Totals), 2 measures


def test_admissions_are_consistent(small: bh.datasets.SyntheticBLMK) -> None:
    adm = small.admissions
    assert (adm["discharge_date"] >= adm["admission_date"]).all()
    assert (adm["episode_start"] >= adm["admission_date"]).all()
    assert (adm["episode_end"] <= adm["discharge_date"]).all()
    assert adm["admission_date"].between("2017-04-01", "2019-03-31").all()
    # episodes are numbered 1..n within each spell, and a spell belongs to one patient
    g = adm.groupby("spell_id")
    assert (g["episode_order"].min() == 1).all()
    assert (g["episode_order"].max() == g.size()).all()
    assert (g["patient_id"].nunique() == 1).all()
    spells = adm[adm["episode_order"] == 1].sort_values(["patient_id", "admission_date"])
    prev = spells.groupby("patient_id")["discharge_date"].shift()
    assert not (spells["admission_date"] < prev).any()  # no overlapping spells
    valid = {"11", "12", "13", "21", "22", "23", "24", "28", "2A", "2B", "2D", "31", "81"}
    assert set(adm["admission_method"].astype(str)) <= valid
    assert adm["diag_01"].notna().all()
    assert adm["diag_01"].astype(str).str.fullmatch(r"[A-Z]\d{2}[0-9X]").all()
    # prior-year emergency spells and bed days are those of 2018/19 in the table
    prior = spells[
        spells["admission_method"].astype(str).str.startswith("2") & (spells["admission_date"] >= "2018-04-01")
    ]
    count = prior.groupby("patient_id").size()
    bed_days = (prior["discharge_date"] - prior["admission_date"]).dt.days.groupby(prior["patient_id"]).sum()
    patients = small.patients.set_index("patient_id")
    assert patients["prior_emergency_admissions"].sum() == len(prior)
    assert (patients.loc[count.index, "prior_emergency_admissions"] == count).all()
    assert (patients.loc[bed_days.index, "prior_bed_days"] == bed_days).all()
    # the age on admission is at most the age at the reference date
    ages = patients.loc[adm["patient_id"], "age"].to_numpy()
    assert ((adm["age"].to_numpy() <= ages) & (adm["age"].to_numpy() >= ages - 3)).all()


def test_prevalence_rates_are_the_generator_truth(small: bh.datasets.SyntheticBLMK) -> None:
    rates = small.prevalence_rates
    assert len(rates) == 13 * 2 * 9 * 10
    assert rates["prevalence"].between(0, 0.95).all()
    assert rates["p_diagnosed"].between(0, 1).all()
    # expected true cases from the table agree with the patients (binomial tolerance)
    patients = small.patients
    band = np.searchsorted(par.PREV_BAND_STARTS, patients["age"], side="right") - 1
    cells = pd.DataFrame(
        {
            "sex": patients["sex"].astype(str),
            "age_band": np.asarray(par.PREV_BAND_LABELS)[band],
            "imd_decile": patients["imd_decile"],
        }
    )
    for key in ("hypertension", "diabetes", "asthma", "depression_anxiety"):
        table = rates[rates["condition"] == key]
        p = cells.merge(table, on=["sex", "age_band", "imd_decile"], how="left")["prevalence"].to_numpy()
        expected = p.sum()
        observed = patients[f"{key}_true"].sum()
        assert abs(observed - expected) < 4 * np.sqrt((p * (1 - p)).sum()) + 1, key


def test_mortality_model_matches_targets() -> None:
    male = base_mortality("Male")
    female = base_mortality("Female")
    assert life_expectancy_at_birth(male) == pytest.approx(79.6, abs=0.3)
    assert life_expectancy_at_birth(female) == pytest.approx(83.0, abs=0.3)
    # the test's own Chiang life table agrees with the generator's
    py = np.full(20, 1e6)
    assert chiang_life_expectancy(male * py, py) == pytest.approx(float(life_expectancy_at_birth(male)))
    assert expected_sii(0.0, male) == pytest.approx(0.0, abs=1e-9)
    assert expected_sii(1.0, male) > expected_sii(0.5, male) > 0


def test_synthetic_blmk_is_exported() -> None:
    assert "synthetic_blmk" in bh.datasets.__all__
    assert "SyntheticBLMK" in bh.datasets.__all__


def test_events_codes_are_real_snomed_ids(small: bh.datasets.SyntheticBLMK) -> None:
    codes = small.codelists
    assert codes.loc[codes["coding_system"] == "snomedct", "code"].str.fullmatch(r"[1-9]\d{5,17}").all()
    assert re.fullmatch(r"\d+", "38341003")
    assert {"38341003", "49436004", "13645005", "84114007", "52448006", "195967001"} <= set(codes["code"])
