"""Golden tests: every row of the PHEindicatormethods test data for the core statistics and life expectancy.

Tolerance: relative 1e-8 (``../shared/data/phe_golden/README.md``), for life expectancy too (its limits with
the z the expected data were made with). The reference has no golden data for the SII, healthy life
expectancy or the life-expectancy gap: those are tested against hand calculations and independent fits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import blmk_health as bh
from tests.helpers import assert_close

pytestmark = pytest.mark.golden

TWO = (0.95, 0.998)
LIMITS2 = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def read(golden_dir: Path, name: str) -> pd.DataFrame:
    data = pd.read_csv(golden_dir / name)
    if "ageband" in data.columns:
        # the golden files label the 55-59 band "55-69", a typo for 55-59 (the golden README's "pitfalls");
        # age bands are matched to the standard population exactly, so the label is corrected here
        data["ageband"] = data["ageband"].replace("55-69", "55-59")
    return data


# --- CI primitives -------------------------------------------------------------------------------


def test_byars_and_wilson_primitives(golden_dir: Path) -> None:
    data = read(golden_dir, "testdata_Byars_Wilson__testdata_B_W.csv")
    for _, row in data.iterrows():
        level = 0.95 if row["confidence"] == "95%" else 0.998
        if row["method"] == "Byars":
            lower = bh.indicators.ci.byars_lower(row["x"], level)
            upper = bh.indicators.ci.byars_upper(row["x"], level)
        else:
            lower = bh.indicators.ci.wilson_lower(row["x"], row["n"], level)
            upper = bh.indicators.ci.wilson_upper(row["x"], row["n"], level)
        assert_close([lower], [row["lowercl"]])
        assert_close([upper], [row["uppercl"]])


# --- crude rates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("multiplier", [100, 100_000])
def test_crude_rate_rowwise_two_levels(golden_dir: Path, multiplier: int) -> None:
    golden = read(golden_dir, "testdata_Rate__testdata_Rate.csv")
    golden = golden[golden["multiplier"] == multiplier].reset_index(drop=True)
    data = golden[["Area", "Numerator", "Denominator"]]
    out = bh.indicators.crude_rate(data, "Numerator", "Denominator", multiplier=multiplier, confidence=TWO)
    assert list(out.columns) == [
        "Area",
        "Numerator",
        "Denominator",
        "value",
        *LIMITS2,
        "confidence",
        "statistic",
        "method",
    ]
    for column in ["value", *LIMITS2]:
        assert_close(out[column], golden[column])
    assert out["method"].fillna("NA").tolist() == golden["method"].fillna("NA").tolist()
    assert set(out["statistic"]) == set(golden["statistic"])
    assert set(out["confidence"]) == {"95%, 99.8%"}


def _rate_grouped_input(golden_dir: Path, name: str) -> pd.DataFrame:
    """The grouped test input: areas 1-8 twice, the areas with missing values once (as in the reference)."""
    rowwise = read(golden_dir, name)
    base = rowwise[["Area", "Numerator", "Denominator"]].drop_duplicates("Area")
    complete = base[base["Area"].str.fullmatch(r"Area[1-8]")]
    rest = base[~base["Area"].isin(complete["Area"])]
    return pd.concat([complete, complete, rest], ignore_index=True)


def test_crude_rate_grouped(golden_dir: Path) -> None:
    golden = read(golden_dir, "testdata_Rate__testdata_Rate_g.csv")
    data = _rate_grouped_input(golden_dir, "testdata_Rate__testdata_Rate.csv")
    out = bh.indicators.crude_rate(data, "Numerator", "Denominator", by="Area")
    merged = golden.merge(out, on="Area", suffixes=("", "_out"), validate="one_to_one")
    assert len(merged) == len(golden)
    for column in ["value", "lowercl", "uppercl"]:
        assert_close(merged[f"{column}_out"], merged[column])
    assert_close(merged["Numerator_out"], merged["Numerator"])
    assert_close(merged["Denominator_out"], merged["Denominator"])
    assert merged["method_out"].fillna("NA").tolist() == merged["method"].fillna("NA").tolist()
    assert (merged["confidence_out"] == "95%").all()
    assert (merged["statistic_out"] == "rate per 100000").all()
    assert out["Area"].tolist() == sorted(out["Area"])


# --- proportions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("multiplier", [1, 100])
def test_proportion_rowwise_two_levels(golden_dir: Path, multiplier: int) -> None:
    golden = read(golden_dir, "testdata_Proportion__testdata_Prop.csv")
    golden = golden[golden["multiplier"] == multiplier].reset_index(drop=True)
    out = bh.indicators.proportion(
        golden[["Area", "Numerator", "Denominator"]], "Numerator", "Denominator", multiplier=multiplier, confidence=TWO
    )
    for column in ["value", *LIMITS2]:
        assert_close(out[column], golden[column])
    assert out["statistic"].tolist() == golden["statistic"].tolist()
    assert (out["method"] == "Wilson").all()


def test_proportion_grouped(golden_dir: Path) -> None:
    golden = read(golden_dir, "testdata_Proportion__testdata_Prop_g.csv")
    data = _rate_grouped_input(golden_dir, "testdata_Proportion__testdata_Prop.csv")
    out = bh.indicators.proportion(data, "Numerator", "Denominator", by="Area")
    merged = golden.merge(out, on="Area", suffixes=("", "_out"), validate="one_to_one")
    assert len(merged) == len(golden)
    for column in ["value", "lowercl", "uppercl"]:
        assert_close(merged[f"{column}_out"], merged[column])
    assert (merged["statistic_out"] == "proportion of 1").all()


# --- means ------------------------------------------------------------------------------------------


def test_mean_grouped_and_ungrouped(golden_dir: Path) -> None:
    data = read(golden_dir, "testdata_Mean__testdata_Mean.csv")
    golden = read(golden_dir, "testdata_Mean__testdata_Mean_results.csv")
    columns = ["value_sum", "value_count", "stdev", "value", *LIMITS2]
    grouped = bh.indicators.mean(data, "values", by="area", confidence=TWO)
    expected = golden[golden["area"] != "No grouping"].reset_index(drop=True)
    assert grouped["area"].tolist() == expected["area"].tolist()
    for column in columns:
        assert_close(grouped[column], expected[column])
    overall = bh.indicators.mean(data, "values", confidence=TWO)
    expected_all = golden[golden["area"] == "No grouping"]
    for column in columns:
        assert_close(overall[column], expected_all[column])
    assert (grouped["method"] == "Student's t-distribution").all()
    assert (grouped["statistic"] == "mean").all()


# --- directly standardised rates --------------------------------------------------------------------


@pytest.fixture(scope="module")
def dsr_results(golden_dir: Path) -> pd.DataFrame:
    return read(golden_dir, "test_DSR_results.csv")


@pytest.mark.parametrize("multiplier", [10_000, 100_000])
def test_dsr_esp2013_by_age_band(golden_dir: Path, dsr_results: pd.DataFrame, multiplier: int) -> None:
    data = read(golden_dir, "testdata_DSR_ISR__testdata_multiarea.csv")
    out = bh.indicators.dsr(data, "count", "pop", by="area", age_band="ageband", multiplier=multiplier, confidence=TWO)
    # rows 1-3 of the results are per 10,000 and rows 5-7 per 100,000 (row 4 and 8 are testdata_1976)
    expected = dsr_results.iloc[[0, 1, 2] if multiplier == 10_000 else [4, 5, 6]].reset_index(drop=True)
    assert out["area"].tolist() == expected["area"].tolist()
    for column in ["total_count", "total_pop", "value", *LIMITS2]:
        assert_close(out[column], expected[column])
    assert out["statistic"].tolist() == expected["statistic"].tolist()
    assert (out["method"] == "Dobson").all()
    assert out.loc[out["area"] == "testdata_tiny", "statistic"].item() == "dsr NA for total count < 10"


def test_dsr_std_pop_column(golden_dir: Path, dsr_results: pd.DataFrame) -> None:
    data = read(golden_dir, "test_multiarea_esp.csv")
    out = bh.indicators.dsr(data, "count", "pop", by="area", std_pop="esp2013", confidence=TWO)
    expected = dsr_results.iloc[[4, 5, 6]].reset_index(drop=True)
    for column in ["total_count", "total_pop", "value", *LIMITS2]:
        assert_close(out[column], expected[column])


def test_dsr_esp1976_95_percent(golden_dir: Path, dsr_results: pd.DataFrame) -> None:
    """testdata_1976 uses its own standard population; its 99.8% golden limits are wrong (README)."""
    data = read(golden_dir, "testdata_DSR_ISR__testdata_1976.csv")
    for multiplier in (10_000, 100_000):
        out = bh.indicators.dsr(data, "count", "pop", std_pop="esp1976", multiplier=multiplier)
        expected = dsr_results[
            (dsr_results["area"] == "testdata_1976") & (dsr_results["statistic"] == f"dsr per {multiplier}")
        ]
        assert_close(out["value"], expected["value"])
        assert_close(out["lowercl"], expected["lower95_0cl"])
        assert_close(out["uppercl"], expected["upper95_0cl"])
        assert_close(out["total_count"], expected["total_count"])


def test_dsr_non_independent_events(golden_dir: Path, dsr_results: pd.DataFrame) -> None:
    data = read(golden_dir, "test_DSR_nonind.csv")
    out = bh.indicators.dsr(
        data,
        "persons",
        "pop",
        by="area",
        age_band="ageband",
        confidence=TWO,
        independent_events=False,
        event_frequency="freq",
    )
    expected = dsr_results[dsr_results["area"].str.startswith("testdata_nonind")].reset_index(drop=True)
    assert out["area"].tolist() == expected["area"].tolist()
    for column in ["total_count", "total_pop", "value", *LIMITS2]:
        assert_close(out[column], expected[column])
    assert out["method"].tolist() == expected["method"].tolist()
    assert out["statistic"].tolist() == expected["statistic"].tolist()


# --- indirectly standardised ratios and rates -------------------------------------------------------


@pytest.fixture(scope="module")
def isr_results(golden_dir: Path) -> pd.DataFrame:
    return read(golden_dir, "test_ISR_results.csv")


@pytest.mark.parametrize(
    ("kind", "scale", "statistic"),
    [
        ("rate", 100_000, "indirectly standardised rate per 100000"),
        ("rate", 1000, "indirectly standardised rate per 1000"),
        ("ratio", 1, "indirectly standardised ratio x 1"),
        ("ratio", 100, "indirectly standardised ratio x 100"),
    ],
)
def test_isr_columns(golden_dir: Path, isr_results: pd.DataFrame, kind: str, scale: int, statistic: str) -> None:
    data = read(golden_dir, "testdata_DSR_ISR__testdata_multiarea_isr.csv")
    scale_arg = {"multiplier": scale} if kind == "rate" else {"refvalue": scale}
    out = bh.indicators.isr(
        data, "count", "pop", "refcount", "refpop", by="area", kind=kind, confidence=TWO, **scale_arg
    )
    expected = isr_results[
        isr_results["area"].str.startswith("testdata") & (isr_results["statistic"] == statistic)
    ].reset_index(drop=True)
    assert out["area"].tolist() == expected["area"].tolist()
    columns = ["observed", "expected", "value", *LIMITS2] + (["ref_rate"] if kind == "rate" else [])
    for column in columns:
        assert_close(out[column], expected[column])
    assert out["method"].tolist() == expected["method"].tolist()
    assert out["statistic"].tolist() == expected["statistic"].tolist()


def test_isr_observed_totals(golden_dir: Path, isr_results: pd.DataFrame) -> None:
    data = read(golden_dir, "testdata_DSR_ISR__testdata_multiarea_isr.csv").drop(columns="count")
    totals = read(golden_dir, "testdata_DSR_ISR__testdata_multiarea_lookup.csv").rename(
        columns={"total_count": "count"}
    )
    out = bh.indicators.isr(
        data, "count", "pop", "refcount", "refpop", by="area", observed_totals=totals, confidence=TWO
    )
    expected = isr_results[isr_results["statistic"] == "indirectly standardised ratio x 1"].reset_index(drop=True)
    for column in ["observed", "expected", "value", *LIMITS2]:
        assert_close(out[column], expected[column])


def test_isr_zero_population_band(golden_dir: Path, isr_results: pd.DataFrame) -> None:
    """test_err2 has a band with zero population: allowed for ISR (Area1, Area2 rows, 95% only)."""
    data = read(golden_dir, "testdata_DSR_ISR__testdata_err2.csv")
    ref = read(golden_dir, "testdata_DSR_ISR__refdata.csv")
    data["refcount"] = np.tile(ref["refcount"].to_numpy(), 2)
    data["refpop"] = np.tile(ref["refpop"].to_numpy(), 2)
    for kind, statistic in [
        ("rate", "indirectly standardised rate per 100000"),
        ("ratio", "indirectly standardised ratio x 100"),
    ]:
        extra = {"refvalue": 100} if kind == "ratio" else {}
        out = bh.indicators.isr(data, "count", "pop", "refcount", "refpop", by="area", kind=kind, **extra)
        expected = isr_results[
            isr_results["area"].isin(["Area1", "Area2"]) & (isr_results["statistic"] == statistic)
        ].reset_index(drop=True)
        for column, golden_column in [
            ("observed", "observed"),
            ("expected", "expected"),
            ("value", "value"),
            ("lowercl", "lower95_0cl"),
            ("uppercl", "upper95_0cl"),
        ]:
            assert_close(out[column], expected[golden_column])


# --- the reference's error cases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("testdata_DSR_ISR__testdata_err1.csv", "negative count"),
        ("testdata_DSR_ISR__testdata_err3.csv", "zero or negative population"),
        ("testdata_DSR_ISR__testdata_err4.csv", "negative standard population"),
    ],
)
def test_dsr_reference_errors(golden_dir: Path, name: str, fragment: str) -> None:
    data = read(golden_dir, name)
    with pytest.raises(bh.errors.DomainError, match=fragment):
        bh.indicators.dsr(data, "count", "pop", std_pop="stdpop")


def test_dsr_reference_error_zero_population(golden_dir: Path) -> None:
    data = read(golden_dir, "testdata_DSR_ISR__testdata_err2.csv")
    with pytest.raises(bh.errors.DomainError, match=r"n: column 'pop' has a zero or negative population in 1 row"):
        bh.indicators.dsr(data.assign(w=1000.0), "count", "pop", by="area", std_pop="w")


# --- life expectancy ------------------------------------------------------------------------------------------


def level_of(z: float) -> float:
    """The confidence level whose exact normal quantile is ``z``."""
    return float(2 * norm.cdf(z) - 1)


#: The expected limits of ``df1_answer1`` were made by the PHE Excel tool with z = 1.96, and those of
#: ``widecis`` with z rounded to 1.959964, rather than qnorm(0.975) = 1.95996398... (METHODS.md 2.1): the
#: tests ask for the level whose quantile is that z, so that every limit can be compared at 1e-8.
LEVEL_OF_Z_196 = level_of(1.96)


@pytest.mark.golden
def test_life_expectancy_df1_answer1_at_z_196(golden_dir: Path) -> None:
    """Every value and limit at relative 1e-8 (they agree to about 5e-9), with z = 1.96 as the expected data used."""
    gold = read(golden_dir, "le_testLifeExpectancy_df1_answer1.csv")
    data = gold[["startage", "pops", "deaths"]]
    out = bh.indicators.life_expectancy(data, "deaths", "pops", "startage", confidence=LEVEL_OF_Z_196)
    assert bh.indicators.ci.z_value(LEVEL_OF_Z_196) == pytest.approx(1.96, rel=1e-14)
    assert out["startage"].tolist() == gold["startage"].tolist()
    assert_close(out["value"], gold["value"])
    assert_close(out["lowercl"], gold["lowercl_95"])
    assert_close(out["uppercl"], gold["uppercl_95"])
    assert out["pops_used"].tolist() == gold["pops_used"].tolist()
    assert out["dths_used"].tolist() == gold["dths_used"].tolist()


@pytest.mark.golden
def test_life_expectancy_widecis_at_1e_8(golden_dir: Path) -> None:
    """Blank values where the 95% CI is wider than 20 years and for a failing area; values and 95% limits at
    relative 1e-8 (with z = 1.959964, as the expected data). The golden data have no 99.8% limits: those are
    checked to sit at z(0.998) / z(0.95) times the 95% half-width, from the same standard error."""
    gold = read(golden_dir, "le_testLifeExpectancy_widecis.csv").sort_values(["area", "startage"], ignore_index=True)
    with pytest.warns(UserWarning, match="Area 1"):
        out = bh.indicators.life_expectancy(
            gold[["area", "startage", "pops", "deaths"]],
            "deaths",
            "pops",
            "startage",
            by="area",
            confidence=(level_of(1.959964), 0.998),
        )
    assert out["area"].tolist() == gold["area"].tolist()
    assert_close(out["value"], gold["value"])
    assert_close(out["lower95_0cl"], gold["lower95_0cl"])
    assert_close(out["upper95_0cl"], gold["upper95_0cl"])
    centre = (out["upper95_0cl"] + out["lower95_0cl"]) / 2
    ratio = (out["upper99_8cl"] - centre) / (out["upper95_0cl"] - centre)
    z = bh.indicators.ci.z_value
    expected = z(0.998) / z(level_of(1.959964))
    assert_close(ratio[ratio.notna()], np.full(int(ratio.notna().sum()), expected), rtol=1e-12)
    assert int(out["value"].isna().sum()) == 20 + 11  # all of Area 1, and 11 start ages of Area 2
