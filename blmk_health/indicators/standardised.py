"""Directly and indirectly standardised rates (PHEindicatormethods ``calculate_dsr``, ``calculate_ISRatio``,
``calculate_ISRate``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._confidence import format_multiplier
from blmk_health._frames import Frame, as_list, assemble, collect, float_array, ingest, recode
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
from blmk_health.indicators._core import (
    TMP,
    Agg,
    confidence_columns,
    grouped_sums,
    keys_of,
    metadata_columns,
    poisson_method,
    prepare,
)
from blmk_health.indicators._esp import match_esp2013

__all__ = ["dsr", "isr"]

_METADATA = ("confidence", "statistic", "method")
#: The reference suppresses a DSR whose total count is below this.
DSR_MIN_COUNT = 10


def _limit_names(conf: Any) -> list[str]:
    return [name for pair in conf.names() for name in pair]


def _esp_weights(frame: Frame, age_band: str) -> tuple[Any, Any]:
    """The ESP2013 weight and band start age of each row, from its age-band label."""

    def build(labels: list[Any]) -> dict[str, tuple[dict[Any, Any], Any]]:
        bands = match_esp2013(labels)
        weights = {label: float(band.weight) for label, band in bands.items()}
        starts = {label: band.start for label, band in bands.items()}
        return {"weight": (weights, nw.Float64), "start": (starts, nw.Int64)}

    columns = recode(frame, age_band, build)
    return columns["weight"], columns["start"]


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
        one group. Groups may have different numbers of age bands.
    std_pop : str, default "esp2013"
        A column of ``data`` holding the standard population of each row, or ``"esp2013"`` for the
        2013 European Standard Population matched to ``age_band`` by start age (``"0-4"``,
        ``"05-09"``, ..., ``"90+"``, ``"90 +"`` or integers 0, 5, ...; with ``"0"`` and ``"1-4"``
        the 20-band form weights them 1000 and 4000). If ``age_band`` is not given and ``data`` has a
        column named ``esp2013``, that column is used.
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
        ``by`` columns, ``total_count``, ``total_pop``, ``value``, limits (``lowercl``/``uppercl`` or
        the 95_0 and 99_8 columns), ``confidence``, ``statistic`` (``"dsr per 100000"``) and
        ``method`` (``"Dobson"``).

    Raises
    ------
    SchemaError
        Missing or non-numeric columns, age bands that do not match the standard population, or a
        repeated (group, age band) row.
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
    0        190.0  892.5    758.2   1042.1
    """
    by_cols = as_list(by, "by")
    frame0 = ingest(data)
    use_esp = std_pop == "esp2013" and not (age_band is None and "esp2013" in frame0.columns)
    if use_esp and age_band is None:
        msg = "age_band: the column of age-band labels is required with std_pop='esp2013'"
        raise InputError(msg)
    if not independent_events and (event_frequency is None or age_band is None):
        msg = "event_frequency and age_band: both are required when independent_events=False"
        raise InputError(msg)
    columns = [("x", x), ("n", n)]
    numeric = [("x", x), ("n", n)]
    if not use_esp:
        columns.append(("std_pop", std_pop))
        numeric.append(("std_pop", std_pop))
    if age_band is not None:
        columns.append(("age_band", age_band))
    if event_frequency is not None and not independent_events:
        columns.append(("event_frequency", event_frequency))
        numeric.append(("event_frequency", event_frequency))
    prepared = prepare(
        frame0,
        columns=columns,
        numeric=numeric,
        by=by_cols,
        confidence=confidence,
        multiplier=multiplier,
        output=lambda conf: ["total_count", "total_pop", "value", *_limit_names(conf), *_METADATA],
    )
    frame = prepared.frame
    checks = [
        Check.below("x", x, 0, "has a negative count", "counts must be >= 0"),
        Check.below("n", n, 0, "has a zero or negative population", "denominators must all be > 0", inclusive=True),
        Check.missing("n", n, "has a missing population", "denominators must all be > 0"),
    ]
    if not use_esp:
        checks += [
            Check.below("std_pop", std_pop, 0, "has a negative standard population", "must be >= 0"),
            Check.missing(
                "std_pop",
                std_pop,
                "has a missing standard population",
                "every row needs one",
            ),
        ]
    if not independent_events and event_frequency is not None:
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

    band: nw.Expr | nw.Series[Any] | None
    weight: nw.Expr | nw.Series[Any]
    if use_esp:
        assert age_band is not None
        weight, band = _esp_weights(frame, age_band)
    else:
        weight = nw.col(std_pop).cast(nw.Float64)
        band = nw.col(age_band) if age_band is not None else None
    count = nw.col(x).cast(nw.Float64).fill_null(0)
    pop = nw.col(n).cast(nw.Float64)
    w_over_n = nw.col(f"{TMP}w") / nw.col(f"{TMP}n")

    if independent_events:
        inputs: dict[str, Any] = {f"{TMP}x": count, f"{TMP}n": pop, f"{TMP}w": weight}
        if band is not None:
            inputs[f"{TMP}band"] = band
        extra = [] if band is None else [Agg("n_unique", f"{TMP}nb", f"{TMP}band"), Agg("len", f"{TMP}len")]
        eager = grouped_sums(frame, by_cols, inputs, extra=extra, formula=_dsr_terms)
        if band is not None and (float_array(eager, f"{TMP}nb") != float_array(eager, f"{TMP}len")).any():
            label = f"start age of {age_band}" if use_esp else str(age_band)
            _raise_duplicates(frame.with_frame(frame.frame.with_columns(**inputs)), by_cols, [f"{TMP}band"], label)
        method = "Dobson"
    else:
        assert band is not None
        assert event_frequency is not None
        freq = nw.col(event_frequency).cast(nw.Float64)
        base = frame.frame.with_columns(
            count.alias(f"{TMP}x"),
            pop.alias(f"{TMP}n"),
            weight.alias(f"{TMP}w"),
            band.alias(f"{TMP}band"),
            freq.alias(f"{TMP}f"),
        )
        per_band = (
            base.with_columns(
                (nw.col(f"{TMP}x") * nw.col(f"{TMP}f")).alias(f"{TMP}xf"),
                (nw.col(f"{TMP}x") * nw.col(f"{TMP}f") ** 2).alias(f"{TMP}xff"),
            )
            .group_by([*by_cols, f"{TMP}band"])
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
        work = frame.with_frame(per_band)
        eager = grouped_sums(
            work,
            by_cols,
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
        )
        varies = int(float_array(eager, f"{TMP}varies").sum())
        if varies:
            msg = (
                f"n and std_pop: the population ({n!r}) and standard population must be the same on every "
                f"event-frequency row of an age band; they differ within {varies} (group, age band) combination(s)"
            )
            raise SchemaError(msg)
        if float_array(eager, f"{TMP}dup").sum() > 0:
            _raise_duplicates(
                frame.with_frame(base), by_cols, [f"{TMP}band", f"{TMP}f"], f"{age_band}, {event_frequency}"
            )
        method = "Dobson, with confidence adjusted for non-independent events"

    mult = prepared.multiplier
    total = float_array(eager, f"{TMP}sx")
    total_pop = float_array(eager, f"{TMP}sn")
    sum_w = float_array(eager, f"{TMP}sw")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = float_array(eager, f"{TMP}sxwn") / sum_w
        var = float_array(eager, f"{TMP}svar") / sum_w**2
    suppressed = ~(total >= DSR_MIN_COUNT)
    value = np.where(suppressed, np.nan, rate * mult)

    def limits(level: float) -> tuple[Any, Any]:
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = ci.dobson_lower(rate, var, total, level) * mult
            upper = ci.dobson_upper(rate, var, total, level) * mult
        return np.where(suppressed, np.nan, lower), np.where(suppressed, np.nan, upper)

    out: dict[str, Any] = {"total_count": total, "total_pop": total_pop, "value": value}
    out.update(confidence_columns(prepared.confidence, limits))
    if metadata:
        statistic = np.where(suppressed, "dsr NA for total count < 10", f"dsr per {format_multiplier(mult)}").astype(
            object
        )
        out.update(metadata_columns(len(total), prepared.confidence, statistic, method))
    return assemble(keys_of(eager, by_cols), out, frame)


def _dsr_terms(row: Mapping[str, Any]) -> dict[str, Any]:
    """The per-row terms of a DSR whose group sums give the rate and its variance."""
    x, n, w = row[f"{TMP}x"], row[f"{TMP}n"], row[f"{TMP}w"]
    return {f"{TMP}sx": x, f"{TMP}sn": n, f"{TMP}sxwn": x * w / n, f"{TMP}sw": w, f"{TMP}svar": x * (w / n) ** 2}


def _raise_duplicates(work: Frame, by: list[str], keys: list[str], label: str) -> NoReturn:
    """Raise :class:`SchemaError` naming the (group, age band) combinations that repeat."""
    dupes = work.frame.group_by([*by, *keys]).agg(nw.len().alias(f"{TMP}count")).filter(nw.col(f"{TMP}count") > 1)
    dupes_eager = collect(dupes, work)
    rows = dupes_eager.select([*by, *keys]).rows()
    shown = describe_values([tuple(r) for r in rows])
    msg = (
        f"age_band: {len(rows)} (group, {label}) combination(s) appear on more than one row "
        f"(first: {shown}); each group needs one row per age band"
    )
    raise SchemaError(msg)


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

    Returns
    -------
    DataFrame
        ``by`` columns, ``observed``, ``expected``, (``ref_rate`` for rates), ``value``, the limits
        and the metadata.

    Raises
    ------
    SchemaError
        Missing or non-numeric columns; ``observed_totals`` without the needed columns or with a
        repeated group.
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
    0      83.0     80.25  103.43    82.37   128.22
    """
    kind = check_choice(kind, "kind", ("ratio", "rate"))
    ref = check_positive_number(refvalue, "refvalue")
    prepared = prepare(
        data,
        columns=[("n", n), ("x_ref", x_ref), ("n_ref", n_ref)],
        numeric=[("n", n), ("x_ref", x_ref), ("n_ref", n_ref)],
        by=by,
        confidence=confidence,
        multiplier=multiplier,
        output=lambda conf: ["observed", "expected", "ref_rate", "value", *_limit_names(conf), *_METADATA],
    )
    frame = prepared.frame
    by_cols = prepared.by
    checks = [
        Check.below("n", n, 0, "has a negative population", "populations must be >= 0"),
        Check.below("x_ref", x_ref, 0, "has a negative reference count", "counts must be >= 0"),
        Check.below("n_ref", n_ref, 0, "has a zero or negative reference population", "must be > 0", inclusive=True),
        Check.missing("n_ref", n_ref, "has a missing reference population", "must be > 0"),
    ]
    sums: dict[str, nw.Expr] = {
        f"{TMP}e": nw.col(x_ref).cast(nw.Float64).fill_null(0)
        / nw.col(n_ref).cast(nw.Float64)
        * nw.col(n).cast(nw.Float64).fill_null(0),
        f"{TMP}xr": nw.col(x_ref).cast(nw.Float64).fill_null(0),
        f"{TMP}nr": nw.col(n_ref).cast(nw.Float64),
    }
    if observed_totals is None:
        require_columns(frame, [("x", x)])
        require_numeric(frame, [("x", x)])
        checks.insert(0, Check.below("x", x, 0, "has a negative count", "counts must be >= 0"))
        sums[f"{TMP}o"] = nw.col(x).cast(nw.Float64).fill_null(0)
    check_values(frame, checks)
    eager = grouped_sums(frame, by_cols, sums)
    expected = float_array(eager, f"{TMP}e")
    if observed_totals is None:
        observed = float_array(eager, f"{TMP}o")
    else:
        observed = _join_totals(eager, by_cols, observed_totals, x)

    mult = prepared.multiplier
    out: dict[str, Any] = {"observed": observed, "expected": expected}
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
    return assemble(keys_of(eager, by_cols), out, frame)


def _join_totals(eager: nw.DataFrame[Any], by: list[str], observed_totals: Any, x: str) -> Any:
    """Observed totals per group, in the order of ``eager``'s groups."""
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
        return np.array([float(table[x].iloc[0])])
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
    return pd.to_numeric(merged[x]).to_numpy(dtype=float)
