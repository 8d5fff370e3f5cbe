"""Every suppression and validation rule tested on both sides of its boundary, from hand-built data.

(Issue 8: changing "below 10 events" to "at 10 or below", the 20-year CI rule from 10 to 15 years of
half-width, or the 5,000 population limit to 6,000 must each fail a test here, with no golden files.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError
from tests.helpers import LE_BANDS, LE_DEATHS, LE_POPS

ESP = bh.datasets.esp2013()
Z95 = 1.959963984540054


# --- DSR: suppressed below 10 events -------------------------------------------------------------------------


@pytest.mark.parametrize(("events", "shown"), [(9, False), (10, True), (11, True)])
def test_dsr_is_suppressed_below_ten_events(events: int, shown: bool) -> None:
    x = np.zeros(19, dtype=int)
    x[-1] = events  # all the events in the 90+ band (weight 1,000 of 100,000)
    data = pd.DataFrame({"age_band": ESP["age_band"], "x": x, "n": 500})
    out = bh.indicators.dsr(data, "x", "n", age_band="age_band").iloc[0]
    assert out["total_count"] == events
    if shown:
        assert out["value"] == pytest.approx(events / 500 * 1000 / 100_000 * 100_000, rel=1e-12)
        assert out["statistic"] == "dsr per 100000"
        assert out["lowercl"] < out["value"] < out["uppercl"]
    else:
        assert np.isnan(out["value"])
        assert np.isnan(out["lowercl"])
        assert out["statistic"] == "dsr NA for total count < 10"


# --- life expectancy: total population 5,000 or less, and the 95% CI wider than 20 years ---------------------


def le_table(pops: list[int], deaths: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"age": LE_BANDS, "d": deaths, "p": pops})


@pytest.mark.parametrize(("extra", "shown"), [(0, False), (1, True)])
def test_life_expectancy_needs_a_population_above_5000(extra: int, shown: bool) -> None:
    pops = [250] * 20
    pops[5] += extra  # 5,000 or 5,001 in all
    deaths = [1] * 19 + [100]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = bh.indicators.life_expectancy(le_table(pops, deaths), "d", "p", "age", at_age=0)
    row = out.iloc[0]
    assert row["pops_used"] == 5000 + extra
    if shown:
        assert np.isfinite(row["value"])
        assert np.isfinite(row["lowercl"])
        assert row["statistic"] == "life expectancy at 0"
        assert not caught
    else:
        assert np.isnan(row["value"])
        assert np.isnan(row["lowercl"])
        assert row["statistic"] == "life expectancy at 0 NA: total population <= 5,000"
        assert "total population <= 5,000" in str(caught[0].message)


@pytest.mark.parametrize(("deaths", "pop", "shown"), [(5, 57, True), (6, 75, False), (6, 74, True), (2, 15, False)])
def test_life_expectancy_value_is_withheld_when_the_95_ci_is_wider_than_20_years(
    deaths: int, pop: int, shown: bool
) -> None:
    """At 90+ the life expectancy is P / D and its standard error P / D^1.5 (Silcocks et al).

    Half-widths (z = qnorm(0.975)): 5 deaths in 57 people 9.992 years, 6 in 75 10.002, 6 in 74 9.868,
    2 in 15 10.395: the value is shown below 10 years of half-width and withheld above.
    """
    out = bh.indicators.life_expectancy(
        le_table([*LE_POPS[:-1], pop], [*LE_DEATHS[:-1], deaths]), "d", "p", "age", at_age=90, confidence=(0.95, 0.998)
    ).iloc[0]
    half_width = Z95 * pop / deaths**1.5
    assert (out["upper95_0cl"] - out["lower95_0cl"]) / 2 == pytest.approx(half_width, rel=1e-12)
    assert abs(half_width - 10) < 0.4
    if shown:
        assert out["value"] == pytest.approx(pop / deaths, rel=1e-12)
        assert out["statistic"] == "life expectancy at 90"
    else:
        assert np.isnan(out["value"])
        assert out["statistic"] == "life expectancy at 90: value suppressed, 95% CI wider than 20 years"
        # the limits are still given, at every level
        assert np.isfinite(out["lower99_8cl"])


# --- life expectancy after a band where everyone dies (q = 1) --------------------------------------------------


def test_after_a_band_where_everyone_dies_life_expectancy_is_zero() -> None:
    """5,169 deaths among 7,016 people aged 75-79: more than P / (n a) = 2,806.4, so q = 1 and nobody reaches 80."""
    deaths, pops = list(LE_DEATHS), list(LE_POPS)
    i75 = LE_BANDS.index("75-79")
    deaths[i75], pops[i75] = 5169, 7016
    out = bh.indicators.life_expectancy(le_table(pops, deaths), "d", "p", "age")
    later = out.iloc[i75 + 1 :]
    assert (later["value"] == 0).all()
    assert later[["lowercl", "uppercl"]].isna().all().all()
    assert (
        later["statistic"]
        .str.endswith(
            "no survivors to this age (everyone died in an earlier age band), so 0 years with no confidence limits"
        )
        .all()
    )
    assert later["statistic"].iloc[0].startswith("life expectancy at 80: ")
    # at 75 everyone dies within the band: they live a = 0.5 of its 5 years on average
    at75 = out.iloc[i75]
    assert at75["value"] == pytest.approx(2.5, rel=1e-12)
    assert at75["statistic"] == "life expectancy at 75"
    # what happens after 80 cannot change the life expectancy at birth
    changed = le_table(pops, [*deaths[: i75 + 1], *[d * 2 for d in deaths[i75 + 1 :]]])
    at_birth = bh.indicators.life_expectancy(changed, "d", "p", "age", at_age=0)["value"].item()
    assert at_birth == pytest.approx(out["value"].iloc[0], rel=1e-12)
    assert 60 < at_birth < 78


def test_healthy_life_expectancy_after_everyone_dies_is_zero_too() -> None:
    deaths, pops = list(LE_DEATHS), list(LE_POPS)
    i75 = LE_BANDS.index("75-79")
    deaths[i75], pops[i75] = 5169, 7016
    data = le_table(pops, deaths).assign(good=0.8, size=300)
    out = bh.indicators.healthy_life_expectancy(data, "d", "p", "age", "good", "size")
    assert (out["value"].iloc[i75 + 1 :] == 0).all()
    assert out["lowercl"].iloc[i75 + 1 :].isna().all()
    assert out["value"].iloc[i75] == pytest.approx(0.8 * 2.5, rel=1e-12)


# --- denominators are checked after grouping (defect 3) ----------------------------------------------------------


def small_areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place": ["Luton"] * 3 + ["Bedford"] * 2,
            "band": ["0-4", "5-9", "90+", "0-4", "90+"],
            "x": [3, 0, 2, 4, 0],
            "n": [300, 0, 200, 500, 0],
        }
    )


@pytest.mark.parametrize("function", [bh.indicators.crude_rate, bh.indicators.proportion])
def test_a_zero_denominator_row_inside_a_positive_group_is_allowed(function: object) -> None:
    out = function(small_areas(), "x", "n", by="place", multiplier=100)  # type: ignore[operator]
    assert out["place"].tolist() == ["Bedford", "Luton"]
    assert out["n"].tolist() == [500, 500]
    assert out["value"].tolist() == pytest.approx([0.8, 1.0], rel=1e-12)


@pytest.mark.parametrize("function", [bh.indicators.crude_rate, bh.indicators.proportion])
def test_a_group_whose_denominators_sum_to_zero_is_refused(function: object) -> None:
    data = small_areas()
    data.loc[data["place"] == "Bedford", ["x", "n"]] = 0
    with pytest.raises(
        DomainError, match=r"n: column 'n' sums to zero in 1 group\(s\) of \['place'\] \(first: 'Bedford'\)"
    ):
        function(data, "x", "n", by="place")  # type: ignore[operator]


@pytest.mark.parametrize("function", [bh.indicators.crude_rate, bh.indicators.proportion])
def test_denominators_are_still_checked_per_row(function: object) -> None:
    data = small_areas()
    with pytest.raises(DomainError, match=r"n: column 'n' has a zero or negative denominator in 2 rows"):
        function(data, "x", "n")  # type: ignore[operator]  # ungrouped: each row is an area
    data.loc[0, "n"] = -1
    with pytest.raises(DomainError, match=r"n: column 'n' has a negative denominator in 1 row"):
        function(data, "x", "n", by="place")  # type: ignore[operator]


def test_a_missing_denominator_gives_a_missing_rate_not_an_error() -> None:
    data = small_areas().astype({"n": float})
    data.loc[0, "n"] = np.nan
    out = bh.indicators.crude_rate(data, "x", "n", by="place")
    assert np.isnan(out["value"].iloc[1])
    assert out["value"].iloc[0] == pytest.approx(800.0)


# --- counts stay integers (defect 5) ----------------------------------------------------------------------------


def test_summed_counts_keep_an_integer_type() -> None:
    data = small_areas()
    rate = bh.indicators.crude_rate(data, "x", "n", by="place")
    assert rate["x"].dtype == np.int64
    assert rate["n"].dtype == np.int64
    assert rate["x"].tolist() == [4, 5]
    floats = bh.indicators.crude_rate(data.astype({"x": float}), "x", "n", by="place")
    assert floats["x"].dtype == np.float64
    assert floats["n"].dtype == np.int64
    deaths = pd.DataFrame({"age_band": ESP["age_band"], "x": np.arange(19), "n": 1000})
    dsr = bh.indicators.dsr(deaths, "x", "n", age_band="age_band")
    assert dsr["total_count"].dtype == np.int64
    assert dsr["total_count"].item() == 171
    assert dsr["total_pop"].dtype == np.int64
    assert dsr["total_pop"].item() == 19_000
    isr = bh.indicators.isr(deaths.assign(xr=10, nr=1000), "x", "n", "xr", "nr")
    assert isr["observed"].dtype == np.int64
    assert isr["observed"].item() == 171


def test_integer_counts_with_a_missing_value_are_nullable_integers() -> None:
    data = small_areas().astype({"x": "Int64"})
    data.loc[0, "x"] = pd.NA
    out = bh.indicators.crude_rate(data, "x", "n", by="place")
    assert str(out["x"].dtype) == "Int64"
    assert out["x"].tolist()[0] == 4
    assert out["x"].isna().tolist() == [False, True]
    polars = bh.indicators.crude_rate(pl.from_pandas(data), "x", "n", by="place")
    assert polars["x"].dtype == pl.Int64
    assert polars["x"].to_list() == [4, None]
