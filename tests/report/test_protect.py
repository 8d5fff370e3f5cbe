"""Small-number protection of the indicator table: both sides of every boundary, from hand-built rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, SchemaError


def row(
    indicator_id: str, numerator: float, denominator: float, value: float = 1.0, **extra: object
) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(bh.report.INDICATOR_COLUMNS)
    base.update(
        indicator_id=indicator_id,
        indicator_name="x",
        level="practice",
        area_code="P1",
        area_name="P1",
        period="2019-20",
        sex="Persons",
        value=value,
        lower=value - 0.5,
        upper=value + 0.5,
        confidence="95%",
        numerator=numerator,
        denominator=denominator,
        unit="%",
        method="m",
        status="ok",
        suppressed=False,
    )
    base.update(extra)
    return base


def table(*rows: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    return frame.astype({"value": float, "lower": float, "upper": float, "numerator": float, "denominator": float})


PREVALENCE = "recorded_prevalence_hypertension"  # a proportion x 100: recomputed from the published counts
DSR = "mortality_all_causes_dsr"  # not recomputable from its totals: kept or blanked


@pytest.mark.parametrize(
    ("count", "removed", "published"), [(0, False, 0), (1, True, None), (7, True, None), (8, False, 10)]
)
def test_numerators_of_one_to_seven_are_removed(count: int, removed: bool, published: int | None) -> None:
    out = bh.report.protect_small_numbers(table(row(PREVALENCE, count, 1000, value=count / 10)))
    assert bool(out["suppressed"].item()) is removed
    if removed:
        assert np.isnan(out["numerator"].item())
        assert out[["value", "lower", "upper"]].isna().all(axis=None)
        assert out["status"].item() == "suppressed: a count of 7 or fewer"
    else:
        assert out["numerator"].item() == published
        assert out["value"].item() == pytest.approx(published / 1000 * 100, rel=1e-12)


def test_small_denominators_are_removed_too() -> None:
    out = bh.report.protect_small_numbers(table(row(PREVALENCE, 0, 7, value=0.0)))
    assert out["suppressed"].item()
    assert np.isnan(out["denominator"].item())
    assert np.isnan(out["value"].item())


@pytest.mark.parametrize(("count", "published"), [(12, 10), (12.5, 15), (13, 15), (10, 10), (1_038_666, 1_038_665)])
def test_other_counts_are_rounded_to_five(count: float, published: int) -> None:
    out = bh.report.protect_small_numbers(table(row(DSR, count, 100_000)))
    assert out["numerator"].item() == published


def test_rates_and_proportions_are_recomputed_from_the_published_counts() -> None:
    out = bh.report.protect_small_numbers(table(row(PREVALENCE, 123, 1002, value=123 / 1002 * 100)))
    expected = bh.indicators.proportion(pd.DataFrame({"x": [125], "n": [1000]}), "x", "n", multiplier=100)
    assert out["numerator"].item() == 125
    assert out["denominator"].item() == 1000
    assert out["value"].item() == pytest.approx(12.5, rel=1e-12)
    assert out["lower"].item() == pytest.approx(expected["lowercl"].item(), rel=1e-12)
    assert out["upper"].item() == pytest.approx(expected["uppercl"].item(), rel=1e-12)
    assert out["status"].item() == "ok"
    assert not out["suppressed"].item()


def test_other_statistics_keep_their_value_with_rounded_counts() -> None:
    out = bh.report.protect_small_numbers(table(row(DSR, 123, 45_678, value=812.3)))
    assert out["value"].item() == 812.3
    assert out["numerator"].item() == 125
    assert out["status"].item() == "ok"
    blanked = bh.report.protect_small_numbers(table(row(DSR, 6, 45_678, value=812.3)))
    assert np.isnan(blanked["value"].item())


def test_rows_without_counts_and_blank_rows_are_left_alone() -> None:
    rows = table(
        row("life_expectancy_at_birth", np.nan, np.nan, value=80.1),
        row(DSR, 5, 1000, value=np.nan, status="blank: total count < 10"),
    )
    out = bh.report.protect_small_numbers(rows)
    assert out["value"].iloc[0] == 80.1
    assert out["status"].iloc[0] == "ok"
    assert not out["suppressed"].iloc[0]
    assert out["status"].iloc[1] == "suppressed: a count of 7 or fewer"


def test_the_input_is_not_changed() -> None:
    rows = table(row(PREVALENCE, 3, 1000))
    before = rows.copy()
    bh.report.protect_small_numbers(rows)
    pd.testing.assert_frame_equal(rows, before)


def test_threshold_and_rounding_can_be_chosen() -> None:
    out = bh.report.protect_small_numbers(table(row(DSR, 9, 1000)), threshold=10, round_to=1)
    assert np.isnan(out["numerator"].item())
    kept = bh.report.protect_small_numbers(table(row(DSR, 11, 1003)), threshold=10, round_to=1)
    assert kept["numerator"].item() == 11
    assert kept["denominator"].item() == 1003


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"threshold": -1}, DomainError, "threshold: expected a whole number >= 0"),
        ({"round_to": 0}, DomainError, "round_to: expected a whole number >= 1"),
        ({"round_to": 2.5}, DomainError, "round_to: expected a whole number >= 1"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bh.report.protect_small_numbers(table(row(DSR, 9, 1000)), **kwargs)  # type: ignore[arg-type]


def test_not_an_indicator_table() -> None:
    with pytest.raises(SchemaError, match=r"table: not an indicator table from compute_indicators\(\): no column"):
        bh.report.protect_small_numbers(pd.DataFrame({"value": [1.0]}))


def test_staff_full_time_equivalents_are_not_protected() -> None:
    """Patients per GP: the denominator is GP FTE (5.5 staff, not 5 or 6 people), published as it is."""
    rows = table(
        row("patients_per_gp_fte", 12_343, 5.5, value=12_343 / 5.5),
        row("gp_fte_per_10000", 5.5, 12_343, value=5.5 / 12_343 * 10_000),
    )
    out = bh.report.protect_small_numbers(rows)
    assert out["denominator"].iloc[0] == 5.5
    assert out["numerator"].iloc[0] == 12_345  # registered patients are people: rounded
    assert out["numerator"].iloc[1] == 5.5
    assert out["denominator"].iloc[1] == 12_345
    assert not out["suppressed"].any()
    # the values agree with the published counts: 12,345 patients, not 12,343
    assert out["value"].tolist() == pytest.approx([12_345 / 5.5, 5.5 / 12_345 * 10_000])
    assert out[["lower", "upper"]].isna().all(axis=None)


def test_detection_ratio_and_undiagnosed_follow_the_published_recorded_count() -> None:
    """Expected cases are modelled (published as they are); the recorded count is rounded, and the
    ratio, its Poisson limits and expected minus recorded are recomputed from it."""
    ci = bh.indicators.ci
    rows = table(
        row("detection_ratio_hypertension", 123, 201.7, value=123 / 201.7),
        row("undiagnosed_hypertension", 123, 201.7, value=201.7 - 123),
        row("expected_prevalence_hypertension", 201.7, 1_234, value=201.7 / 1_234 * 100),
        row("detection_ratio_atrial_fibrillation", 12, 7.4, value=12 / 7.4),
    )
    out = bh.report.protect_small_numbers(rows)
    assert out["numerator"].tolist() == [125, 125, 201.7, 10]
    assert out["denominator"].tolist() == [201.7, 201.7, 1_235, 7.4]
    assert not out["suppressed"].any()  # an expected count of 7.4 is not a count of people
    assert out["value"].tolist() == pytest.approx([125 / 201.7, 201.7 - 125, 201.7 / 1_235 * 100, 10 / 7.4])
    assert out["lower"].iloc[0] == pytest.approx(float(ci.poisson_lower(125)) / 201.7)
    assert out["upper"].iloc[3] == pytest.approx(float(ci.poisson_upper(10)) / 7.4)
    assert out[["lower", "upper"]].iloc[1:3].isna().all(axis=None)


def test_treatment_gap_is_a_proportion_of_the_published_counts() -> None:
    rows = table(
        row("treatment_gap_hypertension", 27_087, 112_343, value=27_087 / 112_343 * 100),
        row("treatment_gap_atrial_fibrillation", 7, 88, value=7 / 88 * 100),
    )
    out = bh.report.protect_small_numbers(rows)
    expected = bh.indicators.proportion(
        pd.DataFrame({"x": [27_085], "n": [112_345]}), "x", "n", multiplier=100, metadata=False
    )
    assert out[["value", "lower", "upper"]].iloc[0].tolist() == pytest.approx(
        expected[["value", "lowercl", "uppercl"]].iloc[0].tolist()
    )
    assert bool(out["suppressed"].iloc[1])
    assert out[["value", "lower", "upper"]].iloc[1].isna().all()
