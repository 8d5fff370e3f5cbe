"""Directly and indirectly standardised rates (PHEindicatormethods ``calculate_dsr``, ``calculate_ISRatio``,
``calculate_ISRate``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._confidence import format_multiplier
from blmk_health._frames import (
    TMP,
    Agg,
    Frame,
    assemble,
    collect,
    float_array,
    grouped_sums,
    ingest,
    is_integer_column,
)
from blmk_health._inputs import Prepared, prepare
from blmk_health._validation import (
    Check,
    check_choice,
    check_positive_number,
    check_values,
    describe_values,
    require_columns,
    require_numeric,
)
from blmk_health.errors import InputError, ReferenceDataError, SchemaError
from blmk_health.indicators import ci
from blmk_health.indicators._bands import (
    BandScheme,
    band_counts_off,
    esp_weights,
    raise_band_problems,
    scheme_of_data,
)
from blmk_health.indicators._core import (
    METADATA,
    FloatArray,
    confidence_columns,
    counts,
    keys_of,
    metadata_columns,
    poisson_method,
)

__all__ = ["dsr", "isr"]

#: The reference suppresses a DSR whose total count is below this.
DSR_MIN_COUNT = 10

_NON_INDEPENDENT = "Dobson, with confidence adjusted for non-independent events"


def dsr(
    data: Any,
    x: str,
    n: str,
    by: str | Sequence[str] | None = None,
    std_pop: str = "esp2013",
    age_band: str | None = None,
    multiplier: float = 100_000,
    confidence: float | Sequence[float] = 0.95,
    independent_events: bool = True,
    event_frequency: str | None = None,
    metadata: bool = True,
) -> Any:
    """Directly standardised rates with Dobson confidence limits.

    For each group, with w the standard population of each age band::

        value = sum(x_i * w_i / n_i) / sum(w_i) * multiplier
        var   = sum(x_i * (w_i / n_i)^2) / sum(w_i)^2
        limit = value + sqrt(var / O) * (byars(O) - O) * multiplier,   O = sum(x_i)

    Parameters
    ----------
    data : DataFrame
        One row per group and age band: pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame
        narwhals supports.
    x : str
        Column of event counts (>= 0). Missing counts count as 0.
    n : str
        Column of populations (> 0, never missing).
    by : str or list of str, optional
        Grouping columns; one result row per group, sorted by ``by``. Without ``by``, all rows form
        one group. With a ``std_pop`` column, groups may have different numbers of age bands (as in
        the reference); with ``"esp2013"`` every group needs every standard band.
    std_pop : str, default "esp2013"
        A column of ``data`` holding the standard population of each row, or ``"esp2013"`` for the
        2013 European Standard Population matched to ``age_band`` band for band: each label must
        start and end where a standard band does (``"0-4"``, ``"05-09"``, ..., ``"90+"``, ``"90 +"``
        or start ages 0, 5, ..., 90; with ``"0"`` and ``"1-4"`` the 20-band form weights them 1000
        and 4000), and every group must have a row for each of the 19 (or 20) bands. If ``age_band``
        is not given and ``data`` has a column named ``esp2013``, that column is used.
    age_band : str, optional
        Column of age-band labels. Needed for ``std_pop="esp2013"`` and for non-independent events;
        when given, a repeated (group, age band) raises :class:`SchemaError`.
    multiplier : float, default 100000
        Scale of the rate.
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    independent_events : bool, default True
        ``False`` when a person can have several events: then ``x`` counts the *people* with
        ``event_frequency`` events in each age band, and the variance is
        ``sum_f f^2 * sum_i x_fi (w_i / n_i)^2 / sum(w_i)^2`` (the events are ``sum_f f * x_fi``).
    event_frequency : str, optional
        Column of the number of events per person, required when ``independent_events=False``.
        ``n`` and the standard population must be the same on every frequency row of an age band.
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method``.

    Returns
    -------
    DataFrame
        ``by`` columns, ``total_count``, ``total_pop`` (integers when ``x`` and ``n`` are), ``value``,
        limits (``lowercl``/``uppercl`` or
        the 95_0 and 99_8 columns), ``confidence``, ``statistic`` (``"dsr per 100000"``) and
        ``method`` (``"Dobson"``).

    Raises
    ------
    SchemaError
        Missing or non-numeric columns, age bands that do not match the standard population (ten-year
        bands, ``"85+"``, ...), a group lacking one of its bands, or a repeated (group, age band)
        row. The message quotes the labels as written in ``data``.
    DomainError
        Negative counts, zero, negative or missing populations, negative or missing standard
        populations, non-positive event frequencies, ``multiplier <= 0`` or a bad ``confidence``.

    Notes
    -----
    Suppression, as in the reference: when a group's total count is below 10, ``value`` and the limits
    are missing and ``statistic`` says ``"dsr NA for total count < 10"``. Missing counts are treated as
    0 in every sum; a missing population is an error.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> bands = bh.datasets.esp2013()["age_band"]
    >>> df = pd.DataFrame({"age_band": bands, "deaths": range(1, 20), "pop": [1000] * 19})
    >>> out = bh.indicators.dsr(df, "deaths", "pop", age_band="age_band")
    >>> out[["total_count", "value", "lowercl", "uppercl"]].round(1)
       total_count  value  lowercl  uppercl
    0          190  892.5    758.2   1042.1
    """
    prepared, use_esp = _dsr_arguments(
        data, x, n, by, std_pop, age_band, multiplier, confidence, independent_events, event_frequency
    )
    frame = prepared.frame
    _check_dsr_values(frame, x, n, None if use_esp else std_pop, None if independent_events else event_frequency)
    weight, band, scheme = _dsr_bands(frame, std_pop, age_band, use_esp)
    inputs: dict[str, Any] = {
        f"{TMP}x": nw.col(x).cast(nw.Float64).fill_null(0),
        f"{TMP}n": nw.col(n).cast(nw.Float64),
        f"{TMP}w": weight,
    }
    if independent_events:
        eager = _independent_sums(prepared, inputs, band, scheme, age_band)
        integer = is_integer_column(frame, x)
    else:
        assert event_frequency is not None
        assert age_band is not None
        eager = _non_independent_sums(prepared, {**inputs, f"{TMP}band": band}, scheme, age_band, event_frequency, n)
        integer = is_integer_column(frame, x) and is_integer_column(frame, event_frequency)
    method = "Dobson" if independent_events else _NON_INDEPENDENT
    return _dsr_result(prepared, eager, method, metadata, (integer, is_integer_column(frame, n)))


def _dsr_arguments(
    data: Any,
    x: str,
    n: str,
    by: Any,
    std_pop: str,
    age_band: str | None,
    multiplier: Any,
    confidence: Any,
    independent_events: bool,
    event_frequency: str | None,
) -> tuple[Prepared, bool]:
    """The one path in, and whether the weights are the ESP2013 matched to ``age_band``."""
    frame = ingest(data)
    use_esp = std_pop == "esp2013" and not (age_band is None and "esp2013" in frame.columns)
    if use_esp and age_band is None:
        msg = "age_band: the column of age-band labels is required with std_pop='esp2013'"
        raise InputError(msg)
    if not independent_events and (event_frequency is None or age_band is None):
        msg = "event_frequency and age_band: both are required when independent_events=False"
        raise InputError(msg)
    frequency = None if independent_events else event_frequency
    numeric = [("x", x), ("n", n), ("std_pop", None if use_esp else std_pop), ("event_frequency", frequency)]
    prepared = prepare(
        frame,
        columns=[("age_band", age_band)],
        numeric=numeric,
        by=by,
        not_in_by=[("age_band", age_band)],
        confidence=confidence,
        multiplier=multiplier,
        outputs=lambda conf: ["total_count", "total_pop", "value", *conf.limit_names(), *METADATA],
    )
    return prepared, use_esp


def _check_dsr_values(frame: Frame, x: str, n: str, std_pop: str | None, event_frequency: str | None) -> None:
    """The row rules: counts >= 0, populations > 0 and present, standard populations >= 0, frequencies >= 1."""
    checks = [
        Check.below("x", x, 0, "has a negative count", "counts must be >= 0"),
        Check.below("n", n, 0, "has a zero or negative population", "denominators must all be > 0", inclusive=True),
        Check.missing("n", n, "has a missing population", "denominators must all be > 0"),
    ]
    if std_pop is not None:
        checks += [
            Check.below("std_pop", std_pop, 0, "has a negative standard population", "must be >= 0"),
            Check.missing("std_pop", std_pop, "has a missing standard population", "every row needs one"),
        ]
    if event_frequency is not None:
        checks.append(
            Check(
                "event_frequency",
                event_frequency,
                (nw.col(event_frequency) <= 0) | nw.col(event_frequency).is_null(),
                "has a zero, negative or missing frequency",
                "frequencies are the number of events per person (>= 1)",
            )
        )
    check_values(frame, checks)


def _dsr_bands(frame: Frame, std_pop: str, age_band: str | None, use_esp: bool) -> tuple[Any, Any, BandScheme | None]:
    """The standard weight and band key of each row, and the bands every group must hold (ESP2013 only)."""
    if use_esp:
        assert age_band is not None
        return esp_weights(frame, age_band)
    weight = nw.col(std_pop).cast(nw.Float64)
    band = nw.col(age_band) if age_band is not None else None
    return weight, band, None


def _independent_sums(
    prepared: Prepared, inputs: dict[str, Any], band: Any, scheme: BandScheme | None, age_band: str | None
) -> nw.DataFrame[Any]:
    """Per-group sums of the DSR terms, after checking each group holds each band once."""
    frame, by = prepared.frame, prepared.by
    if band is None:
        return grouped_sums(frame, by, inputs, formula=_dsr_terms)
    extra = [Agg("n_unique", f"{TMP}nb", f"{TMP}band"), Agg("len", f"{TMP}len")]
    carry = {f"{TMP}band": band}
    eager = grouped_sums(frame, by, inputs, extra=extra, formula=_dsr_terms, carry=carry)
    if band_counts_off(float_array(eager, f"{TMP}nb"), float_array(eager, f"{TMP}len"), scheme):
        assert age_band is not None
        rows = frame.with_frame(frame.frame.with_columns(**carry))
        raise_band_problems(rows, by, f"{TMP}band", age_band, scheme)
    return eager


def _non_independent_sums(
    prepared: Prepared,
    inputs: dict[str, Any],
    scheme: BandScheme | None,
    age_band: str,
    event_frequency: str,
    n: str,
) -> nw.DataFrame[Any]:
    """Per-group sums for people with several events: events and f^2-weighted variance terms per band."""
    frame, by = prepared.frame, prepared.by
    base = frame.frame.with_columns(**inputs, **{f"{TMP}f": nw.col(event_frequency).cast(nw.Float64)})
    per_band = _per_band_events(base, by)
    w_over_n = nw.col(f"{TMP}w") / nw.col(f"{TMP}n")
    eager = grouped_sums(
        frame.with_frame(per_band),
        by,
        {
            f"{TMP}sx": nw.col(f"{TMP}e"),
            f"{TMP}sn": nw.col(f"{TMP}n"),
            f"{TMP}sxwn": nw.col(f"{TMP}e") * w_over_n,
            f"{TMP}sw": nw.col(f"{TMP}w"),
            f"{TMP}svar": nw.col(f"{TMP}e2") * w_over_n**2,
            f"{TMP}varies": (
                (nw.col(f"{TMP}n") != nw.col(f"{TMP}nmax")) | (nw.col(f"{TMP}w") != nw.col(f"{TMP}wmax"))
            ).cast(nw.Int64),
            f"{TMP}dup": (nw.col(f"{TMP}nf") != nw.col(f"{TMP}len")).cast(nw.Int64),
        },
        extra=[Agg("len", f"{TMP}bands")],
    )
    varies = int(float_array(eager, f"{TMP}varies").sum())
    if varies:
        msg = (
            f"n and std_pop: the population ({n!r}) and standard population must be the same on every "
            f"event-frequency row of an age band; they differ within {varies} (group, age band) combination(s)"
        )
        raise SchemaError(msg)
    n_bands = float_array(eager, f"{TMP}bands")
    repeated = float_array(eager, f"{TMP}dup").sum() > 0
    if repeated or band_counts_off(n_bands, n_bands, scheme):
        raise_band_problems(frame.with_frame(base), by, f"{TMP}band", age_band, scheme, extra_keys=[event_frequency])
    return eager


def _per_band_events(base: Any, by: list[str]) -> Any:
    """Events (sum of x f) and their f^2-weighted sum per group and band, with the checks' counts."""
    return (
        base.with_columns(
            (nw.col(f"{TMP}x") * nw.col(f"{TMP}f")).alias(f"{TMP}xf"),
            (nw.col(f"{TMP}x") * nw.col(f"{TMP}f") ** 2).alias(f"{TMP}xff"),
        )
        .group_by([*by, f"{TMP}band"])
        .agg(
            nw.col(f"{TMP}xf").sum().alias(f"{TMP}e"),
            nw.col(f"{TMP}xff").sum().alias(f"{TMP}e2"),
            nw.col(f"{TMP}n").min().alias(f"{TMP}n"),
            nw.col(f"{TMP}n").max().alias(f"{TMP}nmax"),
            nw.col(f"{TMP}w").min().alias(f"{TMP}w"),
            nw.col(f"{TMP}w").max().alias(f"{TMP}wmax"),
            nw.col(f"{TMP}f").n_unique().alias(f"{TMP}nf"),
            nw.len().alias(f"{TMP}len"),
        )
    )


