"""blmk_health.testing.assert_indicator_frame_equal, and the test suite's own helpers (CI detection, skips
that fail under CI, the backend fixture): each case fails when the helper is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import blmk_health as bh
from blmk_health.testing import assert_indicator_frame_equal
from tests import conftest
from tests.helpers import Backend, require_java, require_module, running_in_ci, skip_or_fail


def table() -> pd.DataFrame:
    """A small indicator table: text keys, integer counts, values with a missing one, text metadata."""
    return pd.DataFrame(
        {
            "area": ["A", "B", "C"],
            "total_count": pd.array([12, 3, None], dtype="Int64"),
            "value": [812.5, np.nan, 40.25],
            "statistic": ["rate per 100000", "NA: total count < 10", None],
        }
    )


def fails(match: str) -> pytest.RaisesExc[AssertionError]:
    return pytest.raises(AssertionError, match=match)


# --- equal frames ----------------------------------------------------------------------------------


def test_equal_frames_of_every_kind(backend: Backend) -> None:
    expected = table()
    by = None if backend.keeps_row_order else "area"
    assert_indicator_frame_equal(backend(expected), expected, by=by)
    assert_indicator_frame_equal(expected, backend(expected), by=by)
    with fails(r"column 'value'.*\n  row 0 \[area='A'\]: left=812.5, right=813.0"):
        assert_indicator_frame_equal(backend(expected), expected.assign(value=[813.0, np.nan, 40.25]), by=by)


def test_nan_and_null_are_both_missing() -> None:
    arrow = pa.table({"area": ["A", None], "value": pa.array([None, 2.0], type=pa.float64())})
    assert_indicator_frame_equal(arrow, pd.DataFrame({"area": ["A", np.nan], "value": [np.nan, 2.0]}))
    assert_indicator_frame_equal(pd.DataFrame({"a": [None, "x"]}, dtype=object), pd.DataFrame({"a": [pd.NA, "x"]}))


def test_the_doctest_example_of_a_real_indicator() -> None:
    data = pd.DataFrame({"area": ["A", "B"] * 5, "deaths": range(10), "pop": [1000] * 10})
    expected = bh.indicators.crude_rate(data, "deaths", "pop", by="area")
    assert_indicator_frame_equal(
        bh.indicators.crude_rate(pa.Table.from_pandas(data), "deaths", "pop", by="area"), expected
    )


# --- numbers ---------------------------------------------------------------------------------------


def test_relative_tolerance_boundary() -> None:
    right = pd.DataFrame({"value": [100.0, 0.0]})
    assert_indicator_frame_equal(pd.DataFrame({"value": [100.0 * (1 + 0.5e-12), 0.0]}), right)
    with fails(r"column 'value' \(rtol=1e-12, atol=0.0\): 1 of 2 rows differ\n  row 0: left=100.0000000001999"):
        assert_indicator_frame_equal(pd.DataFrame({"value": [100.0 * (1 + 2e-12), 0.0]}), right)
    assert_indicator_frame_equal(pd.DataFrame({"value": [100.0 * (1 + 2e-12), 0.0]}), right, rtol=3e-12)
    with fails("rtol=0"):
        assert_indicator_frame_equal(pd.DataFrame({"value": [100.0 * (1 + 0.5e-12), 0.0]}), right, rtol=0)


def test_absolute_tolerance() -> None:
    right = pd.DataFrame({"value": [0.0]})
    with fails("left=1e-09, right=0.0"):
        assert_indicator_frame_equal(pd.DataFrame({"value": [1e-9]}), right)
    assert_indicator_frame_equal(pd.DataFrame({"value": [1e-9]}), right, atol=1e-8)


def test_missing_against_a_value() -> None:
    right = pd.DataFrame({"area": ["A", "B"], "value": [1.0, 2.0]})
    with fails(r"column 'value'.*1 of 2 rows differ\n  row 1 \[area='B'\]: left=<missing>, right=2.0"):
        assert_indicator_frame_equal(pd.DataFrame({"area": ["A", "B"], "value": [1.0, np.nan]}), right)
    with fails(r"row 1 \[area='B'\]: left=2.0, right=<missing>"):
        assert_indicator_frame_equal(right, pd.DataFrame({"area": ["A", "B"], "value": [1.0, None]}))


def test_infinities() -> None:
    assert_indicator_frame_equal(pd.DataFrame({"v": [np.inf, -np.inf]}), pd.DataFrame({"v": [np.inf, -np.inf]}))
    with fails("left=inf, right=-inf"):
        assert_indicator_frame_equal(pd.DataFrame({"v": [np.inf]}), pd.DataFrame({"v": [-np.inf]}))


def test_every_differing_column_is_reported_with_at_most_ten_rows() -> None:
    right = pd.DataFrame({"k": [f"r{i}" for i in range(25)], "a": np.arange(25.0), "b": np.arange(25.0)})
    left = right.assign(a=right["a"] + 1, b=right["b"].where(right.index != 3, -1.0))
    with pytest.raises(AssertionError) as info:
        assert_indicator_frame_equal(left, right)
    message = str(info.value)
    assert "column 'a' (rtol=1e-12, atol=0.0): 25 of 25 rows differ" in message
    assert "  row 9 [k='r9']: left=10.0, right=9.0" in message
    assert "row 10 [" not in message
    assert "  ... and 15 more rows" in message
    assert "column 'b' (rtol=1e-12, atol=0.0): 1 of 25 rows differ\n  row 3 [k='r3']: left=-1.0, right=3.0" in message


def test_whole_numbers_and_floats() -> None:
    ints = pd.DataFrame({"n": [1, 2]})
    floats = pd.DataFrame({"n": [1.0, 2.0]})
    assert_indicator_frame_equal(ints, floats)
    assert_indicator_frame_equal(ints, pa.table({"n": pa.array([1, 2], type=pa.int64())}), check_dtype=True)
    with fails(r"column 'n': dtype Int64 \(left\) != Float64 \(right\)"):
        assert_indicator_frame_equal(ints, floats, check_dtype=True)


def test_numbers_are_not_text() -> None:
    with fails(r"column 'n': String \(left\) cannot be compared with Float64 \(right\)"):
        assert_indicator_frame_equal(pd.DataFrame({"n": ["1.0"]}), pd.DataFrame({"n": [1.0]}))
    assert_indicator_frame_equal(pd.DataFrame({"n": [None]}, dtype=object), pd.DataFrame({"n": [np.nan]}))


# --- text ------------------------------------------------------------------------------------------


def test_text_is_compared_exactly() -> None:
    right = pd.DataFrame({"area": ["A", "B"], "statistic": ["rate", None]})
    with fails(r"column 'statistic': 1 of 2 rows differ\n  row 0 \[area='A'\]: left='Rate', right='rate'"):
        assert_indicator_frame_equal(right.assign(statistic=pd.Series(["Rate", None], dtype=object)), right)
    with fails(r"row 1 \[area='B'\]: left='', right=<missing>"):
        assert_indicator_frame_equal(right.assign(statistic=["rate", ""]), right)
    categorical = right.assign(area=pd.Categorical(["A", "B"], categories=["B", "A"]))
    assert_indicator_frame_equal(categorical, right)
    with fails(r"dtype Categorical \(left\) != String \(right\)"):
        assert_indicator_frame_equal(categorical, right, check_dtype=True)


# --- shape, columns and rows -----------------------------------------------------------------------


def test_column_order() -> None:
    right = table()
    swapped = right[["area", "value", "total_count", "statistic"]]
    with fails(r"columns are in a different order:\n  left:  \['area', 'value', 'total_count', 'statistic'\]"):
        assert_indicator_frame_equal(swapped, right)
    assert_indicator_frame_equal(swapped, right, check_column_order=False)
    with fails(r"columns differ: only in left \['lowercl'\], only in right \['statistic'\]"):
        assert_indicator_frame_equal(right.rename(columns={"statistic": "lowercl"}), right, check_column_order=False)


def test_row_order_and_keys() -> None:
    right = table()
    reversed_rows = right.iloc[::-1]
    with fails(
        r"column 'area': 2 of 3 rows differ\n  row 0: left='C', right='A'(.|\n)*the rows are the same in another"
    ):
        assert_indicator_frame_equal(reversed_rows, right)
    with pytest.raises(AssertionError) as info:
        assert_indicator_frame_equal(reversed_rows.assign(value=1.0), right)
    assert "another order" not in str(info.value)
    assert_indicator_frame_equal(reversed_rows, right, check_row_order=False)
    assert_indicator_frame_equal(reversed_rows, right, by="area")
    assert_indicator_frame_equal(reversed_rows, right, by=["area"], check_row_order=True)
    with fails(r"row 1 \[area='B'\]: left=<missing>, right=7.0"):
        assert_indicator_frame_equal(reversed_rows, right.assign(value=[812.5, 7.0, 40.25]), by="area")
    with pytest.raises(ValueError, match=r"by: column\(s\) \['place'\] not in the frames"):
        assert_indicator_frame_equal(right, right, by="place")


def test_unordered_rows_with_repeated_and_missing_keys() -> None:
    right = pd.DataFrame({"k": ["a", None, "a", "b"], "n": [2, 1, 1, 3], "v": [0.5, np.nan, 0.25, 1.0]})
    left = right.iloc[[3, 2, 1, 0]]
    assert_indicator_frame_equal(left, right, check_row_order=False)
    assert_indicator_frame_equal(left, right, by="k")
    with fails("column 'v'"):
        assert_indicator_frame_equal(left.assign(v=[1.0, 0.25, np.nan, 0.6]), right, by="k")


def test_values_that_cannot_be_ordered_or_compared_plainly() -> None:
    right = pd.DataFrame({"k": [{"a": 2}, {"a": 1}], "arr": [np.array([1, 2]), np.array([3])]})
    assert_indicator_frame_equal(right.iloc[::-1], right, check_row_order=False)
    with fails(r"column 'arr': 1 of 2 rows differ"):
        assert_indicator_frame_equal(
            right.assign(arr=pd.Series([np.array([1, 2]), np.array([4])], dtype=object)), right
        )


def test_row_count() -> None:
    with fails("left has 2 rows, right has 3"):
        assert_indicator_frame_equal(table().iloc[:2], table())


def test_lazy_frames_are_collected() -> None:
    import polars as pl

    lazy = pl.from_pandas(table()).lazy()
    assert_indicator_frame_equal(lazy, table())
    with fails("column 'value'"):
        assert_indicator_frame_equal(lazy.with_columns(pl.col("value") * 2), table())


# --- the backend fixture ---------------------------------------------------------------------------


def test_backend_fixture_checks_kind_and_values(backend: Backend) -> None:
    data = table()
    converted = backend(data)
    backend.assert_kind(converted)
    assert backend.is_kind(converted) != backend.is_kind(data) or backend.name == "pandas"
    if backend.name != "pandas":
        with fails("gave a pandas.DataFrame"):
            backend.assert_kind(data)
    backend.assert_matches(converted, data, by="area")
    with fails("column 'value'"):
        backend.assert_matches(converted, data.assign(value=[812.5, np.nan, 40.0]), by="area")
    assert data.equals(table())  # the caller's frame is not modified


# --- CI detection and skips ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "yes", "YES", " on ", "github-actions"])
def test_ci_is_detected(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert running_in_ci()


@pytest.mark.parametrize("value", ["", "0", "false", "False", "FALSE", "no", "NO", "off", " 0 "])
def test_ci_is_not_detected(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not running_in_ci()


def test_ci_unset_is_not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert not running_in_ci()


def test_skip_outside_ci_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no data"):
        skip_or_fail("no data")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=re.escape("no data; under CI (CI='1') nothing may skip")):
        skip_or_fail("no data")


def test_missing_shared_data_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "SHARED", tmp_path)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="phe_golden is absent"):
        conftest._shared_folder("phe_golden")
    monkeypatch.setenv("CI", "1")  # not only CI=true
    with pytest.raises(pytest.fail.Exception, match="phe_golden is absent"):
        conftest._shared_folder("phe_golden")
    (tmp_path / "phe_golden").mkdir()
    assert conftest._shared_folder("phe_golden") == tmp_path / "phe_golden"


def test_require_module(monkeypatch: pytest.MonkeyPatch) -> None:
    assert require_module("numpy", "needed") is np
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no_such_module_here cannot be imported.*optional extra"):
        require_module("no_such_module_here", "an optional extra")
    monkeypatch.setenv("CI", "yes")
    with pytest.raises(pytest.fail.Exception, match="nothing may skip"):
        require_module("no_such_module_here", "an optional extra")


def test_require_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PySpark needs Java"):
        require_java()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PySpark needs Java"):
        require_java()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    require_java()
    monkeypatch.delenv("JAVA_HOME")
    java = tmp_path / "java"
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    require_java()
