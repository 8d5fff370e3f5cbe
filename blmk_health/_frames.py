"""The one place that knows about data-frame backends: any frame in, narwhals inside, the same kind out.

Public functions accept pandas, Polars (eager and lazy), PyArrow, DuckDB, PySpark and any other frame
that narwhals supports, and return the kind they were given. Inside, work is written with narwhals
expressions (so that aggregation runs lazily on lazy inputs); the small aggregated tables are then
collected, finished with numpy, and turned back into the caller's kind of frame here.

No other module of the package may look at which backend a frame comes from (``nw.Implementation``,
``is_pandas``, ``isinstance`` against pandas, PyArrow, Polars, ... frame types) or collect a lazy frame
by hand: what needs to differ between backends is a helper here (:func:`collect_small`,
:func:`grouped_sums`, :func:`like_caller`, :func:`to_pandas`, ...). A test over the source enforces it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from blmk_health.errors import SchemaError

__all__ = [
    "TMP",
    "Agg",
    "Constant",
    "Frame",
    "Integers",
    "as_list",
    "assemble",
    "back_to_caller",
    "collect",
    "collect_small",
    "derive_column",
    "float_array",
    "grouped_sums",
    "ingest",
    "is_frame",
    "is_integer_column",
    "join_in_order",
    "keep_geo",
    "like_caller",
    "recode",
    "series_like",
    "small_keys",
    "to_pandas",
    "with_integer_column",
]

#: Prefix of temporary column names, chosen not to clash with a caller's columns.
TMP = "__bh_"

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


def collect_small(frame: AnyFrame) -> nw.DataFrame[Any]:
    """The result of a small query (a count, a few rows) as an eager frame, collecting it if lazy."""
    if isinstance(frame, nw.LazyFrame):
        return frame.collect()
    return frame


def to_pandas(data: Any, argument: str) -> pd.DataFrame:
    """Any supported frame as a new pandas frame, for small tables handled in pandas by design
    (hierarchies, lookups, reference tables): the caller's frame is never modified."""
    if isinstance(data, pd.DataFrame):
        return data.copy()
    frame = ingest(data, argument)
    eager = collect(frame.frame, frame)
    native = eager.to_native()
    if isinstance(native, pd.DataFrame):
        return native.copy()
    result: pd.DataFrame = eager.to_arrow().to_pandas()
    return result


def is_integer_column(frame: Frame, column: str) -> bool:
    """Whether a column of the caller's frame holds whole numbers by type (so its sums are counts)."""
    dtype = frame.schema[column]
    return bool(dtype.is_integer())


def small_keys(columns: Mapping[str, Sequence[Any]], like: Frame) -> nw.DataFrame[Any]:
    """A small eager table of key columns (text or numbers), of the kind :func:`collect` gives for ``like``."""
    table = pd.DataFrame({name: pd.Series(list(values), dtype=object) for name, values in columns.items()})
    if like.is_pandas:
        return nw.from_native(table, eager_only=True)
    return nw.from_native(pa.Table.from_pandas(table, preserve_index=False), eager_only=True)


def like_caller(table: pd.DataFrame, like: Frame, cast: Sequence[str] = ()) -> AnyFrame:
    """A small pandas table as a narwhals frame of the caller's backend, ready to join with its data.

    The columns named in ``cast`` take the dtype of the caller's column of the same name, so that join
    keys match on every backend.
    """
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    native = like.native
    for name in cast:
        if isinstance(native, pa.Table):
            arrow = arrow.set_column(
                arrow.schema.get_field_index(name), name, arrow.column(name).cast(native.schema.field(name).type)
            )
    out: AnyFrame
    if like.is_pandas:
        out = nw.from_native(arrow.to_pandas(), eager_only=True)
    elif not like.is_lazy and like.implementation is nw.Implementation.PYARROW:
        out = nw.from_native(arrow, eager_only=True)
    else:
        result = _to_kind(arrow, replace(like, was_narwhals=True))
        out = result
    if not isinstance(native, pa.Table) and cast:
        schema = like.schema
        out = out.with_columns(*[nw.col(name).cast(schema[name]) for name in cast])
    return out


