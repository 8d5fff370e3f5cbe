"""The gap in life expectancy at birth across deprivation deciles (SII and range)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError
from tests.helpers import Backend

BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
BASE = np.array([3, 1, 1, 1, 2, 3, 3, 4, 6, 9, 14, 22, 35, 55, 85, 140, 230, 380, 600, 1000]) / 1e4
REPS = 2000


def areas(n_areas: int = 50, slope: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """Small areas with a deprivation score; mortality rises with the score. Rows: area x band x sex."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 60, n_areas)
    rows = []
    for sex, level in (("F", 0.8), ("M", 1.0)):
        for i in range(n_areas):
            pop = np.array([60] + [600] * 18 + [150])
            risk = BASE * level * (1 + slope * (score[i] - 30) / 10)
            rows.append(
                pd.DataFrame(
                    {
                        "lsoa": f"L{i:03d}",
                        "sex": sex,
                        "age": BANDS,
                        "pop": pop,
                        "deaths": rng.poisson(pop * risk),
                        "score": score[i],
                        "decile": 10 - int(np.floor(score[i] / 6.0001)),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def gap(df: object, *args: object, **kwargs: object) -> object:
    kwargs.setdefault("repetitions", REPS)
    kwargs.setdefault("seed", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return bh.indicators.le_gap(df, "deaths", "pop", "age", *args, **kwargs)  # type: ignore[arg-type]


def test_local_deciles_from_score_match_manual_pipeline() -> None:
    df = areas()
    out, deciles = gap(df, "score", by="sex", area="lsoa", return_deciles=True)  # type: ignore[misc]
    assert out["sex"].tolist() == ["F", "M"]
    assert (out["value"] > 0).all()
    assert (out["lowercl"] < out["value"]).all()
    # the same by hand: quantiles of the areas, life expectancy per decile, SII
    ranked = bh.indicators.quantiles(df[["sex", "lsoa", "score"]].drop_duplicates(), "score", by="sex")
    merged = df.merge(ranked[["sex", "lsoa", "quantile"]], on=["sex", "lsoa"])
    summed = merged.groupby(["sex", "quantile", "age"], as_index=False)[["deaths", "pop"]].sum()
    le = bh.indicators.life_expectancy(summed, "deaths", "pop", "age", by=["sex", "quantile"], at_age=0)
    np.testing.assert_allclose(deciles["value"], le["value"], rtol=1e-12)
    table = deciles.assign(lo=deciles["lowercl"], hi=deciles["uppercl"])
    manual = bh.indicators.sii(
        table, "quantile", "population", value="value", se="se", by="sex", repetitions=REPS, seed=1
    )
    np.testing.assert_allclose(out["value"], manual["sii"], rtol=1e-12)
    np.testing.assert_allclose(out["lowercl"], manual["sii_lower95_0cl"], rtol=1e-12)


def test_deciles_as_given_and_range() -> None:
    df = areas()
    sii_gap = gap(df, "decile", by="sex")
    range_gap, deciles = gap(
        df,
        "decile",
        by="sex",
        method="range",
        confidence=[0.95, 0.998],  # type: ignore[misc]
        return_deciles=True,
    )
    assert {"lower95_0cl", "upper99_8cl"} <= set(range_gap.columns)
    for sex in ("F", "M"):
        d = deciles[deciles["sex"] == sex].set_index("quantile")
        expected = d.loc[10, "value"] - d.loc[1, "value"]
        got = range_gap.loc[range_gap["sex"] == sex, "value"].iloc[0]
        assert got == pytest.approx(expected)
    assert "range" in range_gap["statistic"].iloc[0]
    assert "slope index" in sii_gap["statistic"].iloc[0]


def test_missing_decile_gives_blank_gap_with_reason() -> None:
    df = areas()
    df = df[df["decile"] != 1]
    with pytest.warns(UserWarning, match="no gap"):
        out = bh.indicators.le_gap(
            df, "deaths", "pop", "age", "decile", by="sex", deprivation_kind="decile", repetitions=REPS, seed=1
        )
    assert out["value"].isna().all()
    assert out["statistic"].str.contains("quantile\\(s\\) 1").all()


def test_backends(backend: Backend) -> None:
    """The gap by sex from a score, and the ungrouped gap from given deciles, on every backend."""
    df = areas()
    by_sex = gap(df, "score", by="sex")
    backend.assert_matches(gap(backend(df), "score", by="sex"), by_sex)
    men = df[df["sex"] == "M"]
    ungrouped = gap(men, "decile", metadata=False)
    assert list(ungrouped.columns) == ["value", "lowercl", "uppercl"]  # type: ignore[attr-defined]
    backend.assert_matches(gap(backend(men), "decile", metadata=False), ungrouped)


def test_seed_reproducible() -> None:
    df = areas()
    a = gap(df, "decile", by="sex", seed=7)
    b = gap(df, "decile", by="sex", seed=7)
    pd.testing.assert_frame_equal(a, b)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "max"}, InputError, "method"),
        ({"n_quantiles": 4}, DomainError, "n_quantiles"),
        ({"deprivation_kind": "rank"}, InputError, "deprivation_kind"),
        ({"repetitions": 10}, DomainError, "repetitions"),
        ({"seed": "x"}, DomainError, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        gap(areas(5), "decile", **kwargs)


def test_bad_deprivation() -> None:
    df = areas(20)
    with pytest.raises(DomainError, match="from 1 to 10"):
        gap(df.assign(decile=df["decile"] + 5), "decile", deprivation_kind="decile")
    with pytest.raises(DomainError, match="is missing"):
        gap(df.assign(decile=np.where(df.index == 3, np.nan, df["decile"])), "decile")
    with pytest.raises(SchemaError, match="column not found"):
        gap(df, "imd")
    with pytest.raises(SchemaError, match="overwritten"):
        gap(df.assign(value=1), "decile", by="value")


def test_synthetic_blmk_largest_gaps() -> None:
    """As generated: among men the largest SII is Luton's, among women Milton Keynes'."""
    data = bh.datasets.synthetic_blmk()
    deaths = data.deaths.merge(data.lsoas[["lsoa_code", "imd_local_decile", "place_name"]], on="lsoa_code")
    out = bh.indicators.le_gap(
        deaths,
        "deaths",
        "person_years",
        "age_band",
        "imd_local_decile",
        by=["place_name", "sex"],
        seed=1,
        repetitions=20_000,
    )
    assert out["value"].notna().all()
    largest = out.loc[out.groupby("sex")["value"].idxmax(), ["sex", "place_name"]]
    assert dict(zip(largest["sex"], largest["place_name"], strict=True)) == {
        "Male": "Luton",
        "Female": "Milton Keynes",
    }
