"""Slope and relative index of inequality (PHEindicatormethods ``phe_sii``; Low & Low 2004)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._confidence import Confidence, format_multiplier
from blmk_health._frames import Frame, assemble, collect, float_array
from blmk_health._inputs import Prepared, prepare
from blmk_health._validation import Check, check_choice, check_values, describe_values
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.indicators import ci
from blmk_health.indicators._core import group_ids
from blmk_health.indicators._sii_core import MAX_QUANTILES, MIN_QUANTILES, SiiResult, link, sii_arrays

__all__ = ["sii"]

FloatArray = npt.NDArray[np.float64]

#: value_type names, and the reference's codes 0, 1 and 2 for them.
VALUE_TYPES = ("normal", "rate", "proportion")


def _level_tag(level: float) -> str:
    """``95_0`` for 0.95, ``99_8`` for 0.998: the reference's suffix of SII limit columns."""
    return f"{level * 100:.1f}".replace(".", "_")


def _value_type(value_type: Any) -> str:
    if isinstance(value_type, int) and not isinstance(value_type, bool) and value_type in (0, 1, 2):
        return VALUE_TYPES[value_type]
    return str(check_choice(value_type, "value_type", (*VALUE_TYPES, 0, 1, 2)))


def _check_multiplier(value: Any) -> float:
    """Any finite number but 0 (a negative multiplier reverses the polarity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        msg = f"multiplier: expected a finite number, got {value!r}"
        raise DomainError(msg)
    if value == 0:
        msg = "multiplier: must not be 0"
        raise DomainError(msg)
    return float(value)


def _output_names(conf: Confidence, rii: bool, intercept: bool, reliability_stat: bool, metadata: bool) -> list[str]:
    """The result columns of :func:`sii`, in order."""
    names = ["sii"]
    for level in conf.levels:
        names += [f"sii_lower{_level_tag(level)}cl", f"sii_upper{_level_tag(level)}cl"]
    if rii:
        names.append("rii")
        for level in conf.levels:
            names += [f"rii_lower{_level_tag(level)}cl", f"rii_upper{_level_tag(level)}cl"]
    if reliability_stat:
        names += [f"sii_mad{_level_tag(level)}" for level in conf.levels]
        if rii:
            names += [f"rii_mad{_level_tag(level)}" for level in conf.levels]
    if intercept:
        names.append("intercept")
    if metadata:
        names += ["indicator_type", "multiplier", "transform", "CI_confidence", "CI_method"]
    return names


def _result_columns(
    result: SiiResult, conf: Confidence, *, rii: bool, intercept: bool, reliability_stat: bool
) -> dict[str, FloatArray]:
    """The numeric result columns of :func:`sii` in the reference's order."""
    out: dict[str, FloatArray] = {"sii": result.sii}
    for i, level in enumerate(conf.levels):
        out[f"sii_lower{_level_tag(level)}cl"] = result.sii_lower[i]
        out[f"sii_upper{_level_tag(level)}cl"] = result.sii_upper[i]
    if rii:
        out["rii"] = result.rii
        for i, level in enumerate(conf.levels):
            out[f"rii_lower{_level_tag(level)}cl"] = result.rii_lower[i]
            out[f"rii_upper{_level_tag(level)}cl"] = result.rii_upper[i]
    if reliability_stat:
        for i, level in enumerate(conf.levels):
            out[f"sii_mad{_level_tag(level)}"] = result.sii_mad[i]
        if rii:
            for i, level in enumerate(conf.levels):
                out[f"rii_mad{_level_tag(level)}"] = result.rii_mad[i]
    if intercept:
        out["intercept"] = result.intercept
    return out


@dataclass(frozen=True)
class _Columns:
    """The columns an SII reads, by role (``None`` where not used)."""

    quantile: str
    population: str
    value: str | None
    x: str | None
    se: str | None
    lower: str | None
    upper: str | None

    def named(self) -> list[tuple[str, str | None]]:
        """``(argument, column)`` pairs, for the checks."""
        return [
            ("quantile", self.quantile),
            ("population", self.population),
            ("value", self.value),
            ("x", None if self.value is not None else self.x),
            ("se", self.se),
            ("lower_cl", self.lower),
            ("upper_cl", self.upper),
        ]


