"""The slope and relative index of inequality on ``groups x quantiles`` arrays (no frames here).

Point estimates are the weighted least-squares fit of the reference (Low & Low 2004), in closed form
for all groups at once. Confidence limits come from simulation as in PHEindicatormethods: each
quantile's value is drawn from a normal distribution on the (log/logit) transformed scale, the model
is refitted with the fixed design and the limits are order statistics of the simulated slopes.

Where the refitted coefficients are a linear function of the draws (values on their natural scale,
or any fit on the link scale) they are exactly bivariate normal, so they are drawn directly from that
distribution: the same distribution as the reference's simulation, at a cost that does not grow with
the number of quantiles. Otherwise (rates or proportions back-transformed before fitting) every
quantile is drawn, group chunk by group chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from blmk_health.errors import DomainError

__all__ = ["MAX_QUANTILES", "MIN_QUANTILES", "SiiResult", "inverse_link", "limit_positions", "link", "sii_arrays"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: An SII needs between this many quantiles...
MIN_QUANTILES = 5
#: ... and this many.
MAX_QUANTILES = 100
#: Draws held in memory at once (per chunk of groups).
_CHUNK = 4_000_000
#: Number of simulation rounds behind the reliability statistic (as in the reference).
RELIABILITY_ROUNDS = 10


@dataclass
class SiiResult:
    """Per-group results; limits are lists aligned with the confidence levels."""

    sii: FloatArray
    rii: FloatArray
    intercept: FloatArray
    sii_lower: list[FloatArray]
    sii_upper: list[FloatArray]
    rii_lower: list[FloatArray]
    rii_upper: list[FloatArray]
    sii_mad: list[FloatArray]
    rii_mad: list[FloatArray]


def limit_positions(repetitions: int, level: float) -> tuple[int, int]:
    """0-based positions of the lower and upper limits among ``repetitions`` sorted draws.

    The reference takes ``sorted[round(R * (1 - cv))]`` and ``sorted[round(R * cv)]`` (1-based, R's
    round half to even) with ``cv = c + (1 - c) / 2``.
    """
    cv = level + (1 - level) / 2
    lower = round(repetitions * (1 - cv))
    upper = round(repetitions * cv)
    if lower < 1 or upper > repetitions:
        msg = (
            f"repetitions: {repetitions} repetitions are too few for a {level:.4g} confidence interval "
            f"(the lower limit would be draw number {lower}); use more repetitions or a lower level"
        )
        raise DomainError(msg)
    return lower - 1, upper - 1


def link(values: FloatArray, value_type: str) -> FloatArray:
    """log for rates, logit for proportions, identity otherwise."""
    if value_type == "rate":
        return np.asarray(np.log(values))
    if value_type == "proportion":
        return np.asarray(np.log(values / (1 - values)))
    return values


def inverse_link(values: npt.ArrayLike, value_type: str) -> FloatArray:
    """exp for rates, expit for proportions, identity otherwise."""
    arr = np.asarray(values, dtype=float)
    if value_type == "rate":
        return np.asarray(np.exp(arr))
    if value_type == "proportion":
        return np.asarray(1 / (1 + np.exp(-arr)))
    return arr


def _design(pops: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Rows of ``(X'X)^-1 X' sqrt(a)``: the weights turning y into the intercept and the slope."""
    a = pops / pops.sum(axis=1, keepdims=True)
    b = np.cumsum(a, axis=1) - a / 2
    s0 = a.sum(axis=1, keepdims=True)
    s1 = (a * b).sum(axis=1, keepdims=True)
    s2 = (a * b * b).sum(axis=1, keepdims=True)
    det = s0 * s2 - s1 * s1
    m0 = a * (s2 - s1 * b) / det
    m1 = a * (s0 * b - s1) / det
    return m0, m1


