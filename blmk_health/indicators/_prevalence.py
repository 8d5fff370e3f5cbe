"""Expected prevalence, prevalence gaps (undiagnosed disease) and treatment gaps from QOF-style counts.

- :func:`expected_prevalence`: expected cases = the sum over population cells of rate x population (x
  relative risks), with the population the rates apply to.
- :func:`prevalence_gap`: recorded (register) against expected cases: estimated undiagnosed, the
  detection ratio with Poisson limits, recorded and expected prevalence.
- :func:`treatment_gap`: patients on a register not treated to target, from QOF numerators,
  denominators and exceptions (personalised care adjustments), with Wilson limits.

The methods, choices and sources are in ``docs/prevalence.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from blmk_health._age_bands import band_name, parse_band
from blmk_health._confidence import Confidence
from blmk_health._frames import (
    TMP,
    Agg,
    Constant,
    Frame,
    Integers,
    as_list,
    assemble,
    collect_small,
    float_array,
    grouped_sums,
    ingest,
    is_frame,
    is_integer_column,
    to_pandas,
)
from blmk_health._inputs import Prepared, prepare
from blmk_health._validation import Check, check_values, describe_values, require_columns, require_numeric
from blmk_health.errors import DomainError, InputError, ReferenceDataError, SchemaError
from blmk_health.indicators import ci
from blmk_health.indicators._core import FloatArray, confidence_columns, counts, group_ids, poisson_method

__all__ = ["expected_prevalence", "prevalence_gap", "treatment_gap"]

_SHOW = 5
_N = f"{TMP}n"
_RATE = f"{TMP}rate"
_AGE = f"{TMP}age"
_RR = "relative_risk"

# ------------------------------------------------------------------------------------------- shared


def _key_text(values: pd.Series) -> pd.Series:
    """Values of a key column as comparable text: ``1``, ``1.0`` and ``np.int64(1)`` are all ``"1"``.

    Missing values stay missing (``None``), so that they match nothing.
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)

    def text(value: Any) -> str:
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, (float, np.floating)):
            number = float(value)
            return str(int(number)) if number.is_integer() else repr(number)
        return str(value)

    lookup = np.array([text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(lookup[codes], index=values.index, dtype=object)


def _describe_rows(table: pd.DataFrame, mask: Any, columns: Sequence[str]) -> str:
    """``(sex='Male', age_band='0-4'); (...)`` for the first distinct offending rows of ``table``."""
    rows = table.loc[np.asarray(mask, dtype=bool), list(columns)].drop_duplicates().head(_SHOW)
    shown = [", ".join(f"{c}={v!r}" for c, v in zip(columns, row, strict=True)) for row in rows.itertuples(index=False)]
    return "; ".join(f"({s})" for s in shown)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _group_keys(eager: nw.DataFrame[Any], by: list[str]) -> tuple[npt.NDArray[np.int64], Any, int]:
    """Group ids of an eager frame sorted by ``by``, the key rows of the groups, and their number."""
    ids = group_ids(eager, by)
    if not by:
        return ids, None, 1
    if not len(ids):
        return ids, eager.select(by), 0
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    return ids, eager.select(by)[first.tolist()], len(first)


def _pandas(eager: nw.DataFrame[Any]) -> pd.DataFrame:
    """A small collected aggregate as a pandas table with a fresh index."""
    table = eager.to_pandas()
    return table.reset_index(drop=True)


# -------------------------------------------------------------------------------- expected prevalence


@dataclass(frozen=True)
class _Rates:
    """The rate table, checked: key texts, the age dimension (band names or single ages) and the rate."""

    table: pd.DataFrame
    keys: list[str]
    band: str | None
    age: str | None
    start: int
    end: int | None

    @property
    def applies_to(self) -> str:
        """The ages the rates apply to, in words: ``"all ages"``, ``"ages 16+"`` or ``"ages 16-74"``."""
        if self.band is None and self.age is None:
            return "all ages"
        if self.end is None:
            return "all ages" if self.start == 0 else f"ages {self.start}+"
        return f"ages {self.start}-{self.end}"

    def in_range(self, start: npt.NDArray[np.float64], end: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Whether cells of ages ``start`` to ``end`` (NaN end: open) overlap the rates' ages."""
        below = end < self.start
        above = start > self.end if self.end is not None else np.zeros(len(start), dtype=bool)
        return np.asarray(~(below | above), dtype=bool)


def _band_names(labels: pd.Series, argument: str, column: str) -> tuple[pd.Series, FloatArray, FloatArray]:
    """Age-band labels as canonical names (``"05-09"`` and ``"5-9"`` are ``"5-9"``), with their ages.

    An open band (``"85+"``) has a NaN end; a single number is a one-year band.
    """
    uniques = pd.unique(labels.astype(object))
    names: dict[Any, str | None] = {}
    bounds: dict[Any, tuple[float, float]] = {}
    bad = []
    for label in uniques:
        parsed = None if pd.isna(label) else parse_band(label)
        if parsed is None:
            bad.append(label)
            continue
        end = None if parsed.is_open else (parsed.end if parsed.end is not None else parsed.start)
        names[label] = band_name(parsed.start, end)
        bounds[label] = (float(parsed.start), np.nan if end is None else float(end))
    if bad:
        msg = (
            f"{argument}: column {column!r} holds {len(bad)} label(s) that are not age bands "
            f"({describe_values(bad)}); write bands such as '0-4', '16-24' or '85+'"
        )
        raise SchemaError(msg)
    objects = labels.astype(object)
    return (
        objects.map(names).astype(object),
        np.asarray(objects.map(lambda v: bounds[v][0]), dtype=float),
        np.asarray(objects.map(lambda v: bounds[v][1]), dtype=float),
    )


def _check_rate_values(table: pd.DataFrame, rate: str, age: str | None) -> None:
    """Rates present and in [0, 1]; with ``age``, start ages present and >= 0 and ends not below starts."""
    frame = ingest(table, "rates")
    checks = [
        Check.missing("rates", rate, "has a missing rate", "every cell needs a rate (0 for none)"),
        Check(
            "rates",
            rate,
            (nw.col(rate) < 0) | (nw.col(rate) > 1),
            "has a value outside [0, 1]",
            "rates are proportions (5% is 0.05), not percentages or rates per 1,000",
        ),
    ]
    if age is not None:
        require_numeric(frame, [("rates", "start_age"), ("rates", "end_age")])
        checks += [
            Check.missing("rates", "start_age", "has a missing start age", "every rate needs its start age"),
            Check.below("rates", "start_age", 0, "has a negative age", "ages must be >= 0"),
            Check(
                "rates",
                "end_age",
                nw.col("end_age") < nw.col("start_age"),
                "is below 'start_age'",
                "an age range ends at or after its start (a missing end_age is an open range, e.g. 85+)",
            ),
        ]
    check_values(frame, checks)


def _rate_table(rates: Any, keys: list[str], band: str | None, rate: str, age: str | None) -> _Rates:
    """Read and check ``rates``: columns, values in [0, 1], one rate per cell, and the ages covered."""
    table = to_pandas(rates, "rates")
    if not len(table):
        msg = "rates: the table is empty; it needs one rate per cell"
        raise SchemaError(msg)
    needed = [*keys, *([band] if band else []), rate, *(["start_age", "end_age"] if age else [])]
    frame = ingest(table, "rates")
    require_columns(frame, [("rates", c) for c in needed])
    require_numeric(frame, [("rates", rate)])
    _check_rate_values(table, rate, age)
    out = pd.DataFrame({k: _key_text(table[k]) for k in keys})
    out[_RATE] = pd.to_numeric(table[rate]).to_numpy(dtype=float)
    if band is not None:
        out[band], starts, ends = _band_names(table[band], "rates", band)
    elif age is not None:
        starts = table["start_age"].to_numpy(dtype=float, na_value=np.nan)
        ends = table["end_age"].to_numpy(dtype=float, na_value=np.nan)
        out["start_age"], out["end_age"] = starts, ends
    else:
        starts = ends = np.zeros(len(table))
    cell = [*keys, *([band] if band else []), *(["start_age"] if age else [])]
    repeated = out.duplicated(cell, keep=False).to_numpy() if cell else np.full(len(out), len(out) > 1)
    if repeated.any():
        msg = (
            f"rates: {int(repeated.sum())} rows repeat a cell of {cell!r} (first: "
            f"{_describe_rows(out, repeated, cell)}); give one rate per cell"
        )
        raise SchemaError(msg)
    start = int(np.nanmin(starts)) if len(starts) else 0
    end = None if (not len(ends) or np.isnan(ends).any()) else int(np.nanmax(ends))
    return _Rates(out, keys, band, age, start, end)


def _expanded_ages(rates: _Rates, oldest: int) -> pd.DataFrame:
    """One rate row per single year of age (open ranges up to ``oldest``); overlapping ranges raise."""
    table = rates.table
    ends = np.where(np.isnan(table["end_age"]), max(oldest, rates.start), table["end_age"]).astype(np.int64)
    starts = table["start_age"].to_numpy(dtype=np.int64)
    lengths = np.maximum(ends - starts + 1, 0)
    rows = np.repeat(np.arange(len(table)), lengths)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out = table.iloc[rows][[*rates.keys, _RATE]].reset_index(drop=True)
    out[_AGE] = (starts[rows] + offsets).astype(np.int64)
    overlap = out.duplicated([*rates.keys, _AGE], keep=False).to_numpy()
    if overlap.any():
        shown = _describe_rows(out.rename(columns={_AGE: "age"}), overlap, [*rates.keys, "age"])
        msg = (
            f"rates: the age ranges 'start_age'-'end_age' overlap (two rates for the same cell and age; "
            f"first: {shown}); the ranges of one cell must not overlap"
        )
        raise SchemaError(msg)
    return out


def _adjustment_tables(adjustments: Any) -> list[tuple[list[str], pd.DataFrame]]:
    """``adjustments`` as (key columns, table of keys and ``relative_risk``), checked."""
    if adjustments is None:
        return []
    if is_frame(adjustments):
        table = to_pandas(adjustments, "adjustments")
        keys = [c for c in table.columns if c != _RR]
        specs = [(keys, table)]
    elif isinstance(adjustments, Mapping):
        specs = []
        for column, mapping in adjustments.items():
            if not isinstance(column, str) or not isinstance(mapping, Mapping):
                msg = (
                    "adjustments: expected a table (key columns and 'relative_risk') or a mapping "
                    f"{{column: {{value: relative risk}}}}, got {column!r}: {type(mapping).__name__}"
                )
                raise InputError(msg)
            specs.append(([column], pd.DataFrame({column: list(mapping), _RR: list(mapping.values())})))
    else:
        msg = f"adjustments: expected a table or a mapping of relative risks, got {type(adjustments).__name__}"
        raise InputError(msg)
    for keys, table in specs:
        _check_adjustment(keys, table)
    return specs


def _check_adjustment(keys: list[str], table: pd.DataFrame) -> None:
    frame = ingest(table, "adjustments")
    require_columns(frame, [("adjustments", _RR)])
    if not keys:
        msg = "adjustments: the table needs key columns (e.g. 'imd_decile') besides 'relative_risk'"
        raise SchemaError(msg)
    require_numeric(frame, [("adjustments", _RR)])
    check_values(
        frame,
        [
            Check.missing("adjustments", _RR, "has a missing relative risk", "every value needs one"),
            Check.below("adjustments", _RR, 0, "has a zero or negative relative risk", "must be > 0", inclusive=True),
        ],
    )
    text = pd.DataFrame({k: _key_text(table[k]) for k in keys})
    repeated = text.duplicated(keep=False).to_numpy()
    if repeated.any():
        shown = _describe_rows(text, repeated, keys)
        msg = f"adjustments: {int(repeated.sum())} rows repeat a value of {keys!r} (first: {shown})"
        raise SchemaError(msg)


def expected_prevalence(
    population: Any,
    rates: Any,
    on: str | Sequence[str] = ("sex", "age_band"),
    by: str | Sequence[str] | None = "practice_code",
    adjustments: Any = None,
    *,
    count: str | None = "population",
    rate: str = "prevalence",
    age: str | None = None,
    metadata: bool = True,
) -> Any:
    """Expected prevalence: the sum over population cells of rate x population (x relative risks).

    For each ``by`` group::

        expected   = sum over cells of rate(cell) x RR(cell) x population(cell)
        population = sum over cells within the rates' ages of population(cell)
        value      = expected / population x 100   (expected prevalence, %)

    where a cell is a combination of the ``on`` columns (and ``age``, and the columns of the
    ``adjustments``), ``rate`` comes from ``rates`` and ``RR`` is the product of the relative risks
    given in ``adjustments`` (1 without). Cells outside the ages the rates cover are not counted, in
    ``expected`` or in ``population``; ``applies_to`` says which ages count. The result is a model:
    it has no confidence limits. No published rate table ships with the package (see
    ``docs/prevalence.md``): the caller supplies ``rates``.

    Parameters
    ----------
    population : DataFrame
        The population: one row per cell with a ``count`` column (e.g. a practice's list by sex and
        age band), or one row per person with ``count=None`` (patient-level tables). pandas, Polars
        (eager or lazy), PyArrow, DuckDB or any frame narwhals supports.
    rates : DataFrame
        One rate per cell: the ``on`` columns and the ``rate`` column (a proportion in [0, 1]).
        With ``age``, the age ranges ``start_age`` and ``end_age`` (inclusive; a missing
        ``end_age`` is an open range such as 85+) instead of an ``age_band`` column.
    on : str or list of str, default ("sex", "age_band")
        The columns that match a population cell to its rate (by value: ``1`` matches ``1.0``; text
        exactly). A column named ``age_band`` is matched as an age band: ``"05-09"`` matches
        ``"5-9"``. With ``age``, ``age_band`` is left out of ``on``.
    by : str or list of str, optional, default "practice_code"
        Grouping columns of ``population``; one result row per group, sorted by ``by``.
    adjustments : DataFrame or mapping, optional
        Relative risks multiplying the rates: a table whose columns are key columns of
        ``population`` and ``relative_risk`` (> 0), or a mapping ``{column: {value: relative
        risk}}`` (several columns multiply). Every value found in the population's cells needs
        one.
    count : str or None, default "population"
        Column of counts (>= 0), or ``None`` to count each row as one person.
    rate : str, default "prevalence"
        Column of ``rates`` holding the rate.
    age : str, optional
        A column of ``population`` holding single years of age (whole numbers >= 0), matched to the
        age ranges of ``rates``.
    metadata : bool, default True
        Add ``statistic`` (``"expected prevalence %"``, or the reason a value is blank) and
        ``method``.

    Returns
    -------
    DataFrame
        Of the kind given: ``by`` columns, ``expected`` (float), ``population`` (the population in
        the rates' ages; an integer when ``count`` is, or with ``count=None``), ``applies_to``
        (``"all ages"``, ``"ages 16+"``, ...), ``value`` and the metadata.

    Raises
    ------
    SchemaError
        A named column is missing or not numeric, ``rates`` repeats a cell or has overlapping age
        ranges, or an age-band label cannot be read.
    DomainError
        Rates outside [0, 1] or missing, negative or missing counts, ages that are missing, negative
        or not whole, relative risks <= 0, or an adjusted rate above 1.
    ReferenceDataError
        Population cells within the rates' ages with no rate (the message names them), or values
        with no relative risk.
    InputError
        ``adjustments`` of the wrong kind.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> lists = pd.DataFrame({
    ...     "practice_code": ["P1", "P1", "P1", "P2", "P2", "P2"],
    ...     "age_band": ["0-15", "16-64", "65+"] * 2,
    ...     "population": [1000, 3000, 1000, 500, 2000, 2500],
    ... })
    >>> rates = pd.DataFrame({"age_band": ["16-64", "65+"], "prevalence": [0.1, 0.5]})
    >>> out = bh.indicators.expected_prevalence(lists, rates, on="age_band")
    >>> out[["practice_code", "expected", "population", "applies_to", "value"]]
      practice_code  expected  population applies_to  value
    0            P1     800.0        4000   ages 16+  20.000000
    1            P2    1450.0        4500   ages 16+  32.222222
    """
    keys, band = _on_columns(on, age)
    specs = _adjustment_tables(adjustments)
    adjust_keys = [k for keys_, _ in specs for k in keys_]
    prepared = prepare(
        population,
        argument="population",
        columns=[*[("on", c) for c in [*keys, *([band] if band else [])]], *[("adjustments", c) for c in adjust_keys]],
        numeric=[("count", count), ("age", age)],
        by=by,
        outputs=["expected", "population", "applies_to", "value", "statistic", "method"],
    )
    table = _rate_table(rates, keys, band, rate, age)
    checks = [] if count is None else [Check.missing("count", count, "has a missing count", "counts must be >= 0")]
    if count is not None:
        checks.append(Check.below("count", count, 0, "has a negative count", "counts must be >= 0"))
    if age is not None:
        checks.append(Check.missing("age", age, "has a missing age", "every row needs its age"))
    check_values(prepared.frame, checks)
    cells_eager = _population_cells(
        prepared.frame, prepared.by, [*keys, *([band] if band else []), *adjust_keys], count, age
    )
    cells = _pandas(cells_eager)
    weight, inside = _cell_rates(cells, table, specs)
    return _expected_result(prepared, cells_eager, cells[_N], weight, inside, table, count, bool(specs), metadata)


def _on_columns(on: str | Sequence[str], age: str | None) -> tuple[list[str], str | None]:
    """The value-matched key columns and the age-band column (``age_band``, unless ``age`` is given)."""
    columns = as_list(on, "on")
    band = "age_band" if "age_band" in columns and age is None else None
    return [c for c in columns if c != "age_band"], band


def _population_cells(
    frame: Frame, by: list[str], keys: list[str], count: str | None, age: str | None
) -> nw.DataFrame[Any]:
    """The population summed per cell (``by``, keys, age) in the backend: a small eager table sorted by it."""
    columns = list(dict.fromkeys([*by, *keys, *([age] if age else [])]))
    size = nw.lit(1.0, dtype=nw.Float64) if count is None else nw.col(count).cast(nw.Float64)
    return grouped_sums(frame, columns, {_N: size})


def _cell_rates(
    cells: pd.DataFrame, rates: _Rates, specs: list[tuple[list[str], pd.DataFrame]]
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Each cell's rate x relative risk (0 outside the rates' ages) and whether it lies in the rates' ages.

    Cells in the rates' ages with no rate raise, naming them.
    """
    keys = pd.DataFrame({k: _key_text(cells[k]) for k in rates.keys}, index=cells.index)
    inside = np.ones(len(cells), dtype=bool)
    if rates.band is not None:
        keys[rates.band], starts, ends = _band_names(cells[rates.band], "population", rates.band)
        inside = rates.in_range(starts, ends)
        lookup = rates.table[[*rates.keys, rates.band, _RATE]]
    elif rates.age is not None:
        ages = _whole_ages(cells, rates.age)
        keys[_AGE] = ages
        inside = rates.in_range(ages.astype(float), ages.astype(float))
        lookup = _expanded_ages(rates, int(ages.max()) if len(ages) else 0)
    else:
        lookup = rates.table[[*rates.keys, _RATE]]
    on = list(keys.columns)
    if on:
        rate = keys.merge(lookup, how="left", on=on, sort=False)[_RATE].to_numpy(dtype=float)
    else:
        rate = np.full(len(cells), float(rates.table[_RATE].iloc[0]))
    missing = inside & np.isnan(rate)
    if missing.any():
        named = [*rates.keys, *([rates.band] if rates.band else []), *([rates.age] if rates.age else [])]
        msg = (
            f"rates: no rate for {_plural(int(missing.sum()), 'population cell')} in the rates' ages "
            f"({rates.applies_to}) (first: {_describe_rows(cells, missing, named)}); every cell needs a rate, "
            f"matched on {named!r}"
        )
        raise ReferenceDataError(msg)
    weight = np.where(inside, rate, 0.0) * _relative_risks(cells, specs, inside)
    over = inside & (weight > 1)
    if over.any():
        msg = (
            f"adjustments: the adjusted rate (rate x relative risk) is above 1 in "
            f"{_plural(int(over.sum()), 'cell')} (first: {_describe_rows(cells, over, list(cells.columns[:-1]))}); "
            "relative risks must keep every rate a proportion"
        )
        raise DomainError(msg)
    return np.asarray(weight, dtype=float), inside


def _whole_ages(cells: pd.DataFrame, age: str) -> npt.NDArray[np.int64]:
    values = cells[age].to_numpy(dtype=float, na_value=np.nan)
    bad = (values < 0) | (values % 1 != 0)
    if bad.any():
        msg = (
            f"age: column {age!r} holds {_plural(int(bad.sum()), 'value')} that {'is' if bad.sum() == 1 else 'are'} "
            f"not a whole number of years >= 0 (first offending values: {describe_values(values[bad])})"
        )
        raise DomainError(msg)
    return values.astype(np.int64)


def _relative_risks(
    cells: pd.DataFrame, specs: list[tuple[list[str], pd.DataFrame]], inside: npt.NDArray[np.bool_]
) -> FloatArray:
    out = np.ones(len(cells))
    for keys, table in specs:
        left = pd.DataFrame({k: _key_text(cells[k]) for k in keys})
        right = pd.DataFrame({k: _key_text(table[k]) for k in keys})
        right[_RR] = pd.to_numeric(table[_RR]).to_numpy(dtype=float)
        risk = left.merge(right, how="left", on=keys, sort=False)[_RR].to_numpy(dtype=float)
        missing = inside & np.isnan(risk)
        if missing.any():
            msg = (
                f"adjustments: no relative risk for {_plural(int(missing.sum()), 'population cell')} "
                f"(first: {_describe_rows(cells, missing, keys)}); every value of {keys!r} needs one"
            )
            raise ReferenceDataError(msg)
        out *= np.where(inside, risk, 1.0)
    return out


def _expected_result(
    prepared: Prepared,
    eager: nw.DataFrame[Any],
    sizes: pd.Series,
    weight: FloatArray,
    inside: npt.NDArray[np.bool_],
    rates: _Rates,
    count: str | None,
    adjusted: bool,
    metadata: bool,
) -> Any:
    """Sum the cells per ``by`` group and assemble the result in the caller's kind of frame."""
    frame = prepared.frame
    ids, keys, n_groups = _group_keys(eager, prepared.by)
    n = sizes.to_numpy(dtype=float)
    expected = np.bincount(ids, weight * n, minlength=n_groups).astype(float)
    people = np.bincount(ids, np.where(inside, n, 0.0), minlength=n_groups).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(people > 0, expected / people * 100, np.nan)
    integer = count is None or is_integer_column(frame, count)
    columns: dict[str, Any] = {
        "expected": expected,
        "population": Integers(people) if integer else people,
        "applies_to": Constant(rates.applies_to, n_groups),
        "value": value,
    }
    if metadata:
        statistic = np.where(
            people > 0,
            "expected prevalence %",
            f"expected prevalence NA: no population in the rates' ages ({rates.applies_to})",
        ).astype(object)
        method = "rates x relative risks x population" if adjusted else "rates x population"
        columns.update({"statistic": statistic, "method": Constant(method, n_groups)})
    return assemble(keys, columns, frame)


# ------------------------------------------------------------------------------------- prevalence gap

_GAP = "detection ratio (recorded / expected)"
_EXCEEDS = "detection ratio: recorded exceeds expected"
_NO_EXPECTED = "detection ratio NA: no expected cases"


def _gap_outputs(conf: Confidence) -> list[str]:
    return [
        "recorded",
        "list_size",
        "expected",
        "population",
        "undiagnosed",
        "value",
        *conf.limit_names(),
        "recorded_prevalence",
        "expected_prevalence",
        "confidence",
        "statistic",
        "method",
    ]


@dataclass(frozen=True)
class _Practices:
    """Counts summed per practice (one row each), sorted by ``by`` then practice, with the practice codes."""

    eager: nw.DataFrame[Any]
    codes: pd.Series
    sums: dict[str, FloatArray]


def prevalence_gap(
    register: Any,
    expected: Any,
    by: str | Sequence[str] | None = "practice_code",
    confidence: float | Sequence[float] = 0.95,
    *,
    practice: str = "practice_code",
    recorded: str = "register",
    list_size: str = "practice_list_size",
    expected_count: str = "expected",
    population: str | None = "population",
    metadata: bool = True,
) -> Any:
    """Recorded against expected prevalence: estimated undiagnosed cases and the detection ratio.

    The two tables are joined on ``practice`` and summed per ``by`` group (totals over a cluster,
    place or ICB are ratios of summed counts, never averages of practice ratios)::

        undiagnosed         = expected - recorded        (negative values are kept and flagged)
        value               = recorded / expected        (the detection ratio)
        lowercl, uppercl    = Poisson limits of recorded / expected
        recorded_prevalence = recorded / list_size x 100
        expected_prevalence = expected / population x 100

    The limits are those of an indirectly standardised ratio (as
    :func:`blmk_health.indicators.isr`): the exact Poisson limits of the recorded count below 10, Byars'
    approximation from 10 (:func:`blmk_health.indicators.ci.poisson_lower`, ``poisson_upper``),
    divided by the expected count, which is treated as fixed.

    Parameters
    ----------
    register : DataFrame
        One row per practice: the ``practice`` code, the ``recorded`` register and the ``list_size``
        (and the ``by`` columns, e.g. after joining the practice -> cluster -> place lookup). Any
        frame narwhals supports.
    expected : DataFrame
        One row per practice: the ``practice`` code, the ``expected_count`` of cases and the
        ``population`` they apply to (the output of :func:`expected_prevalence` by practice, or a
        published estimate table). Any frame narwhals supports.
    by : str or list of str, optional, default "practice_code"
        Grouping columns of ``register``; one row per group, sorted by ``by``. ``None``: one row for
        all practices.
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    practice, recorded, list_size : str
        Columns of ``register``: practice code, patients on the register, patients on the list the
        register is counted from (for an age-restricted register, that list: QOF's
        ``PATIENT_LIST_TYPE``).
    expected_count, population : str
        Columns of ``expected``: expected cases, and the population they apply to (``None`` if the
        table has none: the ``population`` and ``expected_prevalence`` columns are then left out).
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method`` (``"Exact"`` below 10 recorded, ``"Byars"``
        from 10).

    Returns
    -------
    DataFrame
        Of the kind of ``register``: ``by`` columns, ``recorded``, ``list_size`` (integers when the
        input columns are), ``expected``, ``population``, ``undiagnosed``, ``value``, ``lowercl``,
        ``uppercl`` (or the two-level names), ``recorded_prevalence``, ``expected_prevalence`` (both
        %) and the metadata. ``statistic`` is ``"detection ratio (recorded / expected)"``, ``"detection
        ratio: recorded exceeds expected"`` where ``undiagnosed`` is negative, or ``"detection ratio
        NA: no expected cases"`` where ``value`` is blank.

    Raises
    ------
    SchemaError
        A named column is missing or not numeric, or a practice has more than one row in a table.
    DomainError
        Negative or missing counts, or a register larger than its list size (a register cannot
        hold more patients than the list it is counted from: check the list type).
    ReferenceDataError
        Practices in one table and not the other (the message names them): filter both tables to
        the same practices first.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> register = pd.DataFrame({
    ...     "practice_code": ["P1", "P2", "P3"], "cluster_code": ["C1", "C1", "C2"],
    ...     "register": [600, 9, 450], "practice_list_size": [5000, 2000, 4000]})
    >>> expected = pd.DataFrame({
    ...     "practice_code": ["P1", "P2", "P3"], "expected": [800.0, 12.5, 420.0],
    ...     "population": [4000, 1600, 3300]})
    >>> out = bh.indicators.prevalence_gap(register, expected, by="cluster_code")
    >>> out[["cluster_code", "recorded", "expected", "undiagnosed", "value", "lowercl", "uppercl"]].round(3)
      cluster_code  recorded  expected  undiagnosed  value  lowercl  uppercl
    0           C1       609     812.5        203.5  0.750    0.691    0.812
    1           C2       450     420.0        -30.0  1.071    0.975    1.175
    >>> out["statistic"].tolist()
    ['detection ratio (recorded / expected)', 'detection ratio: recorded exceeds expected']
    """
    prepared = prepare(
        register,
        argument="register",
        columns=[("practice", practice)],
        numeric=[("recorded", recorded), ("list_size", list_size)],
        by=by,
        confidence=confidence,
        outputs=_gap_outputs,
    )
    estimate = prepare(
        expected,
        argument="expected",
        columns=[("practice", practice)],
        numeric=[("expected_count", expected_count), ("population", population)],
    )
    _check_gap_values(prepared.frame, estimate.frame, practice, recorded, list_size, expected_count, population)
    reg = _per_practice(prepared.frame, "register", practice, prepared.by, {"recorded": recorded, "list": list_size})
    est = _per_practice(
        estimate.frame, "expected", practice, [], {"expected": expected_count, "population": population}
    )
    aligned = _align_practices(reg, est)
    integer = {
        "recorded": is_integer_column(prepared.frame, recorded),
        "list": is_integer_column(prepared.frame, list_size),
        "population": population is not None and is_integer_column(estimate.frame, population),
    }
    return _gap_result(prepared, reg, aligned, integer, population is not None, metadata)


def _check_gap_values(
    register: Frame,
    expected: Frame,
    practice: str,
    recorded: str,
    list_size: str,
    expected_count: str,
    population: str | None,
) -> None:
    """The row rules of both tables: codes and counts present, counts >= 0, registers within their lists."""
    code = "every row needs its practice code"
    check_values(
        register,
        [
            Check.missing("practice", practice, "has a missing practice code", code),
            Check.missing("recorded", recorded, "has a missing register", "every practice needs its count"),
            Check.below("recorded", recorded, 0, "has a negative count", "counts must be >= 0"),
            Check.missing("list_size", list_size, "has a missing list size", "every practice needs its list size"),
            Check.below("list_size", list_size, 0, "has a negative list size", "list sizes must be >= 0"),
            Check(
                "recorded",
                recorded,
                nw.col(recorded) > nw.col(list_size),
                f"is larger than the list size {list_size!r}",
                "a register cannot hold more patients than the list it is counted from "
                "(age-restricted registers have their own list size: check the list type)",
            ),
        ],
    )
    checks = [
        Check.missing("practice", practice, "has a missing practice code", code),
        Check.missing("expected_count", expected_count, "has a missing expected count", "every practice needs one"),
        Check.below("expected_count", expected_count, 0, "has a negative expected count", "counts must be >= 0"),
    ]
    if population is not None:
        checks += [
            Check.missing("population", population, "has a missing population", "every practice needs one"),
            Check.below("population", population, 0, "has a negative population", "populations must be >= 0"),
        ]
    check_values(expected, checks)


def _per_practice(
    frame: Frame, argument: str, practice: str, by: list[str], columns: Mapping[str, str | None]
) -> _Practices:
    """Counts summed per practice (and ``by`` group); a practice with several rows or groups raises."""
    keys = list(dict.fromkeys([*by, practice]))
    exprs = {f"{TMP}{name}": nw.col(col).cast(nw.Float64) for name, col in columns.items() if col is not None}
    eager = grouped_sums(frame, keys, exprs, extra=[Agg("len", _N)])
    codes = _key_text(eager.get_column(practice).to_pandas()).reset_index(drop=True)
    rows = pd.Series(float_array(eager, _N)).groupby(codes.to_numpy()).sum()
    repeated = rows[rows > 1]
    if len(repeated):
        shown = ", ".join(f"{code!r} ({int(n)} rows)" for code, n in repeated.head(_SHOW).items())
        where = f" or in several groups of {by!r}" if by and practice not in by else ""
        msg = (
            f"{argument}: {_plural(len(repeated), 'practice')} {'has' if len(repeated) == 1 else 'have'} "
            f"more than one row{where} (first: {shown}); the table needs one row per practice: filter it to "
            "one register or condition (e.g. group_code == 'HYP') and one list type first"
        )
        raise SchemaError(msg)
    sums = {name: float_array(eager, f"{TMP}{name}") for name, col in columns.items() if col is not None}
    return _Practices(eager, codes, sums)


def _align_practices(register: _Practices, expected: _Practices) -> dict[str, FloatArray]:
    """The expected counts (and populations) in the order of the register's practices; unmatched raise."""
    position = pd.Series(np.arange(len(expected.codes)), index=expected.codes.to_numpy())
    where = register.codes.map(position)
    absent = where.isna().to_numpy()
    extra = ~expected.codes.isin(set(register.codes)).to_numpy()
    if absent.any() or extra.any():
        parts = []
        if absent.any():
            parts.append(
                f"{_plural(int(absent.sum()), 'practice')} of register with no row in expected "
                f"(first: {describe_values(register.codes[absent])})"
            )
        if extra.any():
            parts.append(
                f"{_plural(int(extra.sum()), 'practice')} of expected with no row in register "
                f"(first: {describe_values(expected.codes[extra])})"
            )
        msg = f"register, expected: {'; '.join(parts)}; filter both tables to the same practices first"
        raise ReferenceDataError(msg)
    index = where.to_numpy(dtype=np.int64)
    return {name: values[index] for name, values in expected.sums.items()}


def _gap_result(
    prepared: Prepared,
    reg: _Practices,
    aligned: dict[str, FloatArray],
    integer: dict[str, bool],
    with_population: bool,
    metadata: bool,
) -> Any:
    """Sum per ``by`` group, then the ratio, its limits, the prevalences and the flags."""
    ids, keys, n = _group_keys(reg.eager, prepared.by)
    rec = np.bincount(ids, reg.sums["recorded"], minlength=n).astype(float)
    lst = np.bincount(ids, reg.sums["list"], minlength=n).astype(float)
    exp = np.bincount(ids, aligned["expected"], minlength=n).astype(float)
    has = exp > 0
    columns: dict[str, Any] = {
        "recorded": counts(rec, integer["recorded"]),
        "list_size": counts(lst, integer["list"]),
        "expected": exp,
    }
    if with_population:
        pop = np.bincount(ids, aligned["population"], minlength=n).astype(float)
        columns["population"] = counts(pop, integer["population"])
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["undiagnosed"] = exp - rec
        columns["value"] = np.where(has, rec / exp, np.nan)
        columns.update(
            confidence_columns(
                prepared.confidence,
                lambda level: (
                    np.where(has, ci.poisson_lower(rec, level) / exp, np.nan),
                    np.where(has, ci.poisson_upper(rec, level) / exp, np.nan),
                ),
            )
        )
        columns["recorded_prevalence"] = np.where(lst > 0, rec / lst * 100, np.nan)
        if with_population:
            columns["expected_prevalence"] = np.where(pop > 0, exp / pop * 100, np.nan)
    if metadata:
        statistic = np.full(n, _GAP, dtype=object)
        statistic[exp - rec < 0] = _EXCEEDS
        statistic[~has] = _NO_EXPECTED
        columns.update(
            {
                "confidence": Constant(prepared.confidence.label, n),
                "statistic": statistic,
                "method": poisson_method(rec),
            }
        )
    return assemble(keys, columns, prepared.frame)


# ------------------------------------------------------------------------------------- treatment gap

_NOT_TREATED = "percentage not treated to target"


def _treatment_outputs(conf: Confidence) -> list[str]:
    return [
        "numerator",
        "denominator",
        "exceptions",
        "eligible",
        "not_treated",
        "value",
        *conf.limit_names(),
        "achievement",
        *conf.limit_names("achievement_"),
        "intervention",
        *conf.limit_names("intervention_"),
        "confidence",
        "statistic",
        "method",
    ]


def treatment_gap(
    achievement: Any,
    by: str | Sequence[str] | None = "practice_code",
    *,
    numerator: str = "numerator",
    denominator: str = "denominator",
    exceptions: str = "exceptions",
    confidence: float | Sequence[float] = 0.95,
    metadata: bool = True,
    indicator: str | None = "indicator_code",
) -> Any:
    """Patients on a register not treated to target, from QOF-style counts, with Wilson limits.

    QOF publishes, per practice and indicator, a ``numerator`` (patients treated to target), a
    ``denominator`` that excludes the patients exception-reported (to 2018-19) or given a
    personalised care adjustment (PCA, from 2019-20), and those ``exceptions``. Summed per ``by``
    group::

        not_treated  = denominator + exceptions - numerator
        value        = not_treated / (denominator + exceptions) x 100
        achievement  = numerator / denominator x 100                 ("net of exceptions")
        intervention = numerator / (denominator + exceptions) x 100  ("patients receiving the intervention")

    each with Wilson score limits (:func:`blmk_health.indicators.ci.wilson_lower`, ``wilson_upper``),
    as :func:`blmk_health.indicators.proportion` gives them. Patients excepted count as not treated:
    they are on the register and not treated to target.

    Parameters
    ----------
    achievement : DataFrame
        QOF-style counts of **one** indicator (e.g. HYP006), one or more rows per ``by`` group, such
        as the output of :func:`blmk_health.io.read_qof_achievement` filtered to an indicator. Any
        frame narwhals supports.
    by : str or list of str, optional, default "practice_code"
        Grouping columns; one row per group, sorted by ``by``. ``None``: one row for all rows.
    numerator, denominator, exceptions : str
        Columns of counts (whole numbers >= 0); the numerator may not exceed the denominator.
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method`` (``"Wilson"``).
    indicator : str or None, default "indicator_code"
        A column naming the indicator: when the table has it and it is not in ``by``, it must hold
        one indicator only (counts of different indicators cannot be added). ``None`` skips the
        check.

    Returns
    -------
    DataFrame
        Of the kind given: ``by`` columns, ``numerator``, ``denominator``, ``exceptions``,
        ``eligible`` (denominator + exceptions), ``not_treated`` (integers when the inputs are),
        ``value`` (% not treated to target),
        ``lowercl``, ``uppercl``, ``achievement`` with ``achievement_lowercl`` and
        ``achievement_uppercl``, ``intervention`` with ``intervention_lowercl`` and
        ``intervention_uppercl`` (with two levels, ``lower95_0cl``, ... and the same prefixes), and
        the metadata. A group with no patients (denominator and exceptions 0) has a blank ``value``
        with the reason in ``statistic``; ``achievement`` is blank where the denominator is 0.

    Raises
    ------
    SchemaError
        A named column is missing or not numeric.
    DomainError
        Negative or missing counts, or a numerator above its denominator.
    InputError
        The table holds several indicators and ``indicator`` is not in ``by``.

    Examples
    --------
    Milton Keynes CCG, 2016-17, HYP006 (as quoted in the BLMK plans):

    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> mk = pd.DataFrame({"ccg": ["04F"], "indicator_code": ["HYP006"], "numerator": [27224],
    ...                    "denominator": [33532], "exceptions": [1876]})
    >>> out = bh.indicators.treatment_gap(mk, by="ccg")
    >>> out[["not_treated", "value", "achievement", "intervention"]].round(2)
       not_treated  value  achievement  intervention
    0         8184  23.11        81.19         76.89
    """
    prepared = prepare(
        achievement,
        argument="achievement",
        numeric=[("numerator", numerator), ("denominator", denominator), ("exceptions", exceptions)],
        by=by,
        confidence=confidence,
        outputs=_treatment_outputs,
    )
    frame = prepared.frame
    _check_treatment_values(frame, numerator, denominator, exceptions)
    _one_indicator(frame, indicator, prepared.by)
    names = {"n": numerator, "d": denominator, "e": exceptions}
    eager = grouped_sums(frame, prepared.by, {f"{TMP}{k}": nw.col(c).cast(nw.Float64) for k, c in names.items()})
    sums = {k: float_array(eager, f"{TMP}{k}") for k in names}
    integer = all(is_integer_column(frame, c) for c in names.values())
    keys = eager.select(prepared.by) if prepared.by else None
    return assemble(keys, _treatment_columns(sums, integer, prepared.confidence, metadata), frame)


def _check_treatment_values(frame: Frame, numerator: str, denominator: str, exceptions: str) -> None:
    checks = []
    for argument, column in (("numerator", numerator), ("denominator", denominator), ("exceptions", exceptions)):
        checks += [
            Check.missing(argument, column, "has a missing count", "every row needs its counts (0 for none)"),
            Check.below(argument, column, 0, "has a negative count", "counts must be >= 0"),
        ]
    checks.append(
        Check(
            "numerator",
            numerator,
            nw.col(numerator) > nw.col(denominator),
            f"is greater than the denominator {denominator!r}",
            "the denominator holds the patients the numerator counts (exceptions are outside both)",
        )
    )
    check_values(frame, checks)


def _one_indicator(frame: Frame, indicator: str | None, by: list[str]) -> None:
    """Refuse a table of several indicators summed together (unless the indicator is a ``by`` column)."""
    if indicator is None or indicator in by or indicator not in frame.columns:
        return
    distinct = collect_small(frame.frame.select(nw.col(indicator).n_unique().alias("n"))).item(0, 0)
    if int(distinct) <= 1:
        return
    found = collect_small(frame.frame.select(nw.col(indicator).cast(nw.String)).unique())
    shown = describe_values(sorted(str(v) for v in found.get_column(indicator).to_list()))
    msg = (
        f"achievement: column {indicator!r} holds {int(distinct)} indicators ({shown}); the counts of "
        f"different indicators cannot be added: filter the table to one indicator, or add {indicator!r} to by"
    )
    raise InputError(msg)


def _wilson_percent(x: FloatArray, n: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    ok = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(ok, ci.wilson_lower(x, n, level) * 100, np.nan)
        upper = np.where(ok, ci.wilson_upper(x, n, level) * 100, np.nan)
    return lower, upper


def _treatment_columns(
    sums: dict[str, FloatArray], integer: bool, confidence: Confidence, metadata: bool
) -> dict[str, Any]:
    num, den, exc = sums["n"], sums["d"], sums["e"]
    total = den + exc
    missed = total - num
    with np.errstate(divide="ignore", invalid="ignore"):
        columns: dict[str, Any] = {
            "numerator": counts(num, integer),
            "denominator": counts(den, integer),
            "exceptions": counts(exc, integer),
            "eligible": counts(total, integer),
            "not_treated": counts(missed, integer),
            "value": np.where(total > 0, missed / total * 100, np.nan),
        }
        columns.update(confidence_columns(confidence, lambda level: _wilson_percent(missed, total, level)))
        columns["achievement"] = np.where(den > 0, num / den * 100, np.nan)
        columns.update(
            confidence_columns(confidence, lambda level: _wilson_percent(num, den, level), prefix="achievement_")
        )
        columns["intervention"] = np.where(total > 0, num / total * 100, np.nan)
        columns.update(
            confidence_columns(confidence, lambda level: _wilson_percent(num, total, level), prefix="intervention_")
        )
    if metadata:
        n = len(num)
        statistic = np.full(n, _NOT_TREATED, dtype=object)
        statistic[~(total > 0)] = f"{_NOT_TREATED} NA: no patients in the denominator or exceptions"
        columns.update(
            {"confidence": Constant(confidence.label, n), "statistic": statistic, "method": Constant("Wilson", n)}
        )
    return columns
