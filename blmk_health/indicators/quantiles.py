"""Assignment of areas to quantiles (PHEindicatormethods ``phe_quantile``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._frames import FloatArray, Frame, as_list, collect, ingest, with_integer_column
from blmk_health._validation import describe_values, reject_clashes, require_columns, require_numeric
from blmk_health.errors import DomainError, SchemaError
from blmk_health.indicators._core import TMP

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
    frame = ingest(data)
    by_cols = as_list(by, "by")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        msg = f"n: the number of quantiles must be a whole number >= 1, got {n!r}"
        raise DomainError(msg)
    wanted = [("value", value), *[("by", c) for c in by_cols]]
    if isinstance(invert, str):
        wanted.append(("invert", invert))
    elif not isinstance(invert, bool):
        msg = f"invert: expected True, False or the name of a boolean column, got {invert!r}"  # type: ignore[unreachable]
        raise SchemaError(msg)
    require_columns(frame, wanted)
    require_numeric(frame, [("value", value)])
    reject_clashes(frame.columns, ["quantile"], "data")

    if isinstance(invert, str):
        if frame.schema[invert] != nw.Boolean:
            msg = f"invert: column {invert!r} must be boolean, got {frame.schema[invert]}"
            raise SchemaError(msg)
        _check_constant(frame, by_cols, invert)
    _warn_small_groups(frame, by_cols, value, n)
    if frame.is_lazy:
        out: Any = frame.frame.with_columns(_lazy_quantile(value, by_cols, n, invert).alias("quantile"))
    else:
        out = with_integer_column(frame.eager, "quantile", _eager_quantile(frame, value, by_cols, n, invert))
    if frame.was_narwhals:
        return out
    return nw.to_native(out)


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


def _eager_quantile(frame: Frame, value: str, by: list[str], n: int, invert: bool | str) -> FloatArray:
    """The same assignment on an eager frame, with pandas' grouped rank (missing quantiles are NaN)."""
    columns = list(dict.fromkeys([*by, value, *([invert] if isinstance(invert, str) else [])]))
    table = frame.eager.select(columns).to_pandas().reset_index(drop=True)
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
