"""Hospital activity on the synthetic BLMK: the generator's targets, exact rollups, and the same numbers
from every kind of frame (pandas, Polars eager and lazy, PyArrow, DuckDB, PySpark)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from tests.helpers import Backend, require_module

LEVELS = ["cluster_code", "place_code", "icb_code"]


@pytest.fixture(scope="module")
def full() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spells and registered population (with cluster, place and ICB) of the full-size synthetic BLMK."""
    data = bh.datasets.synthetic_blmk(scale=1.0)
    lookup = data.practices[["practice_code", *LEVELS]]
    spells = bh.records.spells(data.admissions).merge(lookup, on="practice_code")
    return spells, data.registrations.merge(lookup, on="practice_code")


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spells (about 9,000) and registered population of the synthetic BLMK at scale 0.02."""
    data = bh.datasets.synthetic_blmk(scale=0.02)
    lookup = data.practices[["practice_code", *LEVELS]]
    spells = bh.records.spells(data.admissions).merge(lookup, on="practice_code")
    return spells, data.registrations.merge(lookup, on="practice_code")


def test_emergency_spells_match_the_generators_target(full: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    spells, registrations = full
    out = bh.indicators.emergency_admissions(spells, registrations, by="icb_code", period="2018/19")
    # The generator's target: about 104 emergency spells per 1,000, age-sex standardised, the figure of
    # BLMK's assurance framework (docs/synthetic-data.md).
    assert out["value"].iloc[0] == pytest.approx(104, abs=1.0)
    assert out["lowercl"].iloc[0] < out["value"].iloc[0] < out["uppercl"].iloc[0]
    # The crude rate is lower: the registered population is younger than the ESP2013.
    assert out["crude_rate"].iloc[0] < out["value"].iloc[0]


def test_readmissions_match_the_generators_target(full: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    spells, _ = full
    out = bh.indicators.readmissions(spells, by="icb_code", period="2017/18", exclude={}, standardise=None)
    # The generator's target: about 5% of discharges (docs/synthetic-data.md).
    assert out["value"].iloc[0] == pytest.approx(5.0, abs=0.3)


@pytest.mark.parametrize("function", ["emergency_admissions", "acsc_admissions"])
def test_practice_counts_roll_up_exactly(small: tuple[pd.DataFrame, pd.DataFrame], function: str) -> None:
    spells, registrations = small
    call = getattr(bh.indicators, function)
    counts = ["spells", "bed_days", "same_day_spells", "population"]
    practices = call(spells, registrations, by=["practice_code", *LEVELS], standardise=None, by_year=True)
    for level in LEVELS:
        rolled = practices.groupby([level, "period"])[counts].sum().reset_index()
        direct = call(spells, registrations, by=level, standardise=None, by_year=True)
        merged = rolled.merge(direct, on=[level, "period"], suffixes=("_rolled", ""))
        assert len(merged) == len(direct) == len(rolled)
        for column in counts:
            assert (merged[f"{column}_rolled"].to_numpy() == merged[column].to_numpy()).all(), (level, column)
    icb = call(spells, registrations, standardise=None, by_year=True)
    assert icb["spells"].sum() == practices["spells"].sum() > 0


def test_unattributed_spells_keep_the_total(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    spells, registrations = small
    first = registrations["practice_code"].iloc[0]
    fewer = registrations[registrations["practice_code"] != first]
    whole = bh.indicators.emergency_admissions(spells, registrations, standardise=None, period="2018/19")
    out = bh.indicators.emergency_admissions(spells, fewer, by="practice_code", standardise=None, period="2018/19")
    emergency = spells["admission_method"].astype(str).str.startswith("2")
    in_year = spells["admission_date"].between("2018-04-01", "2019-03-31")
    lost = spells[(spells["practice_code"] == first) & emergency & in_year]
    assert out["spells"].iloc[-1] == len(lost) > 0
    assert out["spells"].sum() == whole["spells"].iloc[0]
    assert out["statistic"].iloc[-1] == f"unattributed: practice_code not in the population ({first})"


def _compare(result: Any, expected: pd.DataFrame, backend: Backend, by: list[str]) -> None:
    backend.assert_matches(result, expected, by=by)


def test_emergency_admissions_on_every_backend(backend: Backend, small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    spells, registrations = small
    kwargs: dict[str, Any] = {"by": "place_code", "by_year": True}
    expected = bh.indicators.emergency_admissions(spells, registrations, **kwargs)
    result = bh.indicators.emergency_admissions(backend(spells), registrations, **kwargs)
    _compare(result, expected, backend, ["place_code", "period"])


def test_acsc_and_paediatric_admissions_on_every_backend(
    backend: Backend, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    spells, registrations = small
    acsc = bh.indicators.acsc_admissions(spells, registrations, by="cluster_code", period="latest")
    _compare(
        bh.indicators.acsc_admissions(backend(spells), registrations, by="cluster_code", period="latest"),
        acsc,
        backend,
        ["cluster_code"],
    )
    kwargs: dict[str, Any] = {"by": "place_code", "ages": (0, 4), "diagnoses": "J", "standardise": None}
    kwargs["period"] = "latest"
    expected = bh.indicators.emergency_admissions(spells, registrations, **kwargs)
    _compare(
        bh.indicators.emergency_admissions(backend(spells), registrations, **kwargs), expected, backend, ["place_code"]
    )


def test_readmissions_on_every_backend(backend: Backend, small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    spells, _ = small
    expected = bh.indicators.readmissions(spells, by="place_code", by_year=True)
    assert expected["readmissions"].sum() > 0
    _compare(
        bh.indicators.readmissions(backend(spells), by="place_code", by_year=True),
        expected,
        backend,
        ["place_code", "period"],
    )


def test_spells_to_rates_stays_lazy_on_lazy_frames(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    pl = require_module("polars", "Polars is an optional extra (blmk-health[polars])")
    data = bh.datasets.synthetic_blmk(scale=0.02)
    episodes = pl.from_pandas(data.admissions).lazy()
    lazy_spells = bh.records.spells(episodes)
    assert isinstance(lazy_spells, pl.LazyFrame)
    out = bh.indicators.emergency_admissions(lazy_spells, data.registrations, by_year=True)
    assert isinstance(out, pl.LazyFrame)
    expected = bh.indicators.emergency_admissions(bh.records.spells(data.admissions), data.registrations, by_year=True)
    assert np.allclose(out.collect()["value"].to_numpy(), expected["value"].to_numpy(), rtol=1e-12)
