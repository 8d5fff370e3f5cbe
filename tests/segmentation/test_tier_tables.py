"""Tests of what the tiers hold: ``tier_shares`` and ``tier_profile``, by hand and on synthetic BLMK data."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import blmk_health as bh
from blmk_health.errors import SchemaError
from blmk_health.testing import assert_indicator_frame_equal
from tests.helpers import Backend

tier_shares = bh.segmentation.tier_shares
tier_profile = bh.segmentation.tier_profile
assign_tiers = bh.segmentation.assign_tiers

SHARES = (0.1, 0.2, 0.7)
SHARES_COLUMNS = [
    "tier",
    "group_n",
    "n",
    "share",
    "nominal_n",
    "nominal_share",
    "difference",
    "overridden",
    "tied",
    "small_group",
]


def round_half_up(n: int, share: Fraction) -> int:
    return math.floor(n * share + Fraction(1, 2))


# ------------------------------------------------------------------------------------------ tier_shares


def _tiered() -> pd.DataFrame:
    """A table tiered by hand with shares 0.1 / 0.2 / 0.7, in a scrambled row order.

    Group A: 10 ranked patients (nominal 1 / 2 / 7) with two overridden into complex (so 2 / 2 / 6),
    one tied patient in high need and one in healthy, one patient in the missing tier and one without
    a tier. Group B: 2 patients (nominal 0 / 1 / 1, fewer patients than tiers). Group C: 3 patients
    (0.3 -> 0, 0.9 -> 1: nominal 0 / 1 / 2).
    """
    rows = [
        ("B", "healthy", False, False),
        ("A", "complex", True, False),
        ("A", "healthy", False, False),
        ("C", "healthy", False, False),
        ("A", "high_need", False, True),
        ("A", "healthy", False, True),
        ("A", None, False, False),
        ("A", "healthy", False, False),
        ("B", "high_need", False, False),
        ("A", "healthy", False, False),
        ("A", "complex", True, False),
        ("C", "high_need", False, False),
        ("A", "missing", False, False),
        ("A", "healthy", False, False),
        ("A", "high_need", False, False),
        ("C", "healthy", False, False),
        ("A", "healthy", False, False),
    ]
    frame = pd.DataFrame(rows, columns=["g", "tier", "tier_override", "tier_tied"])
    return frame.assign(patient_id=range(1, len(rows) + 1))


def _shares_expected() -> pd.DataFrame:
    na = pd.NA
    rows = [
        ("A", "complex", 10, 2, 0.2, 1, 0.1, 1, 2, 0, False),
        ("A", "high_need", 10, 2, 0.2, 2, 0.2, 0, 0, 1, False),
        ("A", "healthy", 10, 6, 0.6, 7, 0.7, -1, 0, 1, False),
        ("A", "missing", 10, 1, np.nan, na, np.nan, na, na, na, na),
        ("B", "complex", 2, 0, 0.0, 0, 0.1, 0, 0, 0, True),
        ("B", "high_need", 2, 1, 0.5, 1, 0.2, 0, 0, 0, True),
        ("B", "healthy", 2, 1, 0.5, 1, 0.7, 0, 0, 0, True),
        ("C", "complex", 3, 0, 0.0, 0, 0.1, 0, 0, 0, False),
        ("C", "high_need", 3, 1, 1 / 3, 1, 0.2, 0, 0, 0, False),
        ("C", "healthy", 3, 2, 2 / 3, 2, 0.7, 0, 0, 0, False),
    ]
    frame = pd.DataFrame(rows, columns=["g", *SHARES_COLUMNS])
    for column in ("nominal_n", "difference", "overridden", "tied"):
        frame[column] = frame[column].astype("Int64")
    frame["small_group"] = frame["small_group"].astype("boolean")
    return frame


def test_tier_shares_by_hand() -> None:
    out = tier_shares(_tiered(), within="g", shares=SHARES)
    assert isinstance(out, pd.DataFrame)
    assert_indicator_frame_equal(out, _shares_expected())


def test_tier_shares_on_every_backend(backend: Backend) -> None:
    out = tier_shares(backend(_tiered()), within="g", shares=SHARES)
    backend.assert_matches(out, _shares_expected(), by=["g", "tier"])


def test_tier_shares_of_the_whole_table_with_default_shares() -> None:
    # 30 patients ranked 0..29: 0.6 -> 1 and 6 -> 6: 1 / 5 / 24 (the docstring's example)
    people = pd.DataFrame({"patient_id": range(1, 31), "risk": [i / 30 for i in range(30)]})
    out = tier_shares(assign_tiers(people, "risk"))
    assert out["tier"].tolist() == ["complex", "high_need", "healthy"]
    assert out["n"].tolist() == [1, 5, 24]
    assert out["nominal_n"].tolist() == [1, 5, 24]
    assert out["group_n"].tolist() == [30, 30, 30]
    np.testing.assert_allclose(out["share"], [1 / 30, 5 / 30, 24 / 30], rtol=1e-12)
    assert out["nominal_share"].tolist() == [0.02, 0.18, 0.80]
    assert out["difference"].tolist() == [0, 0, 0]
    assert out["small_group"].tolist() == [False, False, False]


def test_tier_shares_counts_overrides_and_ties_of_assign_tiers() -> None:
    # shares 0.1 / 0.2 / 0.7 of 10: 1 / 2 / 7. 0.9 is shared by 3 (complex) and 7 (high need), 0.5 by
    # 1 (high need) and 5 (healthy)
    data = pd.DataFrame(
        {
            "patient_id": [7, 3, 5, 1, 10, 2, 4, 6, 8, 9],
            "risk": [0.9, 0.9, 0.5, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1],
            "care_home": [False] * 9 + [True],
        }
    )
    tiered = assign_tiers(data, "risk", shares=SHARES)
    out = tier_shares(tiered, shares=SHARES)
    assert out["n"].tolist() == [1, 2, 7]
    assert out["tied"].tolist() == [1, 2, 1]
    assert out["overridden"].tolist() == [0, 0, 0]
    assert out["difference"].tolist() == [0, 0, 0]
    # the care home resident 9 (score 0.1) takes the one complex place: 3 and 7 are high need (not
    # tied any more), 1 and 5 healthy; 0.1 is shared by 9 (complex, by override) and 8 (healthy, by score):
    # not a tie at a cut, since 9 was not placed by its score
    tiered = assign_tiers(data, "risk", shares=SHARES, overrides={"care_home": "complex"})
    assert sorted(tiered.loc[tiered["tier"] == "complex", "patient_id"]) == [9]
    assert sorted(tiered.loc[tiered["tier"] == "high_need", "patient_id"]) == [3, 7]
    out = tier_shares(tiered, shares=SHARES)
    assert out["n"].tolist() == [1, 2, 7]
    assert out["nominal_n"].tolist() == [1, 2, 7]
    assert out["difference"].tolist() == [0, 0, 0]
    assert out["overridden"].tolist() == [1, 0, 0]
    assert out["tied"].tolist() == [0, 0, 0]
    # two care home residents overflow complex by one, and healthy shrinks by one
    data.loc[data["patient_id"] == 6, "care_home"] = True
    out = tier_shares(assign_tiers(data, "risk", shares=SHARES, overrides={"care_home": "complex"}), shares=SHARES)
    assert out["n"].tolist() == [2, 2, 6]
    assert out["difference"].tolist() == [1, 0, -1]
    assert out["overridden"].tolist() == [2, 0, 0]
    np.testing.assert_allclose(out["share"], [0.2, 0.2, 0.6], rtol=1e-12)
    assert out["nominal_share"].tolist() == [0.1, 0.2, 0.7]


def test_tier_shares_of_small_groups() -> None:
    # a group of 2 with three tiers (0.04 -> 0, 0.4 -> 0: both healthy) is small; a group of 3 is not
    data = pd.DataFrame(
        {"patient_id": range(1, 6), "g": ["two", "two", "three", "three", "three"], "risk": [0.9, 0.8, 0.3, 0.2, 0.1]}
    )
    out = tier_shares(assign_tiers(data, "risk", within="g"), within="g")
    assert out["g"].tolist() == ["three"] * 3 + ["two"] * 3
    assert out["n"].tolist() == [0, 1, 2, 0, 0, 2]
    assert out["nominal_n"].tolist() == [0, 1, 2, 0, 0, 2]
    assert out["small_group"].tolist() == [False, False, False, True, True, True]
    assert out["group_n"].tolist() == [3, 3, 3, 2, 2, 2]


def test_tier_shares_leave_out_patients_without_a_tier_or_a_score() -> None:
    data = pd.DataFrame(
        {
            "patient_id": range(1, 8),
            "age": [10, 30, 40, 50, 60, 70, 80],
            "risk": pd.array([0.9, None, 0.5, 0.4, 0.3, 0.2, 0.1], dtype="Float64"),
        }
    )
    tiered = assign_tiers(data, "risk", shares=(0.2, 0.8), labels=("top", "rest"), population="adults", missing="tier")
    out = tier_shares(tiered, shares=(0.2, 0.8), labels=("top", "rest"))
    # ranked: the five adults with scores; 0.2 x 5 = 1
    assert out["tier"].tolist() == ["top", "rest", "missing"]
    assert out["group_n"].tolist() == [5, 5, 5]
    assert out["n"].tolist() == [1, 4, 1]
    assert out["nominal_n"].tolist()[:2] == [1, 4]


def test_tier_shares_of_another_tier_column_and_without_flag_columns() -> None:
    data = pd.DataFrame({"patient_id": range(1, 6), "risk": [0.5, 0.4, 0.4, 0.2, 0.1]})
    tiered = assign_tiers(data, "risk", shares=(0.2, 0.8), labels=("top", "rest"), name="segment")
    # 0.2 x 5 = 1: patient 1 on top; 0.4 is shared by 2 and 3, both in rest: no ties
    out = tier_shares(tiered, tier="segment", shares=(0.2, 0.8), labels=("top", "rest"))
    assert out.columns.tolist() == SHARES_COLUMNS
    assert out["tier"].tolist() == ["top", "rest"]
    assert out["n"].tolist() == [1, 4]
    assert out["tied"].tolist() == [0, 0]
    plain = pd.DataFrame({"tier": ["top", "rest", "rest", "rest"]})
    out = tier_shares(plain, shares=(0.5, 0.5), labels=("top", "rest"))
    assert out["overridden"].tolist() == [0, 0]
    assert out["tied"].tolist() == [0, 0]
    assert out["difference"].tolist() == [-1, 1]  # nominal 2 / 2


def test_tier_shares_within_a_categorical_column() -> None:
    # group b has no complex or high-need patient: its rows say 0 (a pandas categorical group column,
    # as the synthetic data's practice_code, must work as text does)
    data = pd.DataFrame({"g": ["a", "a", "a", "b"], "tier": ["complex", "high_need", "healthy", "healthy"]})
    expected = tier_shares(data, within="g", shares=SHARES)
    assert expected["n"].tolist() == [1, 1, 1, 0, 0, 1]
    assert expected["nominal_n"].tolist() == [0, 1, 2, 0, 0, 1]  # 3: 0.3 -> 0, 0.9 -> 1; 1: 0.1, 0.3 -> 0
    out = tier_shares(data.astype({"g": "category"}), within="g", shares=SHARES)
    assert out["g"].astype(str).tolist() == ["a"] * 3 + ["b"] * 3
    assert_indicator_frame_equal(out.astype({"g": str}), expected)


def test_tier_shares_of_polars_is_polars() -> None:
    out = tier_shares(pl.from_pandas(_tiered()), within="g", shares=SHARES)
    assert isinstance(out, pl.DataFrame)
    assert_indicator_frame_equal(out, _shares_expected())


def test_tier_shares_need_the_columns() -> None:
    with pytest.raises(SchemaError, match="segment"):
        tier_shares(_tiered(), tier="segment", shares=SHARES)
    with pytest.raises(SchemaError, match="practice"):
        tier_shares(_tiered(), within="practice", shares=SHARES)


# ----------------------------------------------------------------------------------------- tier_profile


def _profiled() -> pd.DataFrame:
    rows = [
        (6, "healthy", 0.1, False, 30.0, "M", 0, 0.0),
        (1, "complex", 0.9, True, 80.0, "F", 3, 10.0),
        (10, None, 0.99, True, 90.0, "F", 5, 20.0),
        (4, "high_need", 0.4, False, np.nan, "M", 0, 2.0),
        (8, "healthy", 0.02, False, 40.0, "M", 1, 0.0),
        (3, "high_need", 0.5, True, 60.0, "Female", 2, 0.0),
        (2, "complex", 0.7, False, 70.0, "M", 1, 4.0),
        (7, "healthy", 0.05, False, 20.0, "F", 0, 3.0),
        (5, "high_need", 0.3, False, 50.0, "f", 1, 1.0),
        (9, "healthy", 0.01, False, 10.0, "M", 0, 0.0),
    ]
    columns = ["patient_id", "tier", "risk", "care_home", "age", "sex", "admissions", "bed_days"]
    return pd.DataFrame(rows, columns=columns)


def _profile_expected() -> pd.DataFrame:
    """By hand. Tiered patients: complex 1, 2; high need 3, 4, 5; healthy 6-9 (10 has no tier).
    Admissions 4 / 3 / 1 of 8; bed days 14 / 3 / 3 of 20; patient 4's age is missing."""
    return pd.DataFrame(
        {
            "tier": ["complex", "high_need", "healthy"],
            "n": [2, 3, 4],
            "share": [2 / 9, 3 / 9, 4 / 9],
            "mean_risk": [0.8, 0.4, 0.045],
            "mean_care_home": [0.5, 1 / 3, 0.0],
            "mean_age": [75.0, 55.0, 25.0],
            "female_share": [0.5, 2 / 3, 0.25],
            "admissions": [4, 3, 1],
            "admissions_per_patient": [2.0, 1.0, 0.25],
            "admissions_share": [0.5, 0.375, 0.125],
            "bed_days": [14.0, 3.0, 3.0],
            "bed_days_per_patient": [7.0, 1.0, 0.75],
            "bed_days_share": [0.7, 0.15, 0.15],
        }
    )


