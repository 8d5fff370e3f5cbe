"""Property tests (hypothesis) of the core statistics."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blmk_health as bh

BANDS = bh.datasets.esp2013()["age_band"].tolist()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

counts = st.integers(min_value=0, max_value=100_000)
levels = st.sampled_from([0.9, 0.95, 0.975, 0.99, 0.998])


@SETTINGS
@given(x=st.lists(counts, min_size=1, max_size=20), extra=st.lists(st.integers(1, 10**6), min_size=20, max_size=20))
def test_rate_and_proportion_limits_contain_the_value_and_widen(x: list[int], extra: list[int]) -> None:
    n = [xi + e for xi, e in zip(x, extra, strict=False)]
    data = pd.DataFrame({"x": x, "n": n})
    for function in (bh.indicators.crude_rate, bh.indicators.proportion):
        out = function(data, "x", "n", confidence=(0.95, 0.998))
        assert (out["lower99_8cl"].fillna(0) <= out["lower95_0cl"] + 1e-9).all()
        assert (out["lower95_0cl"] <= out["value"] + 1e-9).all()
        assert (out["value"] <= out["upper95_0cl"] + 1e-9).all()
        assert (out["upper95_0cl"] <= out["upper99_8cl"] + 1e-9).all()


@SETTINGS
@given(
    x=st.lists(counts, min_size=1, max_size=20),
    extra=st.lists(st.integers(0, 10**6), min_size=20, max_size=20),
    level=levels,
)
def test_wilson_limits_stay_in_unit_interval(x: list[int], extra: list[int], level: float) -> None:
    n = np.array([xi + e for xi, e in zip(x, extra, strict=False)], dtype=float)
    n[n == 0] = 1
    xs = np.minimum(np.array(x, dtype=float), n)
    lower = bh.indicators.ci.wilson_lower(xs, n, level)
    upper = bh.indicators.ci.wilson_upper(xs, n, level)
    assert ((lower >= -1e-12) & (lower <= upper) & (upper <= 1 + 1e-12)).all()


@SETTINGS
@given(o=st.integers(0, 5000), low=st.sampled_from([0.9, 0.95]), high=st.sampled_from([0.99, 0.998]))
def test_poisson_limits_nest(o: int, low: float, high: float) -> None:
    ci = bh.indicators.ci
    assert (
        ci.poisson_lower(o, high)
        <= ci.poisson_lower(o, low)
        <= o
        <= ci.poisson_upper(o, low)
        <= ci.poisson_upper(o, high)
    )


@SETTINGS
@given(
    rate=st.integers(1, 500),
    thousands=st.lists(st.integers(1, 50), min_size=19, max_size=19),
    multiplier=st.sampled_from([1000, 100_000]),
)
def test_dsr_of_equal_rates_is_that_rate(rate: int, thousands: list[int], multiplier: int) -> None:
    pop = np.array(thousands) * 1000
    deaths = np.array(thousands) * rate  # rate per 1,000 in every band
    data = pd.DataFrame({"age_band": BANDS, "deaths": deaths, "pop": pop})
    out = bh.indicators.dsr(data, "deaths", "pop", age_band="age_band", multiplier=multiplier)
    expected = rate / 1000 * multiplier
    assert abs(out["value"].item() - expected) <= 1e-12 * expected
    assert out["lowercl"].item() <= expected <= out["uppercl"].item()


@SETTINGS
@given(
    deaths=st.lists(st.integers(0, 400), min_size=19, max_size=19),
    pops=st.lists(st.integers(1000, 50_000), min_size=19, max_size=19),
)
def test_isr_of_a_population_against_itself_is_one(deaths: list[int], pops: list[int]) -> None:
    data = pd.DataFrame({"x": deaths, "n": pops})
    out = bh.indicators.isr(data, "x", "n", "x", "n", confidence=(0.95, 0.998))
    if sum(deaths) == 0:
        assert np.isnan(out["value"].item())
    else:
        assert abs(out["value"].item() - 1) < 1e-12
        assert (
            out["lower99_8cl"].item()
            <= out["lower95_0cl"].item()
            <= 1
            <= out["upper95_0cl"].item()
            <= out["upper99_8cl"].item()
        )


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_results_do_not_depend_on_row_order_and_input_is_untouched(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "area": np.repeat(["a", "b", "c"], 19),
            "age_band": BANDS * 3,
            "x": rng.integers(0, 50, 57),
            "n": rng.integers(100, 5000, 57),
        }
    )
    data["xr"] = data["x"] + 10
    data["nr"] = data["n"] * 10
    shuffled = data.sample(frac=1, random_state=seed)
    before = shuffled.copy(deep=True)
    calls = [
        lambda d: bh.indicators.dsr(d, "x", "n", by="area", age_band="age_band", confidence=(0.95, 0.998)),
        lambda d: bh.indicators.isr(d, "x", "n", "xr", "nr", by="area"),
        lambda d: bh.indicators.crude_rate(d, "x", "n", by="area"),
        lambda d: bh.indicators.proportion(d, "x", "n", by="area"),
        lambda d: bh.indicators.mean(d, "x", by="area"),
    ]
    for call in calls:
        pd.testing.assert_frame_equal(call(data), call(shuffled), check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(shuffled, before)
    q1 = bh.indicators.quantiles(data, "x", by="area", n=4)
    q2 = bh.indicators.quantiles(shuffled, "x", by="area", n=4).loc[data.index]
    assert q1["quantile"].tolist() == q2["quantile"].tolist()


@SETTINGS
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=50), level=levels)
def test_mean_limits_contain_the_mean(values: list[float], level: float) -> None:
    out = bh.indicators.mean(pd.DataFrame({"v": values}), "v", confidence=level)
    assert out["lowercl"].item() <= out["value"].item() + 1e-6 <= out["uppercl"].item() + 2e-6
    assert abs(out["value"].item() - np.mean(values)) <= 1e-9 * (1 + abs(np.mean(values)))


# --- properties that tell a right method from a wrong one -----------------------------------------------------

WEIGHTS = bh.datasets.esp2013()["population"].to_numpy(dtype=float)


@SETTINGS
@given(
    deaths=st.lists(st.integers(0, 500), min_size=19, max_size=19),
    pops=st.lists(st.integers(500, 50_000), min_size=19, max_size=19),
)
def test_dsr_weights_each_band_rate_by_the_standard_population(deaths: list[int], pops: list[int]) -> None:
    """Unequal rates in bands of unequal standard weight: only the standard weighting gives this value."""
    data = pd.DataFrame({"age_band": BANDS, "deaths": deaths, "pop": pops})
    out = bh.indicators.dsr(data, "deaths", "pop", age_band="age_band", metadata=False)
    rates = np.array(deaths) / np.array(pops)
    expected = (rates * WEIGHTS).sum() / WEIGHTS.sum() * 100_000
    if sum(deaths) < 10:
        assert np.isnan(out["value"].item())
    else:
        assert out["value"].item() == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert out["lowercl"].item() < expected < out["uppercl"].item()


@SETTINGS
@given(
    values=st.lists(st.floats(50, 90), min_size=5, max_size=12),
    pops=st.lists(st.integers(100, 100_000), min_size=5, max_size=12),
)
def test_sii_is_the_population_weighted_fit(values: list[float], pops: list[int]) -> None:
    """Any values (not only linear ones) and unequal populations: the SII is the WLS slope on the rank."""
    import statsmodels.api as sm

    k = min(len(values), len(pops))
    values, pops = values[:k], pops[:k]
    share = np.array(pops, dtype=float) / sum(pops)
    rank = np.cumsum(share) - share / 2
    fit = sm.WLS(np.array(values), sm.add_constant(rank), weights=share).fit()
    df = pd.DataFrame({"q": range(1, k + 1), "pop": pops, "v": values, "se": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = bh.indicators.sii(df, "q", "pop", value="v", se="se", intercept=True, repetitions=1000, seed=0)
    assert out["sii"].iloc[0] == pytest.approx(fit.params[1], rel=1e-9, abs=1e-9)
    assert out["intercept"].iloc[0] == pytest.approx(fit.params[0], rel=1e-9, abs=1e-9)


LE_BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]


@SETTINGS
@given(pops=st.lists(st.integers(200, 300), min_size=20, max_size=20))
def test_life_expectancy_is_blank_exactly_when_the_population_is_5000_or_less(pops: list[int]) -> None:
    deaths = [1] * 19 + [50]
    data = pd.DataFrame({"age": LE_BANDS, "d": deaths, "p": pops})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = bh.indicators.life_expectancy(data, "d", "p", "age", at_age=0)
    assert np.isnan(out["value"].item()) == (sum(pops) <= 5000)


@SETTINGS
@given(band=st.integers(2, 18), excess=st.integers(1, 500))
def test_nobody_reaches_the_ages_after_a_band_where_deaths_exceed_p_over_n_a(band: int, excess: int) -> None:
    """Deaths above P / (n a) in a band make q = 1: every later start age has life expectancy 0."""
    pops = [10_000] * 20
    deaths = [20] * 19 + [500]
    deaths[band] = 10_000 // 5 * 2 + excess  # P / (n a) = 10,000 / 5 / 0.5
    deaths[band] = min(deaths[band], pops[band])
    data = pd.DataFrame({"age": LE_BANDS, "d": deaths, "p": pops})
    out = bh.indicators.life_expectancy(data, "d", "p", "age")
    assert (out["value"].iloc[band + 1 :] == 0).all()
    assert out["lowercl"].iloc[band + 1 :].isna().all()
    assert out["value"].iloc[band] == pytest.approx(2.5, rel=1e-12)
    assert (out["value"].iloc[: band + 1] > 0).all()