def _columns_used(
    vt: str,
    quantile: str,
    population: str,
    value: str | None,
    x: str | None,
    lower_cl: str | None,
    upper_cl: str | None,
    se: str | None,
    transform: bool,
) -> _Columns:
    """Which columns the SII reads, or an error when the combination cannot work."""
    if value is None and not (vt == "proportion" and x is not None):
        msg = "value: the column of indicator values is required (or x, the counts, for proportions)"
        raise SchemaError(msg)
    if se is None and (lower_cl is None or upper_cl is None):
        msg = "se, lower_cl and upper_cl: give either se or both lower_cl and upper_cl"
        raise SchemaError(msg)
    if transform and vt == "normal":
        msg = "transform: only rates (log) and proportions (logit) can be transformed, not value_type='normal'"
        raise InputError(msg)
    if transform and se is not None:
        msg = "transform: give lower_cl and upper_cl, not se, when transform=True (as the reference requires)"
        raise InputError(msg)
    use_se = se is not None and not transform
    return _Columns(
        quantile,
        population,
        value,
        x if value is None else None,
        se if use_se else None,
        None if use_se else lower_cl,
        None if use_se else upper_cl,
    )


def sii(
    data: Any,
    quantile: str,
    population: str,
    value: str | None = None,
    x: str | None = None,
    value_type: str | int = "normal",
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    se: str | None = None,
    by: str | Sequence[str] | None = None,
    transform: bool = False,
    multiplier: float = 1,
    repetitions: int = 100_000,
    confidence: float | Sequence[float] = 0.95,
    rii: bool = False,
    intercept: bool = False,
    reliability_stat: bool = False,
    seed: int | np.random.Generator | None = None,
    metadata: bool = True,
) -> Any:
    """Slope index of inequality (and relative index) with simulated confidence limits.

    The reference's method (PHEindicatormethods ``phe_sii``, after Low & Low 2004). Within each group,
    with quantile populations ``pop_j`` (quantile 1 the **most** deprived)::

        a_j = pop_j / sum(pop)                           (population share)
        b_j = sum_{i<j} a_i + a_j / 2                    (relative rank, the mid-point)
        y_j sqrt(a_j) = beta0 sqrt(a_j) + beta1 b_j sqrt(a_j)    (least squares, no intercept)

    which is weighted least squares of y on b with weights a. Without ``transform``,
    ``sii = multiplier * beta1``, ``rii = (beta0 + beta1) / beta0`` and ``intercept = beta0``. With
    ``transform=True`` (rates on the log scale, proportions on the logit scale) the fit is on the link
    scale and ``sii = (g^-1(beta0 + beta1) - g^-1(beta0)) * multiplier``, ``rii = g^-1(beta0 +
    beta1) / g^-1(beta0)``, ``intercept = g^-1(beta0) * |multiplier|``. A negative multiplier inverts
    the RII and swaps the limits.

    Confidence limits are simulated: each quantile's value is drawn ``repetitions`` times from a
    normal distribution with its standard error (on the log/logit scale for rates and proportions,
    then back-transformed unless ``transform``), the model is refitted, and the limits are the
    ``round(R (1 - cv))``-th and ``round(R cv)``-th smallest simulated slopes (``cv = c + (1 - c) /
    2``), as in the reference. With ``transform`` the link-scale limits ``s`` are turned into limits on
    the original scale around the mid-point ``h = beta0 + beta1 / 2`` as ``(g^-1(h + s/2) - g^-1(h -
    s/2)) * multiplier`` (and the RII limits as the ratio of the same two terms).

    Parameters
    ----------
    data : DataFrame
        One row per group and quantile (any frame narwhals supports).
    quantile : str
        Column of quantile numbers 1, 2, ..., n (5 <= n <= 100), **1 the most deprived**.
    population : str
        Column of quantile populations (> 0).
    value : str, optional
        Column of the indicator value per quantile. For proportions it may be left out and ``x``
        given instead (``value = x / population``).
    x : str, optional
        Column of counts, for proportions given as counts.
    value_type : {"normal", "rate", "proportion"} or {0, 1, 2}, default "normal"
        "normal" for values such as life expectancy; "rate" (log transform) or "proportion" (logit).
    lower_cl, upper_cl : str, optional
        Columns of the 95% limits of each value (always read as 95%, whatever ``confidence``), from
        which the standard error is ``(upper_t - lower_t) / qnorm(0.975) / 2`` on the transformed
        scale. Needed unless ``se`` is given, and always with ``transform``.
    se : str, optional
        Column of standard errors on the transformed scale (not with ``transform``).
    by : str or list of str, optional
        Grouping columns: one SII per group, sorted by ``by``.
    transform : bool, default False
        Fit on the log (rates) or logit (proportions) scale; not for "normal" values.
    multiplier : float, default 1
        Scale of the SII and its limits (e.g. 100 for percentage points, -1 to reverse polarity).
    repetitions : int, default 100000
        Simulation draws (at least 1000).
    confidence : float or sequence of float, default 0.95
        One or more levels (e.g. ``(0.95, 0.998)``).
    rii : bool, default False
        Also return the relative index of inequality with its limits.
    intercept : bool, default False
        Also return the intercept (the fitted value at the most deprived end), as the last column.
    reliability_stat : bool, default False
        Run the simulation 10 times and return the mean absolute difference of the limits of runs 2-10
        from those of run 1 (``sii_mad95_0``, ...), a measure of Monte-Carlo error.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation; the same seed and data give the same limits.
    metadata : bool, default True
        Add ``indicator_type``, ``multiplier``, ``transform``, ``CI_confidence`` and ``CI_method``.

    Returns
    -------
    DataFrame
        One row per group: ``by`` columns, ``sii``, ``sii_lower95_0cl``, ``sii_upper95_0cl`` (one pair
        per level, always with the level in the name, as in the reference), then if requested ``rii``
        and its limits, ``sii_mad95_0`` (and ``rii_mad95_0``), ``intercept``, and the metadata.

    Raises
    ------
    SchemaError
        Missing or non-numeric columns, no ``value`` (or ``x`` for proportions), neither ``se`` nor
        both limits, a repeated (group, quantile).
    DomainError
        Quantiles that are not whole numbers 1..n with 5 <= n <= 100, zero, negative or missing
        populations, negative or missing standard errors, missing values or limits, proportions
        outside [0, 1] (or at exactly 0 or 1, where the logit is infinite), rates <= 0, limits in the
        wrong order, ``repetitions`` < 1000, a bad ``multiplier``, ``confidence`` or ``seed``.
    InputError
        ``transform`` with "normal" values or with ``se``.

    Warns
    -----
    UserWarning
        More than 10 quantiles (small quantiles make the SII unstable), or groups that lack some
        quantiles: those get missing results (the reference drops them).

    Notes
    -----
    For normal values, and for any fit on the link scale, the refitted coefficients are linear in the
    simulated values and so exactly bivariate normal; they are then drawn directly from that
    distribution. This is the reference's simulation in distribution, but independent of the number
    of quantiles in cost. The reference swaps the limits of a log-transformed SII when ``multiplier <
    1`` (not ``< 0``) - a slip in its code; here they are swapped when ``multiplier < 0`` throughout.

    References
    ----------
    Low A, Low A (2004). Measuring the gap: quantifying and comparing local health inequalities.
    Journal of Public Health 26:388-395.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({
    ...     "decile": range(1, 11),
    ...     "pop": [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534],
    ...     "le": [75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3],
    ...     "se": [1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43, 1.57]})
    >>> out = bh.indicators.sii(df, "decile", "pop", value="le", se="se", seed=1, metadata=False)
    >>> out.round(1)
       sii  sii_lower95_0cl  sii_upper95_0cl
    0  7.0              3.2             10.8
    """
    vt = _value_type(value_type)
    mult = _check_multiplier(multiplier)
    cols = _columns_used(vt, quantile, population, value, x, lower_cl, upper_cl, se, transform)
    prepared = prepare(
        data,
        numeric=cols.named(),
        by=by,
        confidence=confidence,
        any_levels=True,
        seed=seed,
        repetitions=repetitions,
        outputs=lambda conf: _output_names(conf, rii, intercept, reliability_stat, metadata),
    )
    _check_sii_values(prepared.frame, vt, cols)
    keys, value_t, se_t, pops = _transformed_grid(prepared, vt, cols)
    assert prepared.rng is not None
    assert prepared.repetitions is not None
    result = sii_arrays(
        value_t,
        se_t,
        pops,
        value_type=vt,
        transform=transform,
        multiplier=mult,
        repetitions=prepared.repetitions,
        levels=prepared.confidence.levels,
        rii=rii,
        reliability=reliability_stat,
        rng=prepared.rng,
    )
    out: dict[str, Any] = dict(
        _result_columns(result, prepared.confidence, rii=rii, intercept=intercept, reliability_stat=reliability_stat)
    )
    if metadata:
        out.update(_metadata(len(result.sii), vt, mult, transform, prepared))
    return assemble(keys, out, prepared.frame)


