"""Age bands are matched to the standard exactly and must all be present in every group; messages quote
the labels the user wrote. (Issue 8, defects 1 and 2: ten-year bands and a missing 90+ band used to give
a silently wrong DSR.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import SchemaError
from tests.helpers import LE_BANDS, LE_DEATHS, LE_POPS

ESP = bh.datasets.esp2013()
BANDS = ESP["age_band"].tolist()
WEIGHTS = ESP["population"].to_numpy(dtype=float)


def five_year(area: str = "E06000032") -> pd.DataFrame:
    """Deaths rising with age in the 19 standard bands, 1,000 people in each."""
    deaths = np.array([1, 0, 0, 1, 1, 2, 2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 130, 180, 240])
    return pd.DataFrame({"area": area, "age_band": BANDS, "deaths": deaths, "pop": 1000})


def hand_dsr(frame: pd.DataFrame) -> float:
    """sum(x_i / n_i w_i) / sum(w_i) * 100,000 over the 19 standard bands (METHODS.md 2.2)."""
    return float((frame["deaths"] / frame["pop"] * WEIGHTS).sum() / WEIGHTS.sum() * 100_000)


def test_standard_bands_give_the_hand_calculated_dsr() -> None:
    data = five_year()
    out = bh.indicators.dsr(data, "deaths", "pop", age_band="age_band")
    assert out["value"].item() == pytest.approx(hand_dsr(data), rel=1e-12)


def test_ten_year_bands_are_refused_quoting_the_labels() -> None:
    data = five_year()
    start = data["age_band"].str.extract(r"^(\d+)")[0].astype(int)
    decade = (start // 10 * 10).clip(upper=90)
    data["band10"] = [f"{d}-{d + 9}" if d < 90 else "90+" for d in decade]
    tens = data.groupby("band10", as_index=False, sort=False)[["deaths", "pop"]].sum()
    with pytest.raises(
        SchemaError, match=r"9 age-band label\(s\) do not match the 2013 European Standard Population: "
    ):
        bh.indicators.dsr(tens, "deaths", "pop", age_band="band10")
    with pytest.raises(SchemaError, match=r"'0-9', '10-19', '20-29'"):
        bh.indicators.dsr(tens, "deaths", "pop", age_band="band10")


def test_a_missing_band_is_refused_naming_the_group_and_the_band() -> None:
    data = pd.concat([five_year("E06000032"), five_year("E06000055")], ignore_index=True)
    complete = bh.indicators.dsr(data, "deaths", "pop", by="area", age_band="age_band")
    assert complete["value"].tolist() == pytest.approx([hand_dsr(five_year())] * 2, rel=1e-12)
    without_90 = data[~((data["area"] == "E06000055") & (data["age_band"] == "90+"))]
    with pytest.raises(
        SchemaError,
        match=r"age_band: 1 group\(s\) do not have every band of the 2013 European Standard Population "
        r"\(19 bands\) \('E06000055' lacks 90\+\)\. Every group needs one row per band",
    ):
        bh.indicators.dsr(without_90, "deaths", "pop", by="area", age_band="age_band")


def test_a_band_without_events_is_a_row_with_zero() -> None:
    data = five_year()
    data.loc[data["age_band"] == "5-9", "deaths"] = 0
    out = bh.indicators.dsr(data, "deaths", "pop", age_band="age_band")
    assert out["value"].item() == pytest.approx(hand_dsr(data), rel=1e-12)
    with pytest.raises(SchemaError, match=r"\(all rows lacks 5-9\)"):
        bh.indicators.dsr(data[data["age_band"] != "5-9"], "deaths", "pop", age_band="age_band")


def test_twenty_band_form_must_be_complete_too() -> None:
    esp20 = bh.datasets.esp2013(bands=20)
    data = pd.DataFrame({"band": esp20["age_band"], "x": 10, "n": 1000})
    assert bh.indicators.dsr(data, "x", "n", age_band="band")["value"].item() == pytest.approx(1000.0)
    with pytest.raises(SchemaError, match=r"20 bands\) \(all rows lacks 0\)"):
        bh.indicators.dsr(data.iloc[1:], "x", "n", age_band="band")


@pytest.mark.parametrize(
    ("label", "ok"),
    [("5-9", True), ("05-09", True), ("Aged 5 to 9", True), (5, True), ("5-14", False), ("4-9", False)],
)
def test_a_band_must_start_and_end_as_the_standard_does(label: object, ok: bool) -> None:
    data = five_year().astype({"age_band": object})
    data.loc[1, "age_band"] = label
    if ok:
        assert bh.indicators.dsr(data, "deaths", "pop", age_band="age_band")["value"].item() == pytest.approx(
            hand_dsr(five_year()), rel=1e-12
        )
    else:
        with pytest.raises(SchemaError, match=rf"do not match the 2013 European Standard Population: {label!r}"):
            bh.indicators.dsr(data, "deaths", "pop", age_band="age_band")


def test_a_repeated_band_quotes_the_labels_written() -> None:
    data = pd.concat([five_year(), five_year().iloc[[3]].assign(age_band="Aged 15 to 19")], ignore_index=True)
    with pytest.raises(
        SchemaError,
        match=r"1 \(group, age band\) combination\(s\) appear on more than one row "
        r"\(first: \(age band '15-19' and 'Aged 15 to 19'\)\)",
    ):
        bh.indicators.dsr(data, "deaths", "pop", age_band="age_band")


def test_life_table_duplicates_quote_the_labels_written() -> None:
    data = pd.DataFrame({"area": "E06000032", "age": LE_BANDS, "d": LE_DEATHS, "p": LE_POPS})
    data = pd.concat([data, data.iloc[[0]].assign(age="Under 1")], ignore_index=True)
    with pytest.raises(
        SchemaError, match=r"\(first: \('E06000032', age band '0' and 'Under 1'\)\); each group needs one row"
    ):
        bh.indicators.life_expectancy(data, "d", "p", "age", by="area")


def test_std_pop_column_keeps_the_reference_freedom_of_bands() -> None:
    """With the standard population in a column (calculate_dsr), groups may hold different bands."""
    data = pd.DataFrame(
        {
            "g": ["a", "a", "b"],
            "band": ["young", "old", "all"],
            "x": [5, 20, 30],
            "n": [1000, 500, 2000],
            "w": [60, 40, 1],
        }
    )
    out = bh.indicators.dsr(data, "x", "n", by="g", std_pop="w", age_band="band")
    expected_a = (5 / 1000 * 60 + 20 / 500 * 40) / 100 * 100_000
    assert out["value"].tolist() == pytest.approx([expected_a, 30 / 2000 * 100_000], rel=1e-12)


# --- isr takes age bands by the same rule, when told which column holds them -----------------------------


def isr_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": np.repeat(["A", "B"], 3),
            "band": ["0-39", "40-64", "65+"] * 2,
            "x": [3, 20, 60, 1, 10, 30],
            "n": [5000, 3000, 1000, 4000, 2000, 800],
            "xr": [900, 6000, 30000] * 2,
            "nr": [2_000_000, 1_000_000, 500_000] * 2,
        }
    )


def test_isr_with_age_band_checks_and_gives_the_same_numbers() -> None:
    data = isr_data()
    plain = bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")
    checked = bh.indicators.isr(data, "x", "n", "xr", "nr", by="area", age_band="band")
    bh.testing.assert_indicator_frame_equal(checked, plain)
    expected_a = 900 / 2e6 * 5000 + 6000 / 1e6 * 3000 + 30000 / 5e5 * 1000
    assert plain["expected"].iloc[0] == pytest.approx(expected_a, rel=1e-12)


def test_isr_refuses_a_group_missing_a_band() -> None:
    data = isr_data().drop(index=5)
    with pytest.raises(
        SchemaError, match=r"do not have every band of the 3 bands found in the data \('B' lacks 65\+\)"
    ):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area", age_band="band")
    # without age_band the table is taken as it is, as in the reference
    out = bh.indicators.isr(data, "x", "n", "xr", "nr", by="area")
    assert out["observed"].tolist() == [83, 11]


def test_isr_refuses_a_repeated_band() -> None:
    data = pd.concat([isr_data(), isr_data().iloc[[0]]], ignore_index=True)
    with pytest.raises(SchemaError, match=r"\('A', age band '0-39'\)"):
        bh.indicators.isr(data, "x", "n", "xr", "nr", by="area", age_band="band")