def _profile(data: Any) -> Any:
    return tier_profile(data, outcomes=["admissions", "bed_days"], score="risk", means=["care_home", "age"], sex="sex")


def test_tier_profile_by_hand() -> None:
    out = _profile(_profiled())
    assert isinstance(out, pd.DataFrame)
    assert_indicator_frame_equal(out, _profile_expected(), check_column_order=False)
    assert out["admissions"].dtype == np.int64  # whole-number outcomes stay whole numbers
    assert out["n"].dtype == np.int64


def test_tier_profile_columns_in_the_documented_order() -> None:
    """Returns: ``n``, ``share``, ``mean_<score>``, ``mean_<column>``, ``female_share``, ``<outcome>``,
    ``<outcome>_per_patient``, ``<outcome>_share``."""
    assert _profile(_profiled()).columns.tolist() == _profile_expected().columns.tolist()


def test_tier_profile_on_every_backend(backend: Backend) -> None:
    out = _profile(backend(_profiled()))
    backend.assert_matches(out, _profile_expected(), by="tier", check_column_order=False)


def test_tier_profile_of_polars_is_polars() -> None:
    for data in (pl.from_pandas(_profiled()), pl.from_pandas(_profiled()).lazy()):
        out = _profile(data)
        assert isinstance(out, type(data))
        assert_indicator_frame_equal(out, _profile_expected(), check_column_order=False)


