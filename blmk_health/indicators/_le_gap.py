"""The gap in life expectancy at birth across deprivation deciles (PHOF A02a-style SII, or the range)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._frames import TMP, Frame, assemble, collect_small, float_array, is_integer_column
from blmk_health._inputs import Prepared, check_whole_number, prepare
from blmk_health._validation import Check, check_choice, check_values, describe_values
from blmk_health.indicators import ci
from blmk_health.indicators._core import METADATA, FloatArray, counts, group_ids, metadata_columns, normal_limits
from blmk_health.indicators._life_table import MAX_HALF_WIDTH, BandTable, band_table, chiang, group_problems
from blmk_health.indicators._sii_core import MAX_QUANTILES, MIN_QUANTILES, sii_arrays
from blmk_health.indicators.life_expectancy import LE_METHOD
from blmk_health.indicators.quantiles import quantiles

__all__ = ["le_gap"]

_Q = f"{TMP}quantile"
_AT_BIRTH = "life expectancy at birth"


def le_gap(
    data: Any,
    deaths: str,
    population: str,
    age_band: str,
    deprivation: str,
    by: str | Sequence[str] | None = None,
    method: str = "sii",
    n_quantiles: int = 10,
    confidence: float | Sequence[float] = 0.95,
    seed: int | np.random.Generator | None = None,
    *,
    area: str | None = None,
    deprivation_kind: str = "auto",
    repetitions: int = 100_000,
    return_deciles: bool = False,
    metadata: bool = True,
) -> Any:
    """The inequality gap in life expectancy at birth between the most and least deprived areas.

    From deaths and populations by small area and age band, with each area's deprivation decile (or
    score): the areas are put in deprivation quantiles within each ``by`` group, deaths and
    populations are summed per quantile and age band, life expectancy at birth and its standard error
    are calculated per quantile (:func:`life_expectancy`), and then

    - ``method="sii"``: the slope index of inequality in years (:func:`sii` with normal values and the
      quantile populations as weights), the Public Health Outcomes Framework definition of the
      inequality in life expectancy at birth (indicator A02a): the modelled gap between the most and
      least deprived ends of the population;
    - ``method="range"``: life expectancy in the least deprived quantile minus that in the most
      deprived, with limits ``-/+ z sqrt(se_1^2 + se_n^2)``.

    Parameters
    ----------
    data : DataFrame
        One row per small area and age band (and per ``by`` value, e.g. sex): any frame narwhals
        supports. Several rows per (group, quantile, band) are summed.
    deaths, population : str
        Columns of deaths and populations.
    age_band : str
        Column of age-band labels (20 bands to 90+, or 19 to 85+; see :func:`life_expectancy`).
    deprivation : str
        Column of each area's deprivation: a decile (national IMD deciles, 1 = most deprived), used as
        given, or a score (higher = more deprived), from which local quantiles are made within each
        ``by`` group with :func:`quantiles`.
    by : str or list of str, optional
        Groups (e.g. ``["place", "sex"]``); one gap per group, sorted by ``by``.
    method : {"sii", "range"}, default "sii"
        Slope index of inequality, or the difference between the extreme quantiles.
    n_quantiles : int, default 10
        Number of quantiles (10 deciles; 5 for quintiles). Between 5 and 100.
    confidence : float or sequence of float, default 0.95
        One or more confidence levels.
    seed : int or numpy.random.Generator, optional
        Seed of the SII simulation.
    area : str, optional
        Column identifying the small areas; used to rank areas (not rows) when local quantiles are
        made from a score. Without it, distinct scores stand for areas.
    deprivation_kind : {"auto", "decile", "score"}, default "auto"
        How to read ``deprivation``. "auto" reads it as quantiles when every value is a whole number
        from 1 to ``n_quantiles``, and as a score otherwise.
    repetitions : int, default 100000
        Simulation draws of the SII (at least 1000).
    return_deciles : bool, default False
        Also return the per-quantile table: ``(gaps, deciles)``.
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method``.

    Returns
    -------
    DataFrame or (DataFrame, DataFrame)
        One row per group: ``by`` columns, ``value`` (the gap in years), ``lowercl``/``uppercl`` (or
        ``lower95_0cl``, ...), and the metadata. With ``return_deciles`` also a table with one row per
        group and quantile: ``by`` columns, ``quantile``, ``population`` and ``deaths`` (all ages),
        ``value`` (life expectancy at birth), ``se``, the limits and the metadata.

    Raises
    ------
    SchemaError
        Missing or non-numeric columns, or age bands that do not form a life table.
    DomainError
        Deciles outside 1..``n_quantiles``, missing deprivation, a bad ``method``, ``n_quantiles``,
        ``repetitions``, ``confidence`` or ``seed``.

    Warns
    -----
    UserWarning
        When a quantile's life expectancy cannot be calculated (e.g. its population is 5,000 or less),
        so the group's gap is missing; ``statistic`` says which quantiles.

    References
    ----------
    Office for Health Improvement and Disparities. Public Health Outcomes Framework, indicator A02a:
    inequality in life expectancy at birth (slope index of inequality). Fingertips, definitions.
    Low A, Low A (2004). Measuring the gap: quantifying and comparing local health inequalities.
    Journal of Public Health 26:388-395.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import blmk_health as bh
    >>> bands = ["0", "1-4"] + [f"{a}-{a + 4}" for a in range(5, 90, 5)] + ["90+"]
    >>> base = np.array([3, 1, 1, 1, 2, 3, 3, 4, 6, 9, 14, 22, 35, 55, 85, 140, 230, 380, 600, 1000]) / 1e4
    >>> rows = [{"decile": d, "age": b, "pop": 1000 if i else 200, "deaths": 0}
    ...         for d in range(1, 11) for i, b in enumerate(bands)]
    >>> df = pd.DataFrame(rows)
    >>> df["deaths"] = np.round(df["pop"] * np.tile(base, 10) * (1.5 - df["decile"] / 20))
    >>> out = bh.indicators.le_gap(df, "deaths", "pop", "age", "decile", seed=1, metadata=False)
    >>> out.round(1)
       value  lowercl  uppercl
    0    5.4      3.3      7.4
    """
    method = check_choice(method, "method", ("sii", "range"))
    kind = check_choice(deprivation_kind, "deprivation_kind", ("auto", "decile", "score"))
    n_q = check_whole_number(n_quantiles, "n_quantiles", MIN_QUANTILES, MAX_QUANTILES)
    numeric = [("deaths", deaths), ("population", population), ("deprivation", deprivation)]
    prepared = prepare(
        data,
        columns=[("age_band", age_band), ("area", area)],
        numeric=numeric,
        by=by,
        confidence=confidence,
        any_levels=True,
        seed=seed,
        repetitions=repetitions,
        outputs=lambda conf: ["value", "quantile", "population", "deaths", "se", *conf.limit_names(), *METADATA],
    )
    work = _with_quantiles(prepared, deprivation, kind, n_q, area)
    table = band_table(
        work, [*prepared.by, _Q], age_band, {"deaths": deaths, "population": population}, sum_repeats=True
    )
    deciles = _decile_estimates(table, prepared.by, n_q)
    gaps = _gap_columns(method, deciles, prepared)
    if metadata:
        gaps.update(_gap_metadata(method, deciles, prepared))
    result = assemble(deciles.group_keys, gaps, prepared.frame)
    if not return_deciles:
        return result
    integer = (is_integer_column(prepared.frame, deaths), is_integer_column(prepared.frame, population))
    return result, _decile_table(deciles, table, prepared, metadata, integer)


def _with_quantiles(prepared: Prepared, deprivation: str, kind: str, n_q: int, area: str | None) -> Frame:
    """The rows with each area's deprivation quantile: the deciles as given, or local quantiles of a score."""
    frame, by = prepared.frame, prepared.by
    dep = nw.col(deprivation)
    check_values(frame, [Check("deprivation", deprivation, dep.is_null(), "is missing", "every area needs one")])
    outside = (dep < 1) | (dep > n_q) | (dep.cast(nw.Float64) % 1 != 0)
    if kind == "auto":
        counts = collect_small(frame.frame.select(outside.cast(nw.Int64).sum().alias(f"{TMP}k")))
        kind = "score" if int(counts.row(0)[0] or 0) else "decile"
    if kind == "decile":
        rule = "deciles are numbered 1 (most deprived) to n_quantiles; pass deprivation_kind='score' for scores"
        problem = f"is not a whole number from 1 to {n_q}"
        check_values(frame, [Check("deprivation", deprivation, outside, problem, rule)])
        return frame.with_frame(frame.frame.with_columns(dep.cast(nw.Int64).alias(_Q)))
    key = area or deprivation
    distinct = frame.frame.select(list(dict.fromkeys([*by, key, deprivation]))).unique()
    ranked = quantiles(distinct, deprivation, by=by or None, n=n_q, invert=True)
    ranked = ranked.select([*by, key, nw.col("quantile").alias(_Q)])
    joined = frame.frame.join(ranked, on=[*by, key], how="left").filter(~nw.col(_Q).is_null())
    return frame.with_frame(joined)


