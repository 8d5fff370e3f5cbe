"""Every statistic gives the same numbers from pandas, Polars (eager and lazy), PyArrow, DuckDB and
PySpark input, and returns the kind of frame it was given (lazy inputs stay lazy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from tests.helpers import Backend, assert_close, to_backend, to_pandas

BANDS = bh.datasets.esp2013()["age_band"].tolist()


@pytest.fixture(scope="module")
def area_bands() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    areas = [f"E0{i:07d}" for i in range(12)]
    df = pd.DataFrame(
        {
            "area": np.repeat(areas, len(BANDS)),
            "sex": np.tile(["F", "M"], len(areas) * len(BANDS) // 2 + 1)[: len(areas) * len(BANDS)],
            "age_band": BANDS * len(areas),
            "pop": rng.integers(200, 3000, len(areas) * len(BANDS)),
        }
    )
    df["deaths"] = rng.binomial(df["pop"], 0.004 * (1 + np.tile(np.arange(len(BANDS)), len(areas)) / 3))
    df.loc[df["area"] == areas[0], "deaths"] = 0  # a suppressed DSR and an exact CI
    df["ref_deaths"] = np.tile(np.arange(1, len(BANDS) + 1) * 40, len(areas))
    df["ref_pop"] = 100_000
    few = df["area"] == areas[1]
    df.loc[few, "deaths"] = rng.binomial(df.loc[few, "pop"], 0.0005)  # a handful of events: Byars and exact CIs
    return df


#: Each statistic as called on every backend, and the keys of its rows where it returns one row per
#: input row (which backends without row order give in any order).
ROW_KEYS = ["area", "age_band"]
CASES: dict[str, tuple[Callable[[Any], Any], list[str] | None]] = {
    "crude_rate": (
        lambda d: bh.indicators.crude_rate(d, "deaths", "pop", by=["area", "sex"], confidence=(0.95, 0.998)),
        None,
    ),
    "crude_rate_rows": (lambda d: bh.indicators.crude_rate(d, "deaths", "pop"), ROW_KEYS),
    "proportion": (lambda d: bh.indicators.proportion(d, "deaths", "pop", by="area", multiplier=100), None),
    "mean": (lambda d: bh.indicators.mean(d, "pop", by="area"), None),
    "dsr": (
        lambda d: bh.indicators.dsr(d, "deaths", "pop", by="area", age_band="age_band", confidence=(0.95, 0.998)),
        None,
    ),
    "dsr_ungrouped": (
        lambda d: bh.indicators.dsr(d, "deaths", "pop", by=None, std_pop="w", age_band="age_band"),
        None,
    ),
    "isr": (lambda d: bh.indicators.isr(d, "deaths", "pop", "ref_deaths", "ref_pop", by="area"), None),
    "isr_rate": (
        lambda d: bh.indicators.isr(d, "deaths", "pop", "ref_deaths", "ref_pop", by="area", kind="rate"),
        None,
    ),
    "quantiles": (lambda d: bh.indicators.quantiles(d, "pop", by="area", n=5), ROW_KEYS),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_results_on_every_backend(area_bands: pd.DataFrame, backend: Backend, case: str) -> None:
    call, keys = CASES[case]
    data = area_bands
    if case == "dsr_ungrouped":
        data = area_bands[area_bands["area"] == "E00000003"].assign(w=np.arange(19.0) + 1)
    backend.assert_matches(call(backend(data)), call(data), by=keys)


def test_narwhals_frames_come_back_as_narwhals(area_bands: pd.DataFrame) -> None:
    eager = nw.from_native(area_bands, eager_only=True)
    out = bh.indicators.crude_rate(eager, "deaths", "pop", by="area")
    assert isinstance(out, nw.DataFrame)
    lazy = nw.from_native(to_backend(area_bands, "polars-lazy"))
    out_lazy = bh.indicators.dsr(lazy, "deaths", "pop", by="area", age_band="age_band")
    assert isinstance(out_lazy, nw.LazyFrame)
    rows = bh.indicators.quantiles(eager, "pop", by="area")
    assert isinstance(rows, nw.DataFrame)


def test_missing_values_become_nulls_in_arrow_backends(area_bands: pd.DataFrame) -> None:
    out = bh.indicators.dsr(to_backend(area_bands, "polars"), "deaths", "pop", by="area", age_band="age_band")
    first = out.filter(out["total_count"] < 10)
    assert first["value"].null_count() == len(first) > 0


def test_lazy_input_is_not_collected_by_the_caller(area_bands: pd.DataFrame) -> None:
    import polars as pl

    lazy = pl.from_pandas(area_bands).lazy().filter(pl.col("area") != "E00000000")
    out = bh.indicators.crude_rate(lazy, "deaths", "pop", by="area")
    assert isinstance(out, pl.LazyFrame)
    assert out.collect().height == 11


def test_missing_and_categorical_group_keys(backend: Backend) -> None:
    data = pd.DataFrame(
        {
            "place": ["b", None, "a", "b", None, "a", "c"],
            "sex": ["F", "M", "F", "F", "M", "M", None],
            "x": [1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0],
            "n": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
        }
    )
    expected_keys = [("a", "F"), ("a", "M"), ("b", "F"), ("c", None), (None, "M")]
    result = bh.indicators.crude_rate(backend(data), "x", "n", by=["place", "sex"], metadata=False)
    backend.assert_kind(result)
    out = to_pandas(result)
    keys = [tuple(None if pd.isna(v) else v for v in row) for row in out[["place", "sex"]].itertuples(index=False)]
    assert keys == expected_keys
    assert_close(out["x"], [np.nan, 6.0, 5.0, 7.0, 7.0])
    assert_close(out["n"], [30.0, 60.0, 50.0, 70.0, 70.0])
    stats = to_pandas(bh.indicators.mean(backend(data), "n", by="place", metadata=False))
    assert_close(stats["value"], [45.0, 25.0, 70.0, 35.0])
    assert_close(stats["stdev"], [np.std([30, 60], ddof=1), np.std([10, 40], ddof=1), np.nan, np.std([20, 50], ddof=1)])


def test_categorical_keys_sort_by_category_order() -> None:
    data = pd.DataFrame(
        {"place": pd.Categorical(["MK", "Luton", "MK"], categories=["MK", "Luton"]), "x": [1, 2, 3], "n": [10, 10, 10]}
    )
    out = bh.indicators.crude_rate(data, "x", "n", by="place")
    assert out["place"].tolist() == ["MK", "Luton"]
    assert out["x"].tolist() == [4.0, 2.0]