def test_tier_profile_without_options_counts_and_shares() -> None:
    out = tier_profile(_profiled())
    assert out.columns.tolist() == ["tier", "n", "share"]
    assert out["tier"].tolist() == ["complex", "high_need", "healthy"]
    assert out["n"].tolist() == [2, 3, 4]
    np.testing.assert_allclose(out["share"], [2 / 9, 3 / 9, 4 / 9], rtol=1e-12)


def test_tier_profile_within_groups() -> None:
    data = pd.DataFrame(
        {
            "place": ["Q", "P", "Q", "P", "Q", "P", "P", "Q"],
            "tier": ["healthy", "healthy", "high_need", "complex", None, "healthy", "high_need", "healthy"],
            "admissions": [1, 0, 2, 3, 10, 0, 1, 1],
        }
    )
    out = tier_profile(data, outcomes="admissions", by="place")
    expected = pd.DataFrame(
        {
            "place": ["P", "P", "P", "Q", "Q"],
            "tier": ["complex", "high_need", "healthy", "high_need", "healthy"],
            "n": [1, 1, 2, 1, 2],
            "share": [0.25, 0.25, 0.5, 1 / 3, 2 / 3],  # within each place
            "admissions": [3, 1, 0, 2, 2],
            "admissions_per_patient": [3.0, 1.0, 0.0, 2.0, 1.0],
            "admissions_share": [0.75, 0.25, 0.0, 0.5, 0.5],  # of each place's total (Q: 4, not 14)
        }
    )
    assert_indicator_frame_equal(out, expected)