def join_in_order(like: Frame, right: AnyFrame, on: str) -> AnyFrame:
    """Left-join ``right`` to the caller's frame keeping the caller's rows in order (and a pandas index).

    Lazy frames have no row order; they are joined lazily.
    """
    left = like.frame
    row = f"{TMP}row"
    if isinstance(left, nw.DataFrame):
        left = left.with_row_index(row)
    out = left.join(right, on=on, how="left")  # type: ignore[arg-type]
    if like.is_lazy:
        return out
    out = out.sort(row).drop(row)
    if like.is_pandas:
        native = out.to_native()
        native.index = like.native.index
        out = nw.from_native(native, eager_only=True)
    return out


def ordered_windows(frame: Frame) -> AnyFrame:
    """The frame to compute ordered windows on (``shift().over(..., order_by=...)``).

    Every backend computes them natively except eager PyArrow, whose table is worked on in pandas.
    """
    if frame.implementation is nw.Implementation.PYARROW and not frame.is_lazy:
        return nw.from_native(frame.eager.to_pandas(), eager_only=True)
    return frame.frame


def same_backend(a: Frame, b: Frame) -> bool:
    """Whether two caller's frames can be joined: the same backend, both lazy or both eager."""
    return a.implementation is b.implementation and a.is_lazy == b.is_lazy


def small_result(table: pd.DataFrame, like: Frame) -> Any:
    """A small result table made in pandas, given back as the caller's kind (pandas stays as it is)."""
    if like.is_pandas and not like.is_lazy:
        return table
    return back_to_caller(like_caller(table, like), like)


def is_pandas_frame(data: Any) -> bool:
    """Whether ``data`` is a pandas DataFrame (for in-memory work such as model fitting)."""
    return isinstance(data, pd.DataFrame)


def with_computed_columns(
    like: Frame,
    columns: Sequence[str],
    eager: Callable[[pd.DataFrame], Mapping[str, Any]],
    lazy: Callable[[], AnyFrame],
) -> AnyFrame:
    """The caller's frame with new columns: ``eager`` (numpy on a pandas table of ``columns``, whose
    results are added to the caller's rows) for eager pandas and PyArrow frames, where one numpy pass beats
    many window expressions; ``lazy()`` (narwhals expressions, lazily where the frame is lazy) for the rest.
    """
    if like.is_lazy or like.implementation not in (nw.Implementation.PANDAS, nw.Implementation.PYARROW):
        return lazy()
    table = like.eager.select(list(columns)).to_pandas().reset_index(drop=True)
    added = eager(table)
    if like.is_pandas:
        native = like.eager.to_native().copy(deep=False)
        for name, values in added.items():
            native[name] = values.array if isinstance(values, pd.Series) else values  # by position, not index
        result: AnyFrame = nw.from_native(native, eager_only=True)
        return result
    arrow = like.eager.to_arrow()
    for name, values in added.items():
        arrow = arrow.append_column(
            name, pa.Array.from_pandas(values) if isinstance(values, pd.Series) else pa.array(values)
        )
    back: AnyFrame = nw.from_native(arrow, eager_only=True)
    return back


def text_column(labels: Sequence[str | None], codes: npt.NDArray[np.int64]) -> pd.Series:
    """A pandas text column (``str`` dtype) of ``labels[codes]``, built by an Arrow ``take`` (ten times
    faster than from Python objects)."""
    taken = pa.array(list(labels), pa.large_string()).take(pa.array(codes))
    column: pd.Series = taken.to_pandas(types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan))
    return column


def window_frame(frame: Frame) -> AnyFrame:
    """The frame to compute many window columns on: as :func:`ordered_windows`, and eager Polars as a lazy
    query (one plan, instead of the whole frame materialised after each step)."""
    if frame.implementation is nw.Implementation.POLARS and not frame.is_lazy:
        return frame.eager.lazy()
    return ordered_windows(frame)


def windows_back(frame: AnyFrame, like: Frame) -> AnyFrame:
    """A frame worked on by :func:`ordered_windows` or :func:`window_frame` back in the caller's backend."""
    if like.implementation is nw.Implementation.PYARROW and not like.is_lazy and isinstance(frame, nw.DataFrame):
        table = pa.Table.from_pandas(frame.to_native(), preserve_index=False)
        back: AnyFrame = nw.from_native(table, eager_only=True)
        return back
    if like.implementation is nw.Implementation.POLARS and not like.is_lazy and isinstance(frame, nw.LazyFrame):
        return frame.collect()
    return frame


