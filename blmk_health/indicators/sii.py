"""Slope and relative index of inequality (PHEindicatormethods ``phe_sii``; Low & Low 2004)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._confidence import Confidence, format_multiplier, parse_confidence
from blmk_health._frames import Frame, as_list, assemble, collect, float_array, ingest
from blmk_health._validation import (
    Check,
    check_choice,
    check_values,
    describe_values,
    reject_clashes,
    require_columns,
    require_numeric,
)
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.indicators import ci
from blmk_health.indicators._life_table import group_ids
from blmk_health.indicators._sii_core import SiiResult, sii_arrays

__all__ = ["sii"]

FloatArray = npt.NDArray[np.float64]

#: value_type names, and the reference's codes 0, 1 and 2 for them.
VALUE_TYPES = ("normal", "rate", "proportion")
MIN_QUANTILES = 5
MAX_QUANTILES = 100
MIN_REPETITIONS = 1000


def level_tag(level: float) -> str:
    """``95_0`` for 0.95, ``99_8`` for 0.998: the reference's suffix of SII limit columns."""
    return f"{level * 100:.1f}".replace(".", "_")


def _value_type(value_type: Any) -> str:
    if isinstance(value_type, int) and not isinstance(value_type, bool) and value_type in (0, 1, 2):
        return VALUE_TYPES[value_type]
    return str(check_choice(value_type, "value_type", (*VALUE_TYPES, 0, 1, 2)))


def _check_number(value: Any, argument: str, *, integer: bool = False) -> float:
    ok_type = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_type) or not np.isfinite(value):
        kind = "a whole number" if integer else "a finite number"
        msg = f"{argument}: expected {kind}, got {value!r}"
        raise DomainError(msg)
    return float(value)


def sii_output_names(conf: Confidence, rii: bool, intercept: bool, reliability_stat: bool, metadata: bool) -> list[str]:
    """The result columns of :func:`sii`, in order."""
    names = ["sii"]
    for level in conf.levels:
        names += [f"sii_lower{level_tag(level)}cl", f"sii_upper{level_tag(level)}cl"]
    if rii:
        names.append("rii")
        for level in conf.levels:
            names += [f"rii_lower{level_tag(level)}cl", f"rii_upper{level_tag(level)}cl"]
    if reliability_stat:
        names += [f"sii_mad{level_tag(level)}" for level in conf.levels]
        if rii:
            names += [f"rii_mad{level_tag(level)}" for level in conf.levels]
    if intercept:
        names.append("intercept")
    if metadata:
        names += ["indicator_type", "multiplier", "transform", "CI_confidence", "CI_method"]
    return names


def sii_columns(
    result: SiiResult,
    conf: Confidence,
    *,
    rii: bool,
    intercept: bool,
    reliability_stat: bool,
) -> dict[str, FloatArray]:
    """The numeric result columns of :func:`sii` in the reference's order."""
    out: dict[str, FloatArray] = {"sii": result.sii}
    for i, level in enumerate(conf.levels):
        out[f"sii_lower{level_tag(level)}cl"] = result.sii_lower[i]
        out[f"sii_upper{level_tag(level)}cl"] = result.sii_upper[i]
    if rii:
        out["rii"] = result.rii
        for i, level in enumerate(conf.levels):
            out[f"rii_lower{level_tag(level)}cl"] = result.rii_lower[i]
            out[f"rii_upper{level_tag(level)}cl"] = result.rii_upper[i]
    if reliability_stat:
        for i, level in enumerate(conf.levels):
            out[f"sii_mad{level_tag(level)}"] = result.sii_mad[i]
        if rii:
            for i, level in enumerate(conf.levels):
                out[f"rii_mad{level_tag(level)}"] = result.rii_mad[i]
    if intercept:
        out["intercept"] = result.intercept
    return out


def check_repetitions(repetitions: Any) -> int:
    """``repetitions`` as an int, or :class:`DomainError` unless a whole number >= 1000."""
    _check_number(repetitions, "repetitions", integer=True)
    if repetitions < MIN_REPETITIONS:
        msg = f"repetitions: must be at least {MIN_REPETITIONS} (the reference's minimum), got {repetitions!r}"
        raise DomainError(msg)
    return int(repetitions)


