"""The full-size synthetic BLMK: the totals and gradients stated in the issue.

One generation (about 10-20 s) shared by every test in this module.
"""

from __future__ import annotations

import pytest

import blmk_health as bh

from .conftest import emergency_dsr_per_1000, patients_per_gp, readmission_share, sii_life_expectancy

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
    assert 550 <= len(full.lsoas) <= 610


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
