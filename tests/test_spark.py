"""A realistic workload, the synthetic BLMK registrations and deaths, gives the same numbers on every
backend, PySpark (as in NHS Secure Data Environments) included, and returns the kind of frame it was given.

Each statistic also runs on Spark in the backend tests of ``tests/indicators`` and ``tests/geo``: the
``backend`` fixture's ``spark`` parameter (marker ``spark``; deselect with ``-m 'not spark'``).
"""

from __future__ import annotations

import pandas as pd
import pytest

import blmk_health as bh
from tests.helpers import Backend


@pytest.fixture(scope="module")
def blmk() -> bh.datasets.SyntheticBLMK:
    return bh.datasets.synthetic_blmk(scale=0.01)


@pytest.fixture(scope="module")
def place_deaths() -> pd.DataFrame:
    """Deaths and person-years by place, sex and age band (text columns, as read from a database)."""
    deaths = bh.datasets.synthetic_blmk(scale=0.1).deaths
    places = deaths.groupby(["place_code", "sex", "age_band"], as_index=False, observed=True)[
        ["deaths", "person_years"]
    ].sum()
    return places.astype({"age_band": str, "sex": str})


def test_rollup_of_registrations(blmk: bh.datasets.SyntheticBLMK, backend: Backend) -> None:
    expected = bh.geo.rollup(blmk.registrations, blmk.hierarchy, to="place", sums=["number_of_patients"])
    assert expected["number_of_patients"].sum() == blmk.registrations["number_of_patients"].sum()
    result = bh.geo.rollup(backend(blmk.registrations), blmk.hierarchy, to="place", sums=["number_of_patients"])
    backend.assert_matches(result, expected)


def test_life_expectancy_of_places(place_deaths: pd.DataFrame, backend: Backend) -> None:
    def life_expectancy(data: object) -> object:
        return bh.indicators.life_expectancy(
            data, "deaths", "person_years", "age_band", by=["place_code", "sex"], at_age=0
        )

    expected = life_expectancy(place_deaths)
    assert isinstance(expected, pd.DataFrame)
    assert len(expected) == 8
    assert expected["value"].between(70, 95).all()
    backend.assert_matches(life_expectancy(backend(place_deaths)), expected)
