"""The ``general_health`` table: the survey input of healthy life expectancy (Sullivan method)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.datasets._synthetic import _STREAMS
from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._health import expected_good_health, good_health_curve
from blmk_health.datasets._synthetic._mortality import base_mortality, life_expectancy_at_birth

from .conftest import chiang_life_expectancy, table_digest

KEYS = ["place_code", "sex", "age_band"]
PLACE_CODES = [place.code for place in par.PLACES]
LUTON, CENTRAL_BEDFORDSHIRE = "E06000032", "E06000056"


@pytest.fixture(scope="module")
def medium() -> bh.datasets.SyntheticBLMK:
    """5% size (the resident tables, and so the life tables, are full size at every scale)."""
    return bh.datasets.synthetic_blmk(scale=0.05, seed=0)


def test_shape_keys_and_dtypes(small: bh.datasets.SyntheticBLMK) -> None:
    table, deaths = small.general_health, small.deaths
    assert list(table.columns) == [*KEYS, "good_health", "respondents"]
    assert len(table) == 4 * 2 * 20
    assert not table.duplicated(KEYS).any()
    for key in KEYS:  # the same dtypes as deaths, so the tables join without casting
        assert table[key].dtype == deaths[key].dtype, key
    assert list(table["age_band"].cat.categories) == list(deaths["age_band"].cat.categories)
    assert table["good_health"].dtype == np.float64
    assert table["respondents"].dtype == np.int64
    cells = deaths[KEYS].drop_duplicates().merge(table, on=KEYS, how="outer", indicator=True)
    assert (cells["_merge"] == "both").all()
    assert table.index.equals(pd.RangeIndex(len(table)))


def test_values_are_survey_proportions(small: bh.datasets.SyntheticBLMK) -> None:
    table = small.general_health
    assert table["good_health"].between(0, 1).all()
    assert (table["respondents"] >= par.GOOD_HEALTH_MIN_RESPONDENTS).all()
    in_good_health = table["good_health"] * table["respondents"]
    np.testing.assert_allclose(in_good_health, np.round(in_good_health), atol=1e-9)  # whole respondents


@pytest.mark.parametrize("scale", [0.01, 0.3])
def test_respondents_are_a_share_of_residents_with_a_minimum(scale: float) -> None:
    data = bh.datasets.synthetic_blmk(scale=scale, seed=2)
    residents = data.population.groupby(KEYS, observed=True)["population"].sum().rename("residents")
    table = data.general_health.merge(residents.reset_index(), on=KEYS)
    share = np.rint(par.GOOD_HEALTH_SAMPLING_FRACTION * table["residents"]).astype(np.int64)
    expected = np.maximum(share, par.GOOD_HEALTH_MIN_RESPONDENTS)
    np.testing.assert_array_equal(table["respondents"], expected)
    # the survey is drawn from the full-size residents whatever the scale
    assert (table["respondents"] > par.GOOD_HEALTH_MIN_RESPONDENTS).mean() > 0.5


def test_true_proportions_fall_with_age_and_deprivation() -> None:
    truth = expected_good_health()  # (place, sex, band)
    assert truth.shape == (4, 2, 20)
    assert (np.diff(truth, axis=-1) <= 0).all()
    assert (np.diff(truth[..., 4:], axis=-1) < 0).all()  # strictly, from 15-19 on
    assert truth[..., :4] == pytest.approx(0.95, abs=0.01)
    assert ((truth[..., 18] > 0.45) & (truth[..., 18] < 0.6)).all()  # 85-89
    luton, central = PLACE_CODES.index(LUTON), PLACE_CODES.index(CENTRAL_BEDFORDSHIRE)
    assert (truth[luton, :, 4:] < truth[:, :, 4:]).sum() == 3 * 2 * 16  # Luton lowest after childhood
    assert (truth[central, :, 4:] > truth[:, :, 4:]).sum() == 3 * 2 * 16  # Central Bedfordshire highest
    by_decile = np.stack([good_health_curve("Male", decile) for decile in range(1, 11)])
    assert (np.diff(by_decile, axis=0) > 0).all()  # less deprived, healthier


def test_observed_proportions_are_binomial_around_the_truth(small: bh.datasets.SyntheticBLMK) -> None:
    truth = expected_good_health().reshape(-1)
    table = small.general_health
    z = (table["good_health"] - truth) / np.sqrt(truth * (1 - truth) / table["respondents"])
    assert abs(z.mean()) < 0.3
    assert (z.abs() < 4).all()
    band = table["age_band"].cat.codes
    young, old = table.loc[band.between(4, 9), "good_health"], table.loc[band >= 15, "good_health"]
    assert young.mean() > old.mean() + 0.2  # falls with age in the sample too


def test_anchors_give_england_like_healthy_life_expectancy() -> None:
    """The curve at England-average deprivation, on the England-like life table (docs: about 63 years)."""
    width = np.array([1, 4, *([5] * 17)], dtype=np.float64)
    for sex, target in (("Male", 63.1), ("Female", 63.6)):
        rates = base_mortality(sex)
        a = np.where(np.arange(19) == 0, 0.1, 0.5)
        q = np.minimum(width * rates[:19] / (1 + width * (1 - a) * rates[:19]), 1.0)
        lx = np.concatenate([[1.0], np.cumprod(1 - q)])
        lived = np.append(width * (lx[1:] + a * lx[:19] * q), lx[19] / rates[19])
        assert lived.sum() == pytest.approx(life_expectancy_at_birth(rates), rel=1e-12)
        assert float(good_health_curve(sex) @ lived) == pytest.approx(target, abs=0.1)


def test_deterministic_and_seeded() -> None:
    first = bh.datasets.synthetic_blmk(scale=0.01, seed=3)
    again = bh.datasets.synthetic_blmk(scale=0.01, seed=3)
    other = bh.datasets.synthetic_blmk(scale=0.01, seed=4)
    assert table_digest(first.general_health) == table_digest(again.general_health)
    assert table_digest(first.general_health) != table_digest(other.general_health)


def test_stream_of_its_own() -> None:
    """The table has the eighth spawned stream (later stages are appended after it); spawning one more
    leaves the earlier streams unchanged."""
    assert _STREAMS.index("general_health") == 7
    assert len(set(_STREAMS)) == len(_STREAMS)
    old = np.random.SeedSequence(11).spawn(len(_STREAMS) - 1)
    new = np.random.SeedSequence(11).spawn(len(_STREAMS))
    for before, after in zip(old, new[:-1], strict=True):
        np.testing.assert_array_equal(before.generate_state(8), after.generate_state(8))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_healthy_life_expectancy_runs_for_every_place_and_sex(medium: bh.datasets.SyntheticBLMK) -> None:
    cells = (
        medium.deaths.groupby(KEYS, observed=True)[["deaths", "person_years"]]
        .sum()
        .reset_index()
        .merge(medium.general_health, on=KEYS, validate="one_to_one")
    )
    assert len(cells) == 160
    out = bh.indicators.healthy_life_expectancy(
        cells, "deaths", "person_years", "age_band", "good_health", "respondents", by=["place_code", "sex"], at_age=0
    )
    assert len(out) == 8
    assert set(out["place_code"]) == set(PLACE_CODES)
    assert out["value"].notna().all()
    assert (out["value"] < out["life_expectancy"]).all()
    assert ((out["lowercl"] < out["value"]) & (out["value"] < out["uppercl"])).all()
    assert out["value"].between(45, 80).all()
    for row in out.itertuples():  # the life expectancy it reports is that of the deaths table
        sub = cells[(cells["place_code"] == row.place_code) & (cells["sex"] == row.sex)]
        sub = sub.sort_values("age_band")
        by_hand = chiang_life_expectancy(sub["deaths"].to_numpy(float), sub["person_years"].to_numpy(float))
        assert row.life_expectancy == pytest.approx(by_hand, rel=1e-9)
