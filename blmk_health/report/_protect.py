"""Small-number protection of the tidy indicator table, before it is published."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

import blmk_health as bh
from blmk_health.errors import DomainError, SchemaError
from blmk_health.report._compute import INDICATOR_COLUMNS

__all__ = ["protect_small_numbers"]

#: Output columns whose numbers are not counts of people: staff full-time equivalents and modelled
#: expected cases. They are published as they are.
_NOT_PEOPLE = {"staff", "expected"}

Recomputed = tuple[np.ndarray, np.ndarray, np.ndarray]


def _from_function(function: Callable[..., pd.DataFrame]) -> Callable[[np.ndarray, np.ndarray, float], Recomputed]:
    def recompute(numerator: np.ndarray, denominator: np.ndarray, multiplier: float) -> Recomputed:
        counts = pd.DataFrame({"x": numerator, "n": denominator})
        result = function(counts, "x", "n", multiplier=multiplier, metadata=False)
        return result["value"].to_numpy(), result["lowercl"].to_numpy(), result["uppercl"].to_numpy()

    return recompute


def _ratio(numerator: np.ndarray, denominator: np.ndarray, multiplier: float) -> Recomputed:
    """A ratio of counts that are not samples (patients per GP FTE, expected prevalence): no limits."""
    blank = np.full(len(numerator), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator * multiplier, np.nan), blank, blank


def _observed_over_expected(numerator: np.ndarray, denominator: np.ndarray, multiplier: float) -> Recomputed:
    """Recorded / expected with the limits of an indirectly standardised ratio (exact below 10, Byars)."""
    ci = bh.indicators.ci
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(denominator > 0, multiplier / denominator, np.nan)
        return numerator * scale, ci.poisson_lower(numerator) * scale, ci.poisson_upper(numerator) * scale


def _difference(numerator: np.ndarray, denominator: np.ndarray, multiplier: float) -> Recomputed:
    """Expected minus recorded (the estimated undiagnosed): no limits."""
    blank = np.full(len(numerator), np.nan)
    return denominator - numerator, blank, blank


#: How a value is recomputed from its published numerator and denominator, by the definition's function
#: and the output column its value comes from; other values (standardised rates, life expectancy) are
#: computed from counts that are not published and are kept.
_RECOMPUTED: dict[tuple[str, str], Callable[[np.ndarray, np.ndarray, float], Recomputed]] = {
    ("crude_rate", "value"): _from_function(bh.indicators.crude_rate),
    ("proportion", "value"): _from_function(bh.indicators.proportion),
    ("treatment_gap", "value"): _from_function(bh.indicators.proportion),
    ("patients_per_gp", "value"): _ratio,
    ("patients_per_gp", "staff_per_10000"): _ratio,
    ("prevalence_gap", "expected_prevalence"): _ratio,
    ("prevalence_gap", "value"): _observed_over_expected,
    ("prevalence_gap", "undiagnosed"): _difference,
}


def protect_small_numbers(table: pd.DataFrame, *, threshold: int = 7, round_to: int = 5) -> pd.DataFrame:
    """Suppress small counts and round the others, then recompute or blank what depended on them.

    The convention of OpenSAFELY and NHS England's published statistics, applied to the tidy table of
    :func:`compute_indicators`: a numerator or denominator from 1 to ``threshold`` is removed, every
    other count is rounded to the nearest ``round_to`` (0 stays 0) - counts of people, that is: staff
    full-time equivalents (of patients per GP) and modelled expected cases (of the detection ratio) are
    published as they are - and then

    - values that are a function of the published numerator and denominator alone are recomputed from
      them, with their limits, or blanked when a count was removed: rates and proportions (Wilson),
      crude rates of emergency admissions, treatment gaps, patients per GP FTE and GP FTE per 10,000,
      expected prevalence, the detection ratio (recorded / expected, Poisson limits) and the estimated
      undiagnosed (expected - recorded);
    - other statistics (standardised rates, life expectancy, ...) are computed from counts that are not
      published (per age band), so their value is kept when its numerator survives and blanked when it
      was removed.

    Rows whose value was removed have ``suppressed = True`` and ``status`` ``"suppressed: a count of 7
    or fewer"``; the others keep their status (the report says that every count it publishes is
    rounded). Counts in neighbouring
    areas can still let a removed count be worked out (secondary disclosure); hierarchy-aware
    protection is a later addition.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (:data:`INDICATOR_COLUMNS`).
    threshold : int, default 7
        Counts from 1 to this are removed.
    round_to : int, default 5
        Other counts are rounded to a multiple of this (1 leaves them as they are).

    Returns
    -------
    pandas.DataFrame
        A new table; the input is not changed.

    Raises
    ------
    SchemaError
        The table lacks a column of the tidy schema.
    DomainError
        ``threshold`` below 0 or ``round_to`` below 1.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> table = bh.report.compute_indicators(
    ...     bh.report.DataBundle.synthetic_blmk(scale=0.02), indicators=["recorded_prevalence_hypertension"]
    ... )
    >>> safe = bh.report.protect_small_numbers(table)
    >>> bool((safe["numerator"].dropna() % 5 == 0).all()), bool(safe["suppressed"].any())
    (True, True)
    """
    _check_arguments(table, threshold, round_to)
    out = table.copy()
    removed = pd.Series(False, index=out.index)
    changed = pd.Series(False, index=out.index)
    catalogue = bh.indicators.catalogue().set_index("id")
    for column in ("numerator", "denominator"):
        people = ~_not_people(out["indicator_id"], column, catalogue)
        small = (out[column] >= 1) & (out[column] <= threshold) & people
        published = _rounded(out[column], round_to).mask(small).where(people, out[column])
        removed |= small
        changed |= small | (published != out[column]) & out[column].notna()
        out[column] = published
    how = out["indicator_id"].map(_recomputation(catalogue))
    redo = changed & ~removed & out["value"].notna() & how.notna()
    for key, recompute in _RECOMPUTED.items():
        _recompute(out, redo & (how == key), recompute, out["indicator_id"].map(catalogue["multiplier"]))
    out.loc[removed, ["value", "lower", "upper"]] = np.nan
    out.loc[removed, "status"] = f"suppressed: a count of {threshold} or fewer"
    out["suppressed"] = table["suppressed"].astype(bool) | removed
    return out


def _not_people(ids: pd.Series, column: str, catalogue: pd.DataFrame) -> pd.Series:
    """Rows whose ``column`` holds a count that is not of people (staff FTE): it is published as it is."""
    outputs = ids.map(catalogue["output"])
    return outputs.map(lambda output: isinstance(output, dict) and output.get(column) in _NOT_PEOPLE).astype(bool)


def _check_arguments(table: pd.DataFrame, threshold: int, round_to: int) -> None:
    missing = [c for c in INDICATOR_COLUMNS if c not in table.columns]
    if missing:
        msg = f"table: not an indicator table from compute_indicators(): no column(s) {missing}"
        raise SchemaError(msg)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        msg = f"threshold: expected a whole number >= 0, got {threshold!r}"
        raise DomainError(msg)
    if isinstance(round_to, bool) or not isinstance(round_to, int) or round_to < 1:
        msg = f"round_to: expected a whole number >= 1, got {round_to!r}"
        raise DomainError(msg)


def _rounded(counts: pd.Series, round_to: int) -> pd.Series:
    """Counts rounded half up to the nearest multiple of ``round_to`` (missing stays missing)."""
    rounded: pd.Series = np.floor(counts / round_to + 0.5) * round_to
    return rounded


#: Functions whose value is a crude rate of the published counts when their definition asks for no
#: standardisation (their standardised values are computed from counts by age band, and kept).
_CRUDE_UNLESS_STANDARDISED = {"emergency_admissions", "acsc_admissions"}


def _recomputation(catalogue: pd.DataFrame) -> pd.Series:
    """Each definition's key in :data:`_RECOMPUTED` (``None`` when its value is not recomputed)."""
    keys = {}
    for indicator, row in catalogue.iterrows():
        output = row["output"] if isinstance(row["output"], dict) else {}
        options = row["options"] if isinstance(row["options"], dict) else {}
        key = (str(row["function"]), str(output.get("value", "value")))
        if key[0] in _CRUDE_UNLESS_STANDARDISED and key[1] == "value" and options.get("standardise") == "crude":
            key = ("crude_rate", "value")
        keys[indicator] = key if key in _RECOMPUTED else None
    return pd.Series(keys, dtype=object)


def _recompute(
    out: pd.DataFrame,
    rows: pd.Series,
    recompute: Callable[[np.ndarray, np.ndarray, float], Recomputed],
    multipliers: pd.Series,
) -> None:
    """The value and limits of ``rows`` from their published counts (each row is its own area)."""
    for multiplier in multipliers[rows].unique():
        these = rows & (multipliers == multiplier)
        numerator = out.loc[these, "numerator"].to_numpy(dtype=float)
        denominator = out.loc[these, "denominator"].to_numpy(dtype=float)
        out.loc[these, ["value", "lower", "upper"]] = np.column_stack(
            recompute(numerator, denominator, float(multiplier))
        )
