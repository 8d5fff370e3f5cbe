"""The statistics and rollups on PySpark DataFrames (as in NHS Secure Data Environments) give the same
numbers as on pandas, and return Spark DataFrames."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from tests.helpers import assert_close

pyspark_sql = pytest.importorskip("pyspark.sql", reason="PySpark is an optional extra (blmk-health[spark])")

# PySpark's own warnings about pandas 3 are not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:::pyspark.*")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("blmk_health tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    bands = bh.datasets.esp2013()["age_band"].tolist()
    areas = ["E06000032", "E06000042", "E06000055", "E06000056"]
    frame = pd.DataFrame({"area": np.repeat(areas, 19), "age_band": bands * 4, "n": rng.integers(500, 5000, 76)})
    frame["x"] = rng.binomial(frame["n"], 0.02)
    frame.loc[frame["area"] == "E06000056", "x"] = rng.binomial(frame.loc[frame["area"] == "E06000056", "n"], 0.0005)
    frame["xr"] = (np.arange(76) % 19 + 1) * 30
    frame["nr"] = 100_000
    return frame


CASES: dict[str, tuple[Callable[[Any], Any], list[str]]] = {
    "dsr": (
        lambda d: bh.indicators.dsr(d, "x", "n", by="area", age_band="age_band", confidence=(0.95, 0.998)),
        ["area"],
    ),
    "isr": (lambda d: bh.indicators.isr(d, "x", "n", "xr", "nr", by="area", kind="rate"), ["area"]),
    "crude_rate": (lambda d: bh.indicators.crude_rate(d, "x", "n", by="area"), ["area"]),
    "proportion": (lambda d: bh.indicators.proportion(d, "x", "n", by="area", multiplier=100), ["area"]),
    "mean": (lambda d: bh.indicators.mean(d, "n", by="area"), ["area"]),
    "quantiles": (lambda d: bh.indicators.quantiles(d, "n", by="area", n=5), ["area", "age_band"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_spark_matches_pandas(spark: Any, data: pd.DataFrame, case: str) -> None:
    call, keys = CASES[case]
    expected = call(data).sort_values(keys, ignore_index=True)
    result = call(spark.createDataFrame(data))
    assert isinstance(result, pyspark_sql.DataFrame)
    got = result.toPandas().sort_values(keys, ignore_index=True)
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        if pd.api.types.is_numeric_dtype(expected[column]):
            assert_close(got[column], expected[column], rtol=1e-12)
        else:
            assert got[column].astype(object).where(got[column].notna(), None).tolist() == (
                expected[column].astype(object).where(expected[column].notna(), None).tolist()
            )


def test_spark_rollup_and_life_expectancy(spark: Any) -> None:
    blmk = bh.datasets.synthetic_blmk(scale=0.01)
    expected = bh.geo.rollup(blmk.registrations, blmk.hierarchy, to="place", sums=["number_of_patients"])
    registrations = blmk.registrations.assign(extract_date=blmk.registrations["extract_date"].astype(str))
    got = bh.geo.rollup(spark.createDataFrame(registrations), blmk.hierarchy, to="place", sums=["number_of_patients"])
    assert isinstance(got, pyspark_sql.DataFrame)
    got_pd = got.toPandas().sort_values("place_code", ignore_index=True)
    assert got_pd["number_of_patients"].tolist() == expected.sort_values("place_code")["number_of_patients"].tolist()

    deaths = bh.datasets.synthetic_blmk(scale=0.1).deaths
    places = deaths.groupby(["place_code", "sex", "age_band"], as_index=False, observed=True)[
        ["deaths", "person_years"]
    ].sum()
    places["age_band"] = places["age_band"].astype(str)
    places["sex"] = places["sex"].astype(str)
    le_pd = bh.indicators.life_expectancy(
        places, "deaths", "person_years", "age_band", by=["place_code", "sex"], at_age=0
    )
    assert le_pd["value"].between(70, 95).all()
    le_spark = bh.indicators.life_expectancy(
        spark.createDataFrame(places), "deaths", "person_years", "age_band", by=["place_code", "sex"], at_age=0
    )
    le_spark_pd = le_spark.toPandas().sort_values(["place_code", "sex"], ignore_index=True)
    assert_close(le_spark_pd["value"], le_pd.sort_values(["place_code", "sex"], ignore_index=True)["value"], rtol=1e-12)
