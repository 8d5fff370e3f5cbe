"""The one place that turns any supported data frame into narwhals and back.

Public functions accept pandas, Polars (eager and lazy), PyArrow, DuckDB, PySpark and any other frame
that narwhals supports, and return the kind they were given. Inside, work is written with narwhals
expressions (so that aggregation runs lazily on lazy inputs); the small aggregated tables are then
collected, finished with numpy, and turned back into the caller's kind of frame here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from blmk_health.errors import SchemaError

__all__ = [
    "Constant",
    "Frame",
    "as_list",
    "assemble",
    "collect",
    "float_array",
    "ingest",
    "recode",
    "with_integer_column",
]

FloatArray = npt.NDArray[np.float64]
AnyFrame = nw.DataFrame[Any] | nw.LazyFrame[Any]


@dataclass(frozen=True)
class Frame:
    """A caller's frame wrapped in narwhals, with what is needed to give results back in its kind."""

    frame: AnyFrame
    native: Any
    implementation: nw.Implementation
    is_lazy: bool
    was_narwhals: bool

    @property
    def columns(self) -> list[str]:
        """Column names, without collecting a lazy frame."""
        return list(self.frame.collect_schema().names())

    @property
    def schema(self) -> Mapping[str, Any]:
        """Column dtypes (narwhals dtypes), without collecting a lazy frame."""
        return dict(self.frame.collect_schema())

    @property
    def eager(self) -> nw.DataFrame[Any]:
        """The narwhals frame of an eager caller's frame (an error for a lazy one)."""
        if not isinstance(self.frame, nw.DataFrame):
            msg = "internal: an eager frame was expected"
            raise TypeError(msg)
        return self.frame

    def with_frame(self, frame: AnyFrame) -> Frame:
        """The same caller's frame, with a derived narwhals frame to work on."""
        return replace(self, frame=frame)

    @property
    def is_pandas(self) -> bool:
        """Whether the caller gave a pandas (or pandas-like) frame."""
        return self.implementation is nw.Implementation.PANDAS


def ingest(data: Any, argument: str = "data") -> Frame:
    """Wrap ``data`` in narwhals, or raise :class:`SchemaError` naming ``argument``.

    Examples
    --------
    >>> import pandas as pd
    >>> ingest(pd.DataFrame({"a": [1]})).is_lazy
    False
    """
    if isinstance(data, Frame):
        return data
    was_narwhals = isinstance(data, (nw.DataFrame, nw.LazyFrame))
    try:
        frame = nw.from_native(data, eager_only=False, pass_through=False)
    except TypeError as err:
        msg = (
            f"{argument}: expected a data frame (pandas, Polars, PyArrow, DuckDB, PySpark, ...), "
            f"got {type(data).__module__}.{type(data).__qualname__}"
        )
        raise SchemaError(msg) from err
    if not isinstance(frame, (nw.DataFrame, nw.LazyFrame)):  # pragma: no cover - narwhals guarantees
        msg = f"{argument}: expected a data frame, got a {type(data).__qualname__}"
        raise SchemaError(msg)
    native = nw.to_native(frame)
    return Frame(
        frame=frame,
        native=native,
        implementation=frame.implementation,
        is_lazy=isinstance(frame, nw.LazyFrame),
        was_narwhals=was_narwhals,
    )


