"""rollup: sums up the hierarchy on every backend, accounts for every row, never averages."""

from __future__ import annotations

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from tests.geo.conftest import LUTON, MK
from tests.helpers import Backend, to_backend, to_pandas


def _data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practice_code": ["P1", "P1", "P2", "P3", "P4", "P5", "P6", "P6"],
            "sex": ["F", "M", "F", "F", "M", "F", "M", "F"],
            "deaths": [1, 2, 3, 4, 5, 6, 7, 8],
            "pop": [100, 200, 300, 400, 500, 600, 700, 800],
        }
    )


def test_same_result_on_every_backend(hierarchy: bh.geo.Hierarchy, backend: Backend) -> None:
    result = bh.geo.rollup(backend(_data()), hierarchy, "place")
    backend.assert_kind(result)
    out = to_pandas(result)
    assert out.columns.tolist() == ["place_code", "place_name", "n_practices", "deaths", "pop"]
    assert out["place_code"].tolist() == [LUTON, MK]
    assert out["place_name"].tolist() == ["Luton", "Milton Keynes"]
    assert out["n_practices"].tolist() == [4, 2]
    assert out["deaths"].tolist() == [15, 21]
    assert out["pop"].tolist() == [1500, 2100]


def test_unmapped_group_and_by_on_every_backend(hierarchy: bh.geo.Hierarchy, backend: Backend) -> None:
    df = pd.concat([_data(), pd.DataFrame({"practice_code": ["P9"], "sex": ["F"], "deaths": [1], "pop": [10]})])
    result = bh.geo.rollup(backend(df), hierarchy, "cluster", unmapped="group", by="sex", sums=["deaths"])
    backend.assert_kind(result)
    out = to_pandas(result)
    assert out["cluster_code"].tolist() == ["C1", "C1", "C2", "C2", "C3", "C3", "unmapped"]
    assert out["sex"].tolist() == ["F", "M", "F", "M", "F", "M", "F"]
    assert out["deaths"].sum() == df["deaths"].sum()
    assert out.columns.tolist() == ["cluster_code", "cluster_name", "sex", "n_practices", "deaths"]


def test_lazy_input_stays_lazy(hierarchy: bh.geo.Hierarchy) -> None:
    import polars as pl

    lazy = pl.from_pandas(_data()).lazy()
    result = bh.geo.rollup(lazy, hierarchy, "icb")
    assert isinstance(result, pl.LazyFrame)
    assert result.collect()["deaths"].to_list() == [36]
    wrapped = bh.geo.rollup(nw.from_native(lazy), hierarchy, "icb")
    assert isinstance(wrapped, nw.LazyFrame)


def test_rate_is_recomputed_not_averaged(hierarchy: bh.geo.Hierarchy) -> None:
    rolled = bh.geo.rollup(_data(), hierarchy, "place", sums=["deaths", "pop"])
    rates = bh.indicators.crude_rate(rolled, "deaths", "pop", multiplier=1000)
    assert rates["value"].tolist() == pytest.approx([15 / 1500 * 1000, 21 / 2100 * 1000])


def test_unmapped_raise_names_codes(hierarchy: bh.geo.Hierarchy) -> None:
    df = pd.concat([_data(), pd.DataFrame({"practice_code": ["P9", "P8", None], "sex": "F", "deaths": 1, "pop": 1})])
    with pytest.raises(ReferenceDataError, match=r"3 practice code\(s\) in 3 row\(s\) with no place.*'P8', 'P9', None"):
        bh.geo.rollup(df, hierarchy, "place")
    out = bh.geo.rollup(df, hierarchy, "place", unmapped="group")
    last = out.iloc[-1]
    assert pd.isna(last["place_name"])
    assert last[["place_code", "n_practices", "deaths", "pop"]].tolist() == ["unmapped", 3, 3, 3]


def test_missing_values_make_the_sum_missing(hierarchy: bh.geo.Hierarchy) -> None:
    df = _data().astype({"deaths": "float"})
    df.loc[0, "deaths"] = np.nan
    out = bh.geo.rollup(df, hierarchy, "place")
    assert np.isnan(out["deaths"].iloc[0])
    assert out["deaths"].iloc[1] == 21
    assert out["pop"].tolist() == [1500, 2100]