def _transformed_grid(prepared: Prepared, vt: str, cols: _Columns) -> tuple[Any, FloatArray, FloatArray, FloatArray]:
    """Group keys, and ``groups x quantiles`` values and standard errors on the transformed scale, and populations.

    Groups lacking a quantile get missing values (and a warning).
    """
    roles = {"population": cols.population, "quantile": cols.quantile}
    roles.update({"value": cols.value} if cols.value is not None else {"x": str(cols.x)})
    roles.update({"se": cols.se} if cols.se is not None else {"lower": str(cols.lower), "upper": str(cols.upper)})
    keys, grid, n_q = quantile_grid(prepared.frame, prepared.by, cols.quantile, roles)
    pops = grid["population"]
    raw = grid["value"] if cols.value is not None else grid["x"] / pops
    with np.errstate(divide="ignore", invalid="ignore"):
        value_t = link(raw, vt)
        # limits are read as 95% limits, whatever `confidence` is
        se_t = (
            grid["se"]
            if cols.se is not None
            else (link(grid["upper"], vt) - link(grid["lower"], vt)) / (2 * ci.z_value(0.95))
        )
    incomplete: npt.NDArray[np.bool_] = np.asarray(~np.isfinite(pops).all(axis=1))
    if incomplete.any():
        _warn_incomplete(keys, prepared.by, incomplete, n_q)
    return keys, np.where(incomplete[:, None], np.nan, value_t), se_t, pops


