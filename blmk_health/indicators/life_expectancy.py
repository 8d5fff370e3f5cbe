"""Life expectancy (PHEindicatormethods ``phe_life_expectancy``) and healthy life expectancy (Sullivan)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._frames import assemble, is_integer_column
from blmk_health._inputs import Prepared, prepare
from blmk_health._validation import Check, check_values, describe_values
from blmk_health.errors import DomainError
from blmk_health.indicators import ci
from blmk_health.indicators._core import METADATA, FloatArray, counts, metadata_columns, normal_limits
from blmk_health.indicators._life_table import (
    MAX_HALF_WIDTH,
    Bands,
    BandTable,
    LifeTable,
    band_table,
    chiang,
    group_problems,
    warn_problems,
)

__all__ = ["healthy_life_expectancy", "life_expectancy"]

LE_METHOD = "Chiang, using Silcocks et al for confidence limits"
#: The statistic of a start age that nobody reaches (everyone died in an earlier band: q = 1 there).
NO_SURVIVORS = "no survivors to this age (everyone died in an earlier age band), so 0 years with no confidence limits"
HLE_METHOD = "Sullivan, with confidence limits from the sampling variance of the health proportions (Jagger et al)"


def _select_ages(at_age: Any, bands: Bands) -> npt.NDArray[np.int64]:
    """Indices of the bands whose start ages are requested."""
    if isinstance(at_age, str):
        if at_age != "all":
            msg = f"at_age: expected 'all', a start age or a list of start ages, got {at_age!r}"
            raise DomainError(msg)
        return np.arange(bands.n)
    ages = [at_age] if not isinstance(at_age, Sequence) else list(at_age)
    if not ages:
        msg = "at_age: at least one start age is needed"
        raise DomainError(msg)
    bad = [
        age
        for age in ages
        if isinstance(age, bool) or not isinstance(age, (int, float, np.integer)) or age not in bands.starts
    ]
    if bad:
        msg = f"at_age: {describe_values(bad)} not start age(s) of the bands; choose from {list(bands.starts)}"
        raise DomainError(msg)
    return np.asarray(sorted({bands.starts.index(int(age)) for age in ages}), dtype=np.int64)


def _le_arguments(
    data: Any,
    deaths: str,
    population: str,
    age_band: str,
    by: Any,
    confidence: Any,
    outputs: Sequence[str],
    extra: Sequence[tuple[str, str]] = (),
) -> Prepared:
    """The one path in for life tables: any number of confidence levels, ``age_band`` never in ``by``."""
    numeric = [("deaths", deaths), ("population", population), *extra]
    return prepare(
        data,
        columns=[("age_band", age_band)],
        numeric=numeric,
        by=by,
        not_in_by=[("age_band", age_band)],
        confidence=confidence,
        any_levels=True,
        outputs=lambda conf: ["value", *conf.limit_names(), *outputs, *METADATA],
    )


@dataclass(frozen=True)
class _Rows:
    """Output rows (one per group and selected band) and their (group, band) indices in the table."""

    keys: Any
    group: npt.NDArray[np.int64]
    band: npt.NDArray[np.int64]
    labels: npt.NDArray[Any]


def _rows(table: BandTable, index: npt.NDArray[np.int64]) -> _Rows:
    """Output keys (one row per group and selected band) and the row -> (group, band) indices."""
    n_sel = len(index)
    group = np.repeat(np.arange(table.n_groups), n_sel)
    band = np.tile(index, table.n_groups)
    keys = None if table.keys is None else table.keys[group]
    return _Rows(keys, group, band, table.bands.labels()[band])


@dataclass(frozen=True)
class _Estimates:
    """Estimates and standard errors at the output rows, with why some are blank or special."""

    value: FloatArray
    se: FloatArray
    blank: npt.NDArray[np.bool_]
    extinct: npt.NDArray[np.bool_]


def _estimates(values: FloatArray, se: FloatArray, life: LifeTable, problems: Any, rows: _Rows) -> _Estimates:
    """Values at the output rows: blank for failed groups; 0 with no limits past a band where all died."""
    blank = (problems != None)[rows.group]  # noqa: E711 - elementwise comparison
    extinct = ~blank & (life.l[rows.group, rows.band] == 0)
    value = np.where(blank, np.nan, values[rows.group, rows.band])
    error = np.where(blank | extinct, np.nan, se[rows.group, rows.band])
    return _Estimates(value, error, blank, extinct)


def _statistic(
    what: str,
    table: BandTable,
    rows: _Rows,
    problems: npt.NDArray[np.object_],
    estimates: _Estimates,
    wide: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.object_]:
    """The ``statistic`` text of each output row, saying why a value is blank or 0."""
    starts = np.asarray(table.bands.starts)
    base = np.array([f"{what} at {s}" for s in starts], dtype=object)[rows.band]
    out = base.copy()
    if wide is not None:
        out = np.where(wide, base + ": value suppressed, 95% CI wider than 20 years", out)
    out = np.where(estimates.extinct, base + f": {NO_SURVIVORS}", out)
    reason = problems[rows.group]
    out = np.where(estimates.blank, base + " NA: " + reason.astype(str), out)
    return out.astype(object)


def life_expectancy(
    data: Any,
    deaths: str,
    population: str,
    age_band: str,
    by: str | Sequence[str] | None = None,
    at_age: str | int | Sequence[int] = "all",
    confidence: float | Sequence[float] = 0.95,
    metadata: bool = True,
) -> Any:
    """Life expectancy at each start age: Chiang's abridged life table, Silcocks' confidence limits.

    The reference's method (PHEindicatormethods ``phe_life_expectancy``), for every group at once. With
    band start ages x_i, deaths D_i, populations P_i, widths n_i and M_i = D_i / P_i::

        a_i = 0.1 at age 0, else 0.5
        q_i = M_i n_i / (1 + M_i n_i (1 - a_i))   if D_i <= P_i / n_i / a_i, else 1;   q = 1 in the last band
        l_0 = 100000,  l_i = l_{i-1} (1 - q_{i-1}),  d_i = l_i - l_{i+1}
        L_i = n_i (l_{i+1} + a_i d_i),   L_last = l_last / M_last
        e_i = sum_{j>=i} L_j / l_i
        SE(e_i)^2 = sum_{j>=i} W_j / l_i^2  with
            W_j = q_j^2 (1 - q_j) / D_j * l_j^2 ((1 - a_j) n_j + e_{j+1})^2   (0 where d_j = 0)
            W_last = (l_last / 2)^2 * 4 / (D_last M_last^2)                     (Silcocks et al)

    and the limits are ``e -/+ z SE``.

    Parameters
    ----------
    data : DataFrame
        One row per group and age band: pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame
        narwhals supports. Rows may come in any order; bands are put in age order by their labels.
    deaths : str
        Column of death counts.
    population : str
        Column of populations (person-years at risk).
    age_band : str
        Column of age-band labels, read by their leading number: ``"0"``, ``"1-4"``, ``"5-9"``, ...,
        ``"85-89"``, ``"90+"`` (or integers 0, 1, 5, ..., 90; ``"<1"`` is age 0). Twenty bands closing
        at 90+, as in the reference, or nineteen bands closing at 85+ (see Notes).
    by : str or list of str, optional
        Grouping columns (area, sex, period, ...). Each group needs one row per band.
    at_age : "all", int or list of int, default "all"
        The start ages to return (e.g. ``0`` for life expectancy at birth, ``[0, 65]``).
    confidence : float or sequence of float, default 0.95
        One level (0.95 or 95) or any number of levels, e.g. ``(0.95, 0.998)``.
    metadata : bool, default True
        Add the ``confidence``, ``statistic`` and ``method`` columns.

    Returns
    -------
    DataFrame
        Of the kind given, one row per group and requested start age, sorted by ``by`` and age: the
        ``by`` columns, ``age_band``, ``value``, ``lowercl``/``uppercl`` (or ``lower95_0cl``,
        ``upper95_0cl``, ... for several levels), ``pops_used`` and ``dths_used`` (population and
        deaths at ages at or above the start age), then ``confidence``, ``statistic`` (``"life
        expectancy at 65"``, or why it is blank) and ``method``.

    Raises
    ------
    SchemaError
        A missing or non-numeric column, unreadable age bands, bands that do not form a life table
        (wrong or overlapping bands, no separate 0 and 1-4 bands, a closed final band), or a group with
        the same age band on more than one row.
    DomainError
        A bad ``confidence`` or ``at_age``.

    Warns
    -----
    UserWarning
        When some groups' values are blank because of the rules below.

    Notes
    -----
    Suppression follows the reference. A group's values and limits are all missing (with the reason in
    ``statistic`` and a warning) when it has negative deaths, a zero or negative population in any band,
    not all the bands, deaths above the population in any band, a total population of 5,000 or less,
    no deaths in the final band, or a missing count. The value only (not the limits) is missing where
    the 95% confidence interval is wider than 20 years (``qnorm(0.975) * SE > 10``), whatever
    ``confidence`` is. After an age band in which everyone dies (``q = 1``: deaths above
    ``P / (n a)``, e.g. 5,169 deaths among 7,016 people aged 75-79), nobody reaches the later start
    ages: their life expectancy is 0, as in the reference, with missing limits (the variance is 0 / 0)
    and ``statistic`` saying "no survivors to this age". Unlike the reference, results are sorted by
    ``by`` rather than putting blank groups last.

    Beyond the reference: a table of 19 bands closed at **85+** (as many small-area sources are) is
    accepted and handled by the same method, with the open band starting at 85 (``L = l / M`` and
    Silcocks' variance term there). Life expectancies at older ages are less precise from such a table,
    and they are not directly comparable with 90+ figures (ONS moved from 85+ to 90+ closure; the
    difference at birth is small, at 85 it is not).

    References
    ----------
    Chiang CL (1984). The life table and its applications. Krieger.
    Silcocks PBS, Jenner DA, Reza R (2001). Life expectancy as a summary of mortality in a population:
    statistical considerations and suitability for use by health authorities. J Epidemiol Community
    Health 55:38-43.
    Office for National Statistics. Method changes to life and health state expectancies.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> bands = ["0", "1-4"] + [f"{a}-{a + 4}" for a in range(5, 90, 5)] + ["90+"]
    >>> deaths = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]
    >>> pops = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416,
    ...         46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
    >>> df = pd.DataFrame({"age": bands, "deaths": deaths, "pop": pops})
    >>> out = bh.indicators.life_expectancy(df, "deaths", "pop", "age", at_age=[0, 65], metadata=False)
    >>> out[["age", "value", "lowercl", "uppercl"]].round(2)
         age  value  lowercl  uppercl
    0      0  80.17    79.88    80.46
    1  65-69  18.77    18.58    18.96
    """
    prepared = _le_arguments(data, deaths, population, age_band, by, confidence, ["pops_used", "dths_used"])
    table = band_table(prepared.frame, prepared.by, age_band, {"deaths": deaths, "population": population})
    index = _select_ages(at_age, table.bands)
    problems = group_problems(table)
    warn_problems("life_expectancy", table.keys, prepared.by, problems)
    d, p = table.values["deaths"], table.values["population"]
    life = chiang(d, p, table.bands.starts)
    rows = _rows(table, index)
    est = _estimates(life.e, life.se, life, problems, rows)
    with np.errstate(invalid="ignore"):
        wide = ~est.blank & ~est.extinct & ~(ci.z_value(0.95) * est.se <= MAX_HALF_WIDTH)
    columns: dict[str, Any] = {age_band: rows.labels, "value": np.where(wide, np.nan, est.value)}
    columns.update(normal_limits(prepared.confidence, est.value, est.se))
    frame = prepared.frame
    with np.errstate(invalid="ignore"):
        used = {"pops_used": (p, population), "dths_used": (d, deaths)}
        for name, (grid, column) in used.items():
            total = np.cumsum(grid[:, ::-1], axis=1)[:, ::-1][rows.group, rows.band]
            columns[name] = counts(total, is_integer_column(frame, column))
    if metadata:
        statistic = _statistic("life expectancy", table, rows, problems, est, wide)
        columns.update(metadata_columns(len(rows.group), prepared.confidence, statistic, LE_METHOD))
    return assemble(rows.keys, columns, prepared.frame)


def healthy_life_expectancy(
    data: Any,
    deaths: str,
    population: str,
    age_band: str,
    healthy: str,
    sample_size: str,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
    at_age: str | int | Sequence[int] = "all",
    metadata: bool = True,
) -> Any:
    """Healthy life expectancy by the Sullivan method, with limits from the survey's sampling variance.

    The life table is the one of :func:`life_expectancy` (same bands, same rules). With ``pi_i`` the
    proportion of the band's survey sample in good health, ``N_i`` the sample size, ``L_i`` the
    life-table person-years and ``l_x`` the survivors at the start age::

        HLE_x = sum_{i>=x} pi_i L_i / l_x
        SE(HLE_x)^2 = sum_{i>=x} L_i^2 pi_i (1 - pi_i) / N_i / l_x^2

    and the limits are ``HLE -/+ z SE`` (z the exact normal quantile).

    Parameters
    ----------
    data : DataFrame
        One row per group and age band (any frame narwhals supports).
    deaths, population : str
        Columns of death counts and populations, as for :func:`life_expectancy`.
    age_band : str
        Column of age-band labels (20 bands to 90+, or 19 to 85+).
    healthy : str
        Column of the proportion (0 to 1) of the band's survey respondents in good health (for
        example "good" or "very good" general health in the Annual Population Survey).
    sample_size : str
        Column of the number of survey respondents in the band (> 0).
    by : str or list of str, optional
        Grouping columns.
    confidence : float or sequence of float, default 0.95
        One or more confidence levels.
    at_age : "all", int or list of int, default "all"
        The start ages to return.
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method``.

    Returns
    -------
    DataFrame
        One row per group and start age: ``by`` columns, ``age_band``, ``value`` (healthy life
        expectancy in years), the limits, ``life_expectancy`` (at the same age) and the metadata.

    Raises
    ------
    SchemaError
        As :func:`life_expectancy`, and for a missing or non-numeric ``healthy`` or ``sample_size``.
    DomainError
        A health proportion outside [0, 1] or missing, a sample size that is not > 0, a bad
        ``confidence`` or ``at_age``.

    Notes
    -----
    Groups whose life table cannot be calculated (the rules of :func:`life_expectancy`: total
    population of 5,000 or less, deaths above population, ...) get missing values, with the reason in
    ``statistic``. The limits reflect the sampling variance of the health proportions only; the
    variance of the life table itself is usually much smaller and is ignored, as in the guide. There is
    no suppression for wide intervals.

    References
    ----------
    Jagger C, Van Oyen H, Robine J-M (2014). Health expectancy calculation by the Sullivan method: a
    practical guide, 4th ed. European Health Expectancy Monitoring Unit (EHEMU), Newcastle University.
    Sullivan DF (1971). A single index of mortality and morbidity. HSMHA Health Reports 86:347-354.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> bands = ["0", "1-4"] + [f"{a}-{a + 4}" for a in range(5, 90, 5)] + ["90+"]
    >>> df = pd.DataFrame({
    ...     "age": bands, "deaths": [20] * 19 + [400], "pop": [5000] * 19 + [1000],
    ...     "good_health": [0.95] * 10 + [0.8] * 5 + [0.5] * 5, "n": [400] * 20})
    >>> out = bh.indicators.healthy_life_expectancy(df, "deaths", "pop", "age", "good_health", "n", at_age=0)
    >>> out[["value", "lowercl", "uppercl", "life_expectancy"]].round(2)
       value  lowercl  uppercl  life_expectancy
    0  63.16    62.58    63.74            77.33
    """
    extra = [("healthy", healthy), ("sample_size", sample_size)]
    prepared = _le_arguments(data, deaths, population, age_band, by, confidence, ["life_expectancy"], extra)
    _check_health_values(prepared, healthy, sample_size)
    columns = {"deaths": deaths, "population": population, "healthy": healthy, "sample_size": sample_size}
    table = band_table(prepared.frame, prepared.by, age_band, columns)
    index = _select_ages(at_age, table.bands)
    problems = group_problems(table)
    warn_problems("healthy_life_expectancy", table.keys, prepared.by, problems)
    life = chiang(table.values["deaths"], table.values["population"], table.bands.starts)
    hle, se = _sullivan(life, table.values["healthy"], table.values["sample_size"])
    rows = _rows(table, index)
    est = _estimates(hle, se, life, problems, rows)
    out: dict[str, Any] = {age_band: rows.labels, "value": est.value}
    out.update(normal_limits(prepared.confidence, est.value, est.se))
    out["life_expectancy"] = np.where(est.blank, np.nan, life.e[rows.group, rows.band])
    if metadata:
        statistic = _statistic("healthy life expectancy", table, rows, problems, est)
        out.update(metadata_columns(len(rows.group), prepared.confidence, statistic, HLE_METHOD))
    return assemble(rows.keys, out, prepared.frame)


def _check_health_values(prepared: Prepared, healthy: str, sample_size: str) -> None:
    """Health proportions in [0, 1] and present; sample sizes > 0."""
    check_values(
        prepared.frame,
        [
            Check(
                "healthy",
                healthy,
                (nw.col(healthy) < 0) | (nw.col(healthy) > 1),
                "is outside [0, 1]",
                "it is the proportion of the band's sample in good health",
            ),
            Check("healthy", healthy, nw.col(healthy).is_null(), "is missing", "every band needs a proportion"),
            Check(
                "sample_size",
                sample_size,
                ~(nw.col(sample_size) > 0),
                "is not > 0",
                "every band needs survey respondents",
            ),
        ],
    )


def _sullivan(life: LifeTable, pi: FloatArray, size: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Healthy life expectancy at every start age and its standard error (sampling variance of pi)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        healthy_years: FloatArray = np.cumsum((pi * life.big_l)[:, ::-1], axis=1)[:, ::-1]
        variance = np.cumsum((life.big_l**2 * pi * (1 - pi) / size)[:, ::-1], axis=1)[:, ::-1]
        hle = np.where(life.l == 0, 0.0, healthy_years / life.l)
        se = np.sqrt(variance) / life.l
    return hle, se
