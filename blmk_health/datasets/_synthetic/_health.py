"""Self-reported general health by place, sex and age band: the survey input of healthy life expectancy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._tables import SEXES

#: Mid-age of each of the 20 life-table bands (90+ at 94, as for the death rates).
_BAND_MIDS = par.BAND_STARTS + np.where(par.BAND_STARTS == 90, 4.0, par.BAND_WIDTHS / 2.0)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.asarray(np.log(p / (1.0 - p)))


def good_health_curve(sex: str, decile: float = 5.5) -> np.ndarray:
    """True proportion in good or very good health in the 20 bands, for one sex and national IMD decile.

    The log-odds are flat up to the first anchor age, then linear in the band's mid-age between the
    anchors (the last slope continuing past the last anchor), shifted by
    ``GOOD_HEALTH_DEPRIVATION_SLOPE * DEPRIVATION_AGE_PROFILE * (decile - 5.5)``.
    """
    ages = np.asarray(par.GOOD_HEALTH_ANCHOR_AGES, dtype=np.float64)
    logits = _logit(np.asarray(par.GOOD_HEALTH_ANCHORS[sex], dtype=np.float64))
    slope_after = (logits[-1] - logits[-2]) / (ages[-1] - ages[-2])
    base = np.interp(_BAND_MIDS, ages, logits)  # flat before the first anchor
    base = base + slope_after * np.maximum(_BAND_MIDS - ages[-1], 0.0)
    shift = par.GOOD_HEALTH_DEPRIVATION_SLOPE * par.DEPRIVATION_AGE_PROFILE * (decile - 5.5)
    return np.asarray(1.0 / (1.0 + np.exp(-(base + shift))))


def expected_good_health() -> np.ndarray:
    """(4 places, 2 sexes, 20 bands) true proportion in good health of each place.

    The curve of each national IMD decile, averaged with the weights of the place's real decile mix
    (``IMD_DECILE_MIX``): fixed, whatever the ``scale`` and ``seed``.
    """
    out = np.empty((len(par.PLACES), len(SEXES), len(par.BAND_LABELS)))
    for p, place in enumerate(par.PLACES):
        weights = np.asarray(par.IMD_DECILE_MIX[place.code], dtype=np.float64)
        weights /= weights.sum()
        for s, sex in enumerate(SEXES):
            curves = np.stack([good_health_curve(sex, decile) for decile in range(1, 11)])
            out[p, s] = weights @ curves
    return out


def respondents(geo: Geography) -> np.ndarray:
    """(4 places, 2 sexes, 20 bands) survey sample sizes: a fixed share of the residents, at least a minimum."""
    n_places = len(par.PLACES)
    residents = np.stack([geo.lsoa_pop[geo.lsoa_place == p].sum(axis=0) for p in range(n_places)])
    sample = np.rint(par.GOOD_HEALTH_SAMPLING_FRACTION * residents).astype(np.int64)
    return np.maximum(sample, par.GOOD_HEALTH_MIN_RESPONDENTS)


def build_general_health(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """One row per place, sex and band: the observed proportion in good health and the respondents.

    The observed proportion is ``binomial(respondents, p) / respondents`` with ``p`` from
    :func:`expected_good_health`.
    """
    sample = respondents(geo)
    observed = rng.binomial(sample, expected_good_health()) / sample
    n_places, n_bands = len(par.PLACES), len(par.BAND_LABELS)
    codes = [place.code for place in par.PLACES]
    return pd.DataFrame(
        {
            "place_code": pd.array(np.repeat(codes, 2 * n_bands), dtype="str"),
            "sex": pd.Categorical(np.tile(np.repeat(SEXES, n_bands), n_places), categories=list(SEXES)),
            "age_band": pd.Categorical(np.tile(par.BAND_LABELS, 2 * n_places), categories=list(par.BAND_LABELS)),
            "good_health": observed.reshape(-1).astype(np.float64),
            "respondents": sample.reshape(-1),
        }
    )
