"""CI primitives, confidence parsing and the ESP2013 band matching."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import blmk_health as bh
from blmk_health._age_bands import match_esp2013
from blmk_health._confidence import format_multiplier, parse_confidence
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.indicators import ci


def test_z_value_is_exact_quantile() -> None:
    assert ci.z_value(0.95) == pytest.approx(1.959963984540054, abs=1e-15)
    assert ci.z_value(95) == ci.z_value(0.95)
    assert ci.z_value(0.998) == pytest.approx(stats.norm.ppf(0.999), rel=1e-14)


def test_exact_poisson_matches_chi_square() -> None:
    o = np.arange(0, 30)
    lower = ci.exact_poisson_lower(o, 0.95)
    upper = ci.exact_poisson_upper(o, 0.95)
    assert lower[0] == 0
    np.testing.assert_allclose(lower[1:], stats.chi2.ppf(0.025, 2 * o[1:]) / 2, rtol=1e-12)
    np.testing.assert_allclose(upper, stats.chi2.ppf(0.975, 2 * o + 2) / 2, rtol=1e-12)
    assert np.isnan(ci.exact_poisson_lower([np.nan, -1])).all()


def test_poisson_switches_to_byars_at_ten() -> None:
    assert ci.poisson_lower(9) == ci.exact_poisson_lower(9)
    assert ci.poisson_lower(10) == ci.byars_lower(10)
    assert ci.poisson_upper(9) == ci.exact_poisson_upper(9)
    assert ci.poisson_upper(10) == ci.byars_upper(10)


def test_byars_lower_negative_is_missing() -> None:
    assert np.isnan(ci.byars_lower(1, 0.998))
    assert np.isnan(ci.byars_lower(0))
    assert ci.byars_lower(1, 0.95) > 0


def test_wilson_at_full_confidence_and_broadcast() -> None:
    assert ci.wilson_lower([1, 2], 10, 1.0).tolist() == [0.0, 0.0]
    assert ci.wilson_upper(5, [10, 20], 1.0).tolist() == [1.0, 1.0]
    assert ci.wilson_lower(0, 10) == 0
    assert ci.wilson_upper(10, 10) == pytest.approx(1.0)


def test_dobson_matches_its_formula() -> None:
    o, var, value = 100.0, 1e-6, 0.01
    assert ci.dobson_lower(value, var, o) == pytest.approx(value + np.sqrt(var / o) * (ci.byars_lower(o) - o))
    assert ci.dobson_upper(value, var, o) == pytest.approx(value + np.sqrt(var / o) * (ci.byars_upper(o) - o))


def test_student_t_matches_scipy_and_needs_two_values() -> None:
    lower = ci.student_t_lower(10.0, 2.0, 25, 0.99)
    assert lower == pytest.approx(10 - stats.t.ppf(0.995, 24) * 2 / 5, rel=1e-12)
    assert ci.student_t_upper(10.0, 2.0, 25, 0.99) == pytest.approx(20 - lower, rel=1e-12)
    assert np.isnan(ci.student_t_lower(1.0, 0.0, 1))


@pytest.mark.parametrize("function", [ci.byars_lower, ci.exact_poisson_upper, ci.poisson_lower, ci.z_value])
def test_primitives_validate_confidence(function: Any) -> None:
    args = () if function is ci.z_value else (5,)
    with pytest.raises(DomainError, match=r"confidence level must lie in \[0.9, 1\]"):
        function(*args, 0.5)


def test_confidence_labels_and_names() -> None:
    assert parse_confidence(0.95).label == "95%"
    assert parse_confidence(99.8).label == "99.8%"
    assert parse_confidence(0.9).names() == [("lowercl", "uppercl")]
    pair = parse_confidence([95, 99.8])
    assert pair.levels == (0.95, 0.998)
    assert pair.label == "95%, 99.8%"
    assert pair.names() == [("lower95_0cl", "upper95_0cl"), ("lower99_8cl", "upper99_8cl")]
    assert parse_confidence((0.95,)).levels == (0.95,)
    many = parse_confidence([0.9, 0.95, 0.99], any_levels=True)
    assert many.names()[2] == ("lower99_0cl", "upper99_0cl")
    assert many.label == "90%, 95%, 99%"


def test_format_multiplier() -> None:
    assert format_multiplier(100_000) == "100000"
    assert format_multiplier(1e5) == "100000"
    assert format_multiplier(2.5) == "2.5"


def test_esp2013_tables() -> None:
    esp19 = bh.datasets.esp2013()
    esp20 = bh.datasets.esp2013(bands=20)
    assert esp19["population"].sum() == esp20["population"].sum() == 100_000
    assert len(esp19) == 19
    assert len(esp20) == 20
    assert esp20["age_band"].tolist()[:3] == ["0", "1-4", "5-9"]
    assert esp19["population"].tolist() == [
        5000,
        5500,
        5500,
        5500,
        6000,
        6000,
        6500,
        7000,
        7000,
        7000,
        7000,
        6500,
        6000,
        5500,
        5000,
        4000,
        2500,
        1500,
        1000,
    ]
    assert pd.isna(esp19["end_age"].iloc[-1])
    with pytest.raises(InputError, match="bands: expected 19 or 20"):
        bh.datasets.esp2013(bands=18)


@pytest.mark.parametrize(
    ("labels", "weights"),
    [
        (["0-4", "5-9", "90+"], [5000, 5500, 1000]),
        (["00-04", "05-09", "90 +"], [5000, 5500, 1000]),
        ([0, 5, 85, 90], [5000, 5500, 1500, 1000]),
        ([0.0, 10.0], [5000, 5500]),
        (["0", "1-4", "5-9"], [1000, 4000, 5500]),
        (["Age 0", "Aged 1 to 4", "90 and over"], [1000, 4000, 1000]),
        (["55-59"], [6500]),
    ],
)
def test_band_matching(labels: list[Any], weights: list[int]) -> None:
    matched = match_esp2013(labels)
    assert [matched.weight_of[label] for label in labels] == weights


@pytest.mark.parametrize(
    "labels",
    [
        ["0-4", "1-4"],
        ["85+"],
        ["3-7"],
        ["95+"],
        [None],
        ["all ages"],
        [2.5],
        [True],
        [float("nan")],
        ["55-69"],
        ["0-9"],
        ["90-94"],
        ["85-89+"],
    ],
)
def test_band_matching_errors(labels: list[Any]) -> None:
    with pytest.raises(SchemaError, match="do not match the 2013 European Standard Population"):
        match_esp2013(labels)


def test_dsr_with_20_band_labels_and_categorical_bands() -> None:
    esp20 = bh.datasets.esp2013(bands=20)
    data = pd.DataFrame({"band": pd.Categorical(esp20["age_band"]), "x": 10, "n": 1000})
    out = bh.indicators.dsr(data, "x", "n", age_band="band")
    assert out["value"].item() == pytest.approx(1000.0)
    weighted = bh.indicators.dsr(data.assign(x=[100] + [10] * 19), "x", "n", age_band="band")
    # age 0 carries 1,000 of the 100,000 standard population
    assert weighted["value"].item() == pytest.approx(1000.0 + 90 / 1000 * 1000 / 100_000 * 100_000)


def test_dsr_missing_counts_are_zero_and_suppression() -> None:
    esp = bh.datasets.esp2013()
    data = pd.DataFrame({"band": esp["age_band"], "x": [None] + [0.0] * 17 + [9.0], "n": 100.0})
    out = bh.indicators.dsr(data, "x", "n", age_band="band")
    assert out["total_count"].item() == 9
    assert np.isnan(out["value"].item())
    assert out["statistic"].item() == "dsr NA for total count < 10"
    assert list(out.columns) == [
        "total_count",
        "total_pop",
        "value",
        "lowercl",
        "uppercl",
        "confidence",
        "statistic",
        "method",
    ]
    bare = bh.indicators.dsr(data, "x", "n", age_band="band", metadata=False)
    assert list(bare.columns) == ["total_count", "total_pop", "value", "lowercl", "uppercl"]