def test_tier_profile_lists_tiers_in_label_order_then_others_alphabetically() -> None:
    data = pd.DataFrame({"tier": ["missing", "healthy", "other", "complex", "high_need", "healthy", None]})
    out = tier_profile(data)
    assert out["tier"].tolist() == ["complex", "high_need", "healthy", "missing", "other"]
    assert out["n"].tolist() == [1, 1, 2, 1, 1]
    out = tier_profile(data, labels=("healthy", "high_need", "complex"))
    assert out["tier"].tolist() == ["healthy", "high_need", "complex", "missing", "other"]
    out = tier_profile(data.rename(columns={"tier": "segment"}), tier="segment")
    assert out["segment"].tolist() == ["complex", "high_need", "healthy", "missing", "other"]


def test_tier_profile_female_share_from_codes() -> None:
    data = pd.DataFrame({"tier": ["a", "a", "a", "a", "b"], "sex": [2, 1, 2, 1, 1]})
    out = tier_profile(data, sex="sex", labels=("a", "b"))
    assert out["female_share"].tolist() == [0.5, 0.0]
    data["sex"] = ["WOMAN", " female ", "Male", "m", "F"]
    out = tier_profile(data, sex="sex", labels=("a", "b"))
    assert out["female_share"].tolist() == [0.5, 1.0]


