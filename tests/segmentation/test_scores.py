"""The Cambridge Multimorbidity Score and the eFI frailty categories (``bh.segmentation``).

Expected scores are sums of the published general-outcome weights written out by hand below (Payne et
al., CMAJ 2020), never taken from the package's own table; frailty categories come from the cut points
of Clegg et al. (Age Ageing 2016) as stated in the docstring: fit 0-0.12, mild >0.12-0.24, moderate
>0.24-0.36, severe >0.36, each upper bound belonging to the lower category. Every cut point is checked
from both sides, and the categories are compared with the ones the synthetic-data generator made from
the unrounded scores.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.segmentation import cambridge_multimorbidity_score, frailty_category
from tests.helpers import Backend, to_pandas

#: The 20 general-outcome weights, typed in from the published list (not from the package).
HAND_WEIGHTS = {
    "alcohol_problems": 0.65,
    "anxiety_depression": 0.50,
    "atrial_fibrillation": 1.34,
    "cancer": 1.53,
    "ckd": 0.53,
    "connective_tissue": 0.43,
    "copd": 1.46,
    "chd": 0.49,
    "dementia": 2.50,
    "diabetes": 0.75,
    "epilepsy": 0.92,
    "hearing_loss": 0.09,
    "heart_failure": 1.18,
    "ibs": 0.21,
    "schizophrenia_bipolar": 0.64,
    "stroke_tia": 0.80,
    "asthma": 0.19,
    "hypertension": 0.08,
    "constipation": 1.12,
    "painful_condition": 0.92,
}
CONDITIONS = sorted(HAND_WEIGHTS)

# The sum of all 20, added up by hand in the order of HAND_WEIGHTS:
# 0.65, 1.15, 2.49, 4.02, 4.55, 4.98, 6.44, 6.93, 9.43, 10.18, 11.10, 11.19, 12.37, 12.58, 13.22, 14.02,
# 14.21, 14.29, 15.41, 16.33.
ALL_TWENTY = 16.33


def flags_frame(rows: list[set[str]], *, ints: bool = False) -> pd.DataFrame:
    """One patient per set of conditions present: boolean columns (0/1 ints for every other condition
    when ``ints``), in the order of :data:`CONDITIONS`."""
    data: dict[str, Any] = {"patient_id": list(range(1, len(rows) + 1))}
    for i, condition in enumerate(CONDITIONS):
        values = [condition in row for row in rows]
        data[condition] = [int(v) for v in values] if ints and i % 2 else values
    return pd.DataFrame(data)


def cms_of(flags: Any, **kwargs: Any) -> list[float]:
    """The score column of a scored table as a list."""
    return to_pandas(cambridge_multimorbidity_score(flags, **kwargs))[kwargs.get("name", "cms")].tolist()


# ------------------------------------------------------------------------------- CMS: the weights


def test_general_weights_are_the_published_twenty() -> None:
    assert bh.segmentation.CMS_GENERAL_WEIGHTS == HAND_WEIGHTS
    assert len(bh.segmentation.CMS_GENERAL_WEIGHTS) == 20


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_alone_scores_its_weight(condition: str) -> None:
    flags = flags_frame([{condition}, set()])
    assert cms_of(flags) == pytest.approx([HAND_WEIGHTS[condition], 0.0], abs=1e-12)


def test_hand_checked_sums() -> None:
    rows = [
        {"dementia", "hypertension"},  # 2.50 + 0.08
        set(CONDITIONS),  # all twenty
        set(),  # none
        {"copd", "heart_failure", "atrial_fibrillation"},  # 1.46 + 1.18 + 1.34
        {"hearing_loss", "asthma", "ibs"},  # 0.09 + 0.19 + 0.21
        set(CONDITIONS) - {"dementia"},  # 16.33 - 2.50
    ]
    expected = [2.58, ALL_TWENTY, 0.0, 3.98, 0.49, 13.83]
    assert cms_of(flags_frame(rows)) == pytest.approx(expected, abs=1e-12)


def test_zero_one_integer_flags_count_like_booleans() -> None:
    rows = [{"dementia", "hypertension"}, set(CONDITIONS), set(), {"ckd", "cancer"}]
    as_ints = flags_frame(rows, ints=True)
    assert any(pd.api.types.is_integer_dtype(as_ints[c]) for c in CONDITIONS)  # the mixture is real
    assert cms_of(as_ints) == pytest.approx([2.58, ALL_TWENTY, 0.0, 2.06], abs=1e-12)
    everything_int = flags_frame(rows).astype(dict.fromkeys(CONDITIONS, "int64"))
    assert cms_of(everything_int) == pytest.approx([2.58, ALL_TWENTY, 0.0, 2.06], abs=1e-12)
    as_floats = flags_frame(rows).astype(dict.fromkeys(CONDITIONS, "float64"))
    assert cms_of(as_floats) == pytest.approx([2.58, ALL_TWENTY, 0.0, 2.06], abs=1e-12)


def test_result_keeps_the_input_and_adds_a_float_column() -> None:
    flags = flags_frame([{"dementia"}, {"hypertension"}])
    out = cambridge_multimorbidity_score(flags)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [*flags.columns, "cms"]
    assert out["cms"].dtype == np.float64
    pd.testing.assert_frame_equal(out[flags.columns], flags)
    assert cms_of(flags, name="multimorbidity") == pytest.approx([2.5, 0.08], abs=1e-12)


def test_conditions_maps_differently_named_columns() -> None:
    flags = flags_frame([{"anxiety_depression", "schizophrenia_bipolar"}, {"anxiety_depression"}, set()])
    flags = flags.rename(columns={"anxiety_depression": "depression_anxiety", "schizophrenia_bipolar": "smi"})
    mapping = {"anxiety_depression": "depression_anxiety", "schizophrenia_bipolar": "smi"}
    assert cms_of(flags, conditions=mapping) == pytest.approx([1.14, 0.5, 0.0], abs=1e-12)
    # Without the mapping both columns are missing.
    with pytest.raises(SchemaError, match=r"anxiety_depression.*schizophrenia_bipolar"):
        cambridge_multimorbidity_score(flags)


def test_custom_weights_name_the_columns() -> None:
    flags = pd.DataFrame({"a": [True, True, False, False], "b": [1, 0, 1, 0], "z": ["x", "y", "z", "w"]})
    out = cms_of(flags, weights={"a": 1.5, "b": -0.25})
    assert out == pytest.approx([1.25, 1.5, -0.25, 0.0], abs=1e-12)
    # numpy floats are finite numbers too
    assert cms_of(flags, weights={"a": np.float64(2.0), "b": 3}) == pytest.approx([5.0, 2.0, 3.0, 0.0], abs=1e-12)


def test_custom_weights_accept_numpy_integers() -> None:
    # np.int64 is a finite number as much as 2 is (weights read from a table arrive as numpy scalars).
    flags = pd.DataFrame({"a": [1, 0], "b": [1, 1]})
    assert cms_of(flags, weights={"a": np.int64(2), "b": np.int32(1)}) == pytest.approx([3.0, 1.0], abs=1e-12)


def test_custom_weights_are_summed_without_losing_digits() -> None:
    # The score is documented as the sum of the weights of the conditions present: weights of your own
    # with more than two decimals must not be rounded away (0.125 + 0.0625 = 0.1875, not 0.19).
    flags = pd.DataFrame({"a": [1, 1, 0], "b": [1, 0, 1]})
    assert cms_of(flags, weights={"a": 0.125, "b": 0.0625}) == pytest.approx([0.1875, 0.125, 0.0625], abs=1e-12)


# --------------------------------------------------------------------------- CMS: missing columns


def test_missing_columns_raise_a_schema_error_listing_them() -> None:
    flags = flags_frame([{"dementia"}]).drop(columns=["epilepsy", "ibs"])
    with pytest.raises(SchemaError, match=r"flags: no column for 'epilepsy', 'ibs'") as err:
        cambridge_multimorbidity_score(flags)
    assert "dementia" not in str(err.value)
    # A mapped condition is reported by the column it was mapped to.
    full = flags_frame([{"dementia"}])
    with pytest.raises(SchemaError, match="'dementia_flag'"):
        cambridge_multimorbidity_score(full, conditions={"dementia": "dementia_flag"})


def test_missing_absent_warns_naming_them_and_scores_the_rest() -> None:
    flags = flags_frame([{"dementia", "epilepsy", "ibs"}, {"epilepsy"}]).drop(columns=["epilepsy", "ibs"])
    with pytest.warns(UserWarning, match=r"counted as absent in every patient: epilepsy, ibs$"):
        out = cms_of(flags, missing="absent")
    assert out == pytest.approx([2.5, 0.0], abs=1e-12)


def test_missing_absent_with_no_condition_columns_scores_zero() -> None:
    with pytest.warns(UserWarning, match="alcohol_problems"):
        out = cms_of(pd.DataFrame({"patient_id": [1, 2]}), missing="absent")
    assert out == [0.0, 0.0]


def test_nothing_missing_gives_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cms_of(flags_frame([set(CONDITIONS)]), missing="absent") == pytest.approx([ALL_TWENTY], abs=1e-12)


def test_missing_must_be_raise_or_absent() -> None:
    with pytest.raises(InputError, match="missing: expected one of 'raise', 'absent', got 'skip'"):
        cambridge_multimorbidity_score(flags_frame([set()]), missing="skip")


# ------------------------------------------------------------------------------ CMS: bad arguments


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "2.5", None])
def test_weights_must_be_finite_numbers(bad: Any) -> None:
    flags = pd.DataFrame({"a": [1], "b": [0]})
    with pytest.raises(InputError, match=r"weights: the weight of 'b' must be a finite number"):
        cambridge_multimorbidity_score(flags, weights={"a": 1.0, "b": bad})


@pytest.mark.parametrize("bad", [{}, "mortality", 3, ["a"]])
def test_weights_must_be_general_or_a_dict(bad: Any) -> None:
    with pytest.raises(InputError, match="weights: expected"):
        cambridge_multimorbidity_score(pd.DataFrame({"a": [1]}), weights=bad)


def test_conditions_must_be_conditions_of_the_score() -> None:
    with pytest.raises(InputError, match="conditions: 'dementia_x' are not conditions of the score"):
        cambridge_multimorbidity_score(flags_frame([set()]), conditions={"dementia_x": "dementia"})
    with pytest.raises(InputError, match=r"conditions: .*with weights of your own"):
        cambridge_multimorbidity_score(pd.DataFrame({"a": [1]}), weights={"a": 1.0}, conditions={"dementia": "a"})


# ------------------------------------------------------------------------------- CMS: bad values


@pytest.mark.parametrize(
    "column",
    [
        pd.array([True, None], dtype="boolean"),
        pd.array([1, None], dtype="Int64"),
        [1.0, np.nan],
    ],
    ids=["nullable-boolean", "nullable-int", "float-nan"],
)
def test_null_flags_raise_a_domain_error(column: Any) -> None:
    flags = pd.DataFrame({"patient_id": [1, 2], "a": column})
    with pytest.raises(DomainError, match=r"flags: column 'a' is missing in 1 row"):
        cambridge_multimorbidity_score(flags, weights={"a": 1.0})


def test_null_flags_raise_on_polars() -> None:
    flags = pl.DataFrame({"a": [True, None, False]})
    with pytest.raises(DomainError, match=r"flags: column 'a' is missing in 1 row"):
        cambridge_multimorbidity_score(flags, weights={"a": 1.0})


@pytest.mark.parametrize("bad", [2, -1, 0.5, 1.0001])
def test_numbers_other_than_zero_and_one_raise(bad: float) -> None:
    flags = pd.DataFrame({"a": [0.0, 1.0, bad]})
    with pytest.raises(DomainError, match=r"flags: column 'a' is not 0 or 1 in 1 row"):
        cambridge_multimorbidity_score(flags, weights={"a": 1.0})


def test_zero_and_one_as_floats_are_accepted() -> None:
    # The other side of the boundary above: exactly 0.0 and 1.0 are flags.
    assert cms_of(pd.DataFrame({"a": [0.0, 1.0]}), weights={"a": 1.5}) == [0.0, 1.5]


def test_a_two_in_a_general_flag_column_raises() -> None:
    flags = flags_frame([{"dementia"}, set()], ints=True).astype({"dementia": "int64"})
    flags.loc[1, "dementia"] = 2
    with pytest.raises(DomainError, match=r"column 'dementia' is not 0 or 1 in 1 row \(first offending values: 2\)"):
        cambridge_multimorbidity_score(flags)


def test_text_flags_raise_a_schema_error() -> None:
    flags = pd.DataFrame({"a": ["yes", "no"], "b": [1, 0]})
    with pytest.raises(SchemaError, match=r"flags: column 'a' must be boolean or 0/1"):
        cambridge_multimorbidity_score(flags, weights={"a": 1.0, "b": 1.0})


def test_name_clash_raises() -> None:
    flags = flags_frame([{"dementia"}]).assign(cms=1.0)
    with pytest.raises(SchemaError, match=r"flags: columns \['cms'\] would be overwritten"):
        cambridge_multimorbidity_score(flags)
    with pytest.raises(SchemaError, match=r"flags: columns \['dementia'\] would be overwritten"):
        cambridge_multimorbidity_score(flags_frame([{"dementia"}]), name="dementia")


def test_flags_must_be_a_table() -> None:
    with pytest.raises(SchemaError, match="flags: expected a data frame"):
        cambridge_multimorbidity_score([1, 0], weights={"a": 1.0})


# ------------------------------------------------------------------------------- CMS: backends


def test_cms_on_every_backend(backend: Backend) -> None:
    rows = [{"dementia", "hypertension"}, set(CONDITIONS), set(), {"copd", "heart_failure", "atrial_fibrillation"}]
    flags = flags_frame(rows, ints=True).rename(columns={"schizophrenia_bipolar": "smi"})
    expected = flags.assign(cms=[2.58, ALL_TWENTY, 0.0, 3.98])
    out = cambridge_multimorbidity_score(backend(flags), conditions={"schizophrenia_bipolar": "smi"})
    backend.assert_matches(out, expected, by="patient_id", rtol=0, atol=1e-12)


def test_cms_errors_on_every_backend(backend: Backend) -> None:
    flags = pd.DataFrame({"patient_id": [1, 2, 3], "a": [0, 1, 2]})
    with pytest.raises(DomainError, match=r"flags: column 'a' is not 0 or 1 in 1 row"):
        cambridge_multimorbidity_score(backend(flags), weights={"a": 1.0})


# ---------------------------------------------------------------------------- frailty: cut points

CUTS = [
    (0.0, "fit"),
    (0.05, "fit"),
    (0.12, "fit"),
    (0.1201, "mild"),
    (0.2, "mild"),
    (0.24, "mild"),
    (0.2401, "moderate"),
    (0.3, "moderate"),
    (0.36, "moderate"),
    (0.3601, "severe"),
    (0.5, "severe"),
    (1.0, "severe"),
]


@pytest.mark.parametrize(("score", "category"), CUTS)
def test_cut_points_from_both_sides(score: float, category: str) -> None:
    assert frailty_category([score]).tolist() == [category]


def test_cut_points_are_the_published_ones() -> None:
    assert bh.segmentation.EFI_CUT_POINTS == (0.12, 0.24, 0.36)
    assert bh.segmentation.FRAILTY_CATEGORIES == ("fit", "mild", "moderate", "severe")


def test_list_gives_an_ordered_categorical_with_missing_for_missing() -> None:
    out = frailty_category([0.1, None, float("nan"), 0.3, 0.37])
    assert isinstance(out, pd.Series)
    assert out.name == "frailty_category"
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert out.cat.ordered
    assert list(out.cat.categories) == ["fit", "mild", "moderate", "severe"]
    assert out.astype(object).where(out.notna(), None).tolist() == ["fit", None, None, "moderate", "severe"]
    assert out.iloc[0] < out.iloc[3] < out.iloc[4]  # ordered: fit < moderate < severe
    assert list(out.index) == [0, 1, 2, 3, 4]


def test_numpy_array_and_series_keep_their_values_and_index() -> None:
    values = [0.12, 0.1201, 0.36, 0.3601]
    expected = ["fit", "mild", "moderate", "severe"]
    assert frailty_category(np.array(values)).tolist() == expected
    series = pd.Series(values, index=["p9", "p3", "p7", "p1"], name="efi")
    out = frailty_category(series)
    assert list(out.index) == ["p9", "p3", "p7", "p1"]
    assert out.tolist() == expected
    assert out["p7"] == "moderate"


@pytest.mark.parametrize("bad", [-0.0001, 1.0001, float("inf"), float("-inf"), -1.0, 36.0])
def test_values_outside_zero_to_one_raise(bad: float) -> None:
    with pytest.raises(DomainError, match=r"efi: 1 scores are outside 0 to 1"):
        frailty_category([0.1, bad])


@pytest.mark.parametrize("bad", [["0.1", "high"], "0.1", 0.1])
def test_non_numbers_raise_a_schema_error(bad: Any) -> None:
    with pytest.raises(SchemaError, match="efi: "):
        frailty_category(bad)


# ------------------------------------------------------------------------------- frailty: tables


def test_table_gets_a_text_column_on_every_backend(backend: Backend) -> None:
    table = pd.DataFrame({"patient_id": range(1, len(CUTS) + 1), "efi_score": [s for s, _ in CUTS]})
    expected = table.assign(frailty_category=[c for _, c in CUTS])
    out = frailty_category(backend(table))
    if backend.lazy:
        assert backend.is_kind(out)  # stays lazy: nothing collected for the caller
    backend.assert_matches(out, expected, by="patient_id")


def test_missing_scores_in_a_table_have_no_category_on_every_backend(backend: Backend) -> None:
    # A missing score (NaN in pandas, null elsewhere) has no category, as in a list.
    table = pd.DataFrame({"patient_id": [1, 2, 3], "efi_score": [0.05, np.nan, 0.3]})
    expected = table.assign(frailty_category=["fit", None, "moderate"])
    backend.assert_matches(frailty_category(backend(table)), expected, by="patient_id")


def test_table_with_other_column_and_name() -> None:
    table = pd.DataFrame({"efi": [0.24, 0.2401], "efi_score": ["x", "y"]})
    out = frailty_category(table, "efi", name="frailty")
    assert out["frailty"].tolist() == ["mild", "moderate"]
    assert list(out.columns) == ["efi", "efi_score", "frailty"]


@pytest.mark.parametrize("bad", [-0.0001, 1.0001, float("inf"), float("-inf")])
def test_table_values_outside_zero_to_one_raise_on_every_backend(backend: Backend, bad: float) -> None:
    table = pd.DataFrame({"patient_id": [1, 2], "efi_score": [0.5, bad]})
    with pytest.raises(DomainError, match=r"efi: column 'efi_score' is outside 0 to 1 in 1 row"):
        to_pandas(frailty_category(backend(table)))


def test_table_bad_columns() -> None:
    with pytest.raises(SchemaError, match=r"efi: column 'efi_score' must hold numbers"):
        frailty_category(pd.DataFrame({"efi_score": ["0.1", "0.2"]}))
    with pytest.raises(SchemaError, match=r"column not found: column='efi_score'"):
        frailty_category(pd.DataFrame({"efi": [0.1]}))
    with pytest.raises(SchemaError, match=r"efi: columns \['frailty_category'\] would be overwritten"):
        frailty_category(pd.DataFrame({"efi_score": [0.1], "frailty_category": ["fit"]}))


def test_polars_text_column_raises_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"efi: column 'efi_score' must hold numbers"):
        frailty_category(pl.DataFrame({"efi_score": ["0.1"]}))


# ----------------------------------------------------------------------- frailty: synthetic data


def test_categories_agree_with_the_synthetic_generator() -> None:
    patients = bh.datasets.synthetic_blmk(scale=0.02).patients
    ours = frailty_category(patients["efi_score"])
    theirs = patients["frailty_category"]
    has_score = patients["efi_score"].notna()
    assert has_score.sum() > 1000  # enough scores to mean something
    assert set(theirs[has_score].astype(str)) == {"fit", "mild", "moderate", "severe"}
    # No score, no category, in both.
    assert ours[~has_score].isna().all()
    assert theirs[~has_score].isna().all()
    # The generator cut the unrounded score, so a rounded score exactly on a cut point may differ.
    on_cut = patients["efi_score"].isin([0.12, 0.24, 0.36])
    compare = has_score & ~on_cut
    assert (ours[compare].astype(str) == theirs[compare].astype(str)).all()
    # Rows on a cut point are the lower category by our rule, and the generator's is that or the next.
    lower = {0.12: "fit", 0.24: "mild", 0.36: "moderate"}
    upper = {0.12: "mild", 0.24: "moderate", 0.36: "severe"}
    for score, mine, generated in zip(patients["efi_score"][on_cut], ours[on_cut], theirs[on_cut], strict=True):
        assert mine == lower[score]
        assert generated in (lower[score], upper[score])
