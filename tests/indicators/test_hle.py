"""Healthy life expectancy (Sullivan): limits of the method, the CI and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blmk_health as bh
from blmk_health.errors import DomainError, SchemaError
from tests.helpers import LE_BANDS, LE_DEATHS, LE_POPS, Backend, to_pandas

BANDS, DEATHS, POPS = LE_BANDS, LE_DEATHS, LE_POPS
GOOD = [0.97] * 6 + [0.93] * 4 + [0.85] * 4 + [0.7] * 3 + [0.55] * 3


def table(good: list[float] | float = GOOD, n: list[float] | float = 300, **extra: object) -> pd.DataFrame:
    df = pd.DataFrame({"age": BANDS, "deaths": DEATHS, "pop": POPS, "good": good, "n": n})
    for name, value in extra.items():
        df[name] = value
    return df


def hle(df: object, **kwargs: object) -> pd.DataFrame:
    return to_pandas(bh.indicators.healthy_life_expectancy(df, "deaths", "pop", "age", "good", "n", **kwargs))  # type: ignore[arg-type]


def test_everyone_healthy_equals_life_expectancy() -> None:
    out = hle(table(1.0))
    le = bh.indicators.life_expectancy(table(), "deaths", "pop", "age")
    np.testing.assert_allclose(out["value"], le["value"], rtol=1e-12)
    np.testing.assert_allclose(out["life_expectancy"], le["value"], rtol=1e-12)
    # no sampling variance when everyone is healthy
    np.testing.assert_allclose(out["uppercl"], out["value"])


def test_nobody_healthy_is_zero() -> None:
    out = hle(table(0.0))
    np.testing.assert_allclose(out["value"], 0.0)


def test_ci_shrinks_with_sample_size() -> None:
    small = hle(table(n=100), at_age=0)
    large = hle(table(n=10_000), at_age=0)
    assert small["value"].iloc[0] == pytest.approx(large["value"].iloc[0])
    assert (large["uppercl"] - large["lowercl"]).iloc[0] < (small["uppercl"] - small["lowercl"]).iloc[0] / 5


def test_sullivan_by_hand() -> None:
    """HLE at 85 = (pi_85 L_85 + pi_90 L_90) / l_85, with the life table of life_expectancy."""
    out = hle(table(), at_age=[85, 90], confidence=[0.95, 0.998], metadata=False)
    le = bh.indicators.life_expectancy(table(), "deaths", "pop", "age", at_age=90)
    # at 90 the whole remaining life is the open band: HLE = pi * e
    assert out["value"].iloc[1] == pytest.approx(GOOD[-1] * le["value"].iloc[0], rel=1e-12)
    assert list(out.columns) == [
        "age",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "life_expectancy",
    ]
    assert (out["value"] < out["life_expectancy"]).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=20, max_size=20))
def test_between_zero_and_life_expectancy(good: list[float]) -> None:
    out = hle(table(good), at_age=0)
    assert -1e-9 <= out["value"].iloc[0] <= out["life_expectancy"].iloc[0] + 1e-9


def test_backends(backend: Backend) -> None:
    """Every group's values and limits are the same on every backend."""
    df = pd.concat([table(sex="F"), table(sex="M", good=[g * 0.9 for g in GOOD])])

    def call(data: object) -> pd.DataFrame:
        return bh.indicators.healthy_life_expectancy(data, "deaths", "pop", "age", "good", "n", by="sex", at_age=0)  # type: ignore[arg-type]

    expected = call(df)
    assert expected["sex"].tolist() == ["F", "M"]
    assert expected["value"].iloc[1] < expected["value"].iloc[0]
    backend.assert_matches(call(backend(df)), expected)


def test_suppressed_group() -> None:
    small = table(area="small")
    small["pop"] = 250
    small["deaths"] = [1] * 19 + [100]
    with pytest.warns(UserWarning, match="total population"):
        out = hle(pd.concat([small, table(area="big")]), by="area", at_age=0)
    assert out["value"].isna().tolist() == [False, True]
    assert "NA: total population" in out["statistic"].iloc[1]
    assert out["method"].iloc[0].startswith("Sullivan")


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"good": [1.2, *GOOD[1:]]}, DomainError, r"outside \[0, 1\]"),
        ({"good": [np.nan, *GOOD[1:]]}, DomainError, "is missing"),
        ({"n": [0] * 20}, DomainError, "is not > 0"),
        ({"good": "high"}, SchemaError, "numeric"),
    ],
)
def test_bad_input(change: dict[str, object], error: type[Exception], match: str) -> None:
    df = table()
    for name, value in change.items():
        df[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            hle(df)
    with pytest.raises(SchemaError, match="column not found"):
        bh.indicators.healthy_life_expectancy(table(), "deaths", "pop", "age", "healthy", "n")