def test_tier_profile_of_boolean_outcomes() -> None:
    data = pd.DataFrame({"tier": ["a", "a", "b", "b", "b"], "admitted": [True, True, True, False, False]})
    out = tier_profile(data, outcomes="admitted", labels=("a", "b"))
    assert out["admitted"].tolist() == [2, 1]
    np.testing.assert_allclose(out["admitted_per_patient"], [1.0, 1 / 3], rtol=1e-12)
    np.testing.assert_allclose(out["admitted_share"], [2 / 3, 1 / 3], rtol=1e-12)


def test_tier_profile_rejects_text_and_absent_columns() -> None:
    data = _profiled()
    with pytest.raises(SchemaError, match="'sex'"):
        tier_profile(data, outcomes="sex")
    with pytest.raises(SchemaError, match="'sex'"):
        tier_profile(data, means="sex")
    with pytest.raises(SchemaError, match="'sex'"):
        tier_profile(data, score="sex")
    with pytest.raises(SchemaError, match="'deaths'"):
        tier_profile(data, outcomes="deaths")
    with pytest.raises(SchemaError, match="'segment'"):
        tier_profile(data, tier="segment")


# ---------------------------------------------------------------------------------------- synthetic data


@pytest.fixture(scope="module")
def synthetic_tiers() -> pd.DataFrame:
    d = bh.datasets.synthetic_blmk(scale=0.02)
    return assign_tiers(d.patients, "emergency_admission_probability", within="practice_code")


