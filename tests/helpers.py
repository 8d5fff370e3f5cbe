"""Helpers shared by the test modules: CI detection and skips, the kinds of frame (backends) the tests
run on, and numeric comparison.

Under CI nothing may skip: :func:`skip_or_fail` skips with its reason on a developer's machine and
fails with it under CI, and :func:`require_module` is ``pytest.importorskip`` built on it.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pytest

from blmk_health._frames import to_pandas as _frames_to_pandas
from blmk_health.testing import assert_indicator_frame_equal

#: Values of an environment flag that mean "off" (any case, surrounding spaces ignored); any other
#: value means "on", so that ``CI=1``, ``CI=true`` and ``CI=yes`` all mean CI.
FALSE_VALUES = frozenset({"", "0", "false", "no", "off", "n", "f"})

#: The backends every backend test runs on; Spark, behind the ``spark`` marker, is added by conftest.
FRAME_BACKENDS = ("pandas", "polars", "polars-lazy", "pyarrow", "duckdb")

#: Backends whose frames are lazy: results stay lazy, and joins keep no row order.
LAZY = frozenset({"polars-lazy", "duckdb", "spark"})

#: Backends whose frames have no row order (SQL relations): row-wise results are compared sorted.
UNORDERED = frozenset({"duckdb", "spark"})

#: A typical area's life-table input: the 20 bands, deaths and populations of each band.
LE_BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
LE_DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]
LE_POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601]
LE_POPS += [50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]


# ----------------------------------------------------------------------------------- CI and skips


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to a true-ish value (anything but
    :data:`FALSE_VALUES`, such as ``1``, ``true`` or ``yes``)."""
    return os.environ.get(name, "").strip().lower() not in FALSE_VALUES


def running_in_ci() -> bool:
    """Whether the tests run under continuous integration (``CI`` set to a true-ish value)."""
    return env_flag("CI")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test (or module) with ``reason``; under CI, where nothing may skip, fail with it."""
    if running_in_ci():
        pytest.fail(f"{reason}; under CI (CI={os.environ.get('CI')!r}) nothing may skip", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str, reason: str) -> ModuleType:
    """Import ``name`` for a test, as ``pytest.importorskip`` does, but failing under CI."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        skip_or_fail(f"{name} cannot be imported ({err}): {reason}")


def require_java() -> None:
    """Skip (fail under CI) where Spark cannot start: no ``java`` on PATH and no ``JAVA_HOME``."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_or_fail("PySpark needs Java: no `java` on PATH and JAVA_HOME is unset (install a JDK 17+)")


# ----------------------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class Backend:
    """A kind of frame the tests run on (the value of the ``backend`` fixture).

    ``backend(df)`` converts a pandas test frame to this kind; ``backend.assert_matches(result,
    expected)`` checks that a result is of this kind and equals the pandas result by value.
    """

    name: str
    convert: Callable[[pd.DataFrame], Any]
    kind: type | tuple[type, ...]

    def __call__(self, data: pd.DataFrame) -> Any:
        """``data`` (a pandas frame, not modified) as a frame of this backend."""
        return self.convert(data)

    def __str__(self) -> str:
        return self.name

    @property
    def keeps_row_order(self) -> bool:
        """Whether frames of this backend have a row order (SQL relations, DuckDB and Spark, do not)."""
        return self.name not in UNORDERED

    @property
    def lazy(self) -> bool:
        """Whether frames of this backend are lazy (Polars lazy, DuckDB, Spark): joins keep no row order."""
        return self.name in LAZY

    def is_kind(self, result: Any) -> bool:
        """Whether ``result`` is a frame of this backend (lazy inputs give lazy results)."""
        return isinstance(result, self.kind)

    def assert_kind(self, result: Any) -> None:
        """Assert that ``result`` is a frame of this backend."""
        assert self.is_kind(result), f"{self.name} input gave a {type(result).__module__}.{type(result).__name__}"

    def assert_matches(
        self, result: Any, expected: Any, *, by: str | Sequence[str] | None = None, **kwargs: Any
    ) -> None:
        """Assert that ``result`` is a frame of this backend and equals ``expected`` by value.

        Rows are compared in order, so that the order a function promises (sorted by its ``by``
        columns) is checked too; on backends without row order (DuckDB, Spark) both frames are first
        sorted by ``by`` when it is given, which row-wise results need. Other keyword arguments go to
        :func:`blmk_health.testing.assert_indicator_frame_equal`.
        """
        self.assert_kind(result)
        keys = None if self.keeps_row_order else by
        assert_indicator_frame_equal(result, expected, by=keys, **kwargs)


def to_backend(df: pd.DataFrame, backend: str) -> Any:
    """Convert a pandas frame to one of :data:`FRAME_BACKENDS` (Spark needs a session: use the fixture)."""
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


def frame_backend(name: str) -> Backend:
    """The :class:`Backend` of one of :data:`FRAME_BACKENDS`."""
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
    return Backend(name, lambda df: to_backend(df, name), kinds[name])


def spark_backend(session: Any) -> Backend:
    """The Spark :class:`Backend` of a session (a local one from the ``spark_session`` fixture)."""
    from pyspark.sql import DataFrame

    return Backend("spark", lambda df: session.createDataFrame(to_backend(df, "pyarrow")), DataFrame)


def to_pandas(result: Any) -> pd.DataFrame:
    """Any result frame as pandas (collecting lazy ones)."""
    return _frames_to_pandas(result, "result")


# ------------------------------------------------------------------------------------------ numbers


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
