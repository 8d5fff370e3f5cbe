"""Fixtures and helpers of the synthetic-data tests."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh


@pytest.fixture(scope="session")
def small() -> bh.datasets.SyntheticBLMK:
    """The synthetic BLMK at 1% of its size, seed 0."""
    return bh.datasets.synthetic_blmk(scale=0.01, seed=0)


def table_digest(table: pd.DataFrame) -> str:
    """sha256 of a table's values, column names and dtypes (geometries through their WKB)."""
    frame = pd.DataFrame(table).copy()
    if "geometry" in frame.columns:
        frame["geometry"] = [g.wkb_hex for g in table.geometry]
    digest = hashlib.sha256()
    digest.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(np.asarray(pd.util.hash_pandas_object(frame, index=True)).tobytes())
    return digest.hexdigest()


def chiang_life_expectancy(deaths: np.ndarray, person_years: np.ndarray) -> float:
    """Life expectancy at birth from 20 bands (0, 1-4, 5-9, ..., 90+), Chiang II abridged life table."""
    width = np.array([1, 4] + [5] * 17, dtype=float)
    a = np.full(19, 0.5)
    a[0] = 0.1
    m = deaths / person_years
    q = np.minimum(width * m[:19] / (1 + width * (1 - a) * m[:19]), 1.0)
    lx = np.concatenate([[1.0], np.cumprod(1 - q)])
    big_l = width * (lx[1:] + a * lx[:19] * q)
    return float(big_l.sum() + lx[19] / m[19])


def sii_life_expectancy(deaths: pd.DataFrame, lsoas: pd.DataFrame) -> pd.DataFrame:
    """SII of life expectancy by place and sex over local deprivation deciles (population-weighted OLS
    of decile LE on the midpoint of the cumulative population rank, most deprived first)."""
    local = lsoas[["lsoa_code", "imd_local_decile"]].assign(lsoa_code=lambda x: x["lsoa_code"].astype(str))
    merged = deaths.assign(lsoa_code=deaths["lsoa_code"].astype(str)).merge(local, on="lsoa_code")
    rows = []
    for (place, sex), group in merged.groupby(["place_code", "sex"], observed=True):
        les, pops = [], []
        for decile in range(1, 11):
            sub = group[group["imd_local_decile"] == decile].groupby("start_age")[["deaths", "person_years"]].sum()
            sub = sub.sort_index()
            les.append(chiang_life_expectancy(sub["deaths"].to_numpy(float), sub["person_years"].to_numpy(float)))
            pops.append(sub["person_years"].sum())
        weights = np.array(pops, dtype=float) / sum(pops)
        mid = np.cumsum(weights) - weights / 2
        slope = np.polyfit(mid, les, 1, w=np.sqrt(weights))[0]
        rows.append((place, sex, slope))
    return pd.DataFrame(rows, columns=["place_code", "sex", "sii"])


def emergency_dsr_per_1000(admissions: pd.DataFrame, patients: pd.DataFrame, years: int = 2) -> float:
    """Emergency spells per 1,000 registered patients a year, standardised to ESP2013 (each sex half)."""
    esp = bh.datasets.esp2013()["population"].to_numpy(float)
    first = admissions["episode_order"] == 1
    spells = admissions[first & admissions["admission_method"].astype(str).str.startswith("2")]
    ages = patients["age"].to_numpy()
    sexes = patients["sex"].astype(str).to_numpy()
    ids = spells["patient_id"].to_numpy() - 1
    total = 0.0
    for sex in ("Male", "Female"):
        num = np.bincount(np.minimum(ages[ids][sexes[ids] == sex] // 5, 18), minlength=19)
        den = np.bincount(np.minimum(ages[sexes == sex] // 5, 18), minlength=19)
        total += 0.5 * float((num / den / years * esp).sum() / esp.sum())
    return 1000 * total


def readmission_share(admissions: pd.DataFrame) -> float:
    """Share of discharges followed by an emergency admission of the same patient 0-29 days later."""
    spells = admissions[admissions["episode_order"] == 1].sort_values(["patient_id", "admission_date"])
    emergency = spells["admission_method"].astype(str).str.startswith("2")
    nxt = spells.groupby("patient_id")["admission_date"].shift(-1)
    nxt_emergency = emergency.groupby(spells["patient_id"]).shift(-1).fillna(False).astype(bool)
    gap = (nxt - spells["discharge_date"]).dt.days
    return float((nxt_emergency & gap.between(0, 29)).mean())


def patients_per_gp(workforce: pd.DataFrame, practices: pd.DataFrame) -> pd.Series:
    """Registered patients per fully qualified GP FTE (partners, salaried, locums) by place and BLMK, over
    the practices that made a workforce return."""
    fq = workforce[
        (workforce["measure"] == "fte") & workforce["staff_role"].isin(["Partner", "Salaried GP", "GP Locum"])
    ]
    fte = fq.groupby("practice_code")["value"].sum()
    frame = practices.set_index("practice_code")[["place_name", "list_size"]].join(fte, how="inner")
    by_place = frame.groupby("place_name")[["list_size", "value"]].sum()
    out = by_place["list_size"] / by_place["value"]
    out["BLMK"] = frame["list_size"].sum() / frame["value"].sum()
    return out