def _dsr_result(
    prepared: Prepared, eager: nw.DataFrame[Any], method: str, metadata: bool, integer: tuple[bool, bool]
) -> Any:
    """The DSR, its Dobson limits and the reference's suppression below 10 events, as the caller's frame."""
    mult = prepared.multiplier
    total = float_array(eager, f"{TMP}sx")
    sum_w = float_array(eager, f"{TMP}sw")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = float_array(eager, f"{TMP}sxwn") / sum_w
        var = float_array(eager, f"{TMP}svar") / sum_w**2
    suppressed = ~(total >= DSR_MIN_COUNT)
    value = np.where(suppressed, np.nan, rate * mult)

    def limits(level: float) -> tuple[FloatArray, FloatArray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = ci.dobson_lower(rate, var, total, level) * mult
            upper = ci.dobson_upper(rate, var, total, level) * mult
        return np.where(suppressed, np.nan, lower), np.where(suppressed, np.nan, upper)

    out: dict[str, Any] = {
        "total_count": counts(total, integer[0]),
        "total_pop": counts(float_array(eager, f"{TMP}sn"), integer[1]),
        "value": value,
    }
    out.update(confidence_columns(prepared.confidence, limits))
    if metadata:
        text = f"dsr per {format_multiplier(mult)}"
        statistic = np.where(suppressed, f"dsr NA for total count < {DSR_MIN_COUNT}", text).astype(object)
        out.update(metadata_columns(len(total), prepared.confidence, statistic, method))
    return assemble(keys_of(eager, prepared.by), out, prepared.frame)


def _dsr_terms(row: Mapping[str, Any]) -> dict[str, Any]:
    """The per-row terms of a DSR whose group sums give the rate and its variance."""
    x, n, w = row[f"{TMP}x"], row[f"{TMP}n"], row[f"{TMP}w"]
    return {f"{TMP}sx": x, f"{TMP}sn": n, f"{TMP}sxwn": x * w / n, f"{TMP}sw": w, f"{TMP}svar": x * (w / n) ** 2}


def isr(
    data: Any,
    x: str,
    n: str,
    x_ref: str,
    n_ref: str,
    by: str | Sequence[str] | None = None,
    kind: str = "ratio",
    refvalue: float = 1,
    multiplier: float = 100_000,
    observed_totals: Any = None,
    confidence: float | Sequence[float] = 0.95,
    metadata: bool = True,
    age_band: str | None = None,
) -> Any:
    """Indirectly standardised ratios or rates, with exact CIs below 10 observed and Byars above.

    ``expected = sum(x_ref_i / n_ref_i * n_i)`` over the age bands of each group, ``observed =
    sum(x_i)``. The ratio is ``observed / expected * refvalue``; the rate is ``observed / expected *
    ref_rate`` with ``ref_rate = sum(x_ref) / sum(n_ref) * multiplier``. The limits of the observed
    count (:func:`ci.poisson_lower`, :func:`ci.poisson_upper`) are scaled the same way.

    Parameters
    ----------
    data : DataFrame
        One row per group and age band, with the reference counts and populations alongside:
        pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame narwhals supports.
    x : str
        Column of observed counts (>= 0); missing counts are 0. It may be absent when
        ``observed_totals`` is given.
    n : str
        Column of the local populations (>= 0; a zero band is allowed); missing populations are 0.
    x_ref, n_ref : str
        Columns of the reference (e.g. England) counts (>= 0) and populations (> 0) for each band.
    by : str or list of str, optional
        Grouping columns; one row per group, sorted by ``by``. Without ``by``, all rows form one group.
    kind : {"ratio", "rate"}, default "ratio"
        Standardised ratio or standardised rate.
    refvalue : float, default 1
        Scale of the ratio (1, or 100 for an SMR per 100).
    multiplier : float, default 100000
        Scale of the rate (``kind="rate"`` only).
    observed_totals : DataFrame, optional
        Observed counts per group when the data have no age breakdown of them: the ``by`` columns and a
        column named as ``x``, one row per group. Every group of ``data`` must be present.
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method`` (``"Exact"`` or ``"Byars"``).
    age_band : str, optional
        Column of age-band labels. When given, the table is checked as every age-banded input is: no
        group may hold a band twice, and every group must hold every band found in the data (a band
        with no local events is a row with a count of 0), since a missing row would leave that band's
        expected count out.

    Returns
    -------
    DataFrame
        ``by`` columns, ``observed`` (an integer when ``x`` is), ``expected``, (``ref_rate`` for
        rates), ``value``, the limits and the metadata.

    Raises
    ------
    SchemaError
        Missing or non-numeric columns; ``observed_totals`` without the needed columns or with a
        repeated group; with ``age_band``, a repeated or missing band.
    DomainError
        Negative counts or populations, zero or missing reference populations, ``multiplier`` or
        ``refvalue`` <= 0, or a bad ``confidence``.
    ReferenceDataError
        A group of ``data`` is missing from ``observed_totals``.

    Notes
    -----
    There is no suppression. Missing local counts, populations and reference counts are treated as 0,
    as in the reference.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({
    ...     "age": ["0-39", "40-64", "65+"], "deaths": [3, 20, 60], "pop": [5000, 3000, 1000],
    ...     "eng_deaths": [900, 6000, 30000], "eng_pop": [2_000_000, 1_000_000, 500_000]})
    >>> out = bh.indicators.isr(df, "deaths", "pop", "eng_deaths", "eng_pop", refvalue=100)
    >>> out[["observed", "expected", "value", "lowercl", "uppercl"]].round(2)
       observed  expected  value  lowercl  uppercl
    0        83     80.25  103.43    82.37   128.22
    """
    kind = check_choice(kind, "kind", ("ratio", "rate"))
    ref = check_positive_number(refvalue, "refvalue")
    x_col = x if observed_totals is None else None
    numeric = [("x", x_col), ("n", n), ("x_ref", x_ref), ("n_ref", n_ref)]
    prepared = prepare(
        data,
        columns=[("age_band", age_band)],
        numeric=numeric,
        by=by,
        not_in_by=[("age_band", age_band)],
        confidence=confidence,
        multiplier=multiplier,
        outputs=lambda conf: ["observed", "expected", "ref_rate", "value", *conf.limit_names(), *METADATA],
    )
    _check_isr_values(prepared.frame, x_col, n, x_ref, n_ref)
    sums = _isr_terms(x_col, n, x_ref, n_ref)
    eager = _isr_sums(prepared, sums, age_band)
    expected = float_array(eager, f"{TMP}e")
    if observed_totals is None:
        observed = float_array(eager, f"{TMP}o")
        integer = is_integer_column(prepared.frame, x)
    else:
        observed, integer = _join_totals(eager, prepared.by, observed_totals, x)
    return _isr_result(prepared, eager, observed, expected, kind, ref, metadata, integer)


def _check_isr_values(frame: Frame, x: str | None, n: str, x_ref: str, n_ref: str) -> None:
    """The row rules: counts and populations >= 0, reference populations > 0 and present."""
    checks = [
        Check.below("n", n, 0, "has a negative population", "populations must be >= 0"),
        Check.below("x_ref", x_ref, 0, "has a negative reference count", "counts must be >= 0"),
        Check.below("n_ref", n_ref, 0, "has a zero or negative reference population", "must be > 0", inclusive=True),
        Check.missing("n_ref", n_ref, "has a missing reference population", "must be > 0"),
    ]
    if x is not None:
        checks.insert(0, Check.below("x", x, 0, "has a negative count", "counts must be >= 0"))
    check_values(frame, checks)


def _isr_terms(x: str | None, n: str, x_ref: str, n_ref: str) -> dict[str, nw.Expr]:
    """Per-row expected events, reference counts and populations (and observed counts) to sum."""
    sums = {
        f"{TMP}e": nw.col(x_ref).cast(nw.Float64).fill_null(0)
        / nw.col(n_ref).cast(nw.Float64)
        * nw.col(n).cast(nw.Float64).fill_null(0),
        f"{TMP}xr": nw.col(x_ref).cast(nw.Float64).fill_null(0),
        f"{TMP}nr": nw.col(n_ref).cast(nw.Float64),
    }
    if x is not None:
        sums[f"{TMP}o"] = nw.col(x).cast(nw.Float64).fill_null(0)
    return sums


def _isr_sums(prepared: Prepared, sums: dict[str, Any], age_band: str | None) -> nw.DataFrame[Any]:
    """Group sums; with ``age_band``, after checking every group holds every band of the data once."""
    frame, by = prepared.frame, prepared.by
    if age_band is None:
        return grouped_sums(frame, by, sums)
    band = nw.col(age_band).cast(nw.String)
    extra = [Agg("n_unique", f"{TMP}nb", f"{TMP}band"), Agg("len", f"{TMP}len")]
    eager = grouped_sums(frame, by, sums, extra=extra, carry={f"{TMP}band": band})
    scheme = scheme_of_data(frame, age_band)
    if band_counts_off(float_array(eager, f"{TMP}nb"), float_array(eager, f"{TMP}len"), scheme):
        rows = frame.with_frame(frame.frame.with_columns(band.alias(f"{TMP}band")))
        raise_band_problems(rows, by, f"{TMP}band", age_band, scheme)
    return eager


def _isr_result(
    prepared: Prepared,
    eager: nw.DataFrame[Any],
    observed: FloatArray,
    expected: FloatArray,
    kind: str,
    ref: float,
    metadata: bool,
    integer: bool,
) -> Any:
    """The ratio or rate and its limits (exact below 10 observed, Byars from 10), as the caller's frame."""
    mult = prepared.multiplier
    out: dict[str, Any] = {"observed": counts(observed, integer), "expected": expected}
    if kind == "rate":
        scale = float_array(eager, f"{TMP}xr") / float_array(eager, f"{TMP}nr") * mult
        out["ref_rate"] = scale
        statistic = f"indirectly standardised rate per {format_multiplier(mult)}"
    else:
        scale = np.full(len(observed), ref)
        statistic = f"indirectly standardised ratio x {format_multiplier(ref)}"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = observed / expected * scale
        out.update(
            confidence_columns(
                prepared.confidence,
                lambda level: (
                    ci.poisson_lower(observed, level) / expected * scale,
                    ci.poisson_upper(observed, level) / expected * scale,
                ),
            )
        )
    if metadata:
        out.update(metadata_columns(len(observed), prepared.confidence, statistic, poisson_method(observed)))
    return assemble(keys_of(eager, prepared.by), out, prepared.frame)


def _join_totals(eager: nw.DataFrame[Any], by: list[str], observed_totals: Any, x: str) -> tuple[FloatArray, bool]:
    """Observed totals per group, in the order of ``eager``'s groups, and whether they are integers."""
    totals = ingest(observed_totals, "observed_totals")
    require_columns(totals, [("observed_totals", c) for c in [*by, x]])
    require_numeric(totals, [("observed_totals", x)])
    check_values(
        totals,
        [
            Check.below("observed_totals", x, 0, "has a negative count", "counts must be >= 0"),
            Check.missing("observed_totals", x, "has a missing count", "every group needs a total"),
        ],
    )
    table = collect(totals.frame.select([*by, x]), totals).to_pandas()
    if not by:
        if len(table) != 1:
            msg = f"observed_totals: without `by`, expected one row with column {x!r}, got {len(table)} rows"
            raise SchemaError(msg)
        return np.array([float(table[x].iloc[0])]), is_integer_column(totals, x)
    repeated = table[table.duplicated(by, keep=False)]
    if len(repeated):
        shown = describe_values(list(repeated[by].itertuples(index=False, name=None)))
        msg = f"observed_totals: {len(repeated)} rows repeat a group (first: {shown}); one row per group"
        raise SchemaError(msg)
    keys = eager.select(by).to_pandas()
    merged = keys.merge(table, how="left", on=by, sort=False)
    missing = merged[x].isna()
    if missing.any():
        shown = describe_values(list(merged.loc[missing, by].itertuples(index=False, name=None)))
        msg = f"observed_totals: {int(missing.sum())} group(s) of data have no observed total (first: {shown})"
        raise ReferenceDataError(msg)
    return pd.to_numeric(merged[x]).to_numpy(dtype=float), is_integer_column(totals, x)