def row_max(*exprs: nw.Expr) -> nw.Expr:
    """The row-wise largest of expressions; one expression as it is (Spark's ``greatest`` needs two)."""
    if len(exprs) == 1:
        return exprs[0]
    result: nw.Expr = nw.max_horizontal(*exprs)
    return result


def with_ordered_rank(frame: AnyFrame, name: str, partition: Sequence[str], order: Sequence[str]) -> AnyFrame:
    """``frame`` with ``name``: each row's position 1, 2, ... within its ``partition`` group when sorted by
    the ``order`` columns (ascending; the last one must tell every row of a group apart).

    Polars ranks a struct of the keys (faster than an ordered window); other backends use an ordered
    window (``cum_sum().over``). Eager pandas input is best served by numpy (:func:`with_computed_columns`).
    """
    implementation: Any = frame.implementation
    if implementation is nw.Implementation.POLARS:
        import polars as pl

        native = nw.to_native(frame)
        ranked = pl.struct(list(order)).rank("ordinal").over(list(partition)).cast(pl.Int64).alias(name)
        result: AnyFrame = nw.from_native(native.with_columns(ranked))
        return result
    one = f"{TMP}rank_one"
    out = frame.with_columns(nw.lit(1).cast(nw.Int64).alias(one))
    return out.with_columns(nw.col(one).cum_sum().over(*partition, order_by=list(order)).alias(name)).drop(one)


def epoch_days(frame: Frame, expr: nw.Expr, portable: Callable[[nw.Expr], nw.Expr]) -> nw.Expr:
    """Days since 1970-01-01 of a date or datetime expression: Polars casts to a date and its day number
    (the fastest way there); other backends use ``portable`` (arithmetic every backend computes)."""
    if frame.implementation is nw.Implementation.POLARS:
        return expr.cast(nw.Date).cast(nw.Int32)
    return portable(expr)


def back_to_caller(frame: AnyFrame, like: Frame, *, fresh_index: bool = False) -> Any:
    """Return a narwhals frame to the caller as the kind they gave.

    ``fresh_index`` gives a pandas result a new range index (for results whose rows are not the
    caller's rows, such as one row per group after a filter).
    """
    if fresh_index and like.is_pandas and isinstance(frame, nw.DataFrame):
        frame = nw.from_native(frame.to_native().reset_index(drop=True), eager_only=True)
    return frame if like.was_narwhals else nw.to_native(frame)


def keep_geo(result: Any, data: Any) -> Any:
    """Give a GeoDataFrame caller a GeoDataFrame back (narwhals treats it as a plain pandas frame)."""
    import sys

    gpd = sys.modules.get("geopandas")
    if gpd is None or not isinstance(data, gpd.GeoDataFrame) or isinstance(result, gpd.GeoDataFrame):
        return result
    if not isinstance(result, pd.DataFrame):  # pragma: no cover - pandas in, pandas out
        return result
    return gpd.GeoDataFrame(result, geometry=data.geometry.name, crs=data.crs)


def derive_column(
    like: Frame,
    name: str,
    lazy: nw.Expr,
    eager: Callable[[pd.DataFrame], FloatArray],
    columns: Sequence[str],
) -> Any:
    """Add an integer column to the caller's frame and return it in the caller's kind.

    On lazy frames the column is the narwhals expression ``lazy`` (window functions run in the backend,
    nothing is collected); on eager frames it is ``eager`` applied to a pandas table of ``columns``
    (NaN is missing), which is faster for ranks within groups.
    """
    if like.is_lazy:
        return back_to_caller(like.frame.with_columns(lazy.alias(name)), like)
    table = like.eager.select(list(columns)).to_pandas().reset_index(drop=True)
    return back_to_caller(with_integer_column(like.eager, name, eager(table)), like)


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


@dataclass(frozen=True)
class Integers:
    """A column of whole-number counts held as floats (NaN is missing), to be output as integers.

    Sums of integer columns come back as integers: ``int64`` in pandas (nullable ``Int64`` when a value
    is missing), ``int64`` with nulls elsewhere.
    """

    values: FloatArray


Column = npt.ArrayLike | Constant | Integers


