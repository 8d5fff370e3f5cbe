"""Registered patients: residence, age, sex, conditions, care homes and frailty."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._tables import SEXES, as_text

#: Catchment length scale (metres) of a practice, by place.
_CATCHMENT = {"E06000055": 2_500.0, "E06000056": 3_500.0, "E06000032": 1_200.0, "E06000042": 2_000.0}
FRAILTY_LEVELS = ("fit", "mild", "moderate", "severe")


@dataclass(frozen=True)
class People:
    practice: np.ndarray  # practice index
    lsoa: np.ndarray  # LSOA index
    male: np.ndarray  # bool
    age: np.ndarray  # int64, completed years at the reference date
    birthday_fraction: np.ndarray  # years since the last birthday at the reference date
    decile: np.ndarray
    latent: np.ndarray  # shared latent health factor, N(0, 1)
    true: np.ndarray  # (n, n_conditions) bool
    diagnosed: np.ndarray  # (n, n_conditions) bool
    care_home: np.ndarray
    efi: np.ndarray  # float, NaN under 65
    frailty: np.ndarray  # int8 level 0-3, -1 under 65


def prevalence_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(conditions, 2 sexes, 9 bands) base true prevalence and diagnosed share; (conditions,) slopes."""
    base = np.array([[c.male, c.female] for c in par.CONDITIONS], dtype=np.float64)
    dx = np.empty_like(base)
    for k, c in enumerate(par.CONDITIONS):
        dx[k] = np.asarray(c.diagnosed, dtype=np.float64) if isinstance(c.diagnosed, tuple) else c.diagnosed
    slopes = np.array([c.deprivation_slope for c in par.CONDITIONS])
    return base, dx, slopes


def deprivation_multiplier(slope: float | np.ndarray, decile: np.ndarray | int) -> np.ndarray:
    """``exp(slope * (5.5 - decile))``: above 1 in the more deprived half for a positive slope."""
    out: np.ndarray = np.exp(np.asarray(slope) * (5.5 - np.asarray(decile)))
    return out


def true_prevalence(base: np.ndarray, slope: float | np.ndarray, decile: np.ndarray | int) -> np.ndarray:
    out: np.ndarray = np.minimum(base * deprivation_multiplier(slope, decile), par.MAX_PREVALENCE)
    return out


def diagnosed_share(dx: np.ndarray, decile: np.ndarray | int) -> np.ndarray:
    out: np.ndarray = np.minimum(dx * deprivation_multiplier(par.DIAGNOSIS_DEPRIVATION_SLOPE, decile), 1.0)
    return out


