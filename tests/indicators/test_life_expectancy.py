"""Life expectancy: golden data of PHEindicatormethods, suppression, the 85+ extension, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blmk_health as bh
from blmk_health.errors import DomainError, SchemaError
from blmk_health.indicators._life_table import parse_bands
from tests.helpers import LE_BANDS, LE_DEATHS, LE_POPS, Backend, to_pandas

BANDS, DEATHS, POPS = LE_BANDS, LE_DEATHS, LE_POPS
STARTS = [0, 1, *range(5, 95, 5)]


def table(
    deaths: list[float] | None = None,
    pops: list[float] | None = None,
    labels: list[object] | None = None,
    **extra: object,
) -> pd.DataFrame:
    df = pd.DataFrame({"age": labels or BANDS, "deaths": deaths or DEATHS, "pop": pops or POPS})
    for name, value in extra.items():
        df[name] = value
    return df


def le(df: object, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return to_pandas(bh.indicators.life_expectancy(df, "deaths", "pop", "age", **kwargs))  # type: ignore[arg-type]


# --- behaviour -------------------------------------------------------------------------------------


def test_at_age_and_columns() -> None:
    out = le(table(), at_age=[65, 0], metadata=False)
    assert list(out.columns) == ["age", "value", "lowercl", "uppercl", "pops_used", "dths_used"]
    assert out["age"].tolist() == ["0", "65-69"]
    single = le(table(), at_age=0)
    assert len(single) == 1
    assert single["confidence"].iloc[0] == "95%"


def test_rows_in_any_order_and_integer_labels() -> None:
    shuffled = table(labels=STARTS).sample(frac=1, random_state=3)
    out = le(shuffled)
    reference = le(table())
    np.testing.assert_allclose(out["value"], reference["value"])
    assert out["age"].tolist() == STARTS


def test_backends(backend: Backend) -> None:
    """Every area's values and limits are the same on every backend."""
    df = pd.concat([table(area="A"), table(area="B", deaths=[d + 1 for d in DEATHS])])

    def call(data: object) -> pd.DataFrame:
        return bh.indicators.life_expectancy(data, "deaths", "pop", "age", by="area", at_age=0)  # type: ignore[arg-type]

    expected = call(df)
    assert expected["area"].tolist() == ["A", "B"]
    assert expected["value"].iloc[0] == pytest.approx(80.16960813, abs=1e-6)
    assert expected["value"].iloc[1] < expected["value"].iloc[0]
    backend.assert_matches(call(backend(df)), expected)


def test_confidence_levels_any() -> None:
    out = le(table(), confidence=[0.9, 0.95, 0.998], at_age=0)
    assert {"lower90_0cl", "upper95_0cl", "lower99_8cl"} <= set(out.columns)
    assert out["lower99_8cl"].iloc[0] < out["lower95_0cl"].iloc[0] < out["lower90_0cl"].iloc[0]
    assert out["confidence"].iloc[0] == "90%, 95%, 99.8%"


def test_closed_at_85() -> None:
    """A 19-band table closed at 85+: same method, open band from 85."""
    labels = [*BANDS[:-2], "85+"]
    deaths = [*DEATHS[:-2], DEATHS[-2] + DEATHS[-1]]
    pops = [*POPS[:-2], POPS[-2] + POPS[-1]]
    out = le(table(deaths, pops, labels))
    assert len(out) == 19
    assert out["age"].iloc[-1] == "85+"
    # the final band's life expectancy is 1 / M and its SE is P / (D sqrt(D)) (Silcocks)
    m = deaths[-1] / pops[-1]
    assert out["value"].iloc[-1] == pytest.approx(1 / m)
    z = bh.indicators.ci.z_value(0.95)
    assert out["uppercl"].iloc[-1] - out["value"].iloc[-1] == pytest.approx(z * pops[-1] / deaths[-1] ** 1.5)
    full = le(table())
    assert abs(out["value"].iloc[0] - full["value"].iloc[0]) < 0.05


def test_q_equals_one_rule() -> None:
    """Deaths above 40% of a 5-year band's population: q = 1 and everyone dies in that band."""
    deaths = list(DEATHS)
    pops = list(POPS)
    deaths[10] = 0.45 * pops[10]
    out = le(table(deaths, pops))
    # l = 0 after the band: nobody reaches the later ages, so 0 (as the reference) with no limits
    assert (out["value"].iloc[11:] == 0).all()
    assert out["lowercl"].iloc[11:].isna().all()
    assert out["value"].iloc[10] == pytest.approx(2.5, rel=1e-12)
    assert out["value"].iloc[0] < 50


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d, p: d.__setitem__(3, -1), "negative deaths"),
        (lambda d, p: p.__setitem__(3, 0), "zero or negative population"),
        (lambda d, p: d.__setitem__(19, p[19] + 1), "deaths exceed population"),
        (lambda d, p: d.__setitem__(19, 0), "no deaths in the 90+ band"),
        (lambda d, p: d.__setitem__(5, np.nan), "missing deaths or population"),
    ],
)
def test_group_suppression(change: object, reason: str) -> None:
    deaths, pops = [float(v) for v in DEATHS], [float(v) for v in POPS]
    change(deaths, pops)  # type: ignore[operator]
    df = pd.concat([table(deaths, pops, area="bad"), table(area="good")])
    with pytest.warns(UserWarning, match="1 group"):
        out = bh.indicators.life_expectancy(df, "deaths", "pop", "age", by="area")
    bad = out[out["area"] == "bad"]
    assert bad[["value", "lowercl", "uppercl"]].isna().all().all()
    assert bad["statistic"].str.contains(reason, regex=False).all()
    assert out[out["area"] == "good"]["value"].notna().all()


