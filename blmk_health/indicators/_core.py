"""Machinery shared by the indicator functions: group sums, output columns and their metadata.

Arguments are checked by :func:`blmk_health._inputs.prepare` (the one path in); grouped sums and the
return to the caller's kind of frame are in :mod:`blmk_health._frames`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._confidence import Confidence
from blmk_health._frames import TMP, Constant, Frame, Integers, float_array, grouped_sums
from blmk_health.indicators import ci

__all__ = [
    "METADATA",
    "confidence_columns",
    "counts",
    "group_ids",
    "keys_of",
    "metadata_columns",
    "normal_limits",
    "poisson_method",
    "sum_with_missing",
]

#: The metadata columns every statistic adds unless ``metadata=False``.
METADATA = ("confidence", "statistic", "method")

FloatArray = npt.NDArray[np.float64]


def sum_with_missing(
    frame: Frame, by: list[str], columns: Mapping[str, str]
) -> tuple[nw.DataFrame[Any], dict[str, FloatArray]]:
    """Group sums in which a missing value anywhere in a group makes that group's sum missing.

    ``columns`` maps an output name to a column of the data. Returns the eager aggregate (for its key
    columns) and the sums as float arrays, NaN where the group held a missing value.
    """
    exprs = {f"{TMP}{name}": nw.col(column).cast(nw.Float64) for name, column in columns.items()}
    eager = grouped_sums(frame, by, exprs, propagate_missing=True)
    return eager, {name: float_array(eager, f"{TMP}{name}") for name in columns}


def confidence_columns(
    confidence: Confidence,
    limits: Callable[[float], tuple[FloatArray, FloatArray]],
    prefix: str = "",
) -> dict[str, FloatArray]:
    """Lower and upper limit columns for every requested level, named as the reference names them."""
    out: dict[str, FloatArray] = {}
    for level, (lower_name, upper_name) in zip(confidence.levels, confidence.names(prefix), strict=True):
        lower, upper = limits(level)
        out[lower_name] = lower
        out[upper_name] = upper
    return out


def metadata_columns(
    n_rows: int,
    confidence: Confidence,
    statistic: str | npt.NDArray[np.object_],
    method: str | npt.NDArray[np.object_],
) -> dict[str, npt.NDArray[np.object_] | Constant]:
    """The ``confidence``, ``statistic`` and ``method`` columns (a text repeated on ``n_rows`` rows, or one per row)."""

    def column(value: str | npt.NDArray[np.object_]) -> npt.NDArray[np.object_] | Constant:
        return Constant(value, n_rows) if isinstance(value, str) else value

    return {
        "confidence": column(confidence.label),
        "statistic": column(statistic),
        "method": column(method),
    }


def poisson_method(observed: FloatArray, threshold: float = 10) -> npt.NDArray[np.object_]:
    """``"Exact"`` below the threshold, ``"Byars"`` from it, missing where the count is missing."""
    out = np.where(observed < threshold, "Exact", "Byars").astype(object)
    out[np.isnan(observed)] = None
    return out


def keys_of(eager: nw.DataFrame[Any], by: list[str]) -> nw.DataFrame[Any] | None:
    """The ``by`` columns of an aggregate (``None`` when ungrouped)."""
    return eager.select(by) if by else None


def normal_limits(confidence: Confidence, value: FloatArray, se: FloatArray) -> dict[str, FloatArray]:
    """``value -/+ z se`` at every requested level (z the exact normal quantile), named as the reference does."""
    out: dict[str, FloatArray] = {}
    for level, (lower, upper) in zip(confidence.levels, confidence.names(), strict=True):
        z = ci.z_value(level)
        out[lower] = value - z * se
        out[upper] = value + z * se
    return out


def counts(values: FloatArray, integer: bool) -> FloatArray | Integers:
    """Summed counts as integers when the input column was of an integer type, else as floats."""
    return Integers(values) if integer else values


def group_ids(eager: nw.DataFrame[Any], by: list[str]) -> npt.NDArray[np.int64]:
    """Consecutive group numbers of an eager frame already sorted by ``by`` (0 for every row without ``by``)."""
    if not by or len(eager) == 0:
        return np.zeros(len(eager), dtype=np.int64)
    keys = eager.select(by).to_pandas()
    ids = keys.groupby(by, dropna=False, sort=False, observed=True).ngroup()
    return np.asarray(ids.to_numpy(), dtype=np.int64)
