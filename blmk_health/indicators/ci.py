"""Confidence-interval primitives, vectorised over numpy arrays.

These are the building blocks of every indicator in :mod:`blmk_health.indicators`, with the formulas
of PHEindicatormethods (the methods behind England's published public-health indicators). Each takes
array-likes and one confidence level (0.95 or 95; it must lie in [0.9, 1]) and returns a float64
array of the broadcast shape. ``z`` is the exact normal quantile, ``qnorm(c + (1 - c) / 2)``.

References
----------
Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II. IARC (Byars' method).
Armitage P, Berry G (2002). Statistical methods in medical research, 4th ed. (exact Poisson limits).
Wilson EB (1927). Probable inference, the law of succession, and statistical inference. JASA 22.
Newcombe RG, Altman DG (2000). Proportions and their differences. In: Statistics with confidence.
Dobson AJ et al. (1991). Confidence intervals for weighted sums of Poisson parameters. Stat Med 10.

Examples
--------
>>> from blmk_health.indicators import ci
>>> ci.byars_lower(65).round(4), ci.byars_upper(65).round(4)
(np.float64(50.1632), np.float64(82.8491))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from blmk_health._confidence import parse_level

__all__ = [
    "byars_lower",
    "byars_upper",
    "dobson_lower",
    "dobson_upper",
    "exact_poisson_lower",
    "exact_poisson_upper",
    "poisson_lower",
    "poisson_upper",
    "student_t_lower",
    "student_t_upper",
    "wilson_lower",
    "wilson_upper",
    "z_value",
]

FloatArray = npt.NDArray[np.float64]

#: Observed counts below this use exact Poisson limits in :func:`poisson_lower`/:func:`poisson_upper`.
EXACT_BELOW = 10


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def z_value(confidence: float = 0.95) -> float:
    """The two-sided normal quantile for a confidence level, ``qnorm(c + (1 - c) / 2)``.

    Parameters
    ----------
    confidence : float
        Confidence level, 0.95 or 95; must lie in [0.9, 1].

    Returns
    -------
    float
        The exact quantile (1.959963984540054 for 95%), not a rounded 1.96.

    Examples
    --------
    >>> round(z_value(0.95), 6)
    1.959964
    """
    level = parse_level(confidence)
    return float(special.ndtri(level + (1 - level) / 2))


def byars_lower(observed: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Byars' approximation to the lower Poisson limit of an observed count.

    ``O * (1 - 1/(9 O) - z / (3 sqrt(O)))**3``; a negative result (possible for very small counts)
    is returned as NaN, as in the reference.

    Parameters
    ----------
    observed : array_like
        Observed counts (>= 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        The lower limits.

    Examples
    --------
    >>> byars_lower([65, 1045]).round(4)
    array([ 50.1632, 982.5932])
    """
    o = _as_float(observed)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    return np.where(out < 0, np.nan, out)


