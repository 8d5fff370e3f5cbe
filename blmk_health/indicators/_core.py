"""Machinery shared by the indicator functions: argument checks, grouped sums, output columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._frames import Frame, as_list, collect, float_array, ingest
from blmk_health._validation import (
    check_positive_number,
    reject_clashes,
    require_columns,
    require_numeric,
)
from blmk_health.indicators._confidence import Confidence, parse_confidence

__all__ = [
    "TMP",
    "Prepared",
    "confidence_columns",
    "grouped_sums",
    "metadata_columns",
    "prepare",
]

FloatArray = npt.NDArray[np.float64]

#: Prefix of temporary column names, chosen not to clash with a caller's columns.
TMP = "__bh_"


class Prepared:
    """Checked arguments of an indicator call."""

    def __init__(
        self, frame: Frame, by: list[str], confidence: Confidence, multiplier: float, outputs: list[str]
    ) -> None:
        self.frame = frame
        self.by = by
        self.confidence = confidence
        self.multiplier = multiplier
        self.outputs = outputs


def prepare(
    data: Any,
    *,
    columns: Sequence[tuple[str, str]],
    numeric: Sequence[tuple[str, str]],
    by: str | Sequence[str] | None,
    confidence: Any,
    multiplier: Any = 1,
    output: Callable[[Confidence], Sequence[str]] = lambda _: (),
) -> Prepared:
    """Check the common arguments of an indicator function and wrap ``data``.

    ``columns`` are ``(argument, column)`` pairs that must exist, ``numeric`` those that must be
    numeric, and ``output`` gives the names of the result columns (from the parsed confidence), which
    must not clash with ``by``.
    """
    frame = ingest(data)
    by_cols = as_list(by, "by")
    conf = parse_confidence(confidence)
    mult = check_positive_number(multiplier, "multiplier")
    require_columns(frame, [*columns, *[("by", c) for c in by_cols]])
    require_numeric(frame, numeric)
    outputs = list(output(conf))
    reject_clashes(by_cols, outputs, "by")
    return Prepared(frame, by_cols, conf, mult, outputs)


def grouped_sums(
    frame: Frame,
    by: list[str],
    exprs: Mapping[str, nw.Expr],
    extra: Sequence[nw.Expr] = (),
) -> nw.DataFrame[Any]:
    """Per-row ``exprs`` summed within ``by`` groups (all rows if ``by`` is empty), collected and sorted.

    The per-row columns are added first and then summed with plain ``sum`` aggregations, so that the
    query stays simple on every backend and runs lazily on lazy frames. ``extra`` holds further plain
    aggregations (already aliased). The result is eager (pandas for pandas input, PyArrow otherwise),
    sorted by ``by`` with missing keys last.
    """
    rows = frame.frame.with_columns(**dict(exprs))
    aggs = [nw.col(name).sum() for name in exprs] + list(extra)
    agg = rows.group_by(by).agg(*aggs) if by else rows.select(*aggs)
    eager = collect(agg, frame)
    if by:
        eager = eager.sort(by, nulls_last=True)
    return eager


def sum_with_missing(
    frame: Frame, by: list[str], columns: Mapping[str, str]
) -> tuple[nw.DataFrame[Any], dict[str, FloatArray]]:
    """Group sums in which a missing value anywhere in a group makes that group's sum missing.

    ``columns`` maps an output name to a column of the data. Returns the eager aggregate (for its key
    columns) and the sums as float arrays, NaN where the group held a missing value.
    """
    exprs: dict[str, nw.Expr] = {}
    for name, column in columns.items():
        exprs[f"{TMP}{name}"] = nw.col(column).cast(nw.Float64).fill_null(0)
        exprs[f"{TMP}{name}_na"] = nw.col(column).is_null().cast(nw.Int64)
    eager = grouped_sums(frame, by, exprs)
    sums = {}
    for name in columns:
        total = float_array(eager, f"{TMP}{name}")
        missing = float_array(eager, f"{TMP}{name}_na")
        sums[name] = np.where(missing > 0, np.nan, total)
    return eager, sums


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
) -> dict[str, npt.NDArray[np.object_]]:
    """The ``confidence``, ``statistic`` and ``method`` columns."""

    def column(value: str | npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
        if isinstance(value, str):
            return np.full(n_rows, value, dtype=object)
        return value

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