def _metadata(n: int, vt: str, mult: float, transform: bool, prepared: Prepared) -> dict[str, Any]:
    """The reference's metadata columns of an SII."""
    link_name = {"rate": "log", "proportion": "logit"}.get(vt, "none") if transform else "none"
    return {
        "indicator_type": np.full(n, vt, dtype=object),
        "multiplier": np.full(n, mult),
        "transform": np.full(n, link_name, dtype=object),
        "CI_confidence": np.full(n, prepared.confidence.label, dtype=object),
        "CI_method": np.full(n, f"simulation {format_multiplier(float(prepared.repetitions or 0))} reps", dtype=object),
    }


def _check_sii_values(frame: Frame, vt: str, cols: _Columns) -> None:
    """Quantiles 1..n, populations > 0, values and errors present, limits in order, values in the link's domain."""
    check_values(frame, [*_quantile_checks(cols), *_value_checks(cols), *_domain_checks(vt, cols)])


def _quantile_checks(cols: _Columns) -> list[Check]:
    q = nw.col(cols.quantile)
    return [
        Check("quantile", cols.quantile, q.is_null(), "is missing", "every row needs its quantile number"),
        Check(
            "quantile",
            cols.quantile,
            (q < 1) | (q.cast(nw.Float64) % 1 != 0),
            "is not a whole number >= 1",
            "quantiles are numbered 1 (most deprived), 2, ..., n",
        ),
        Check(
            "population",
            cols.population,
            ~(nw.col(cols.population) > 0),
            "is zero, negative or missing",
            "every quantile needs a population > 0",
        ),
    ]


def _value_checks(cols: _Columns) -> list[Check]:
    checks = []
    if cols.value is not None:
        checks.append(
            Check("value", cols.value, nw.col(cols.value).is_null(), "is missing", "every quantile needs a value")
        )
    if cols.se is not None:
        checks.append(
            Check("se", cols.se, ~(nw.col(cols.se) >= 0), "is negative or missing", "standard errors must be >= 0")
        )
    if cols.lower is not None and cols.upper is not None:
        needed = "every quantile needs its limits"
        checks += [
            Check("lower_cl", cols.lower, nw.col(cols.lower).is_null(), "is missing", needed),
            Check("upper_cl", cols.upper, nw.col(cols.upper).is_null(), "is missing", needed),
            Check(
                "upper_cl",
                cols.upper,
                nw.col(cols.upper) < nw.col(cols.lower),
                f"is below {cols.lower!r}",
                "the upper limit must not be below the lower limit",
            ),
        ]
    return checks