def byars_upper(observed: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Byars' approximation to the upper Poisson limit of an observed count.

    ``(O + 1) * (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))**3``.

    Parameters
    ----------
    observed : array_like
        Observed counts (>= 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        The upper limits.

    Examples
    --------
    >>> byars_upper([65, 1045]).round(4)
    array([  82.8491, 1110.3312])
    """
    o1 = _as_float(observed) + 1
    z = z_value(confidence)
    return np.asarray(o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3, dtype=np.float64)


def exact_poisson_lower(observed: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Exact (chi-square) lower Poisson limit, ``qchisq((1 - c) / 2, 2 O) / 2``; 0 when O is 0.

    Parameters
    ----------
    observed : array_like
        Observed counts (>= 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        The lower limits.

    Examples
    --------
    >>> exact_poisson_lower([0, 1, 5]).round(6)
    array([0.      , 0.025318, 1.623486])
    """
    o = _as_float(observed)
    level = parse_level(confidence)
    with np.errstate(invalid="ignore"):
        out = special.gammaincinv(np.where(o > 0, o, 1.0), (1 - level) / 2)
    return np.asarray(np.where(o > 0, out, np.where(o == 0, 0.0, np.nan)), dtype=np.float64)


def exact_poisson_upper(observed: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Exact (chi-square) upper Poisson limit, ``qchisq(c + (1 - c) / 2, 2 O + 2) / 2``.

    Parameters
    ----------
    observed : array_like
        Observed counts (>= 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        The upper limits.

    Examples
    --------
    >>> exact_poisson_upper([0, 1, 5]).round(6)
    array([ 3.688879,  5.571643, 11.668332])
    """
    o = _as_float(observed)
    level = parse_level(confidence)
    with np.errstate(invalid="ignore"):
        return np.asarray(special.gammaincinv(o + 1, level + (1 - level) / 2), dtype=np.float64)


def _switch(o: FloatArray, confidence: float, exact: Any, byars: Any) -> FloatArray:
    """Exact limits where ``o`` is below 10 (computed only there), Byars limits elsewhere."""
    small = o < EXACT_BELOW
    out = np.asarray(byars(np.where(small, EXACT_BELOW, o), confidence), dtype=np.float64)
    if small.any():
        if out.ndim == 0:
            return np.asarray(exact(o, confidence), dtype=np.float64)
        out[small] = exact(o[small], confidence)
    return out


def poisson_lower(observed: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Lower Poisson limit as the reference uses it: exact below 10 observed, Byars from 10.

    Parameters
    ----------
    observed : array_like
        Observed counts (>= 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        The lower limits.

    Examples
    --------
    >>> poisson_lower([1, 20]).round(4)
    array([ 0.0253, 12.2114])
    """
    o = _as_float(observed)
    return _switch(o, confidence, exact_poisson_lower, byars_lower)


def poisson_upper(observed: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Upper Poisson limit as the reference uses it: exact below 10 observed, Byars from 10.

    Parameters
    ----------
    observed : array_like
        Observed counts (>= 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        The upper limits.

    Examples
    --------
    >>> poisson_upper([1, 20]).round(4)
    array([ 5.5716, 30.8899])
    """
    o = _as_float(observed)
    return _switch(o, confidence, exact_poisson_upper, byars_upper)


def _wilson(x: npt.ArrayLike, n: npt.ArrayLike, confidence: float, sign: float) -> FloatArray:
    xs = _as_float(x)
    ns = _as_float(n)
    level = parse_level(confidence)
    if level == 1:
        return np.full(np.broadcast(xs, ns).shape, 0.0 if sign < 0 else 1.0)
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z**2 + 4 * xs * (1 - xs / ns))
        return np.asarray((2 * xs + z**2 + sign * root) / (2 * (ns + z**2)), dtype=np.float64)


def wilson_lower(x: npt.ArrayLike, n: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Wilson score lower limit of the proportion ``x / n``.

    ``(2x + z^2 - z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))``; 0 at 100% confidence.

    Parameters
    ----------
    x : array_like
        Numerators (0 <= x <= n).
    n : array_like
        Denominators (> 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        Lower limits, as proportions in [0, 1].

    Examples
    --------
    >>> wilson_lower(65, 100).round(6)
    np.float64(0.552544)
    """
    return _wilson(x, n, confidence, -1.0)


def wilson_upper(x: npt.ArrayLike, n: npt.ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Wilson score upper limit of the proportion ``x / n``; 1 at 100% confidence.

    Parameters
    ----------
    x : array_like
        Numerators (0 <= x <= n).
    n : array_like
        Denominators (> 0).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        Upper limits, as proportions in [0, 1].

    Examples
    --------
    >>> wilson_upper(65, 100).round(6)
    np.float64(0.736358)
    """
    return _wilson(x, n, confidence, 1.0)


def _dobson(value: npt.ArrayLike, variance: npt.ArrayLike, observed: npt.ArrayLike, limit: FloatArray) -> FloatArray:
    v = _as_float(value)
    var = _as_float(variance)
    o = _as_float(observed)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(v + np.sqrt(var / o) * (limit - o), dtype=np.float64)


def dobson_lower(
    value: npt.ArrayLike,
    variance: npt.ArrayLike,
    observed: npt.ArrayLike,
    confidence: float = 0.95,
) -> FloatArray:
    """Dobson lower limit of a directly standardised rate (a weighted sum of Poisson counts).

    ``value + sqrt(variance / O) * (byars_lower(O) - O)``, on the scale of ``value``.

    Parameters
    ----------
    value : array_like
        The standardised rate (per person, or already multiplied: scale ``variance`` to match).
    variance : array_like
        Its variance, ``sum(x_i (w_i / n_i)^2) / (sum w_i)^2`` on the same scale squared.
    observed : array_like
        Total observed count O.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        Lower limits.

    Examples
    --------
    >>> float(dobson_lower(0.01, 1e-6, 100).round(6))
    0.008136
    """
    return _dobson(value, variance, observed, byars_lower(observed, confidence))


def dobson_upper(
    value: npt.ArrayLike,
    variance: npt.ArrayLike,
    observed: npt.ArrayLike,
    confidence: float = 0.95,
) -> FloatArray:
    """Dobson upper limit of a directly standardised rate: ``value + sqrt(var / O) (byars_upper(O) - O)``.

    Parameters
    ----------
    value : array_like
        The standardised rate.
    variance : array_like
        Its variance, on the same scale squared.
    observed : array_like
        Total observed count O.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        Upper limits.

    Examples
    --------
    >>> float(dobson_upper(0.01, 1e-6, 100).round(6))
    0.012163
    """
    return _dobson(value, variance, observed, byars_upper(observed, confidence))


def _t_half_width(sd: npt.ArrayLike, count: npt.ArrayLike, confidence: float) -> FloatArray:
    level = parse_level(confidence)
    n = _as_float(count)
    s = _as_float(sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(n > 1, n - 1, np.nan)
        t = np.abs(special.stdtrit(df, (1 - level) / 2))
        return np.asarray(t * s / np.sqrt(n), dtype=np.float64)


def student_t_lower(
    mean: npt.ArrayLike, sd: npt.ArrayLike, count: npt.ArrayLike, confidence: float = 0.95
) -> FloatArray:
    """Student's t lower limit of a mean: ``mean - |qt((1 - c)/2, n - 1)| sd / sqrt(n)``.

    Parameters
    ----------
    mean : array_like
        Sample means.
    sd : array_like
        Sample standard deviations (n - 1 denominator).
    count : array_like
        Sample sizes; fewer than 2 gives NaN.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        Lower limits.

    Examples
    --------
    >>> float(student_t_lower(10.0, 2.0, 25).round(4))
    9.1744
    """
    return np.asarray(_as_float(mean) - _t_half_width(sd, count, confidence), dtype=np.float64)


def student_t_upper(
    mean: npt.ArrayLike, sd: npt.ArrayLike, count: npt.ArrayLike, confidence: float = 0.95
) -> FloatArray:
    """Student's t upper limit of a mean: ``mean + |qt((1 - c)/2, n - 1)| sd / sqrt(n)``.

    Parameters
    ----------
    mean : array_like
        Sample means.
    sd : array_like
        Sample standard deviations (n - 1 denominator).
    count : array_like
        Sample sizes; fewer than 2 gives NaN.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    numpy.ndarray
        Upper limits.

    Examples
    --------
    >>> float(student_t_upper(10.0, 2.0, 25).round(4))
    10.8256
    """
    return np.asarray(_as_float(mean) + _t_half_width(sd, count, confidence), dtype=np.float64)
