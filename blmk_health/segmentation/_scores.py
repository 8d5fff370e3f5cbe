"""The Cambridge Multimorbidity Score and the electronic Frailty Index categories."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._frames import back_to_caller, ingest, is_frame, pandas_index
from blmk_health._validation import Check, check_choice, check_values, describe_values, reject_clashes, require_columns
from blmk_health.errors import DomainError, InputError, SchemaError

__all__ = [
    "CMS_GENERAL_WEIGHTS",
    "CMS_SOURCE",
    "EFI_CUT_POINTS",
    "EFI_SOURCE",
    "FRAILTY_CATEGORIES",
    "cambridge_multimorbidity_score",
    "frailty_category",
]

#: The 20-condition general-outcome weights of the Cambridge Multimorbidity Score (Payne et al. 2020).
CMS_GENERAL_WEIGHTS: dict[str, float] = {
    "alcohol_problems": 0.65,
    "anxiety_depression": 0.50,
    "asthma": 0.19,
    "atrial_fibrillation": 1.34,
    "cancer": 1.53,
    "chd": 0.49,
    "ckd": 0.53,
    "connective_tissue": 0.43,
    "constipation": 1.12,
    "copd": 1.46,
    "dementia": 2.50,
    "diabetes": 0.75,
    "epilepsy": 0.92,
    "hearing_loss": 0.09,
    "heart_failure": 1.18,
    "hypertension": 0.08,
    "ibs": 0.21,
    "painful_condition": 0.92,
    "schizophrenia_bipolar": 0.64,
    "stroke_tia": 0.80,
}

#: Citation and verification status of :data:`CMS_GENERAL_WEIGHTS`.
CMS_SOURCE = (
    "Payne RA, Mendonca SC, Elliott MN, et al. Development and validation of the Cambridge Multimorbidity "
    "Score. CMAJ 2020;192(5):E107-E114, doi:10.1503/cmaj.190757: general-outcome weights of the "
    "20-condition score. VERIFIED (secondary): the same 20 values appear in two independent public "
    "implementations (an OpenSAFELY ehrQL study and an R script for CPRD); not checked against the "
    "paper's appendix."
)

#: Upper bounds of the eFI categories fit, mild and moderate (above the last: severe).
EFI_CUT_POINTS = (0.12, 0.24, 0.36)
#: The eFI categories, least to most frail.
FRAILTY_CATEGORIES = ("fit", "mild", "moderate", "severe")
#: Citation and verification status of :data:`EFI_CUT_POINTS`.
EFI_SOURCE = (
    "Clegg A, Bates C, Young J, et al. Development and validation of an electronic frailty index using "
    "routine primary care electronic health record data. Age Ageing 2016;45(3):353-360, "
    "doi:10.1093/ageing/afw039: fit 0-0.12, mild >0.12-0.24, moderate >0.24-0.36, severe >0.36 "
    "(VERIFIED, as restated in secondary sources)."
)


def cambridge_multimorbidity_score(
    flags: Any,
    weights: str | Mapping[str, float] = "general",
    *,
    conditions: Mapping[str, str] | None = None,
    missing: str = "raise",
    name: str = "cms",
) -> Any:
    """The Cambridge Multimorbidity Score: the weighted sum of a patient's conditions.

    The score of Payne et al. (CMAJ 2020) predicts GP consultations, unplanned admissions and death from
    20 long-term conditions; ``weights="general"`` uses its general-outcome weights
    (:data:`CMS_GENERAL_WEIGHTS`; citation and verification status in :data:`CMS_SOURCE`). The authors
    report a c-statistic of 0.738 for an unplanned admission in the next year with the 20-condition
    score. Each condition counts when its flag is true (or 1); the score is the sum of the weights of the
    conditions present.

    The conditions and their names: alcohol_problems, anxiety_depression, asthma, atrial_fibrillation,
    cancer, chd, ckd, connective_tissue, constipation, copd, dementia, diabetes, epilepsy, hearing_loss,
    heart_failure, hypertension, ibs, painful_condition, schizophrenia_bipolar, stroke_tia. The score's
    definitions add time windows and medicines to some (cancer in the last five years, depression or
    anxiety in the last year or four prescriptions; constipation and painful condition by
    prescriptions); build the flags accordingly (e.g. :func:`blmk_health.records.condition_flags` with
    ``lookback``).

    Parameters
    ----------
    flags : DataFrame
        One row per patient with a boolean (or 0/1) column per condition (pandas, Polars, DuckDB,
        PySpark, ...; lazily on lazy frames).
    weights : "general" or dict, default "general"
        The published weights, or ``{column: weight}`` of your own (then ``conditions`` is not used).
    conditions : dict, optional
        ``{condition: column}`` where a column is named otherwise than the condition (e.g.
        ``{"anxiety_depression": "depression_anxiety"}``).
    missing : {"raise", "absent"}, default "raise"
        What to do when a condition has no column: raise, or count it as absent in every patient (with a
        warning naming the conditions; the score is then lower than the full score).
    name : str, default "cms"
        The name of the added column.

    Returns
    -------
    DataFrame
        ``flags`` (same kind) with the score added as a float column ``name``.

    Raises
    ------
    SchemaError
        A condition's column is missing (with ``missing="raise"``), is neither boolean nor numeric, or
        ``name`` would overwrite a column.
    DomainError
        A flag is missing (null) or a number other than 0 or 1.
    InputError
        Unknown weights, a condition that is not one of the score's, or a weight that is not a finite
        number.

    Warns
    -----
    UserWarning
        With ``missing="absent"``, the conditions counted as absent.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> flags = pd.DataFrame({"patient_id": [1, 2], "dementia": [True, False], "hypertension": [True, True]})
    >>> bh.segmentation.cambridge_multimorbidity_score(flags, {"dementia": 2.5, "hypertension": 0.08}).round(2)
       patient_id  dementia  hypertension   cms
    0           1      True          True  2.58
    1           2     False          True  0.08
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     scored = bh.segmentation.cambridge_multimorbidity_score(flags, missing="absent")
    >>> scored["cms"].round(2).tolist(), len(caught)
    ([2.58, 0.08], 1)
    """
    check_choice(missing, "missing", ("raise", "absent"))
    frame = ingest(flags, "flags")
    columns = _weighted_columns(weights, conditions)
    present = set(frame.columns)
    absent = sorted(c for c, col in columns.items() if col not in present)
    if absent and missing == "raise":
        msg = (
            f"flags: no column for {describe_values([columns[c] for c in absent], 20)}; add them, map them with "
            "conditions={condition: column}, or pass missing='absent' to count them as absent"
        )
        raise SchemaError(msg)
    if absent:
        msg = f"cambridge_multimorbidity_score: counted as absent in every patient: {', '.join(absent)}"
        warnings.warn(msg, UserWarning, stacklevel=2)
    used = {c: col for c, col in columns.items() if col in present}
    reject_clashes(frame.columns, [name], "flags")
    _check_flags(frame, list(used.values()))
    weight = _weights(weights)
    terms = [_as_number(frame, col) * weight[c] for c, col in used.items()]
    score = nw.sum_horizontal(*terms) if terms else nw.lit(0.0)
    return back_to_caller(frame.frame.with_columns(score.cast(nw.Float64).alias(name)), frame)


def _weights(weights: str | Mapping[str, float]) -> dict[str, float]:
    if isinstance(weights, str):
        check_choice(weights, "weights", ("general",))
        return dict(CMS_GENERAL_WEIGHTS)
    if not isinstance(weights, Mapping) or not weights:
        msg = f"weights: expected 'general' or a non-empty dict of column -> weight, got {weights!r}"
        raise InputError(msg)
    out: dict[str, float] = {}
    for column, given in weights.items():
        value: Any = given
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
            msg = f"weights: the weight of {column!r} must be a finite number, got {value!r}"
            raise InputError(msg)
        out[str(column)] = float(value)
    return out


def _weighted_columns(weights: str | Mapping[str, float], conditions: Mapping[str, str] | None) -> dict[str, str]:
    """Each weighted condition and the column holding its flag."""
    weight = _weights(weights)
    mapping = dict(conditions or {})
    if not isinstance(weights, str) and mapping:
        msg = "conditions: maps the score's condition names; with weights of your own, name the columns in weights"
        raise InputError(msg)
    unknown = sorted(set(mapping) - set(weight))
    if unknown:
        msg = f"conditions: {describe_values(unknown)} are not conditions of the score; they are {', '.join(weight)}"
        raise InputError(msg)
    return {c: mapping.get(c, c) for c in weight}


def _check_flags(frame: Any, columns: list[str]) -> None:
    schema = frame.schema
    checks = []
    for column in columns:
        dtype = schema[column]
        if dtype != nw.Boolean and not dtype.is_numeric():
            msg = f"flags: column {column!r} must be boolean or 0/1 but is {dtype}"
            raise SchemaError(msg)
        checks.append(Check.missing("flags", column, "is missing", "a flag is True or False for every patient"))
        if dtype != nw.Boolean:
            bad = ~nw.col(column).is_in([0, 1])
            checks.append(Check("flags", column, bad, "is not 0 or 1", "flags are True/False or 0/1"))
    check_values(frame, checks)


def _as_number(frame: Any, column: str) -> nw.Expr:
    return nw.col(column).cast(nw.Float64)


def frailty_category(efi: Any, column: str = "efi_score", *, name: str = "frailty_category") -> Any:
    """The frailty category of electronic Frailty Index scores: fit, mild, moderate or severe.

    The cut-points of Clegg et al. (Age Ageing 2016; :data:`EFI_SOURCE`): **fit** 0 to 0.12, **mild**
    above 0.12 to 0.24, **moderate** above 0.24 to 0.36, **severe** above 0.36 (each upper bound
    belongs to the lower category). The eFI is the share of 36 deficits present, so it lies between 0
    and 1; it is defined for people aged 65 and over, and a missing score has no category.

    Parameters
    ----------
    efi : DataFrame or sequence
        A table with the scores in ``column`` (pandas, Polars, DuckDB, PySpark, ...; lazily on lazy
        frames), or the scores themselves (a list, numpy array or pandas Series).
    column : str, default "efi_score"
        The column of scores, when ``efi`` is a table.
    name : str, default "frailty_category"
        The name of the column added to a table.

    Returns
    -------
    DataFrame or pandas.Series
        For a table, the same kind of table with a text column ``name`` added. For scores, an ordered
        categorical pandas Series (with the index of a pandas Series given).

    Raises
    ------
    DomainError
        A score below 0 or above 1 (infinite included). A missing score (null or NaN) has no category.
    SchemaError
        ``column`` is missing or not numeric, or ``name`` would overwrite a column.

    Examples
    --------
    >>> import blmk_health as bh
    >>> bh.segmentation.frailty_category([0.0, 0.12, 0.1201, 0.24, 0.36, 0.37, None]).tolist()
    ['fit', 'fit', 'mild', 'mild', 'moderate', 'severe', nan]
    """
    if not is_frame(efi):
        return _categories_of_values(efi)
    frame = ingest(efi, "efi")
    require_columns(frame, [("column", column)])
    if not frame.schema[column].is_numeric():
        msg = f"efi: column {column!r} must hold numbers (eFI scores 0 to 1) but is {frame.schema[column]}"
        raise SchemaError(msg)
    reject_clashes(frame.columns, [name], "efi")
    score = nw.col(column)
    known = ~score.is_nan()  # NaN is a missing score, as null is (Polars would rank NaN above every number)
    outside = known & ((score < 0) | (score > 1))
    check_values(frame, [Check("efi", column, outside, "is outside 0 to 1", "an eFI score is a share of 36 deficits")])
    category = (
        nw.when(known & (score <= EFI_CUT_POINTS[0]))
        .then(nw.lit(FRAILTY_CATEGORIES[0]))
        .when(known & (score <= EFI_CUT_POINTS[1]))
        .then(nw.lit(FRAILTY_CATEGORIES[1]))
        .when(known & (score <= EFI_CUT_POINTS[2]))
        .then(nw.lit(FRAILTY_CATEGORIES[2]))
        .when(known & (score > EFI_CUT_POINTS[2]))
        .then(nw.lit(FRAILTY_CATEGORIES[3]))
    )
    return back_to_caller(frame.frame.with_columns(category.alias(name)), frame)


def _categories_of_values(values: Any) -> pd.Series:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        msg = f"efi: expected a table or a sequence of eFI scores, got {type(values).__name__} {values!r}"
        raise SchemaError(msg)
    index = pandas_index(values)
    try:
        scores = pd.to_numeric(pd.Series(list(values), dtype=object), errors="raise").astype(float).to_numpy()
    except (TypeError, ValueError):
        msg = f"efi: eFI scores must be numbers; got {describe_values(list(values))}"
        raise SchemaError(msg) from None
    bad = ~np.isnan(scores) & ((scores < 0) | (scores > 1))
    bad |= np.isinf(scores)
    if bad.any():
        msg = (
            f"efi: {int(bad.sum())} scores are outside 0 to 1 (first: {describe_values(scores[bad])}); "
            "an eFI score is a share of 36 deficits"
        )
        raise DomainError(msg)
    codes = np.searchsorted(np.asarray(EFI_CUT_POINTS), scores, side="left")
    codes = np.where(np.isnan(scores), -1, codes)
    result = pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(list(FRAILTY_CATEGORIES)), ordered=True),
        name="frailty_category",
    )
    if index is not None:
        result.index = index
    return result