def test_same_level_and_other_from_level(hierarchy: bh.geo.Hierarchy) -> None:
    same = bh.geo.rollup(_data(), hierarchy, "practice", sums="deaths")
    assert same["n_practices"].tolist() == [1] * 6
    clusters = bh.geo.rollup(_data(), hierarchy, "cluster", sums=["deaths", "pop"])
    up = bh.geo.rollup(clusters.drop(columns="cluster_name"), hierarchy, "place", from_level="cluster", sums=["deaths"])
    assert up["n_clusters"].tolist() == [2, 1]
    assert up["deaths"].tolist() == [15, 21]


def test_moved_practice_needs_at() -> None:
    h = bh.geo.Hierarchy.from_frame(
        pd.DataFrame(
            {
                "practice_code": ["P1", "P1", "P2"],
                "cluster_code": ["C1", "C2", "C2"],
                "end": ["2021-03-31", None, None],
                "start": [None, "2021-04-01", None],
            }
        ),
        place=None,
        icb=None,
        start="start",
        end="end",
    )
    df = pd.DataFrame({"practice_code": ["P1", "P2"], "n": [1, 2]})
    with pytest.raises(ReferenceDataError, match="pass at="):
        bh.geo.rollup(df, h, "cluster")
    assert bh.geo.rollup(df, h, "cluster", at="2020-01-01")["n"].tolist() == [1, 2]
    assert bh.geo.rollup(df, h, "cluster", at="2022-01-01")["n"].tolist() == [3]
    with pytest.raises(ReferenceDataError, match="on 2018"):
        bh.geo.rollup(df.assign(practice_code=["P1", "P9"]), h, "cluster", at="2018")


def test_bad_arguments(hierarchy: bh.geo.Hierarchy) -> None:
    df = _data()
    with pytest.raises(ReferenceDataError, match="no level 'ward'"):
        bh.geo.rollup(df, hierarchy, "ward")
    with pytest.raises(ReferenceDataError, match="below"):
        bh.geo.rollup(df, hierarchy, "practice", from_level="place")
    with pytest.raises(SchemaError, match=r"expected a blmk_health\.geo\.Hierarchy"):
        bh.geo.rollup(df, {"P1": "C1"}, "cluster")  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="unmapped"):
        bh.geo.rollup(df, hierarchy, "cluster", unmapped="drop")
    with pytest.raises(SchemaError, match="on: no column 'practice_code'"):
        bh.geo.rollup(df.rename(columns={"practice_code": "code"}), hierarchy, "cluster")
    with pytest.raises(SchemaError, match="no numeric columns"):
        bh.geo.rollup(df[["practice_code", "sex"]], hierarchy, "cluster")
    with pytest.raises(SchemaError, match="must be numeric"):
        bh.geo.rollup(df, hierarchy, "cluster", sums=["sex"])
    with pytest.raises(SchemaError, match="cannot be both"):
        bh.geo.rollup(df, hierarchy, "cluster", sums=["deaths"], by="deaths")
    with pytest.raises(SchemaError, match="cannot be a by column"):
        bh.geo.rollup(df, hierarchy, "cluster", by="practice_code")
    with pytest.raises(SchemaError, match="overwritten"):
        bh.geo.rollup(df.assign(n_practices=1), hierarchy, "cluster")
    assert bh.geo.rollup(df.rename(columns={"practice_code": "practice"}), hierarchy, "icb")["deaths"].tolist() == [36]


codes = st.sampled_from(["P1", "P2", "P3", "P4", "P5", "P6", "P7"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(codes, st.integers(0, 10_000), st.integers(0, 50)), min_size=1, max_size=60),
    backend=st.sampled_from(["pandas", "polars-lazy", "pyarrow"]),
)
def test_totals_are_conserved_at_every_level(
    hierarchy: bh.geo.Hierarchy, rows: list[tuple[str, int, int]], backend: str
) -> None:
    df = pd.DataFrame(rows, columns=["practice_code", "patients", "events"])
    for level in hierarchy.levels:
        out = to_pandas(bh.geo.rollup(to_backend(df, backend), hierarchy, level, unmapped="group"))
        assert out["patients"].sum() == df["patients"].sum()
        assert out["events"].sum() == df["events"].sum()
        assert out["n_practices"].sum() == df["practice_code"].nunique()
        assert out[f"{level}_code"].is_unique
        assert ("unmapped" in set(out[f"{level}_code"])) == ("P7" in set(df["practice_code"]))
