"""quantiles(): the reference's assignment rule, groups, ties, missing values and lazy inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from tests.helpers import Backend, to_backend, to_pandas


def reference_rule(values: list[float], n: int, invert: bool) -> list[float]:
    """The rule written out independently, one value at a time (METHODS.md 2.7)."""
    present = [v for v in values if not math.isnan(v)]
    big_n = len(present)
    out = []
    for v in values:
        if math.isnan(v) or big_n < n:
            out.append(math.nan)
            continue
        rank = 1 + sum(1 for w in present if (w > v if invert else w < v))
        q = math.floor((n + 1) - math.ceil(((big_n + 1) - rank) / (big_n / n)))
        out.append(float(max(q, 1)))
    return out


def test_deciles_of_100_values() -> None:
    data = pd.DataFrame({"v": np.arange(100.0)})
    out = bh.indicators.quantiles(data, "v")
    assert out["quantile"].tolist() == [10 - i // 10 for i in range(100)]
    low_first = bh.indicators.quantiles(data, "v", invert=False)
    assert low_first["quantile"].tolist() == [1 + i // 10 for i in range(100)]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [3, 5, 10])
@pytest.mark.parametrize("invert", [True, False])
def test_matches_rule_with_ties_and_missing(seed: int, n: int, invert: bool) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 12, 37).astype(float)
    values[rng.random(37) < 0.1] = np.nan
    out = bh.indicators.quantiles(pd.DataFrame({"v": values}), "v", n=n, invert=invert)
    got = out["quantile"].astype("Float64").fillna(np.nan).to_numpy(dtype=float)
    np.testing.assert_array_equal(got, reference_rule(values.tolist(), n, invert))


def test_groups_and_invert_column_and_small_groups() -> None:
    data = pd.DataFrame(
        {
            "place": ["L"] * 6 + ["M"] * 6 + ["S"] * 2,
            "score": [1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1, 7, 8],
            "high_first": [True] * 6 + [False] * 6 + [True] * 2,
        }
    )
    with pytest.warns(UserWarning, match=r"1 group\(s\) have fewer than n=3 .*\('S',\)"):
        out = bh.indicators.quantiles(data, "score", by="place", n=3, invert="high_first")
    assert out["quantile"].iloc[:6].tolist() == [3, 3, 2, 2, 1, 1]
    assert out["quantile"].iloc[6:12].tolist() == [3, 3, 2, 2, 1, 1]
    assert out["quantile"].iloc[12:].isna().all()
    assert out.index.equals(data.index)


def test_keeps_caller_index_and_columns() -> None:
    data = pd.DataFrame({"v": [3.0, 1.0, 2.0], "name": ["a", "b", "c"]}, index=[10, 20, 30])
    out = bh.indicators.quantiles(data, "v", n=3)
    assert list(out.columns) == ["v", "name", "quantile"]
    assert out.index.tolist() == [10, 20, 30]
    assert out["quantile"].tolist() == [1, 3, 2]
    assert "quantile" not in data


def test_backends_match_pandas(backend: Backend) -> None:
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {"g": np.repeat(["a", "b", "c"], 30), "id": np.arange(90), "v": rng.integers(0, 20, 90).astype(float)}
    )
    data.loc[5, "v"] = np.nan
    expected = bh.indicators.quantiles(data, "v", by="g", n=5)
    backend.assert_matches(bh.indicators.quantiles(backend(data), "v", by="g", n=5), expected, by=["id"])


def test_lazy_invert_column_and_ungrouped() -> None:
    data = pd.DataFrame({"id": range(6), "v": [1.0, 5, 3, 2, 4, 6], "f": [False] * 6})
    got = to_pandas(bh.indicators.quantiles(to_backend(data, "polars-lazy"), "v", n=3, invert="f")).sort_values("id")
    assert got["quantile"].tolist() == [1, 3, 2, 1, 2, 3]
    with pytest.warns(UserWarning, match="fewer than n=10"):
        lazy = to_pandas(bh.indicators.quantiles(to_backend(data, "duckdb"), "v"))
    assert lazy["quantile"].isna().all()
