"""Assignment of areas to quantiles (PHEindicatormethods ``phe_quantile``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._frames import TMP, FloatArray, Frame, collect, derive_column
from blmk_health._inputs import check_whole_number, prepare
from blmk_health._validation import describe_values
from blmk_health.errors import SchemaError

__all__ = ["quantiles"]


def quantiles(
    data: Any,
    value: str,
    by: str | Sequence[str] | None = None,
    n: int = 10,
    invert: bool | str = True,
) -> Any:
    """Assign each row to one of ``n`` quantiles of ``value`` within its group.

    The reference's rule (PHEindicatormethods ``phe_quantile``): with N the number of non-missing
    values in the group and ``rank`` the rank of the value (ties take the lowest rank; with
    ``invert=True`` the highest value has rank 1)::

        quantile = floor((n + 1) - ceiling(((N + 1) - rank) / (N / n))),  0 becomes 1

    so that, by default, quantile 1 holds the *highest* values (for IMD scores: the most deprived).

    Parameters
    ----------
    data : DataFrame
        pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame narwhals supports.
    value : str
        Numeric column to rank.
    by : str or list of str, optional
        Groups within which quantiles are assigned (e.g. a local authority for local deciles).
    n : int, default 10
        Number of quantiles (10 for deciles, 5 for quintiles).
    invert : bool or str, default True
        ``True`` puts the highest values in quantile 1, ``False`` the lowest. A column name reads
        the choice from a boolean column, which must be constant within each group.

    Returns
    -------
    DataFrame
        The input rows, in their order, with an integer ``quantile`` column. Rows with a missing
        value get a missing quantile.

    Raises
    ------
    SchemaError
        ``value``, a ``by`` column or the ``invert`` column is missing or of the wrong type, the
        ``invert`` column varies within a group, or the data already have a ``quantile`` column.
    DomainError
        ``n`` is not a whole number of at least 1.

    Warns
    -----
    UserWarning
        For groups with fewer non-missing values than ``n``: their quantiles are missing, as in the
        reference.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({"lsoa": list("ABCDEFGHIJ"), "imd_score": [5, 40, 12, 33, 8, 21, 17, 27, 2, 50]})
    >>> bh.indicators.quantiles(df, "imd_score", n=5)["quantile"].tolist()
    [5, 1, 4, 2, 4, 3, 3, 2, 5, 1]
    """
    n = check_whole_number(n, "n", 1)
    if not isinstance(invert, (bool, str)):
        msg = f"invert: expected True, False or the name of a boolean column, got {invert!r}"  # type: ignore[unreachable]
        raise SchemaError(msg)
    prepared = prepare(
        data,
        columns=[("value", value), ("invert", invert if isinstance(invert, str) else None)],
        numeric=[("value", value)],
        by=by,
        outputs=["quantile"],
        clash="data",
    )
    frame, by_cols = prepared.frame, prepared.by
    if isinstance(invert, str):
        if frame.schema[invert] != nw.Boolean:
            msg = f"invert: column {invert!r} must be boolean, got {frame.schema[invert]}"
            raise SchemaError(msg)
        _check_constant(frame, by_cols, invert)
    _warn_small_groups(frame, by_cols, value, n)
    columns = list(dict.fromkeys([*by_cols, value, *([invert] if isinstance(invert, str) else [])]))
    return derive_column(
        frame,
        "quantile",
        _lazy_quantile(value, by_cols, n, invert),
        lambda table: _eager_quantile(table, value, by_cols, n, invert),
        columns,
    )


def _formula(count: Any, rank: Any, n: int, floor: Any, ceil: Any) -> Any:
    """The reference's assignment, for numpy arrays or narwhals expressions (before 0 -> 1)."""
    return floor((n + 1.0) - ceil(((count + 1) - rank) / (count / float(n))))


def _lazy_quantile(value: str, by: list[str], n: int, invert: bool | str) -> nw.Expr:
    """Window-function form, so that lazy frames (Polars, DuckDB, Spark) are never collected."""

    def over(expr: nw.Expr) -> nw.Expr:
        return expr.over(*by) if by else expr

    def rank(descending: bool) -> nw.Expr:
        return over(nw.col(value).rank(method="min", descending=descending))

    ranked = (
        nw.when(nw.col(invert)).then(rank(True)).otherwise(rank(False)) if isinstance(invert, str) else rank(invert)
    )
    count = over(nw.col(value).count())
    raw = _formula(count, ranked, n, lambda e: e.floor(), lambda e: e.ceil())
    return nw.when(count < n).then(None).otherwise(nw.when(raw == 0).then(1.0).otherwise(raw)).cast(nw.Int64)


def _eager_quantile(table: pd.DataFrame, value: str, by: list[str], n: int, invert: bool | str) -> FloatArray:
    """The same assignment on an eager table, with pandas' grouped rank (missing quantiles are NaN)."""
    values = pd.to_numeric(table[value]).astype(float)
    if isinstance(invert, str):
        descending = table[invert].astype(bool).to_numpy()
        values = values.where(~descending, -values)
    elif invert:
        values = -values
    if by:
        grouped = values.groupby([table[c] for c in by], dropna=False, sort=False)
        rank = grouped.rank(method="min").to_numpy(dtype=float)
        count = grouped.transform("count").to_numpy(dtype=float)
    else:
        rank = values.rank(method="min").to_numpy(dtype=float)
        count = np.full(len(values), float(values.notna().sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = _formula(count, rank, n, np.floor, np.ceil)
    return np.asarray(np.where(count < n, np.nan, np.where(raw == 0, 1.0, raw)), dtype=np.float64)


def _check_constant(frame: Frame, by: list[str], column: str) -> None:
    if not by:
        counts = frame.frame.select(nw.col(column).n_unique().alias(f"{TMP}k"))
    else:
        counts = frame.frame.group_by(by).agg(nw.col(column).n_unique().alias(f"{TMP}k")).filter(nw.col(f"{TMP}k") > 1)
    eager = collect(counts, frame)
    bad = eager.filter(nw.col(f"{TMP}k") > 1)
    if len(bad):
        shown = describe_values(bad.select(by).rows()) if by else "all rows"
        msg = f"invert: column {column!r} must be the same within each group; it varies in {len(bad)} group(s): {shown}"
        raise SchemaError(msg)


def _warn_small_groups(frame: Frame, by: list[str], value: str, n: int) -> None:
    agg = nw.col(value).count().alias(f"{TMP}k")
    counts = frame.frame.group_by(by).agg(agg) if by else frame.frame.select(agg)
    eager = collect(counts, frame)
    small = eager.filter(nw.col(f"{TMP}k") < n)
    if len(small):
        where = describe_values(small.select(by).rows()) if by else "the data"
        warnings.warn(
            f"quantiles: {len(small)} group(s) have fewer than n={n} non-missing values of {value!r}; "
            f"their quantiles are missing (first: {where})",
            UserWarning,
            stacklevel=3,
        )