def assemble(
    keys: nw.DataFrame[Any] | None,
    columns: Mapping[str, Column],
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
        extra = {name: _pandas_column(values, base.index) for name, values in columns.items()}
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


def _n_rows(columns: Mapping[str, Column]) -> int:
    for values in columns.values():
        if isinstance(values, Constant):
            return values.n_rows
        return len(values.values) if isinstance(values, Integers) else len(np.asarray(values))
    return 0


def _pandas_column(values: Column, index: pd.Index) -> pd.Series:
    if isinstance(values, Constant):
        return pd.Series(values.value, index=index, dtype="str")
    if isinstance(values, Integers):
        missing = np.isnan(values.values)
        whole = np.where(missing, 0, values.values).astype(np.int64)
        if not missing.any():
            return pd.Series(whole, index=index)
        array = pd.array(whole, dtype="Int64")
        array[missing] = pd.NA
        return pd.Series(array, index=index)
    return pd.Series(np.asarray(values), index=index)


def recode(
    frame: Frame,
    column: str,
    build: Callable[[list[Any]], Mapping[str, tuple[Mapping[Any, Any], Any]]],
    *,
    expressions: Callable[[], Mapping[str, nw.Expr]] | None = None,
) -> dict[str, nw.Expr | nw.Series[Any]]:
    """New columns computed from the distinct labels of ``column``, for use in ``with_columns``.

    ``build`` receives the distinct labels (categoricals as their values) and returns, per new column, a
    mapping from every label to a value and the column's narwhals dtype. On pandas the labels are
    factorised once and each new column is a numpy lookup; on other backends the distinct labels are
    collected (a small query) and each new column is the backend's ``replace_strict``, lazily where the
    frame is lazy. Where ``expressions`` gives the same columns as expressions (for a column with few
    codes), backends other than pandas use them instead, and need no query for the distinct labels.
    """
    if expressions is not None and not (frame.is_pandas and not frame.is_lazy):
        return dict(expressions())
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
    return {name: _replaced(expr, mapping, dtype).alias(name) for name, (mapping, dtype) in build(labels).items()}


def _replaced(expr: nw.Expr, mapping: Mapping[Any, Any], dtype: Any) -> nw.Expr:
    """``expr`` with each label replaced by its value; the missing label's value where ``expr`` is missing
    (backends such as DuckDB take no missing key in a mapping)."""
    present = {label: value for label, value in mapping.items() if not _is_missing(label)}
    missing = [value for label, value in mapping.items() if _is_missing(label)]
    replaced = expr.replace_strict(present, default=None, return_dtype=dtype) if present else nw.lit(None, dtype=dtype)
    if not missing or _is_missing(missing[0]):
        return replaced
    result: nw.Expr = nw.when(expr.is_null()).then(nw.lit(missing[0], dtype=dtype)).otherwise(replaced)
    return result


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


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


def _arrow(values: Column) -> pa.Array:
    if isinstance(values, Constant):
        return pa.array([values.value] * values.n_rows, type=pa.string())
    if isinstance(values, Integers):
        missing = np.isnan(values.values)
        return pa.array(np.where(missing, 0, values.values).astype(np.int64), mask=missing)
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


# ------------------------------------------------------------------------------------------ grouped sums


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
    carry: Mapping[str, nw.Expr | nw.Series[Any]] | None = None,
    together: Sequence[AnyFrame] = (),
    answers: list[nw.DataFrame[Any]] | None = None,
) -> nw.DataFrame[Any]:
    """Per-row values summed within ``by`` groups (all rows if ``by`` is empty), collected and sorted.

    ``together``: other small queries of the same data, collected with the sums into ``answers`` (in
    their order); on Polars lazy frames in one ``collect_all``, which computes their common part (e.g.
    spells made from episodes) once.

    ``exprs`` are the per-row input columns (narwhals expressions, or series of an eager frame). Without
    ``formula`` they are what is summed; with it, ``formula`` turns them into the per-row values to sum,
    using only arithmetic operators so that it works on narwhals expressions and numpy arrays alike.
    ``extra`` holds further aggregations: :class:`Agg` specifications (of input or data columns), or
    narwhals expressions (already aliased); ``carry`` adds per-row columns that are not summed but
    that an :class:`Agg` reads (e.g. an age band to count). The result is eager (pandas for pandas input, PyArrow
    otherwise), sorted by ``by`` with missing keys last. Missing values are skipped in the sums, unless
    ``propagate_missing``, when a group holding a missing value gets a missing sum.

    The sums are plain ``sum`` aggregations of added columns, so the query stays simple on every
    backend and runs lazily on lazy frames. Eager pandas input (with ``Agg``-only extras) takes a faster
    route with the same result: the inputs are evaluated once, the formula runs in numpy, the group keys
    are factorised once and the sums are ``numpy.bincount`` calls.
    """
    carried = dict(carry or {})
    if frame.is_pandas and not frame.is_lazy and by and all(isinstance(e, Agg) for e in extra):
        aggs_only = [e for e in extra if isinstance(e, Agg)]
        if answers is not None:
            answers.extend(collect_small(query) for query in together)
        return _pandas_grouped(frame, by, exprs, carried, aggs_only, propagate_missing, formula)
    rows = frame.frame.with_columns(**dict(exprs), **carried)
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
    eager = _collect_together(agg, frame, together, answers)
    if by:
        eager = eager.sort(by, nulls_last=True)
    return eager


