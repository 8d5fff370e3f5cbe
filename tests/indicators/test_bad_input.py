"""Every bad-input path raises an InputError subclass whose message names the argument, the column,
the number of rows and the first offending values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, ReferenceDataError, SchemaError

BANDS = bh.datasets.esp2013()["age_band"].tolist()


def areas(n_areas: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": np.repeat([f"A{i}" for i in range(n_areas)], len(BANDS)),
            "age_band": BANDS * n_areas,
            "x": np.arange(len(BANDS) * n_areas) % 7 + 3,
            "n": 1000,
            "w": np.tile(bh.datasets.esp2013()["population"].to_numpy(), n_areas),
            "xr": 50,
            "nr": 10_000,
        }
    )


def test_errors_are_value_errors() -> None:
    assert issubclass(InputError, ValueError)
    for cls in (SchemaError, DomainError, ReferenceDataError):
        assert issubclass(cls, InputError)
        assert issubclass(cls, bh.errors.BLMKError)


# --- columns ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda d: bh.indicators.crude_rate(d, "missing", "n"),
        lambda d: bh.indicators.proportion(d, "x", "missing"),
        lambda d: bh.indicators.mean(d, "missing"),
        lambda d: bh.indicators.dsr(d, "x", "n", by="missing", age_band="age_band"),
        lambda d: bh.indicators.dsr(d, "x", "n", std_pop="missing"),
        lambda d: bh.indicators.isr(d, "x", "n", "missing", "nr"),
        lambda d: bh.indicators.quantiles(d, "missing"),
    ],
)
def test_missing_column(call: Any) -> None:
    with pytest.raises(SchemaError, match=r"column not found: .*'missing'.*The data has columns 'area'"):
        call(areas())


@pytest.mark.parametrize(
    "call",
    [
        lambda d: bh.indicators.crude_rate(d, "area", "n"),
        lambda d: bh.indicators.proportion(d, "x", "area"),
        lambda d: bh.indicators.mean(d, "area"),
        lambda d: bh.indicators.dsr(d, "area", "n", age_band="age_band"),
        lambda d: bh.indicators.isr(d, "x", "n", "area", "nr"),
        lambda d: bh.indicators.quantiles(d, "area"),
    ],
)
def test_non_numeric_column(call: Any) -> None:
    with pytest.raises(SchemaError, match=r"column 'area' must be numeric but is String \(first values: 'A0'"):
        call(areas())


def test_not_a_frame() -> None:
    with pytest.raises(SchemaError, match=r"data: expected a data frame .* got builtins.dict"):
        bh.indicators.crude_rate({"x": [1], "n": [2]}, "x", "n")


def test_by_must_be_names() -> None:
    with pytest.raises(SchemaError, match="by: column names must be strings"):
        bh.indicators.crude_rate(areas(), "x", "n", by=[1])  # type: ignore[list-item]
    with pytest.raises(SchemaError, match="by: column names are repeated"):
        bh.indicators.crude_rate(areas(), "x", "n", by=["area", "area"])


def test_by_clashing_with_output() -> None:
    with pytest.raises(SchemaError, match=r"by: columns \['value'\] would be overwritten"):
        bh.indicators.crude_rate(areas().rename(columns={"area": "value"}), "x", "n", by="value")


def test_rowwise_clash_with_output() -> None:
    with pytest.raises(SchemaError, match=r"data: columns \['value'\] would be overwritten"):
        bh.indicators.crude_rate(areas().assign(value=1), "x", "n")


# --- values -------------------------------------------------------------------------------------------


def test_negative_counts_name_argument_column_rows_values() -> None:
    data = areas()
    data.loc[[3, 5], "x"] = [-2, -9]
    for call in (
        lambda: bh.indicators.crude_rate(data, "x", "n"),
        lambda: bh.indicators.proportion(data, "x", "n"),
        lambda: bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band"),
        lambda: bh.indicators.isr(data, "x", "n", "xr", "nr", by="area"),
    ):
        with pytest.raises(
            DomainError,
            match=r"^x: column 'x' has a negative (count|numerator) in 2 rows \(first offending values: -2, -9\)",
        ):
            call()


@pytest.mark.parametrize("bad", [0, -5])
def test_zero_or_negative_denominators(bad: int) -> None:
    data = areas()
    data.loc[0, "n"] = bad
    for call in (
        lambda: bh.indicators.crude_rate(data, "x", "n"),
        lambda: bh.indicators.proportion(data, "x", "n"),
        lambda: bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band"),
    ):
        with pytest.raises(
            DomainError, match=rf"n: column 'n' has a zero or negative .* in 1 row \(first offending values: {bad}\)"
        ):
            call()


def test_isr_allows_zero_but_not_negative_population() -> None:
    data = areas()
    data.loc[0, "n"] = 0
    out = bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")
    assert out["expected"].iloc[0] < out["expected"].iloc[1]
    data.loc[0, "n"] = -1
    with pytest.raises(DomainError, match="n: column 'n' has a negative population in 1 row"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")


def test_isr_reference_values() -> None:
    data = areas()
    data.loc[1, "xr"] = -1
    with pytest.raises(DomainError, match="x_ref: column 'xr' has a negative reference count"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")
    data = areas().astype({"nr": float})
    data.loc[2, "nr"] = 0
    with pytest.raises(DomainError, match="n_ref: column 'nr' has a zero or negative reference population"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")
    data.loc[2, "nr"] = np.nan
    with pytest.raises(DomainError, match="n_ref: column 'nr' has a missing reference population"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")


def test_numerator_above_denominator_in_proportion_only() -> None:
    data = pd.DataFrame({"x": [5, 12, 3], "n": [10, 10, 2]})
    with pytest.raises(
        DomainError,
        match=r"x: column 'x' is greater than the denominator 'n' in 2 rows \(first offending values: 12, 3\)",
    ):
        bh.indicators.proportion(data, "x", "n")
    assert bh.indicators.crude_rate(data, "x", "n")["value"].iloc[1] == pytest.approx(120_000)


def test_dsr_missing_population_is_an_error() -> None:
    data = areas().astype({"n": float})
    data.loc[4, "n"] = np.nan
    with pytest.raises(DomainError, match="n: column 'n' has a missing population in 1 row"):
        bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band")


def test_dsr_standard_population_values() -> None:
    data = areas().astype({"w": float})
    data.loc[0, "w"] = np.nan
    with pytest.raises(DomainError, match="std_pop: column 'w' has a missing standard population"):
        bh.indicators.dsr(data, "x", "n", by="area", std_pop="w")
    data.loc[0, "w"] = -1
    with pytest.raises(DomainError, match="std_pop: column 'w' has a negative standard population"):
        bh.indicators.dsr(data, "x", "n", by="area", std_pop="w")


def test_dsr_duplicate_group_age_band() -> None:
    data = pd.concat([areas(), areas().iloc[[0, 20]]], ignore_index=True)
    with pytest.raises(
        SchemaError,
        match=r"age_band: 2 \(group, age band\) combination\(s\) appear on more than one row "
        r"\(first: \('A0', age band '0-4'\); \('A1', age band '5-9'\)\)",
    ):
        bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band")


def test_dsr_same_start_age_twice_is_a_duplicate() -> None:
    data = areas(1)
    data.loc[1, "age_band"] = "00-04"
    with pytest.raises(SchemaError, match=r"appear on more than one row \(first: \(age band '0-4' and '00-04'\)\)"):
        bh.indicators.dsr(data, "x", "n", age_band="age_band")


def test_dsr_bands_not_in_standard_population() -> None:
    data = areas()
    data.loc[data["age_band"] == "85-89", "age_band"] = "85+"
    data.loc[data["age_band"] == "10-14", "age_band"] = "11-14"
    with pytest.raises(SchemaError, match=r"age_band: 2 age-band label\(s\) do not match .*: '11-14', '85\+'"):
        bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band")


def test_dsr_needs_age_band_for_esp2013() -> None:
    with pytest.raises(InputError, match="age_band: the column of age-band labels is required"):
        bh.indicators.dsr(areas(), "x", "n", by="area")


def test_dsr_non_independent_arguments() -> None:
    with pytest.raises(InputError, match="event_frequency and age_band: both are required"):
        bh.indicators.dsr(areas(), "x", "n", by="area", age_band="age_band", independent_events=False)
    data = areas().assign(f=1)
    data.loc[0, "f"] = 0
    with pytest.raises(DomainError, match="event_frequency: column 'f' has a zero, negative or missing frequency"):
        bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band", independent_events=False, event_frequency="f")


def test_dsr_non_independent_population_must_not_vary() -> None:
    one = areas(1).assign(f=1)
    two = one.assign(f=2, n=one["n"] + 1)
    with pytest.raises(SchemaError, match="must be the same on every event-frequency row"):
        bh.indicators.dsr(
            pd.concat([one, two]), "x", "n", age_band="age_band", independent_events=False, event_frequency="f"
        )


def test_dsr_non_independent_duplicate_frequency() -> None:
    one = areas(1).assign(f=1)
    with pytest.raises(SchemaError, match=r"2 \(group, age band, f\) combination.*\(age band '0-4', f=1\)"):
        bh.indicators.dsr(
            pd.concat([one, one.iloc[:2]]), "x", "n", age_band="age_band", independent_events=False, event_frequency="f"
        )


# --- arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "confidence", [0.8, 0.5, 101, -1, 89.9, (0.95, 0.99), (0.9, 0.95, 0.998), (), "95%", None, True, float("nan")]
)
def test_bad_confidence(confidence: Any) -> None:
    with pytest.raises(DomainError, match="confidence"):
        bh.indicators.crude_rate(areas(), "x", "n", confidence=confidence)


@pytest.mark.parametrize("multiplier", [0, -100, float("inf"), "100", None, True])
def test_bad_multiplier(multiplier: Any) -> None:
    for call in (
        lambda: bh.indicators.crude_rate(areas(), "x", "n", multiplier=multiplier),
        lambda: bh.indicators.proportion(areas(), "x", "n", multiplier=multiplier),
        lambda: bh.indicators.dsr(areas(), "x", "n", by="area", age_band="age_band", multiplier=multiplier),
        lambda: bh.indicators.isr(areas(), "x", "n", "xr", "nr", multiplier=multiplier),
    ):
        with pytest.raises(DomainError, match="multiplier"):
            call()


def test_isr_kind_and_refvalue() -> None:
    with pytest.raises(InputError, match="kind: expected one of 'ratio', 'rate', got 'smr'"):
        bh.indicators.isr(areas(), "x", "n", "xr", "nr", kind="smr")
    with pytest.raises(DomainError, match="refvalue"):
        bh.indicators.isr(areas(), "x", "n", "xr", "nr", refvalue=0)


def test_isr_observed_totals_problems() -> None:
    data = areas().drop(columns="x")
    with pytest.raises(SchemaError, match="column not found: observed_totals='x'"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area", observed_totals=pd.DataFrame({"area": ["A0"]}))
    with pytest.raises(ReferenceDataError, match=r"1 group\(s\) of data have no observed total \(first: \('A1',\)\)"):
        bh.indicators.isr(
            data, "x", "n", "xr", "nr", by="area", observed_totals=pd.DataFrame({"area": ["A0"], "x": [4]})
        )
    with pytest.raises(SchemaError, match="rows repeat a group"):
        bh.indicators.isr(
            data,
            "x",
            "n",
            "xr",
            "nr",
            by="area",
            observed_totals=pd.DataFrame({"area": ["A0", "A0", "A1"], "x": [4, 5, 6]}),
        )
    with pytest.raises(DomainError, match="observed_totals: column 'x' has a negative count"):
        bh.indicators.isr(
            data, "x", "n", "xr", "nr", by="area", observed_totals=pd.DataFrame({"area": ["A0", "A1"], "x": [4, -5]})
        )
    with pytest.raises(SchemaError, match="without `by`, expected one row"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", observed_totals=pd.DataFrame({"x": [4, 5]}))
    with pytest.raises(SchemaError, match="column not found: x='x'"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")


def test_isr_observed_totals_without_groups() -> None:
    data = areas(1).drop(columns="x")
    out = bh.indicators.isr(data, "x", "n", "xr", "nr", observed_totals=pd.DataFrame({"x": [100]}))
    assert out["observed"].item() == 100
    assert out["expected"].item() == pytest.approx(19 * 50 / 10_000 * 1000)


def test_quantiles_arguments() -> None:
    data = pd.DataFrame({"v": [1.0, 2.0, 3.0], "g": ["a", "a", "b"], "flag": [True, True, False]})
    for n in (0, -1, 2.5, True):
        with pytest.raises(DomainError, match="n: expected a whole number >= 1"):
            bh.indicators.quantiles(data, "v", n=n)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="invert: expected True, False or the name"):
        bh.indicators.quantiles(data, "v", invert=1)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="invert: column 'g' must be boolean"):
        bh.indicators.quantiles(data, "v", invert="g")
    with pytest.raises(
        SchemaError, match=r"invert: column 'flag' must be the same within each group; it varies in 1 group"
    ):
        bh.indicators.quantiles(data, "v", invert="flag", n=1)
    with pytest.raises(SchemaError, match=r"data: columns \['quantile'\] would be overwritten"):
        bh.indicators.quantiles(data.assign(quantile=1), "v")


def test_messages_cap_the_values_shown() -> None:
    data = pd.DataFrame({"x": -np.arange(1, 20), "n": 10})
    with pytest.raises(DomainError) as err:
        bh.indicators.crude_rate(data, "x", "n")
    assert "in 19 rows (first offending values: -1, -2, -3, -4, -5)" in str(err.value)


def test_lazy_inputs_are_checked_too() -> None:
    import polars as pl

    data = (
        pl.from_pandas(areas())
        .lazy()
        .with_columns(pl.when(pl.col("age_band") == "0-4").then(-1).otherwise(pl.col("x")).alias("x"))
    )
    with pytest.raises(DomainError, match="x: column 'x' has a negative count in 2 rows"):
        bh.indicators.dsr(data, "x", "n", by="area", age_band="age_band")