def test_small_population_suppressed() -> None:
    pops = [250] * 20
    deaths = [1] * 19 + [100]
    with pytest.warns(UserWarning, match="total population <= 5,000"):
        out = bh.indicators.life_expectancy(table(deaths, pops), "deaths", "pop", "age")
    assert out["value"].isna().all()
    assert out["lowercl"].isna().all()


def test_missing_band_in_a_group() -> None:
    df = pd.concat([table(area="A"), table(area="B").iloc[:-1]])
    with pytest.warns(UserWarning, match="19 of the 20 age bands"):
        out = bh.indicators.life_expectancy(df, "deaths", "pop", "age", by="area", at_age=0)
    assert out["value"].isna().tolist() == [False, True]


def test_no_by_keys_multiple_groups_sorted_with_missing_last() -> None:
    df = pd.concat([table(area=None), table(area="Z"), table(area="A")])
    out = le(df, by="area", at_age=0)
    assert out["area"].iloc[:2].tolist() == ["A", "Z"]
    assert pd.isna(out["area"].iloc[2])


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.5, 2.0), min_size=20, max_size=20), st.floats(1.05, 2.0))
def test_more_deaths_lower_life_expectancy(scale: list[float], factor: float) -> None:
    deaths = [max(1.0, round(d * s)) for d, s in zip(DEATHS, scale, strict=True)]
    base = le(table(deaths), at_age=0)["value"].iloc[0]
    worse = le(table([d * factor for d in deaths]), at_age=0)["value"].iloc[0]
    assert worse < base
    assert 0 < base < 110


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 50))
def test_scaling_population_and_deaths_keeps_value(k: int) -> None:
    base = le(table(), at_age=0)
    scaled = le(table([d * k for d in DEATHS], [p * k for p in POPS]), at_age=0)
    assert scaled["value"].iloc[0] == pytest.approx(base["value"].iloc[0], rel=1e-12)
    width = scaled["uppercl"].iloc[0] - scaled["lowercl"].iloc[0]
    assert width < base["uppercl"].iloc[0] - base["lowercl"].iloc[0]


# --- bad input -------------------------------------------------------------------------------------


def test_duplicated_band() -> None:
    df = pd.concat([table(), table().iloc[[4]]])
    with pytest.raises(SchemaError, match=r"appear on more than one row.*'15-19'"):
        bh.indicators.life_expectancy(df, "deaths", "pop", "age")


def test_duplicated_band_by_group() -> None:
    df = pd.concat([table(area="A"), table(area="A").iloc[[4]]])
    with pytest.raises(SchemaError, match=r"\('A', age band '15-19'\)"):
        bh.indicators.life_expectancy(df, "deaths", "pop", "age", by="area")


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        ([*BANDS[:-1], "90-94"], "final band must be open"),
        ([*BANDS[:-2], "85-89", "95+"], "unexpected start ages"),
        (["0-4", *BANDS[2:], "95+"], "does not|do not form a life table"),
        (["0", "1-4", "5-10", *BANDS[3:]], "overlap or leave gaps"),
        (["0", "1+", *BANDS[2:]], "overlap or leave gaps"),
        (["zero", *BANDS[1:]], "no start age"),
    ],
)
def test_wrong_bands(labels: list[str], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        bh.indicators.life_expectancy(table(labels=labels), "deaths", "pop", "age")


def test_closed_85_band_without_90() -> None:
    labels = [*BANDS[:-2], "85-89"]
    with pytest.raises(SchemaError, match="must close at 85"):
        bh.indicators.life_expectancy(table(DEATHS[:-1], POPS[:-1], labels), "deaths", "pop", "age")


def test_missing_age_band_and_columns() -> None:
    df = table()
    df.loc[3, "age"] = None
    with pytest.raises(SchemaError, match="is missing"):
        bh.indicators.life_expectancy(df, "deaths", "pop", "age")
    with pytest.raises(SchemaError, match="column not found"):
        bh.indicators.life_expectancy(table(), "dead", "pop", "age")
    with pytest.raises(SchemaError, match="must be numeric"):
        bh.indicators.life_expectancy(table().assign(deaths="x"), "deaths", "pop", "age")
    with pytest.raises(SchemaError, match="cannot also be a grouping"):
        bh.indicators.life_expectancy(table(), "deaths", "pop", "age", by="age")


@pytest.mark.parametrize("at_age", ["some", 3, [], [0, True]])
def test_bad_at_age(at_age: object) -> None:
    with pytest.raises(DomainError, match="at_age"):
        bh.indicators.life_expectancy(table(), "deaths", "pop", "age", at_age=at_age)  # type: ignore[arg-type]


def test_bad_confidence() -> None:
    with pytest.raises(DomainError, match="confidence"):
        bh.indicators.life_expectancy(table(), "deaths", "pop", "age", confidence=0.5)


def test_label_parsing() -> None:
    bands = parse_bands(["<1", "1-4", *BANDS[2:-1], "90 and over"])
    assert bands.starts[-1] == 90
    assert bands.final == "90+"
    assert parse_bands([0.0, 1.0, *[float(s) for s in STARTS[2:]]]).n == 20
    with pytest.raises(SchemaError, match="no start age"):
        parse_bands([*STARTS[:-1], 2.5])