def _collect_together(
    agg: AnyFrame, frame: Frame, together: Sequence[AnyFrame], answers: list[nw.DataFrame[Any]] | None
) -> nw.DataFrame[Any]:
    """``agg`` collected as :func:`collect` does, and the ``together`` queries into ``answers``."""
    lazy = [agg, *together]
    if together and frame.implementation is nw.Implementation.POLARS and all(isinstance(q, nw.LazyFrame) for q in lazy):
        import polars as pl

        results = pl.collect_all([nw.to_native(q) for q in lazy])
        if answers is not None:
            answers.extend(nw.from_native(r, eager_only=True) for r in results[1:])
        return nw.from_native(results[0].to_arrow(), eager_only=True)
    if answers is not None:
        answers.extend(collect_small(query) for query in together)
    return collect(agg, frame)


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
    summed: Mapping[str, nw.Expr | nw.Series[Any]],
    carried: Mapping[str, nw.Expr | nw.Series[Any]],
    extra: Sequence[Agg],
    propagate_missing: bool,
    formula: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None,
) -> nw.DataFrame[Any]:
    exprs = {**summed, **carried}
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

    inputs = {name: _floats(column(name)) for name in summed}
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


def is_frame(data: Any) -> bool:
    """Whether ``data`` is a data frame of any kind narwhals supports (eager or lazy), not a path or a file.

    For functions that take either a file or a table (``bh.io.read_epcn``), without looking at backends.

    Examples
    --------
    >>> import io
    >>> import pandas as pd
    >>> is_frame(pd.DataFrame({"a": [1]})), is_frame(io.StringIO("a\\n1\\n")), is_frame("a.csv")
    (True, False, False)
    """
    if isinstance(data, Frame):
        return True
    wrapped = nw.from_native(data, pass_through=True)
    return isinstance(wrapped, (nw.DataFrame, nw.LazyFrame))


def pandas_index(like: Any) -> pd.Index | None:
    """The index of a pandas Series (to give an answer the same index), else ``None``."""
    return like.index if isinstance(like, pd.Series) else None


def sort_if_eager(frame: AnyFrame, like: Frame, keys: Sequence[str]) -> AnyFrame:
    """``frame`` sorted by ``keys`` when the caller's frame is eager (lazy frames have no row order)."""
    return frame if like.is_lazy else frame.sort(list(keys))


def series_like(values: Sequence[Any], like: Any, name: str) -> Any:
    """``values`` (one per element of ``like``) in the shape of ``like``: a pandas Series keeps its index.

    For functions that take codes as a list or a pandas Series and answer in the same shape
    (``Hierarchy.map``); anything but a pandas Series gives the list.

    Examples
    --------
    >>> import pandas as pd
    >>> series_like(["a", "b"], pd.Series(["x", "y"], index=[3, 4]), "code").index.tolist()
    [3, 4]
    >>> series_like(["a", "b"], ("x", "y"), "code")
    ['a', 'b']
    """
    if isinstance(like, pd.Series):
        return pd.Series(list(values), index=like.index, name=name, dtype=object)
    return list(values)