def check_seed(seed: Any) -> np.random.Generator:
    """A numpy generator from ``seed`` (None, an int, a SeedSequence or a Generator)."""
    if (
        seed is None
        or isinstance(seed, (np.random.SeedSequence, np.random.Generator))
        or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0)
    ):
        return np.random.default_rng(seed)
    msg = f"seed: expected None, a non-negative integer or a numpy Generator, got {seed!r}"
    raise DomainError(msg)


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
    mult = _check_number(multiplier, "multiplier")
    if mult == 0:
        msg = "multiplier: must not be 0"
        raise DomainError(msg)
    reps = check_repetitions(repetitions)
    rng = check_seed(seed)
    conf = parse_confidence(confidence, any_levels=True)
    frame = ingest(data)
    by_cols = as_list(by, "by")
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
    named: list[tuple[str, str]] = [("quantile", quantile), ("population", population)]
    if value is not None:
        named.append(("value", value))
    else:
        assert x is not None
        named.append(("x", x))
    if use_se:
        assert se is not None
        named.append(("se", se))
    else:
        assert lower_cl is not None
        assert upper_cl is not None
        named += [("lower_cl", lower_cl), ("upper_cl", upper_cl)]
    require_columns(frame, [*named, *[("by", c) for c in by_cols]])
    require_numeric(frame, named)
    reject_clashes(by_cols, sii_output_names(conf, rii, intercept, reliability_stat, metadata), "by")
    _check_sii_values(
        frame,
        vt,
        quantile,
        population,
        value,
        x,
        se if use_se else None,
        None if use_se else lower_cl,
        None if use_se else upper_cl,
    )

    columns = {"population": population, "quantile": quantile}
    columns.update({"value": value} if value is not None else {"x": x})  # type: ignore[dict-item]
    if use_se:
        columns["se"] = se  # type: ignore[assignment]
    else:
        columns.update({"lower": lower_cl, "upper": upper_cl})  # type: ignore[dict-item]
    keys, grid, n_q = quantile_grid(frame, by_cols, quantile, columns)
    pops = grid["population"]
    raw = grid["value"] if value is not None else grid["x"] / pops
    with np.errstate(divide="ignore", invalid="ignore"):
        value_t = _link(raw, vt)
        # limits are read as 95% limits, whatever `confidence` is
        se_t = grid["se"] if use_se else (_link(grid["upper"], vt) - _link(grid["lower"], vt)) / ci.z_value(0.95) / 2
    incomplete: npt.NDArray[np.bool_] = np.asarray(~np.isfinite(pops).all(axis=1))
    if incomplete.any():
        _warn_incomplete(keys, by_cols, incomplete, n_q)
    result = sii_arrays(
        np.where(incomplete[:, None], np.nan, value_t),
        se_t,
        pops,
        value_type=vt,
        transform=transform,
        multiplier=mult,
        repetitions=reps,
        levels=conf.levels,
        rii=rii,
        reliability=reliability_stat,
        rng=rng,
    )
    out: dict[str, Any] = dict(
        sii_columns(result, conf, rii=rii, intercept=intercept, reliability_stat=reliability_stat)
    )
    if metadata:
        n = len(result.sii)
        link = {"rate": "log", "proportion": "logit"}.get(vt, "none") if transform else "none"
        out["indicator_type"] = np.full(n, vt, dtype=object)
        out["multiplier"] = np.full(n, mult)
        out["transform"] = np.full(n, link, dtype=object)
        out["CI_confidence"] = np.full(n, conf.label, dtype=object)
        out["CI_method"] = np.full(n, f"simulation {format_multiplier(reps)} reps", dtype=object)
    return assemble(keys, out, frame)


def _link(values: FloatArray, value_type: str) -> FloatArray:
    if value_type == "rate":
        return np.asarray(np.log(values))
    if value_type == "proportion":
        return np.asarray(np.log(values / (1 - values)))
    return values


def _check_sii_values(
    frame: Frame,
    vt: str,
    quantile: str,
    population: str,
    value: str | None,
    x: str | None,
    se: str | None,
    lower_cl: str | None,
    upper_cl: str | None,
) -> None:
    q = nw.col(quantile)
    checks = [
        Check("quantile", quantile, q.is_null(), "is missing", "every row needs its quantile number"),
        Check(
            "quantile",
            quantile,
            (q < 1) | (q.cast(nw.Float64) % 1 != 0),
            "is not a whole number >= 1",
            "quantiles are numbered 1 (most deprived), 2, ..., n",
        ),
        Check(
            "population",
            population,
            ~(nw.col(population) > 0),
            "is zero, negative or missing",
            "every quantile needs a population > 0",
        ),
    ]
    if value is not None:
        checks.append(Check("value", value, nw.col(value).is_null(), "is missing", "every quantile needs a value"))
    if se is not None:
        checks.append(Check("se", se, ~(nw.col(se) >= 0), "is negative or missing", "standard errors must be >= 0"))
    if lower_cl is not None and upper_cl is not None:
        checks += [
            Check("lower_cl", lower_cl, nw.col(lower_cl).is_null(), "is missing", "every quantile needs its limits"),
            Check("upper_cl", upper_cl, nw.col(upper_cl).is_null(), "is missing", "every quantile needs its limits"),
            Check(
                "upper_cl",
                upper_cl,
                nw.col(upper_cl) < nw.col(lower_cl),
                f"is below {lower_cl!r}",
                "the upper limit must not be below the lower limit",
            ),
        ]
    # the transform's domain: logit needs (0, 1), log needs > 0
    domain: dict[str, tuple[Callable[[nw.Expr], nw.Expr], str, str]] = {
        "proportion": (
            lambda c: (c <= 0) | (c >= 1),
            "is not strictly between 0 and 1",
            "proportions must lie in (0, 1) for the logit transform",
        ),
        "rate": (lambda c: c <= 0, "is zero or negative", "rates and their limits must be > 0 for the log transform"),
    }
    if vt in domain:
        outside, problem, rule = domain[vt]
        for arg, col in (("value", value), ("lower_cl", lower_cl), ("upper_cl", upper_cl)):
            if col is not None:
                checks.append(Check(arg, col, outside(nw.col(col)), problem, rule))
    if vt == "proportion" and value is None and x is not None:
        checks += [
            Check("x", x, ~(nw.col(x) > 0), "is zero, negative or missing", "counts must be > 0"),
            Check(
                "x",
                x,
                nw.col(x) >= nw.col(population),
                f"is not below {population!r}",
                "a proportion's count must be below its population",
            ),
        ]
    check_values(frame, checks)


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
