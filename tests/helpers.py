"""Helpers shared by the test modules: backend conversion and numeric comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

BACKENDS = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb"]

#: A typical area's life-table input: the 20 bands, deaths and populations of each band.
LE_BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
LE_DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]
LE_POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601]
LE_POPS += [50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]


def to_backend(df: pd.DataFrame, backend: str) -> Any:
    """Convert a pandas frame to one of :data:`BACKENDS`."""
    if backend == "pandas":
        return df.copy()
    if backend in ("polars", "polars-lazy"):
        import polars as pl

        out = pl.from_pandas(df)
        return out.lazy() if backend == "polars-lazy" else out
    if backend == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_pandas(df, preserve_index=False)
    if backend == "duckdb":
        import duckdb

        return duckdb.from_arrow(to_backend(df, "pyarrow"))
    raise ValueError(backend)


def to_pandas(result: Any) -> pd.DataFrame:
    """Any result frame as pandas (collecting lazy ones)."""
    if isinstance(result, pd.DataFrame):
        return result
    import narwhals.stable.v2 as nw

    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def expected_type(backend: str) -> Callable[[Any], bool]:
    """A predicate telling whether a result has the kind of frame ``backend`` gives."""
    import duckdb
    import polars as pl
    import pyarrow as pa

    kinds: dict[str, type] = {
        "pandas": pd.DataFrame,
        "polars": pl.DataFrame,
        "polars-lazy": pl.LazyFrame,
        "pyarrow": pa.Table,
        "duckdb": duckdb.DuckDBPyRelation,
    }
    return lambda result: isinstance(result, kinds[backend])


def assert_close(actual: Any, expected: Any, rtol: float = 1e-8, atol: float = 0.0) -> None:
    """Element-wise relative comparison with missing values in the same places."""
    a, b = _floats(actual), _floats(expected)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg="missing values differ")
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=rtol, atol=atol)


def _floats(values: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.atleast_1d(np.asarray(values, dtype=float)).ravel()