@dataclass(frozen=True)
class _Deciles:
    """Life expectancy at birth per (group, quantile), and the same as ``groups x quantiles`` grids."""

    keys: nw.DataFrame[Any]
    quantile: npt.NDArray[np.int64]
    e0: FloatArray
    se0: FloatArray
    value: FloatArray
    blank: npt.NDArray[np.bool_]
    wide: npt.NDArray[np.bool_]
    problems: npt.NDArray[np.object_]
    grids: dict[str, FloatArray]
    group_keys: Any
    missing: npt.NDArray[np.bool_]


def _decile_estimates(table: BandTable, by: list[str], n_q: int) -> _Deciles:
    """Life expectancy at birth of every (group, quantile), with the rules of :func:`life_expectancy`."""
    problems = group_problems(table)
    d, p = table.values["deaths"], table.values["population"]
    life = chiang(d, p, table.bands.starts)
    blank = problems != None  # noqa: E711 - elementwise comparison
    e0 = np.where(blank, np.nan, life.e[:, 0])
    se0 = np.where(blank, np.nan, life.se[:, 0])
    with np.errstate(invalid="ignore"):
        wide = ~blank & ~(ci.z_value(0.95) * se0 <= MAX_HALF_WIDTH)
    value0 = np.where(wide, np.nan, e0)
    assert table.keys is not None
    q = float_array(table.keys, _Q).astype(np.int64)
    gid = group_ids(table.keys, by)
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    grids = {name: np.full((n_groups, n_q), np.nan) for name in ("e", "se", "pop")}
    grids["e"][gid, q - 1] = value0
    grids["se"][gid, q - 1] = se0
    grids["pop"][gid, q - 1] = np.nansum(p, axis=1)
    missing = ~np.isfinite(grids["e"]).all(axis=1) | ~np.isfinite(grids["se"]).all(axis=1)
    first = np.flatnonzero(np.diff(gid, prepend=-1) != 0)
    group_keys = table.keys.select(by)[first] if by else None
    if missing.any():
        _warn(group_keys, by, missing, _reasons(grids["e"], missing))
    return _Deciles(table.keys, q, e0, se0, value0, blank, wide, problems, grids, group_keys, missing)


