"""Crude rates, proportions and means with confidence intervals (PHEindicatormethods methods)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np

from blmk_health._confidence import Confidence, format_multiplier
from blmk_health._frames import TMP, Agg, assemble, collect, float_array, grouped_sums, is_integer_column
from blmk_health._inputs import Prepared, prepare
from blmk_health._validation import Check, check_values, describe_values, reject_clashes
from blmk_health.errors import DomainError
from blmk_health.indicators import ci
from blmk_health.indicators._core import (
    METADATA,
    FloatArray,
    confidence_columns,
    counts,
    keys_of,
    metadata_columns,
    poisson_method,
    sum_with_missing,
)

__all__ = ["crude_rate", "mean", "proportion"]


def _output_names(conf: Confidence, extra: Sequence[str] = ()) -> list[str]:
    return ["value", *extra, *METADATA, *conf.limit_names()]


@dataclass(frozen=True)
class _Counts:
    """Numerators and denominators of a count ratio: one per row, or summed per group."""

    keys: Any
    x: FloatArray
    n: FloatArray
    rowwise: bool


def _rowwise_or_grouped(prepared: Prepared, x: str, n: str) -> _Counts:
    """Keys, numerators and denominators: per row when ungrouped, summed per group otherwise."""
    frame = prepared.frame
    if prepared.by:
        eager, sums = sum_with_missing(frame, prepared.by, {"x": x, "n": n})
        return _Counts(keys_of(eager, prepared.by), sums["x"], sums["n"], rowwise=False)
    reject_clashes(frame.columns, prepared.outputs, "data")
    eager = collect(frame.frame, frame)
    return _Counts(eager, float_array(eager, x), float_array(eager, n), rowwise=True)


def _check_group_denominators(found: _Counts, by: list[str], n: str) -> None:
    """Refuse groups whose denominators sum to zero (rows of zero are allowed within a positive group)."""
    with np.errstate(invalid="ignore"):
        empty = np.flatnonzero(found.n <= 0)
    if not len(empty):
        return
    rows = found.keys[empty[:5]].rows()
    shown = describe_values([row if len(row) > 1 else row[0] for row in rows])
    msg = (
        f"n: column {n!r} sums to zero in {len(empty)} group(s) of {by!r} (first: {shown}); "
        "each group's denominator must be > 0"
    )
    raise DomainError(msg)


def crude_rate(
    data: Any,
    x: str,
    n: str,
    by: str | Sequence[str] | None = None,
    multiplier: float = 100_000,
    confidence: float | Sequence[float] = 0.95,
    metadata: bool = True,
) -> Any:
    """Crude rates with confidence limits: exact Poisson below 10 events, Byars from 10.

    ``value = x / n * multiplier``. The limits of the count (:func:`ci.poisson_lower`,
    :func:`ci.poisson_upper`) are divided by ``n`` and multiplied by ``multiplier``. There is no
    suppression. A numerator larger than its denominator is allowed (a rate is not a proportion).

    Parameters
    ----------
    data : DataFrame
        pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame narwhals supports.
    x : str
        Column of event counts (>= 0).
    n : str
        Column of denominators, usually populations: > 0 on every row without ``by``; with ``by``,
        rows may be 0 (an age band with nobody in it) but each group's total must be > 0.
    by : str or list of str, optional
        Grouping columns. Counts and denominators are summed within each group first, and the result
        has one row per group, sorted by ``by``; the summed columns keep an integer type when the
        input columns have one. Without ``by`` each row is its own area (the rows are kept, in order,
        with all their columns), as in the reference.
    multiplier : float, default 100000
        Scale of the rate (per 100,000 people by default).
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    metadata : bool, default True
        Add the ``confidence``, ``statistic`` and ``method`` columns.

    Returns
    -------
    DataFrame
        Of the kind given: ``by`` columns (grouped) or the input columns (ungrouped), then ``x``
        and ``n`` totals (grouped), ``value``, ``lowercl``, ``uppercl`` (or ``lower95_0cl``,
        ``upper95_0cl``, ``lower99_8cl``, ``upper99_8cl``), and the metadata. ``method`` is
        ``"Exact"`` or ``"Byars"`` per row.

    Raises
    ------
    SchemaError
        A named column is missing or not numeric.
    DomainError
        Negative counts or denominators, a zero denominator (on a row without ``by``, or as a group's
        total with ``by``), ``multiplier <= 0`` or a bad ``confidence``.

    Notes
    -----
    Missing values follow the reference: a row with a missing count or denominator gets a missing
    rate (it is not an error), and a group holding any missing value gets a missing rate.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({"area": ["A", "B"], "deaths": [5, 65], "pop": [100, 100]})
    >>> out = bh.indicators.crude_rate(df, "deaths", "pop", multiplier=100)
    >>> out[["area", "value", "lowercl", "uppercl", "method"]].round(3)
      area  value  lowercl  uppercl method
    0    A    5.0    1.623   11.668  Exact
    1    B   65.0   50.163   82.849  Byars
    """
    return _count_ratio(
        data,
        x,
        n,
        by,
        multiplier,
        confidence,
        metadata,
        checks=[Check.below("x", x, 0, "has a negative count", "counts must be >= 0")],
        limits=lambda xs, ns, level: (ci.poisson_lower(xs, level) / ns, ci.poisson_upper(xs, level) / ns),
        statistic=lambda mult: f"rate per {format_multiplier(mult)}",
        method=poisson_method,
    )


def proportion(
    data: Any,
    x: str,
    n: str,
    by: str | Sequence[str] | None = None,
    multiplier: float = 1,
    confidence: float | Sequence[float] = 0.95,
    metadata: bool = True,
) -> Any:
    """Proportions with Wilson score confidence limits.

    ``value = x / n * multiplier`` with limits :func:`ci.wilson_lower` and :func:`ci.wilson_upper`
    times ``multiplier``. ``multiplier=100`` gives percentages.

    Parameters
    ----------
    data : DataFrame
        pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame narwhals supports.
    x : str
        Column of numerators (0 <= x <= n).
    n : str
        Column of denominators: > 0 on every row without ``by``; with ``by``, rows may be 0 but each
        group's total must be > 0.
    by : str or list of str, optional
        Grouping columns; numerators and denominators are summed within each group (keeping an
        integer type) and the result has one row per group, sorted by ``by``. Without ``by`` each
        row is its own area (rows kept in order with all their columns).
    multiplier : float, default 1
        1 for a proportion, 100 for a percentage.
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    metadata : bool, default True
        Add the ``confidence``, ``statistic`` (``"percentage"`` or ``"proportion of 1"``) and
        ``method`` (``"Wilson"``) columns.

    Returns
    -------
    DataFrame
        Of the kind given, with ``value`` and the limit columns (and, grouped, the ``x`` and ``n``
        totals).

    Raises
    ------
    SchemaError
        A named column is missing or not numeric.
    DomainError
        Negative numerators or denominators, a zero denominator (per row without ``by``, per group
        total with ``by``), a numerator above its denominator, ``multiplier <= 0`` or a bad
        ``confidence``.

    Notes
    -----
    A row with a missing numerator or denominator gets a missing value (not an error), as in the
    reference; so does a group holding any missing value.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({"practice": ["P1", "P2"], "smokers": [65, 20], "list": [100, 100]})
    >>> bh.indicators.proportion(df, "smokers", "list", multiplier=100, metadata=False).round(2)
      practice  smokers  list  value  lowercl  uppercl
    0       P1       65   100   65.0    55.25    73.64
    1       P2       20   100   20.0    13.34    28.88
    """
    return _count_ratio(
        data,
        x,
        n,
        by,
        multiplier,
        confidence,
        metadata,
        checks=[
            Check.below("x", x, 0, "has a negative numerator", "numerators must be >= 0"),
            Check(
                "x",
                x,
                nw.col(x) > nw.col(n),
                f"is greater than the denominator {n!r}",
                "a proportion's numerator must not exceed its denominator",
            ),
        ],
        limits=lambda xs, ns, level: (ci.wilson_lower(xs, ns, level), ci.wilson_upper(xs, ns, level)),
        statistic=lambda mult: "percentage" if mult == 100 else f"proportion of {format_multiplier(mult)}",
        method=lambda xs: "Wilson",
    )


def _count_ratio(
    data: Any,
    x: str,
    n: str,
    by: str | Sequence[str] | None,
    multiplier: float,
    confidence: float | Sequence[float],
    metadata: bool,
    *,
    checks: list[Check],
    limits: Callable[[FloatArray, FloatArray, float], tuple[FloatArray, FloatArray]],
    statistic: Callable[[float], str],
    method: Callable[[FloatArray], Any],
) -> Any:
    """The shared body of :func:`crude_rate` and :func:`proportion`: ``x / n * multiplier`` with limits.

    ``limits`` gives the limits of ``x / n`` at one level; ``checks`` are the numerator's rules. A
    denominator must be > 0 on every row of an ungrouped table (each row is an area); in a grouped
    table rows of zero are allowed and each group's total must be > 0.
    """
    prepared = prepare(
        data,
        numeric=[("x", x), ("n", n)],
        by=by,
        confidence=confidence,
        multiplier=multiplier,
        outputs=_output_names,
    )
    frame = prepared.frame
    if prepared.by:
        denominator = Check.below("n", n, 0, "has a negative denominator", "denominators must be >= 0")
    else:
        denominator = Check.below(
            "n", n, 0, "has a zero or negative denominator", "denominators must be > 0", inclusive=True
        )
    check_values(frame, [checks[0], denominator, *checks[1:]])
    found = _rowwise_or_grouped(prepared, x, n)
    if not found.rowwise:
        _check_group_denominators(found, prepared.by, n)
    xs, ns, mult = found.x, found.n, prepared.multiplier
    columns: dict[str, Any] = {}
    if not found.rowwise:
        columns = {x: counts(xs, is_integer_column(frame, x)), n: counts(ns, is_integer_column(frame, n))}
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["value"] = xs / ns * mult

        def scaled(level: float) -> tuple[FloatArray, FloatArray]:
            lower, upper = limits(xs, ns, level)
            return lower * mult, upper * mult

        columns.update(confidence_columns(prepared.confidence, scaled))
    if metadata:
        columns.update(metadata_columns(len(xs), prepared.confidence, statistic(mult), method(xs)))
    return assemble(found.keys, columns, frame, keep_index=found.rowwise)


def mean(
    data: Any,
    x: str,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
    metadata: bool = True,
) -> Any:
    """Means with Student's t confidence limits, per group.

    ``value = value_sum / value_count`` and the limits are
    ``value -/+ |qt((1 - c) / 2, n - 1)| * stdev / sqrt(n)`` with ``stdev`` the sample standard
    deviation (n - 1 denominator).

    Parameters
    ----------
    data : DataFrame
        pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame narwhals supports.
    x : str
        Numeric column to average.
    by : str or list of str, optional
        Grouping columns; one result row per group, sorted by ``by``. Without ``by``, one row for all
        rows.
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    metadata : bool, default True
        Add ``confidence``, ``statistic`` (``"mean"``) and ``method``
        (``"Student's t-distribution"``).

    Returns
    -------
    DataFrame
        ``by`` columns, ``value_sum``, ``value_count``, ``stdev``, ``value``, the limits and the
        metadata.

    Raises
    ------
    SchemaError
        ``x`` or a ``by`` column is missing, or ``x`` is not numeric.
    DomainError
        A bad ``confidence``.

    Notes
    -----
    As in the reference, ``value_count`` counts every row of the group, and a group holding a
    missing value gets missing ``value_sum``, ``stdev``, ``value`` and limits. A group of one row has
    no standard deviation, so its limits are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({"place": ["Luton"] * 4, "bmi": [24.0, 31.5, 27.2, 29.9]})
    >>> bh.indicators.mean(df, "bmi", by="place", metadata=False).round(3)
       place  value_sum  value_count  stdev   value  lowercl  uppercl
    0  Luton      112.6            4  3.287  28.15    22.92    33.38
    """
    prepared = prepare(
        data,
        numeric=[("x", x)],
        by=by,
        confidence=confidence,
        outputs=lambda conf: _output_names(conf, ("value_sum", "value_count", "stdev")),
    )
    frame = prepared.frame
    eager = grouped_sums(
        frame,
        prepared.by,
        {f"{TMP}sum": nw.col(x).cast(nw.Float64), f"{TMP}na": nw.col(x).is_null().cast(nw.Int64)},
        extra=[Agg("len", f"{TMP}len"), Agg("std", f"{TMP}sd", f"{TMP}sum")],
    )
    missing = float_array(eager, f"{TMP}na") > 0
    total = np.where(missing, np.nan, float_array(eager, f"{TMP}sum"))
    count = float_array(eager, f"{TMP}len")
    sd = np.where(missing, np.nan, float_array(eager, f"{TMP}sd"))
    value = total / count
    columns: dict[str, Any] = {
        "value_sum": total,
        "value_count": count.astype(np.int64),
        "stdev": sd,
        "value": value,
    }
    columns.update(
        confidence_columns(
            prepared.confidence,
            lambda level: (ci.student_t_lower(value, sd, count, level), ci.student_t_upper(value, sd, count, level)),
        )
    )
    if metadata:
        columns.update(metadata_columns(len(value), prepared.confidence, "mean", "Student's t-distribution"))
    return assemble(keys_of(eager, prepared.by), columns, frame)