def _chunks(n_groups: int, per_group: int) -> Iterator[slice]:
    size = max(1, _CHUNK // max(per_group, 1))
    for start in range(0, n_groups, size):
        yield slice(start, min(start + size, n_groups))


def _signif(values: FloatArray, digits: int = 4) -> FloatArray:
    """Round to significant digits, as R's ``signif``."""
    out = np.asarray(values, dtype=float).copy()
    finite = np.isfinite(out) & (out != 0)
    mags = np.floor(np.log10(np.abs(out[finite])))
    scale = 10 ** (digits - 1 - mags)
    out[finite] = np.round(out[finite] * scale) / scale
    return out


@dataclass(frozen=True)
class _Fit:
    """The weighted fit of each complete group: design weights, coefficients and their error structure."""

    m0: FloatArray
    m1: FloatArray
    beta0: FloatArray
    beta1: FloatArray
    values: FloatArray
    se: FloatArray


def sii_arrays(
    value_t: FloatArray,
    se: FloatArray,
    pops: FloatArray,
    *,
    value_type: str,
    transform: bool,
    multiplier: float,
    repetitions: int,
    levels: Sequence[float],
    rii: bool,
    reliability: bool,
    rng: np.random.Generator,
) -> SiiResult:
    """SII, RII and intercept with simulated limits for ``groups x quantiles`` arrays.

    ``value_t`` holds the values on the transformed scale (log for rates, logit for proportions,
    natural otherwise) and ``se`` their standard errors on that scale; quantile 1 (most deprived)
    first. Rows holding NaN give NaN results and use no random numbers.
    """
    n_groups = value_t.shape[0]
    ok = np.isfinite(value_t).all(axis=1) & np.isfinite(se).all(axis=1) & np.isfinite(pops).all(axis=1)
    idx = np.flatnonzero(ok)
    fit = _fit(value_t[idx], se[idx], pops[idx], value_type, transform)
    sii_point, rii_point, intercept = _points(fit, value_type, transform, multiplier)
    limits = _simulate(fit, value_type, transform, multiplier, repetitions, levels, rii, reliability, rng)

    def put(values: FloatArray) -> FloatArray:
        out = np.full(n_groups, np.nan)
        out[idx] = values
        return out

    results = {name: [put(limits[name][i]) for i in range(len(levels))] for name in limits}
    return SiiResult(
        sii=put(sii_point),
        rii=put(rii_point),
        intercept=put(intercept),
        sii_lower=results["sl"],
        sii_upper=results["su"],
        rii_lower=results["rl"],
        rii_upper=results["ru"],
        sii_mad=results["sm"],
        rii_mad=results["rm"],
    )


def _fit(v: FloatArray, s: FloatArray, p: FloatArray, value_type: str, transform: bool) -> _Fit:
    """Weighted least squares of the (link-scale if ``transform``) values on the relative rank."""
    m0, m1 = _design(p)
    y = v if transform else inverse_link(v, value_type)
    return _Fit(m0, m1, (m0 * y).sum(axis=1), (m1 * y).sum(axis=1), v, s)


def _points(
    fit: _Fit, value_type: str, transform: bool, multiplier: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """SII, RII and intercept on the original scale (the RII inverted for a negative multiplier)."""
    beta0, beta1 = fit.beta0, fit.beta1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if transform:
            g0, g1 = inverse_link(beta0, value_type), inverse_link(beta0 + beta1, value_type)
            sii_point, rii_point, intercept = (g1 - g0) * multiplier, g1 / g0, g0 * abs(multiplier)
        else:
            sii_point, rii_point, intercept = multiplier * beta1, (beta0 + beta1) / beta0, beta0
        if multiplier < 0:
            rii_point = 1 / rii_point
    return sii_point, rii_point, intercept


def _simulate(
    fit: _Fit,
    value_type: str,
    transform: bool,
    multiplier: float,
    repetitions: int,
    levels: Sequence[float],
    rii: bool,
    reliability: bool,
    rng: np.random.Generator,
) -> dict[str, FloatArray]:
    """Simulated limits (and reliability MADs) per level, chunk by chunk of groups: ``level x group`` arrays."""
    rounds = RELIABILITY_ROUNDS if reliability else 1
    total = rounds * repetitions
    need_rii = rii and not transform
    n_ok = len(fit.beta0)
    out = {name: np.full((len(levels), n_ok), np.nan) for name in ("sl", "su", "sm", "rl", "ru", "rm")}
    linear = transform or value_type == "normal"
    per_group = total * (2 if need_rii else 1) if linear else total * fit.values.shape[1]
    half = fit.beta0 + fit.beta1 / 2
    for part in _chunks(n_ok, per_group):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if linear:
                slopes, ratios = _linear_draws(fit, part, total, need_rii, rng)
            else:
                slopes, ratios = _value_draws(fit, part, total, need_rii, value_type, rng)
            _summarise(
                out, part, slopes, ratios, half[part], repetitions, levels, rounds, value_type, multiplier, transform
            )
    return out


def _linear_draws(
    fit: _Fit, part: slice, total: int, need_rii: bool, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray | None]:
    """Refitted coefficients drawn directly: they are linear in the values, so exactly bivariate normal."""
    m0, m1, s2 = fit.m0[part], fit.m1[part], fit.se[part] ** 2
    var0 = (m0**2 * s2).sum(axis=1)
    cov = (m0 * m1 * s2).sum(axis=1)
    var1 = (m1**2 * s2).sum(axis=1)
    size = part.stop - part.start
    beta0, beta1 = fit.beta0[part, None], fit.beta1[part, None]
    if not need_rii:
        return beta1 + np.sqrt(var1)[:, None] * rng.standard_normal((size, total)), None
    l11 = np.sqrt(var0)
    l21 = np.divide(cov, l11, out=np.zeros_like(cov), where=l11 > 0)
    l22 = np.sqrt(np.maximum(var1 - l21**2, 0))
    z = rng.standard_normal((size, 2, total))
    b0 = beta0 + l11[:, None] * z[:, 0]
    slopes = beta1 + l21[:, None] * z[:, 0] + l22[:, None] * z[:, 1]
    return slopes, (b0 + slopes) / b0


def _value_draws(
    fit: _Fit, part: slice, total: int, need_rii: bool, value_type: str, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray | None]:
    """Every quantile's value drawn on the link scale, back-transformed, and the model refitted."""
    v, s = fit.values[part], fit.se[part]
    z = rng.standard_normal((part.stop - part.start, total, v.shape[1]))
    draws = inverse_link(v[:, None, :] + s[:, None, :] * z, value_type)
    slopes = np.einsum("grk,gk->gr", draws, fit.m1[part])
    if not need_rii:
        return slopes, None
    b0 = np.einsum("grk,gk->gr", draws, fit.m0[part])
    return slopes, (b0 + slopes) / b0


def _summarise(
    out: dict[str, FloatArray],
    part: slice,
    slopes: FloatArray,
    ratios: FloatArray | None,
    half: FloatArray,
    repetitions: int,
    levels: Sequence[float],
    rounds: int,
    value_type: str,
    multiplier: float,
    transform: bool,
) -> None:
    """Write one chunk's limits (and reliability MADs) into ``out``, level by level."""
    neg = multiplier < 0
    g = slopes.shape[0]
    positions = sorted({pos for level in levels for pos in limit_positions(repetitions, level)})
    ordered = np.partition(slopes.reshape(g, rounds, repetitions), positions, axis=2)
    ordered_r = None if ratios is None else np.partition(ratios.reshape(g, rounds, repetitions), positions, axis=2)
    for i, level in enumerate(levels):
        lo, hi = limit_positions(repetitions, level)
        s_lo, s_hi = ordered[:, :, lo], ordered[:, :, hi]  # g x rounds
        if transform:

            def back(s: FloatArray) -> tuple[FloatArray, FloatArray]:
                top = inverse_link(half[:, None] + s / 2, value_type)
                bottom = inverse_link(half[:, None] - s / 2, value_type)
                return (top - bottom) * multiplier, top / bottom

            sii_lo, rii_lo = back(s_lo)
            sii_hi, rii_hi = back(s_hi)
        else:
            sii_lo, sii_hi = s_lo * multiplier, s_hi * multiplier
            if ordered_r is not None:
                rii_lo, rii_hi = ordered_r[:, :, lo], ordered_r[:, :, hi]
            else:
                rii_lo = rii_hi = np.full_like(s_lo, np.nan)
        if neg:
            sii_lo, sii_hi = sii_hi, sii_lo
            rii_lo, rii_hi = 1 / rii_hi, 1 / rii_lo
        out["sl"][i, part] = sii_lo[:, 0]
        out["su"][i, part] = sii_hi[:, 0]
        out["rl"][i, part] = rii_lo[:, 0]
        out["ru"][i, part] = rii_hi[:, 0]
        if rounds > 1:
            out["sm"][i, part] = _signif(_mad(sii_lo, sii_hi))
            out["rm"][i, part] = _signif(_mad(rii_lo, rii_hi))


def _mad(lower: FloatArray, upper: FloatArray) -> FloatArray:
    """Mean absolute difference of the limits of rounds 2-10 from those of round 1 (18 differences)."""
    diffs = np.concatenate([np.abs(lower[:, 1:] - lower[:, :1]), np.abs(upper[:, 1:] - upper[:, :1])], axis=1)
    return np.asarray(diffs.mean(axis=1))