def _gap_columns(method: str, deciles: _Deciles, prepared: Prepared) -> dict[str, Any]:
    """The gap (SII or range) and its limits per group."""
    grids, conf = deciles.grids, prepared.confidence
    columns: dict[str, Any] = {}
    if method == "sii":
        assert prepared.rng is not None
        assert prepared.repetitions is not None
        result = sii_arrays(
            grids["e"],
            grids["se"],
            grids["pop"],
            value_type="normal",
            transform=False,
            multiplier=1.0,
            repetitions=prepared.repetitions,
            levels=conf.levels,
            rii=False,
            reliability=False,
            rng=prepared.rng,
        )
        columns["value"] = result.sii
        for i, (lower, upper) in enumerate(conf.names()):
            columns[lower] = result.sii_lower[i]
            columns[upper] = result.sii_upper[i]
        return columns
    gap = grids["e"][:, -1] - grids["e"][:, 0]
    se_gap = np.sqrt(grids["se"][:, -1] ** 2 + grids["se"][:, 0] ** 2)
    columns["value"] = gap
    columns.update(normal_limits(conf, gap, se_gap))
    return columns


def _gap_metadata(method: str, deciles: _Deciles, prepared: Prepared) -> dict[str, Any]:
    if method == "sii":
        statistic = "slope index of inequality in life expectancy at birth (years)"
        text = f"SII of life expectancy by deprivation quantile (Low & Low), simulation {prepared.repetitions} reps"
    else:
        statistic = "range in life expectancy at birth, least minus most deprived quantile (years)"
        text = "difference of life expectancies (Chiang, Silcocks et al)"
    reasons = _reasons(deciles.grids["e"], deciles.missing)
    stats = np.where(deciles.missing, statistic + " NA: " + reasons.astype(str), statistic).astype(object)
    return metadata_columns(len(deciles.missing), prepared.confidence, stats, text)