def _domain_checks(vt: str, cols: _Columns) -> list[Check]:
    """The transform's domain: logit needs (0, 1), log needs > 0; counts of a proportion below its population."""
    domain: dict[str, tuple[Callable[[nw.Expr], nw.Expr], str, str]] = {
        "proportion": (
            lambda c: (c <= 0) | (c >= 1),
            "is not strictly between 0 and 1",
            "proportions must lie in (0, 1) for the logit transform",
        ),
        "rate": (lambda c: c <= 0, "is zero or negative", "rates and their limits must be > 0 for the log transform"),
    }
    checks = []
    if vt in domain:
        outside, problem, rule = domain[vt]
        for arg, col in (("value", cols.value), ("lower_cl", cols.lower), ("upper_cl", cols.upper)):
            if col is not None:
                checks.append(Check(arg, col, outside(nw.col(col)), problem, rule))
    if cols.x is not None:
        checks += [
            Check("x", cols.x, ~(nw.col(cols.x) > 0), "is zero, negative or missing", "counts must be > 0"),
            Check(
                "x",
                cols.x,
                nw.col(cols.x) >= nw.col(cols.population),
                f"is not below {cols.population!r}",
                "a proportion's count must be below its population",
            ),
        ]
    return checks


def quantile_grid(
    frame: Frame, by: list[str], quantile: str, columns: dict[str, str]
) -> tuple[nw.DataFrame[Any] | None, dict[str, FloatArray], int]:
    """Rows of (group, quantile) as ``groups x n`` arrays (NaN where a quantile is absent).

    Raises :class:`DomainError` unless the quantile numbers are 1..n with 5 <= n <= 100, and
    :class:`SchemaError` for a repeated (group, quantile).
    """
    names = list(dict.fromkeys([*by, *columns.values()]))
    eager = collect(frame.frame.select(names), frame).sort([*by, quantile], nulls_last=True)
    q = float_array(eager, quantile).astype(np.int64)
    found = np.unique(q)
    n_q = int(found.max()) if len(found) else 0
    if len(found) != n_q:
        absent = sorted(set(range(1, n_q + 1)) - set(found.tolist()))
        msg = (
            f"quantile: column {quantile!r} must hold 1, 2, ..., n; {len(absent)} number(s) up to n={n_q} never "
            f"occur (first: {describe_values(absent)})"
        )
        raise DomainError(msg)
    if not MIN_QUANTILES <= n_q <= MAX_QUANTILES:
        msg = (
            f"quantile: an SII needs between {MIN_QUANTILES} and {MAX_QUANTILES} quantiles; "
            f"column {quantile!r} has {n_q}"
        )
        raise DomainError(msg)
    if n_q > 10:
        warnings.warn(
            f"sii: {n_q} quantiles; small quantile populations can make the SII unstable",
            UserWarning,
            stacklevel=3,
        )
    gid = group_ids(eager, by)
    dup = (np.diff(gid) == 0) & (np.diff(q) == 0)
    if dup.any():
        rows = np.flatnonzero(dup)
        shown = eager.select([*by, quantile])[rows[:5]].rows()
        msg = (
            f"quantile: {int(dup.sum())} (group, quantile) combination(s) appear on more than one row "
            f"(first: {describe_values([tuple(r) for r in shown])}); one row per group and quantile"
        )
        raise SchemaError(msg)
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    grid: dict[str, FloatArray] = {}
    for name, col in columns.items():
        arr = np.full((n_groups, n_q), np.nan)
        arr[gid, q - 1] = float_array(eager, col)
        grid[name] = arr
    keys = None
    if by:
        first = np.flatnonzero(np.diff(gid, prepend=-1) != 0)
        keys = eager.select(by)[first]
    return keys, grid, n_q


def _warn_incomplete(
    keys: nw.DataFrame[Any] | None, by: list[str], incomplete: npt.NDArray[np.bool_], n_q: int
) -> None:
    bad = np.flatnonzero(incomplete)
    shown = describe_values([r if len(r) > 1 else r[0] for r in keys[bad[:5]].rows()]) if keys is not None else ""
    warnings.warn(
        f"sii: {len(bad)} group(s) do not have all {n_q} quantiles; their results are missing (first: {shown})",
        UserWarning,
        stacklevel=3,
    )