def test_synthetic_practices_have_the_fixed_tier_sizes(synthetic_tiers: pd.DataFrame) -> None:
    tiered = synthetic_tiers
    assert tiered["tier"].notna().all()
    counts = pd.crosstab(tiered["practice_code"].astype(str), tiered["tier"].astype(str))
    sizes = tiered["practice_code"].astype(str).value_counts()
    assert len(sizes) > 50
    for practice, n in sizes.items():
        complex_n = round_half_up(n, Fraction(2, 100))
        assert counts.loc[practice, "complex"] == complex_n, practice
        assert counts.loc[practice, "high_need"] == round_half_up(n, Fraction(20, 100)) - complex_n, practice
        assert counts.loc[practice, "healthy"] == n - round_half_up(n, Fraction(20, 100)), practice
    # some practices sit on each side of a rounding boundary of the complex tier
    assert {round_half_up(n, Fraction(2, 100)) for n in sizes} >= {1, 2, 3}


def test_synthetic_tiers_follow_the_ranking_in_each_practice(synthetic_tiers: pd.DataFrame) -> None:
    score = "emergency_admission_probability"
    for _, group in synthetic_tiers.groupby("practice_code", observed=True):
        by_tier = group.groupby("tier")[score]
        low, high = by_tier.min(), by_tier.max()
        if "complex" in low.index:
            assert low["complex"] >= high["high_need"]
        assert low["high_need"] >= high["healthy"]


def test_synthetic_risk_falls_from_complex_to_healthy(synthetic_tiers: pd.DataFrame) -> None:
    means = synthetic_tiers.groupby("tier")[["emergency_admission_probability", "emergency_admission_next_year"]].mean()
    for column in means.columns:
        values = means.loc[["complex", "high_need", "healthy"], column].tolist()
        assert values[0] > values[1] > values[2], (column, values)
    profile = tier_profile(
        synthetic_tiers, score="emergency_admission_probability", outcomes="emergency_admission_next_year"
    )
    assert profile["tier"].tolist() == ["complex", "high_need", "healthy"]
    np.testing.assert_allclose(
        profile["mean_emergency_admission_probability"],
        means.loc[["complex", "high_need", "healthy"], "emergency_admission_probability"],
        rtol=1e-12,
    )
    assert profile["n"].sum() == len(synthetic_tiers)
    assert profile["emergency_admission_next_year"].sum() == synthetic_tiers["emergency_admission_next_year"].sum()


def test_synthetic_tier_shares_have_no_difference(synthetic_tiers: pd.DataFrame) -> None:
    out = tier_shares(synthetic_tiers, within="practice_code")
    assert len(out) == 3 * synthetic_tiers["practice_code"].nunique()
    assert (out["difference"] == 0).all()
    assert (out["n"] == out["nominal_n"]).all()
    assert not out["small_group"].any()
    assert (out["overridden"] == 0).all()


def test_synthetic_adults_only(synthetic_tiers: pd.DataFrame) -> None:
    patients = synthetic_tiers.drop(columns=["tier", "tier_override", "tier_tied"])
    adults = assign_tiers(
        patients,
        "emergency_admission_probability",
        within="practice_code",
        population="adults",
        overrides={"care_home": "complex"},
    )
    children = adults["age"] < 18
    assert children.any()
    assert adults.loc[children, "tier"].isna().all()
    assert adults.loc[~children, "tier"].notna().all()
    ranked = adults[~children]
    for practice, group in ranked.groupby("practice_code", observed=True):
        n = len(group)
        placed = int(group["care_home"].sum())
        expected = max(round_half_up(n, Fraction(2, 100)), placed)
        assert (group["tier"] == "complex").sum() == expected, practice
        assert group.loc[group["care_home"], "tier"].eq("complex").all()