def build_people(rng: np.random.Generator, geo: Geography) -> People:
    n_lsoa = len(geo.lsoa_place)
    # 1. residence: each practice draws its patients from nearby LSOAs of its place
    resident = geo.lsoa_pop.sum(axis=(1, 2)) + 1.0  # +1: every LSOA can be drawn at small scales
    lsoa_parts: list[np.ndarray] = []
    for i, (p, size) in enumerate(zip(geo.practice_place, geo.practice_list, strict=True)):
        cand = np.flatnonzero(geo.lsoa_place == p)
        dist = np.hypot(*(geo.lsoa_xy[cand] - geo.practice_xy[i]).T)
        w = resident[cand] * np.exp(-dist / _CATCHMENT[par.PLACES[p].code])
        lsoa_parts.append(cand[rng.choice(len(cand), size=int(size), p=w / w.sum())])
    lsoa = np.concatenate(lsoa_parts)
    practice = np.repeat(np.arange(len(geo.practice_list)), geo.practice_list)
    n = len(lsoa)

    # 2. sex and age from the LSOA's population structure (40 cells: sex x band)
    cells = geo.lsoa_cell_share.reshape(n_lsoa, 40)
    cum = np.cumsum(cells, axis=1)
    cum[:, -1] = 1.0
    flat = (cum + np.arange(n_lsoa)[:, None]).ravel()
    cell = np.searchsorted(flat, lsoa + rng.random(n), side="right") - lsoa * 40
    cell = np.clip(cell, 0, 39)
    male = cell < 20
    band = cell % 20
    width = par.BAND_WIDTHS[band]
    offset = np.floor(rng.random(n) * width).astype(np.int64)
    old = band == 19
    offset[old] = np.minimum(rng.geometric(0.28, int(old.sum())) - 1, 15)
    age = par.BAND_STARTS[band] + offset
    birthday_fraction = rng.random(n)
    decile = geo.lsoa_decile[lsoa]

    # 3. conditions: Gaussian copula on a shared latent factor keeps each marginal exact
    base, dx, slopes = prevalence_arrays()
    pband = np.searchsorted(par.PREV_BAND_STARTS, age, side="right") - 1
    sex = np.where(male, 0, 1)
    latent = rng.standard_normal(n)
    rho = np.sqrt(par.COPULA_RHO)
    rest = np.sqrt(1.0 - par.COPULA_RHO)
    k = len(par.CONDITIONS)
    true = np.zeros((n, k), dtype=bool)
    diagnosed = np.zeros((n, k), dtype=bool)
    for j in range(k):
        p_true = true_prevalence(base[j, sex, pband], slopes[j], decile)
        u = ndtr(rho * latent + rest * rng.standard_normal(n))
        true[:, j] = u < p_true
        p_dx = diagnosed_share(dx[j, sex, pband], decile)
        diagnosed[:, j] = true[:, j] & (rng.random(n) < p_dx)

    # 4. care homes (65+) and the electronic frailty index
    dementia = true[:, par.CONDITION_KEYS.index("dementia")]
    p_home = np.select([age >= 90, age >= 85, age >= 75, age >= 65], [0.15, 0.06, 0.015, 0.003], 0.0)
    p_home = np.minimum(p_home * np.where(dementia, 4.0, 1.0), 0.9)
    care_home = rng.random(n) < p_home
    n_dx = diagnosed.sum(axis=1)
    older = age >= 65
    efi_raw = 0.02 + 0.048 * n_dx + 0.0045 * (age - 65) + 0.10 * care_home + 0.03 * latent + rng.normal(0.0, 0.055, n)
    efi = np.where(older, np.clip(efi_raw, 0.0, 1.0), np.nan)
    frailty = np.where(older, np.searchsorted([0.12, 0.24, 0.36], np.nan_to_num(efi), side="left"), -1)
    return People(
        practice=practice,
        lsoa=lsoa,
        male=male,
        age=age.astype(np.int64),
        birthday_fraction=birthday_fraction,
        decile=decile,
        latent=latent,
        true=true,
        diagnosed=diagnosed,
        care_home=care_home,
        efi=efi,
        frailty=frailty.astype(np.int8),
    )


def prevalence_rates_table() -> pd.DataFrame:
    """The rates the generator used: condition x sex x broad age band x IMD decile."""
    base, dx, slopes = prevalence_arrays()
    rows = []
    ends = [*(int(s) - 1 for s in par.PREV_BAND_STARTS[1:]), None]
    for j, cond in enumerate(par.CONDITIONS):
        for s, sex in enumerate(SEXES):
            for b, label in enumerate(par.PREV_BAND_LABELS):
                for d in range(1, 11):
                    rows.append(
                        (
                            cond.key,
                            sex,
                            label,
                            int(par.PREV_BAND_STARTS[b]),
                            ends[b],
                            d,
                            float(base[j, s, b]),
                            float(deprivation_multiplier(slopes[j], d)),
                            float(true_prevalence(base[j, s, b], slopes[j], d)),
                            float(diagnosed_share(dx[j, s, b], d)),
                            cond.status,
                        )
                    )
    out = pd.DataFrame(
        rows,
        columns=[
            "condition",
            "sex",
            "age_band",
            "start_age",
            "end_age",
            "imd_decile",
            "base_prevalence",
            "deprivation_multiplier",
            "prevalence",
            "p_diagnosed",
            "status",
        ],
    )
    as_text(out, ["condition", "sex", "age_band", "status"])
    out["end_age"] = out["end_age"].astype("Int64")
    out["expected_diagnosed_prevalence"] = out["prevalence"] * out["p_diagnosed"]
    return out