def _decile_table(
    deciles: _Deciles, table: BandTable, prepared: Prepared, metadata: bool, integer: tuple[bool, bool]
) -> Any:
    """One row per group and quantile: populations, deaths, life expectancy at birth and its limits."""
    d, p = table.values["deaths"], table.values["population"]
    out: dict[str, Any] = {
        "quantile": deciles.quantile,
        "population": counts(np.nansum(p, axis=1), integer[1]),
        "deaths": counts(np.nansum(d, axis=1), integer[0]),
        "value": deciles.value,
        "se": deciles.se0,
    }
    out.update(normal_limits(prepared.confidence, deciles.e0, deciles.se0))
    if metadata:
        text = np.full(len(deciles.quantile), _AT_BIRTH, dtype=object)
        text = np.where(deciles.wide, f"{_AT_BIRTH}: value suppressed, 95% CI wider than 20 years", text)
        text = np.where(deciles.blank, f"{_AT_BIRTH} NA: " + deciles.problems.astype(str), text).astype(object)
        out.update(metadata_columns(len(deciles.quantile), prepared.confidence, text, LE_METHOD))
    keys = deciles.keys.select(prepared.by) if prepared.by else None
    return assemble(keys, out, prepared.frame)


def _reasons(values: Any, missing: Any) -> Any:
    out = np.full(len(missing), "", dtype=object)
    for g in np.flatnonzero(missing):
        absent = [str(i + 1) for i in np.flatnonzero(~np.isfinite(values[g]))]
        out[g] = f"no life expectancy for quantile(s) {', '.join(absent)}"
    return out


def _warn(group_keys: Any, by: list[str], missing: Any, reasons: Any) -> None:
    bad = np.flatnonzero(missing)
    if by:
        rows = group_keys[bad[:5]].rows()
        shown = describe_values([r if len(r) > 1 else r[0] for r in rows])
    else:
        shown = "all rows"
    warnings.warn(
        f"le_gap: {len(bad)} group(s) have no gap ({reasons[bad[0]]}); first: {shown}. "
        "A quantile's life expectancy is missing when its population is 5,000 or less, its CI is wider than "
        "20 years, or its table fails a check of life_expectancy",
        UserWarning,
        stacklevel=4,
    )
