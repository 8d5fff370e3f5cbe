"""Machinery shared by the indicator functions: argument checks, grouped sums, output columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from blmk_health._frames import Constant, Frame, as_list, collect, float_array, ingest
from blmk_health._validation import (
    check_positive_number,
    reject_clashes,
    require_columns,
    require_numeric,
)
from blmk_health.indicators._confidence import Confidence, parse_confidence

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


@dataclass(frozen=True)
class Agg:
    """A grouped aggregation other than a sum: ``len`` (rows), ``n_unique`` or ``std`` (n - 1) of a column."""

    kind: Literal["len", "n_unique", "std"]
    alias: str
    column: str | None = None

    def expr(self) -> nw.Expr:
        """The narwhals aggregation expression."""
        if self.kind == "len":
            return nw.len().alias(self.alias)
        if self.kind == "n_unique":
            return nw.col(str(self.column)).n_unique().alias(self.alias)
        return nw.col(str(self.column)).std(ddof=1).alias(self.alias)


def grouped_sums(
    frame: Frame,
    by: list[str],
    exprs: Mapping[str, nw.Expr | nw.Series[Any]],
    extra: Sequence[nw.Expr | Agg] = (),
    *,
    propagate_missing: bool = False,
    formula: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> nw.DataFrame[Any]:
    """Per-row values summed within ``by`` groups (all rows if ``by`` is empty), collected and sorted.

    ``exprs`` are the per-row input columns (narwhals expressions, or series of an eager frame). Without
    ``formula`` they are what is summed; with it, ``formula`` turns them into the per-row values to sum,
    using only arithmetic operators so that it works on narwhals expressions and numpy arrays alike.
    ``extra`` holds further aggregations: :class:`Agg` specifications (of input or data columns), or
    narwhals expressions (already aliased). The result is eager (pandas for pandas input, PyArrow
    otherwise), sorted by ``by`` with missing keys last. Missing values are skipped in the sums, unless
    ``propagate_missing``, when a group holding a missing value gets a missing sum.

    The sums are plain ``sum`` aggregations of added columns, so the query stays simple on every
    backend and runs lazily on lazy frames. Eager pandas input (with ``Agg``-only extras) takes a faster
    route with the same result: the inputs are evaluated once, the formula runs in numpy, the group keys
    are factorised once and the sums are ``numpy.bincount`` calls.
    """
    if frame.is_pandas and not frame.is_lazy and by and all(isinstance(e, Agg) for e in extra):
        aggs_only = [e for e in extra if isinstance(e, Agg)]
        return _pandas_grouped(frame, by, exprs, aggs_only, propagate_missing, formula)
    rows = frame.frame.with_columns(**dict(exprs))
    summed = list(exprs)
    if formula is not None:
        outputs = formula({name: nw.col(name) for name in exprs})
        rows = rows.with_columns(**dict(outputs))
        summed = list(outputs)
    aggs = [nw.col(name).sum() for name in summed] + [e.expr() if isinstance(e, Agg) else e for e in extra]
    if propagate_missing:
        rows = rows.with_columns(**{f"{name}{TMP}na": nw.col(name).is_null().cast(nw.Int64) for name in summed})
        aggs += [nw.col(f"{name}{TMP}na").sum() for name in summed]
    agg = rows.group_by(by).agg(*aggs) if by else rows.select(*aggs)
    if propagate_missing:
        agg = agg.with_columns(
            **{name: nw.when(nw.col(f"{name}{TMP}na") > 0).then(None).otherwise(nw.col(name)) for name in summed}
        ).drop([f"{name}{TMP}na" for name in summed])
    eager = collect(agg, frame)
    if by:
        eager = eager.sort(by, nulls_last=True)
    return eager


def _group_codes(table: pd.DataFrame, by: list[str]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group codes in sorted key order (missing keys last), and the first row of each group."""
    combined: npt.NDArray[np.int64] | None = None
    for column in by:
        codes, uniques = pd.factorize(table[column], use_na_sentinel=False)
        # sort the (few) distinct keys rather than the rows: much faster for strings
        order = pd.Series(uniques).sort_values(na_position="last", kind="stable").index.to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = rank[codes]
        combined = codes if combined is None else combined * len(uniques) + codes
    assert combined is not None
    if len(by) == 1:
        inverse, n_groups = combined, len(uniques)  # the ranked codes are already the group codes
    else:
        inverse, groups = pd.factorize(combined, sort=True)
        n_groups = len(groups)
    first = np.empty(n_groups, dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    return inverse, first


def _floats(values: pd.Series) -> FloatArray:
    if values.dtype.kind == "f":
        return np.asarray(values.to_numpy(), dtype=np.float64)
    return np.asarray(pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)


def _pandas_grouped(
    frame: Frame,
    by: list[str],
    exprs: Mapping[str, nw.Expr | nw.Series[Any]],
    extra: Sequence[Agg],
    propagate_missing: bool,
    formula: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None,
) -> nw.DataFrame[Any]:
    series = {name: e for name, e in exprs.items() if isinstance(e, nw.Series)}
    expressions = {name: e for name, e in exprs.items() if not isinstance(e, nw.Series)}
    wanted = [c for c in dict.fromkeys(e.column for e in extra if e.column) if c not in expressions]
    wanted = [c for c in wanted if c not in series]
    rows = frame.eager.select(*by, *wanted, **expressions).to_native()
    codes, first = _group_codes(rows, by)
    k = len(first)
    out = rows[by].iloc[first].reset_index(drop=True)

    def column(name: str) -> Any:
        return series[name].to_native() if name in series else rows[name]

    inputs = {name: _floats(column(name)) for name in exprs}
    per_row = dict(formula(inputs)) if formula is not None else inputs
    columns: dict[str, Any] = {}
    for name, raw in per_row.items():
        values = np.asarray(raw, dtype=float)
        missing = np.isnan(values)
        columns[name] = np.bincount(codes, np.where(missing, 0.0, values), minlength=k)
        if propagate_missing and missing.any():
            columns[name][np.bincount(codes, missing, minlength=k) > 0] = np.nan
    counts = np.bincount(codes, minlength=k).astype(np.int64)
    for agg in extra:
        if agg.kind == "len":
            columns[agg.alias] = counts
        elif agg.kind == "n_unique":
            value_codes, values_seen = pd.factorize(column(str(agg.column)), use_na_sentinel=False)
            width = max(len(values_seen), 1)
            pairs = codes.astype(np.int64) * width + value_codes
            if k * width <= max(4 * len(pairs), 1_000_000):
                seen = np.bincount(pairs, minlength=k * width).reshape(k, width) > 0
                columns[agg.alias] = seen.sum(axis=1)
            else:
                pairs = np.sort(pairs)
                distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
                columns[agg.alias] = np.bincount(distinct // width, minlength=k)
        else:
            values = _floats(column(str(agg.column)))
            present = ~np.isnan(values)
            n = np.bincount(codes, present.astype(float), minlength=k)
            with np.errstate(divide="ignore", invalid="ignore"):
                centre = np.bincount(codes, np.where(present, values, 0.0), minlength=k) / n
                squares = np.bincount(codes, np.where(present, (values - centre[codes]) ** 2, 0.0), minlength=k)
                columns[agg.alias] = np.where(n > 1, squares / (n - 1), np.nan) ** 0.5
    result = pd.concat([out, pd.DataFrame(columns)], axis=1)
    return nw.from_native(result, eager_only=True)


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
