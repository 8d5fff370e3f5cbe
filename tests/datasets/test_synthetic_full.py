"""The full-size synthetic BLMK: the totals and gradients stated in the issue.

One generation (about 5-10 s) shared by every test in this module.
"""

from __future__ import annotations

import pytest

import blmk_health as bh

from .conftest import emergency_dsr_per_1000, patients_per_gp, readmission_share, sii_life_expectancy, table_digest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full() -> bh.datasets.SyntheticBLMK:
    return bh.datasets.synthetic_blmk()


def test_registered_patients(full: bh.datasets.SyntheticBLMK) -> None:
    assert len(full.patients) == pytest.approx(985_000, rel=0.01)
    by_place = full.patients.groupby("place_code", observed=True).size()
    assert by_place["E06000032"] == pytest.approx(230_000, rel=0.005)
    assert by_place["E06000042"] == pytest.approx(287_000, rel=0.005)
    assert by_place["E06000055"] + by_place["E06000056"] == pytest.approx(467_000, rel=0.005)
    assert full.population["population"].sum() == 171_623 + 283_606 + 214_109 + 268_607
    assert len(full.lsoas) == 533


def test_resident_tables_are_those_of_the_small_copy(
    full: bh.datasets.SyntheticBLMK, small: bh.datasets.SyntheticBLMK
) -> None:
    """Residents, deaths and the survey are generated at full size whatever the scale."""
    for name in ("lsoas", "population", "deaths", "general_health"):
        assert table_digest(getattr(full, name)) == table_digest(getattr(small, name)), name
    assert len(full.patients) == pytest.approx(100 * len(small.patients), rel=1e-3)


def test_undiagnosed_hypertension_and_af(full: bh.datasets.SyntheticBLMK) -> None:
    p = full.patients
    adults = p["age"] >= 16
    htn = (p["hypertension_true"] & ~p["hypertension_diagnosed"] & adults).sum()
    af = (p["atrial_fibrillation_true"] & ~p["atrial_fibrillation_diagnosed"] & adults).sum()
    assert htn == pytest.approx(89_900, rel=0.03)
    assert af == pytest.approx(7_200, rel=0.05)


def test_emergency_admissions_and_readmissions(full: bh.datasets.SyntheticBLMK) -> None:
    assert emergency_dsr_per_1000(full.admissions, full.patients) == pytest.approx(104, abs=4)
    assert readmission_share(full.admissions) == pytest.approx(0.05, abs=0.01)
    rate = full.patients["emergency_admission_next_year"].mean()
    assert rate == pytest.approx(full.patients["emergency_admission_probability"].mean(), abs=0.002)


def test_patients_per_gp(full: bh.datasets.SyntheticBLMK) -> None:
    ratio = patients_per_gp(full.workforce, full.practices)
    assert ratio["BLMK"] == pytest.approx(2_350, rel=0.02)
    assert ratio["Luton"] == pytest.approx(2_800, rel=0.02)
    assert ratio.drop("BLMK").idxmax() == "Luton"
    # the same with the library's function (fully qualified GP FTE: excluding GPs in training grade)
    from blmk_health.indicators._workforce import patients_per_gp as per_gp

    lists = full.registrations.merge(full.practices[["practice_code", "place_name", "icb_code"]], on="practice_code")
    with pytest.warns(UserWarning, match="different dates"):
        places = per_gp(lists, full.workforce, by="place_name").set_index("place_name")["value"]
    with pytest.warns(UserWarning, match="different dates"):
        blmk = per_gp(lists, full.workforce, by="icb_code")["value"].iloc[0]
    assert blmk == pytest.approx(ratio["BLMK"])
    assert places["Luton"] == pytest.approx(ratio["Luton"])
    assert blmk == pytest.approx(2_350, rel=0.005)
    assert places["Luton"] == pytest.approx(2_800, rel=0.005)


def test_life_expectancy_gradient(full: bh.datasets.SyntheticBLMK) -> None:
    sii = sii_life_expectancy(full.deaths, full.lsoas).set_index(["place_code", "sex"])["sii"]
    assert (sii > 0).all()
    males = sii.xs("Male", level="sex")
    females = sii.xs("Female", level="sex")
    assert males.idxmax() == "E06000032"
    assert males["E06000032"] == pytest.approx(10, abs=1)
    assert females.idxmax() == "E06000042"
    assert females["E06000042"] == pytest.approx(8, abs=1)


def test_imd_and_prevalence_gradients(full: bh.datasets.SyntheticBLMK) -> None:
    p = full.patients
    by_decile = p[p["age"] >= 16].groupby("imd_decile")["hypertension_true"].mean()
    assert by_decile[1] > by_decile[10]
    recorded = full.qof_registers.groupby("group_code")[["register", "practice_list_size"]].sum()
    prevalence = recorded["register"] / recorded["practice_list_size"]
    assert prevalence["HYP"] == pytest.approx(0.148, abs=0.02)
    assert prevalence["AF"] == pytest.approx(0.017, abs=0.004)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_healthy_life_expectancy(full: bh.datasets.SyntheticBLMK) -> None:
    keys = ["place_code", "sex", "age_band"]
    survey = full.general_health
    residents = full.population["population"].sum()
    assert survey["respondents"].sum() == pytest.approx(0.015 * residents, rel=0.05)
    assert (survey["respondents"] > 20).mean() > 0.8
    cells = full.deaths.groupby(keys, observed=True)[["deaths", "person_years"]].sum().reset_index()
    cells = cells.merge(survey, on=keys, validate="one_to_one")
    args = ("deaths", "person_years", "age_band", "good_health", "respondents")
    by_place = bh.indicators.healthy_life_expectancy(cells, *args, by=["place_code", "sex"], at_age=0)
    assert (by_place["value"] < by_place["life_expectancy"]).all()
    assert (by_place["uppercl"] - by_place["lowercl"]).between(1, 5).all()
    for _, group in by_place.groupby("sex"):
        hle = group.set_index("place_code")["value"]
        assert hle.idxmin() == "E06000032"  # Luton, the most deprived place
        assert hle.idxmax() == "E06000056"  # Central Bedfordshire, the least
    # BLMK as a whole: England-like, about 63 years (docs/synthetic-data.md)
    pooled = cells.assign(in_good_health=cells["good_health"] * cells["respondents"])
    pooled = pooled.groupby(["sex", "age_band"], observed=True)[[*args[:2], "in_good_health", "respondents"]].sum()
    pooled = pooled.assign(good_health=pooled["in_good_health"] / pooled["respondents"]).reset_index()
    blmk = bh.indicators.healthy_life_expectancy(pooled, *args, by="sex", at_age=0).set_index("sex")
    assert blmk["value"].to_numpy() == pytest.approx(63.5, abs=2)
