"""Deaths by LSOA, sex and age band with a deprivation gradient in life expectancy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._tables import SEXES


def base_mortality(sex: str) -> np.ndarray:
    """England-like death rates (per person-year) in the 20 life-table bands (Gompertz-Makeham)."""
    g = par.MORTALITY[sex]
    mid = par.BAND_STARTS + np.where(par.BAND_STARTS == 90, 4.0, par.BAND_WIDTHS / 2.0)
    m = g.makeham + g.level * np.exp(g.slope * mid)
    m[0] = g.infant
    m[1] = g.child
    m[2] = g.child * 0.5
    m[3] = g.child * 0.6
    return np.asarray(m, dtype=np.float64)


def life_expectancy_at_birth(rates: np.ndarray) -> np.ndarray:
    """Chiang II abridged life table on the 20 bands; ``rates`` has shape (..., 20)."""
    width = np.array([1, 4, *([5] * 17)], dtype=np.float64)
    a = np.full(19, 0.5)
    a[0] = 0.1
    m = rates[..., :19]
    q = np.minimum(width * m / (1.0 + width * (1.0 - a) * m), 1.0)
    survive = np.cumprod(1.0 - q, axis=-1)
    lx = np.concatenate([np.ones((*rates.shape[:-1], 1)), survive], axis=-1)  # 20 values
    dx = lx[..., :19] * q
    big_l = width * (lx[..., 1:] + a * dx)
    last = lx[..., 19] / rates[..., 19]
    return np.asarray(big_l.sum(axis=-1) + last)


def _decile_multipliers(beta: float) -> np.ndarray:
    """(10 deciles, 20 bands) mean mortality multiplier of each local decile (0 = most deprived)."""
    r = (np.arange(10)[:, None] + (np.arange(20)[None, :] + 0.5) / 20.0) / 10.0  # (10, 20) ranks
    mult = np.exp(beta * par.DEPRIVATION_AGE_PROFILE[None, None, :] * (0.5 - r)[:, :, None])
    return np.asarray(mult.mean(axis=1))


def expected_sii(beta: float, base: np.ndarray) -> float:
    """Slope index of inequality (years) of the expected decile life expectancies."""
    le = life_expectancy_at_birth(base[None, :] * _decile_multipliers(beta))
    rank = (np.arange(10) + 0.5) / 10.0
    slope = np.polyfit(rank, le, 1)[0]
    return float(slope)  # positive: least deprived live longer


def solve_beta(target: float, base: np.ndarray) -> float:
    lo, hi = 0.0, 6.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if expected_sii(mid, base) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def build_deaths(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    years = par.DEATHS_PERIOD[1] - par.DEATHS_PERIOD[0] + 1
    n_lsoa = len(geo.lsoa_place)
    deaths = np.zeros((n_lsoa, 2, 20), dtype=np.int64)
    for s, sex in enumerate(SEXES):
        for p, place in enumerate(par.PLACES):
            base = base_mortality(sex) * par.PLACE_MORTALITY[place.code]
            beta = solve_beta(par.SII_TARGET[(place.code, sex)], base)
            idx = np.flatnonzero(geo.lsoa_place == p)
            r = geo.lsoa_local_rank[idx]
            mult = np.exp(beta * par.DEPRIVATION_AGE_PROFILE[None, :] * (0.5 - r)[:, None])
            expected = years * geo.lsoa_pop[idx, s, :] * base[None, :] * mult
            local_decile = geo.lsoas["imd_local_decile"].to_numpy()[idx] - 1
            for k in range(10):
                sub = idx[local_decile == k]
                exp_k = expected[local_decile == k]  # (LSOAs, bands)
                total = exp_k.sum(axis=0)
                counts = np.floor(total).astype(np.int64) + (rng.random(20) < total - np.floor(total))
                for b in np.flatnonzero(counts):
                    deaths[sub, s, b] = rng.multinomial(counts[b], exp_k[:, b] / total[b])
    out = geo.population.copy()
    out.insert(0, "period", f"{par.DEATHS_PERIOD[0]}-{par.DEATHS_PERIOD[1] % 100:02d}")
    out["period"] = out["period"].astype("str")
    out["person_years"] = out["population"] * years
    out["deaths"] = deaths.reshape(-1)
    return out