def as_list(columns: str | Sequence[str] | None, argument: str) -> list[str]:
    """Normalise a column argument (``None``, one name or a list of names) to a list of names."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    out = list(columns)
    bad = [c for c in out if not isinstance(c, str)]
    if bad:
        msg = f"{argument}: column names must be strings, got {bad[:5]!r}"
        raise SchemaError(msg)
    if len(set(out)) != len(out):
        dupes = sorted({c for c in out if out.count(c) > 1})
        msg = f"{argument}: column names are repeated: {dupes!r}"
        raise SchemaError(msg)
    return out


def collect(frame: AnyFrame, like: Frame) -> nw.DataFrame[Any]:
    """Collect ``frame`` (usually a small aggregate) to an eager frame.

    pandas inputs stay pandas (keeping pandas dtypes such as categoricals); everything else is
    collected to PyArrow, which every backend can produce and which keeps nulls as nulls.
    """
    if isinstance(frame, nw.LazyFrame):
        return frame.collect(backend="pyarrow")
    implementation: nw.Implementation = frame.implementation
    if like.is_pandas or implementation is nw.Implementation.PYARROW:
        return frame
    return nw.from_native(frame.to_arrow(), eager_only=True)


def float_array(frame: nw.DataFrame[Any], column: str) -> FloatArray:
    """A column of an eager frame as float64 numpy, with nulls as NaN."""
    native = frame.get_column(column).to_native()
    if isinstance(native, pd.Series):
        return np.asarray(pd.to_numeric(native).to_numpy(dtype=float, na_value=np.nan))
    if isinstance(native, (pa.ChunkedArray, pa.Array)):
        return np.asarray(native.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    return np.asarray(frame.get_column(column).to_numpy(), dtype=float)  # pragma: no cover


@dataclass(frozen=True)
class Constant:
    """A text column holding the same value on every one of ``n_rows`` rows (cheap to build)."""

    value: str
    n_rows: int


def assemble(
    keys: nw.DataFrame[Any] | None,
    columns: Mapping[str, npt.ArrayLike | Constant],
    like: Frame,
    *,
    keep_index: bool = False,
) -> Any:
    """Append ``columns`` to the eager ``keys`` frame and return it in the caller's kind of frame.

    ``keys`` is what :func:`collect` returned (pandas- or PyArrow-backed), already in output order, or
    ``None`` when the result has no key columns. ``keep_index`` keeps a pandas caller's index (for
    row-wise results). Float NaN becomes null for backends that have nulls;
    strings stay strings.
    """
    native = None if keys is None else keys.to_native()
    if like.is_pandas:
        base = pd.DataFrame(index=pd.RangeIndex(_n_rows(columns))) if native is None else native
        if not keep_index:
            base = base.reset_index(drop=True)
        extra = {
            name: pd.Series(values.value, index=base.index, dtype="str")
            if isinstance(values, Constant)
            else pd.Series(np.asarray(values), index=base.index)
            for name, values in columns.items()
        }
        out: Any = pd.concat([base, pd.DataFrame(extra, index=base.index)], axis=1) if extra else base
        if like.was_narwhals:
            return nw.from_native(out, eager_only=True)
        return out
    if native is None:
        table = pa.table({name: _arrow(values) for name, values in columns.items()})
    else:
        table = native if isinstance(native, pa.Table) else keys.to_arrow()  # type: ignore[union-attr]
        for name, values in columns.items():
            table = table.append_column(name, _arrow(values))
    return _to_kind(table, like)


def _n_rows(columns: Mapping[str, npt.ArrayLike | Constant]) -> int:
    for values in columns.values():
        return values.n_rows if isinstance(values, Constant) else len(np.asarray(values))
    return 0


def recode(
    frame: Frame,
    column: str,
    build: Callable[[list[Any]], Mapping[str, tuple[Mapping[Any, Any], Any]]],
) -> dict[str, nw.Expr | nw.Series[Any]]:
    """New columns computed from the distinct labels of ``column``, for use in ``with_columns``.

    ``build`` receives the distinct labels (categoricals as their values) and returns, per new column, a
    mapping from every label to a value and the column's narwhals dtype. On pandas the labels are
    factorised once and each new column is a numpy lookup; on other backends the distinct labels are
    collected (a small query) and each new column is the backend's ``replace_strict``, lazily where the
    frame is lazy.
    """
    if frame.is_pandas and not frame.is_lazy:
        native = frame.eager.to_native()
        codes, uniques = pd.factorize(native[column], use_na_sentinel=False)
        labels = pd.Series(uniques).tolist()
        out: dict[str, nw.Expr | nw.Series[Any]] = {}
        for name, (mapping, dtype) in build(labels).items():
            lookup = np.array([mapping[label] for label in labels], dtype=float if dtype == nw.Float64 else np.int64)
            series = pd.Series(lookup[codes], index=native.index, name=name, copy=False)
            out[name] = nw.from_native(series, series_only=True)
        return out
    expr = nw.col(column)
    if isinstance(frame.schema[column], (nw.Categorical, nw.Enum)) or frame.schema[column] in (nw.Categorical, nw.Enum):
        expr = expr.cast(nw.String)
    distinct = frame.frame.select(expr.alias(column)).unique()
    if isinstance(distinct, nw.LazyFrame):
        distinct = distinct.collect()
    labels = list(distinct.get_column(column).to_list())
    return {
        name: expr.replace_strict(dict(mapping), default=None, return_dtype=dtype).alias(name)
        for name, (mapping, dtype) in build(labels).items()
    }


def with_integer_column(frame: nw.DataFrame[Any], name: str, values: FloatArray) -> nw.DataFrame[Any]:
    """Add a nullable integer column (NaN in ``values`` is missing) to an eager frame, keeping row order."""
    missing = np.isnan(values)
    whole = np.where(missing, 0, values).astype(np.int64)
    native = frame.to_native()
    if isinstance(native, pd.DataFrame):
        column = pd.array(whole, dtype="Int64")
        column[missing] = pd.NA
        return nw.from_native(native.assign(**{name: pd.Series(column, index=native.index)}), eager_only=True)
    series = nw.new_series(name, pa.array(whole, mask=missing), nw.Int64, backend=frame.implementation)
    return frame.with_columns(series)


def _arrow(values: npt.ArrayLike | Constant) -> pa.Array:
    if isinstance(values, Constant):
        return pa.array([values.value] * values.n_rows, type=pa.string())
    array = np.asarray(values)
    if array.dtype.kind == "O":
        return pa.array(list(array), type=pa.string())
    return pa.array(array, from_pandas=True)


def _to_kind(table: pa.Table, like: Frame) -> Any:
    impl = like.implementation
    result: Any
    if like.is_lazy:
        if impl is nw.Implementation.PYSPARK or impl is nw.Implementation.PYSPARK_CONNECT:
            session = like.native.sparkSession
            result = nw.from_native(session.createDataFrame(table.to_pandas()))
        else:
            result = nw.from_native(table, eager_only=True).lazy(backend=impl)
    elif impl is nw.Implementation.PYARROW:
        result = nw.from_native(table, eager_only=True)
    elif impl is nw.Implementation.POLARS:
        import polars as pl

        result = nw.from_native(pl.from_arrow(table), eager_only=True)
    else:
        result = nw.from_native(table, eager_only=True)
        result = nw.from_native(result.to_pandas(), eager_only=True)
    if like.was_narwhals:
        return result
    return nw.to_native(result)
