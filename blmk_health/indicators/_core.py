"""Machinery shared by the indicator functions: argument checks, grouped sums, output columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._confidence import Confidence, parse_confidence
from blmk_health._frames import TMP, Agg, Constant, Frame, as_list, float_array, grouped_sums, ingest
from blmk_health._validation import (
    check_positive_number,
    reject_clashes,
    require_columns,
    require_numeric,
)

__all__ = [
    "TMP",
    "Agg",
    "Prepared",
    "confidence_columns",
    "grouped_sums",
    "metadata_columns",
    "prepare",
]

FloatArray = npt.NDArray[np.float64]


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
