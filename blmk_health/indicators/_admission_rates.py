"""Admission rates from counted cells: crude, directly or indirectly age-sex standardised, for spells and
bed days, by group and financial year, with the change between consecutive years.

The cells are small (areas x 2 sexes x 19 age bands x years) and handled in pandas. The standardised rates
are those of :func:`~blmk_health.indicators.dsr` (Dobson) and :func:`~blmk_health.indicators.isr`, called on
the cells; the crude rate is :func:`~blmk_health.indicators.crude_rate`'s (exact Poisson below 10, Byars).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from blmk_health._confidence import Confidence
from blmk_health._hospital import ESP_WEIGHTS, financial_year_label
from blmk_health.indicators import ci
from blmk_health.indicators.standardised import dsr, isr

__all__ = ["RateOptions", "admission_rates"]

_STANDARDISATION = {
    "direct": "directly age-sex standardised (2013 European Standard Population, each sex weighted half)",
    "indirect": "indirectly age-sex standardised",
    None: "crude",
}


@dataclass(frozen=True)
class RateOptions:
    """What to compute from the cells."""

    by: list[str]
    per: float
    standardise: str | None
    confidence: Confidence
    reference: pd.DataFrame | None  # sex (0/1), band (0-18), x_ref, n_ref: for indirect standardisation
    what: str  # e.g. "emergency spells", for the statistic
    unit: str  # the attribution column, for the unattributed rows' statistic
    period: str | None  # the label of a single period
    bed_days: bool
    bands: tuple[int, ...] = tuple(range(19))  # the standard bands (0-18) of the ages counted


def admission_rates(
    cells: pd.DataFrame, population: pd.DataFrame, lookup: pd.DataFrame, options: RateOptions
) -> pd.DataFrame:
    """One row per group (and year), with counts, rates, limits and the exclusions; unattributed spells last."""
    by = options.by
    years = "year" in cells.columns
    cells = cells.copy()
    if not years:
        cells["year"] = 0
    attributed = cells["unit"].isin(set(lookup["unit"]))
    grid, pop_grid = _grids(cells[attributed], population, lookup, options)
    keys = [*by, "year"]
    totals = _totals(cells[attributed], lookup, grid, pop_grid, keys)
    stats = [_rates(totals, grid, keys, "spells", "", options)]
    if options.bed_days:
        stats.append(_rates(totals, grid, keys, "bed_days", "bed_days_", options))
    out = totals
    for frame in stats:
        out = out.merge(frame, on=keys, how="left")
    if years:
        out = _with_change(out, grid, keys, options)
    out = pd.concat([out, _unattributed(cells[~attributed], keys, options)], ignore_index=True)
    out = out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)
    out.insert(len(by), "period", _periods(out["year"], options.period) if years or options.period else None)
    out = out.drop(columns="year")
    return out if (years or options.period) else out.drop(columns="period")


def _grids(
    cells: pd.DataFrame, population: pd.DataFrame, lookup: pd.DataFrame, options: RateOptions
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts and population per group, year, sex and band: every cell of every group present (zeros)."""
    by = options.by
    groups = lookup[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    years = sorted(cells["year"].dropna().unique().tolist()) or [0]
    full = groups.merge(pd.DataFrame({"year": years}), how="cross")
    full = full.merge(pd.DataFrame({"sex": [0.0, 1.0]}), how="cross").merge(
        pd.DataFrame({"band": np.asarray(options.bands, dtype=float)}), how="cross"
    )
    pop = population[population["band"].isin(options.bands)].merge(lookup, on="unit")
    pop_grid = (
        pop.groupby([*by, "sex", "band"], as_index=False)[["population"]].sum()
        if by
        else (pop.groupby(["sex", "band"], as_index=False)[["population"]].sum())
    )
    known = cells.dropna(subset=["sex", "band"]).merge(lookup, on="unit")
    summed = known.groupby([*by, "year", "sex", "band"], as_index=False)[["spells", "bed_days"]].sum()
    grid = full.merge(summed, on=[*by, "year", "sex", "band"], how="left")
    grid = grid.merge(pop_grid, on=[*by, "sex", "band"], how="left")
    grid[["spells", "bed_days", "population"]] = grid[["spells", "bed_days", "population"]].fillna(0.0)
    grid["w"] = np.asarray(ESP_WEIGHTS)[grid["band"].astype(int).to_numpy()] / 2
    return grid, pop_grid


def _totals(
    cells: pd.DataFrame, lookup: pd.DataFrame, grid: pd.DataFrame, pop_grid: pd.DataFrame, keys: list[str]
) -> pd.DataFrame:
    by = keys[:-1]
    joined = cells.merge(lookup, on="unit")
    joined["unknown_age_sex"] = np.where(joined["sex"].isna() | joined["band"].isna(), joined["spells"], 0.0)
    counts = ["spells", "bed_days", "same_day", "unknown_method", "outside_period", "unknown_age_sex"]
    summed = joined.groupby(keys, as_index=False, dropna=False)[counts].sum(min_count=0)
    summed["spells"] -= summed["unknown_age_sex"]
    known_bed = grid.groupby(keys, as_index=False)["bed_days"].sum()
    base = grid[keys].drop_duplicates().merge(summed.drop(columns="bed_days"), on=keys, how="left")
    base = base.merge(known_bed, on=keys, how="left")
    population = (
        pop_grid.groupby(by, as_index=False)["population"].sum()
        if by
        else pd.DataFrame({"population": [pop_grid["population"].sum()]})
    )
    base = base.merge(population, on=by, how="left") if by else base.assign(population=population["population"][0])
    base[counts] = base[counts].fillna(0.0)
    base = base.rename(columns={"same_day": "same_day_spells"})
    return base[[*keys, "spells", "bed_days", "same_day_spells", "population", *counts[3:]]]


def _rates(
    totals: pd.DataFrame, grid: pd.DataFrame, keys: list[str], count: str, prefix: str, options: RateOptions
) -> pd.DataFrame:
    """The value and limits of ``count`` per group, by the chosen standardisation (and the crude rate)."""
    if options.standardise is None:
        return _crude(totals, keys, count, f"{prefix}value", prefix, options)
    crude = _crude(totals, keys, count, f"{prefix}crude_rate", f"{prefix}crude_", options)
    crude = crude.drop(columns=f"{prefix}crude_reason")
    if options.standardise == "direct":
        standardised = _direct(grid, keys, count, prefix, options)
    else:
        standardised = _indirect(grid, keys, count, prefix, options)
    return standardised.merge(crude, on=keys, how="left")


def _crude(
    totals: pd.DataFrame, keys: list[str], count: str, name: str, prefix: str, options: RateOptions
) -> pd.DataFrame:
    """``count`` per ``per`` people, with exact Poisson limits below 10 and Byars' from 10 (as ``crude_rate``)."""
    x = totals[count].to_numpy(dtype=float)
    n = totals["population"].to_numpy(dtype=float)
    scale = np.where(n > 0, options.per / np.where(n > 0, n, 1.0), np.nan)
    out = totals[keys].copy()
    out[name] = x * scale
    for level, (lower, upper) in zip(options.confidence.levels, options.confidence.names(prefix), strict=True):
        out[lower] = ci.poisson_lower(x, level) * scale
        out[upper] = ci.poisson_upper(x, level) * scale
    out[f"{prefix}reason"] = np.where(n > 0, "", "NA: no population")
    return out


def _direct(grid: pd.DataFrame, keys: list[str], count: str, prefix: str, options: RateOptions) -> pd.DataFrame:
    """DSR per group (``dsr`` on the cells, weights ESP2013 / 2 per sex); blank where a cell has no population."""
    gaps = grid.assign(gap=(grid["population"] <= 0)).groupby(keys, as_index=False)["gap"].sum()
    complete = gaps[gaps["gap"] == 0][keys]
    rows = grid.merge(complete, on=keys)
    limits = options.confidence.limit_names()
    if len(rows):
        result = dsr(
            rows,
            count,
            "population",
            by=keys,
            std_pop="w",
            multiplier=options.per,
            confidence=options.confidence.levels
            if len(options.confidence.levels) > 1
            else options.confidence.levels[0],
        )
        result = result[[*keys, "value", *limits, "statistic"]]
    else:
        result = pd.DataFrame(columns=[*keys, "value", *limits, "statistic"])
    out = gaps[keys].merge(result, on=keys, how="left")
    missing = out["value"].isna() & out["statistic"].isna()
    n_gaps = gaps.set_index(keys)["gap"].reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy()
    out.loc[missing, "statistic"] = [
        f"NA: no population in {int(g)} of the {2 * len(options.bands)} age-sex bands" for g in n_gaps[missing]
    ]
    out["statistic"] = out["statistic"].map(_reason)
    renamed = {"value": f"{prefix}value", "statistic": f"{prefix}reason"}
    named: pd.DataFrame = out.rename(columns={**renamed, **{name: f"{prefix}{name}" for name in limits}})
    return named


def _indirect(grid: pd.DataFrame, keys: list[str], count: str, prefix: str, options: RateOptions) -> pd.DataFrame:
    """ISR (rate) per group: ``isr`` on the cells against the reference rates by sex and band."""
    rows = grid.copy()
    if options.reference is not None:
        rows = rows.merge(options.reference, on=["sex", "band"], how="left")
    else:
        totals = grid.groupby(["year", "sex", "band"], as_index=False)[[count, "population"]].sum()
        rows = rows.merge(
            totals.rename(columns={count: "x_ref", "population": "n_ref"}), on=["year", "sex", "band"], how="left"
        )
    rows = rows[(rows["n_ref"] > 0) & rows["x_ref"].notna()]
    limits = options.confidence.limit_names()
    result = isr(
        rows,
        count,
        "population",
        "x_ref",
        "n_ref",
        by=keys,
        kind="rate",
        multiplier=options.per,
        confidence=options.confidence.levels if len(options.confidence.levels) > 1 else options.confidence.levels[0],
    )
    result = result[[*keys, "expected", "value", *limits, "statistic"]]
    result["statistic"] = np.where(result["expected"] > 0, "", "NA: no expected events")
    result.loc[result["expected"] <= 0, ["value", *limits]] = np.nan
    renamed = {"value": f"{prefix}value", "statistic": f"{prefix}reason", "expected": f"{prefix}expected"}
    named: pd.DataFrame = result.rename(columns={**renamed, **{name: f"{prefix}{name}" for name in limits}})
    return named


def _reason(text: Any) -> str:
    """The reason part of a ``statistic`` text (``""`` when the value is there)."""
    if not isinstance(text, str) or " NA" not in f" {text}":
        return ""
    return text[text.index("NA") :] if "NA" in text else text


def _with_change(out: pd.DataFrame, grid: pd.DataFrame, keys: list[str], options: RateOptions) -> pd.DataFrame:
    """The % change of the rate from the group's previous year, with limits by the log method."""
    by = keys[:-1]
    variance = _variance(out, grid, keys, options)
    out = out.assign(_var=variance).sort_values(keys, kind="stable")
    previous = out.groupby(by, sort=False)[["value", "_var"]].shift(1) if by else out[["value", "_var"]].shift(1)
    v1, var1 = previous["value"].to_numpy(dtype=float), previous["_var"].to_numpy(dtype=float)
    v2, var2 = out["value"].to_numpy(dtype=float), out["_var"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((v1 > 0) & (v2 > 0), v2 / v1, np.nan)
        se = np.sqrt(var1 / v1**2 + var2 / v2**2)
    out["change"] = (ratio - 1) * 100
    for level, (lower, upper) in zip(options.confidence.levels, options.confidence.names("change_"), strict=True):
        z = ci.z_value(level)
        out[lower] = (ratio * np.exp(-z * se) - 1) * 100
        out[upper] = (ratio * np.exp(z * se) - 1) * 100
    return out.drop(columns="_var")


def _variance(out: pd.DataFrame, grid: pd.DataFrame, keys: list[str], options: RateOptions) -> np.ndarray[Any, Any]:
    """The variance of each row's ``value``: Poisson for crude and indirect, Dobson's for direct."""
    x = out["spells"].to_numpy(dtype=float)
    value = out["value"].to_numpy(dtype=float)
    if options.standardise == "direct":
        g = grid[grid["population"] > 0]
        terms = g.assign(t=g["spells"] * (g["w"] / g["population"]) ** 2).groupby(keys)[["t", "w"]].sum()
        terms = terms.reindex(pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else out[keys[0]])
        return np.asarray(terms["t"].to_numpy() / terms["w"].to_numpy() ** 2 * options.per**2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, value**2 / x, np.nan)


def _unattributed(cells: pd.DataFrame, keys: list[str], options: RateOptions) -> pd.DataFrame:
    """Spells of areas not in the population: one row per year with no group, counted, never dropped."""
    if cells.empty or cells["spells"].sum() + cells["unknown_method"].sum() + cells["outside_period"].sum() == 0:
        return pd.DataFrame(columns=keys)
    counts = ["spells", "bed_days", "same_day", "unknown_method", "outside_period"]
    rows = cells.groupby("year", as_index=False)[counts].sum().rename(columns={"same_day": "same_day_spells"})
    counted = cells.loc[cells["spells"] > 0, "unit"]
    units = ", ".join(map(str, (counted if len(counted) else cells["unit"]).drop_duplicates().head(5)))
    rows["statistic"] = f"unattributed: {options.unit} not in the population ({units})"
    return rows


def _periods(years: pd.Series, label: str | None) -> list[str | None]:
    if label is not None and (years.isna().all() or (years == 0).all()):
        return [label] * len(years)
    return [financial_year_label(int(y)) if pd.notna(y) and y else label for y in years]


def statistic_text(what: str, per: float, standardise: str | None) -> str:
    """The ``statistic`` of a value: e.g. "emergency spells per 1000, directly age-sex standardised (...)"."""
    return f"{what} per {per:g}, {_STANDARDISATION[standardise]}"
