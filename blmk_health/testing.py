"""Assertions for tests of tools built on blmk_health, as :mod:`geopandas.testing` is for GeoPandas.

:func:`assert_indicator_frame_equal` compares two indicator tables by value, whatever kind of frame
each one is (pandas, Polars, PyArrow, DuckDB, PySpark, ...): a pipeline run on Spark can be checked
against the same pipeline run on pandas, or against a stored expected table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from blmk_health._frames import as_list, ingest, to_pandas

__all__ = ["assert_indicator_frame_equal"]

#: How many differing rows a failure message lists for each column.
_SHOWN = 10


@dataclass(frozen=True)
class _Table:
    """One side of the comparison: its column names, dtypes and values (numeric columns as floats)."""

    side: str
    names: list[str]
    dtypes: dict[str, str]
    numeric: set[str]
    values: pd.DataFrame


def assert_indicator_frame_equal(
    left: Any,
    right: Any,
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
    check_column_order: bool = True,
    check_row_order: bool = True,
    by: str | Sequence[str] | None = None,
    check_dtype: bool = False,
) -> None:
    """Assert that two indicator tables hold the same values, whatever kind of frame each one is.

    The column names, the number of rows and every value are compared. Numeric columns are compared
    element-wise with a relative and an absolute tolerance, and must have missing values in the same
    places (NaN and null both count as missing, so a pandas NaN equals a Polars or Arrow null). Text
    and other columns are compared exactly (categoricals by their labels). The pandas index is not
    compared.

    Parameters
    ----------
    left, right : DataFrame
        The frames to compare: pandas, Polars (eager or lazy), PyArrow, DuckDB, PySpark or any frame
        that narwhals supports, not necessarily of the same kind. Lazy frames are collected.
        ``right`` is taken as the expected table: tolerances are relative to its values.
    rtol : float, default 1e-12
        Relative tolerance of numeric columns: ``|left - right| <= atol + rtol * |right|``, as in
        :func:`numpy.testing.assert_allclose`. The default allows only rounding differences between
        backends; use ``rtol=0`` for exact comparison.
    atol : float, default 0.0
        Absolute tolerance of numeric columns.
    check_column_order : bool, default True
        Whether the columns must come in the same order (they must always have the same names).
    check_row_order : bool, default True
        Whether the rows must come in the same order. With ``False`` both frames are sorted by all
        their columns first (text and whole-number columns before floating-point ones), for results
        whose row order is not defined, such as DuckDB relations and Spark DataFrames.
    by : str or list of str, optional
        Key columns: both frames are sorted by them (then by the other columns, to break ties) before
        the comparison, which implies ``check_row_order=False``. Failure messages name the rows by
        these keys.
    check_dtype : bool, default False
        Whether each column must also have the same (narwhals) data type. Types are compared across
        backends, so pandas ``int64`` and Arrow ``int64`` are the same type but ``int64`` and
        ``float64`` are not. Without it a whole-number column equals a float column of equal values.

    Raises
    ------
    AssertionError
        If the frames differ. The message names the columns and, for each differing column, the
        rows (with their keys) and both values.
    ValueError
        If ``by`` names a column that neither frame has.

    See Also
    --------
    pandas.testing.assert_frame_equal : The same for two pandas frames, comparing the index and dtypes.

    Examples
    --------
    >>> import pandas as pd
    >>> import pyarrow as pa
    >>> import blmk_health as bh
    >>> from blmk_health.testing import assert_indicator_frame_equal
    >>> data = pd.DataFrame({"area": ["A", "A", "B"], "deaths": [3, 4, 12], "pop": [900, 1100, 1500]})
    >>> expected = bh.indicators.crude_rate(data, "deaths", "pop", by="area")
    >>> on_arrow = bh.indicators.crude_rate(pa.Table.from_pandas(data), "deaths", "pop", by="area")
    >>> assert_indicator_frame_equal(on_arrow, expected)
    >>> reordered = expected.sort_values("area", ascending=False)
    >>> assert_indicator_frame_equal(reordered, expected, by="area")
    >>> wrong = expected.assign(value=[350.0, 810.0])
    >>> assert_indicator_frame_equal(wrong, expected)
    Traceback (most recent call last):
    ...
    AssertionError: Indicator frames differ:
    column 'value' (rtol=1e-12, atol=0.0): 1 of 2 rows differ
      row 1 [area='B']: left=810.0, right=800.0
    """
    keys = as_list(by, "by")
    left_table, right_table = _table(left, "left"), _table(right, "right")
    _check_shape(left_table, right_table, keys, check_column_order=check_column_order)
    ordered = check_row_order and not keys
    if not ordered:
        left_table, right_table = _sorted(left_table, keys), _sorted(right_table, keys)
    labels = keys or _leading_text_columns(right_table)
    problems = _dtype_problems(left_table, right_table) if check_dtype else []
    problems += _all_value_problems(left_table, right_table, labels, rtol=rtol, atol=atol)
    if problems and ordered and _same_rows_in_another_order(left_table, right_table, rtol=rtol, atol=atol):
        problems.append(
            "(the rows are the same in another order: pass by= or check_row_order=False if it does not matter)"
        )
    if problems:
        raise AssertionError("Indicator frames differ:\n" + "\n".join(problems))


def _check_shape(left: _Table, right: _Table, keys: list[str], *, check_column_order: bool) -> None:
    """Raise unless both tables have the same columns (in the same order if asked) and number of rows."""
    problems = _column_problems(left, right, check_column_order=check_column_order)
    if problems:
        raise AssertionError("Indicator frames differ:\n" + "\n".join(problems))
    missing_keys = [k for k in keys if k not in left.names]
    if missing_keys:
        msg = f"by: column(s) {missing_keys!r} not in the frames (columns: {left.names!r})"
        raise ValueError(msg)
    if len(left.values) != len(right.values):
        msg = f"Indicator frames differ: left has {len(left.values)} rows, right has {len(right.values)}"
        raise AssertionError(msg)


def _dtype_problems(left: _Table, right: _Table) -> list[str]:
    return [
        f"column {name!r}: dtype {left.dtypes[name]} (left) != {right.dtypes[name]} (right)"
        for name in right.names
        if left.dtypes[name] != right.dtypes[name]
    ]


def _same_rows_in_another_order(left: _Table, right: _Table, *, rtol: float, atol: float) -> bool:
    return not _all_value_problems(_sorted(left, []), _sorted(right, []), [], rtol=rtol, atol=atol)


def _leading_text_columns(table: _Table) -> list[str]:
    """The non-numeric columns before the first numeric one (an indicator table's group keys), at most 3."""
    leading = []
    for name in table.names[:3]:
        if name in table.numeric:
            break
        leading.append(name)
    return leading


def _table(data: Any, side: str) -> _Table:
    frame = ingest(data, side)
    schema = frame.schema
    names = frame.columns
    table = to_pandas(frame, side).reset_index(drop=True)
    numeric = {name for name in names if schema[name].is_numeric()}
    values = pd.DataFrame(
        {name: _floats(table[name]) if name in numeric else _objects(table[name]) for name in names},
        index=pd.RangeIndex(len(table)),
    )
    return _Table(side, names, {name: str(schema[name]) for name in names}, numeric, values)


def _floats(column: pd.Series) -> npt.NDArray[np.float64]:
    """A numeric column as float64 with NaN for every kind of missing value."""
    return np.asarray(pd.to_numeric(column).to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)


def _objects(column: pd.Series) -> pd.Series:
    """Any other column as Python objects with ``None`` for every kind of missing value."""
    return pd.Series([None if _is_missing(v) else v for v in column.astype(object)], dtype=object)


def _is_missing(value: Any) -> bool:
    return value is None or (bool(pd.api.types.is_scalar(value)) and bool(pd.isna(value)))


def _column_problems(left: _Table, right: _Table, *, check_column_order: bool) -> list[str]:
    if left.names == right.names or (not check_column_order and set(left.names) == set(right.names)):
        return []
    only_left = [n for n in left.names if n not in right.names]
    only_right = [n for n in right.names if n not in left.names]
    if not only_left and not only_right:
        return [f"columns are in a different order:\n  left:  {left.names!r}\n  right: {right.names!r}"]
    return [f"columns differ: only in left {only_left!r}, only in right {only_right!r}"]


def _sorted(table: _Table, keys: list[str]) -> _Table:
    """The table with rows sorted by ``keys``, then by the other columns (floating-point ones last)."""
    rest = [n for n in table.names if n not in keys]
    order = keys + [n for n in rest if n not in table.numeric] + [n for n in rest if n in table.numeric]
    columns = [table.values[name].tolist() for name in order]
    rows = list(range(len(table.values)))
    try:
        rows.sort(key=lambda i: tuple(_sort_key(column[i]) for column in columns))
    except TypeError:  # values of one column that cannot be ordered: order by their text instead
        rows.sort(key=lambda i: tuple(_sort_key(column[i], as_text=True) for column in columns))
    values = table.values.iloc[rows].reset_index(drop=True)
    return _Table(table.side, table.names, table.dtypes, table.numeric, values)


def _sort_key(value: Any, *, as_text: bool = False) -> tuple[bool, str, Any]:
    """Missing values last, then values grouped by type, so that mixed columns still sort."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (True, "", "")
    return (False, type(value).__name__, repr(value) if as_text else value)


def _all_value_problems(left: _Table, right: _Table, labels: list[str], *, rtol: float, atol: float) -> list[str]:
    problems: list[str] = []
    for name in right.names:
        problems += _value_problems(left, right, name, labels, rtol=rtol, atol=atol)
    return problems


def _value_problems(
    left: _Table, right: _Table, name: str, labels: list[str], *, rtol: float, atol: float
) -> list[str]:
    a, b = left.values[name], right.values[name]
    describe: Callable[[Any], str]
    if name in left.numeric or name in right.numeric:
        if not (_numbers(left, name) and _numbers(right, name)):
            return [f"column {name!r}: {left.dtypes[name]} (left) cannot be compared with {right.dtypes[name]} (right)"]
        x, y = _floats(a), _floats(b)
        missing_x, missing_y = np.isnan(x), np.isnan(y)
        with np.errstate(invalid="ignore"):
            close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=False)
        bad = np.flatnonzero((missing_x != missing_y) | (~missing_x & ~missing_y & ~close))
        header = f"column {name!r} (rtol={rtol!r}, atol={atol!r})"
        describe = _describe_number
    else:
        bad = np.array([i for i, (u, v) in enumerate(zip(a, b, strict=True)) if not _same(u, v)], dtype=np.intp)
        header = f"column {name!r}"
        describe = _describe_object
    if not len(bad):
        return []
    lines = [f"{header}: {len(bad)} of {len(a)} rows differ"]
    for i in bad[:_SHOWN]:
        keys = ", ".join(f"{k}={right.values[k].iloc[i]!r}" for k in labels if k != name)
        where = f"row {i} [{keys}]" if keys else f"row {i}"
        lines.append(f"  {where}: left={describe(a.iloc[i])}, right={describe(b.iloc[i])}")
    if len(bad) > _SHOWN:
        lines.append(f"  ... and {len(bad) - _SHOWN} more rows")
    return lines


def _numbers(table: _Table, name: str) -> bool:
    """Whether a column holds numbers: a numeric column, or one whose values are all numbers or missing."""
    if name in table.numeric:
        return True
    return all(
        v is None or (isinstance(v, int | float | np.number) and not isinstance(v, bool)) for v in table.values[name]
    )


def _same(u: Any, v: Any) -> bool:
    if u is None or v is None:
        return u is None and v is None
    try:
        return bool(u == v)
    except (TypeError, ValueError):  # values whose == is not a single truth value
        return repr(u) == repr(v)


def _describe_number(value: Any) -> str:
    number = float(value)
    return "<missing>" if math.isnan(number) else repr(number)


def _describe_object(value: Any) -> str:
    return "<missing>" if value is None else repr(value)
