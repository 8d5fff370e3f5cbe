"""Patient x condition flags from coded events (GP records in SNOMED CT, or admissions in ICD-10)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw

from blmk_health._frames import (
    TMP,
    AnyFrame,
    Frame,
    as_list,
    back_to_caller,
    collect_small,
    epoch_days,
    ingest,
    recode,
    row_max,
    same_backend,
    sort_if_eager,
)
from blmk_health._hospital import code_text, date_day_number, date_value, day_number, icd10_code, require_dates
from blmk_health._inputs import check_whole_number
from blmk_health._validation import Check, check_choice, check_values, describe_values, require_columns
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.records._codelists import codelist_mapping

__all__ = ["condition_flags"]


@dataclass(frozen=True)
class _Window:
    """The dates an event must fall in to count: up to ``as_of`` and within each condition's lookback."""

    as_of: int | None
    lookback: dict[str, int | None]

    def expr(self, condition: str, day: nw.Expr) -> nw.Expr | None:
        if self.as_of is None:
            return None
        inside = day <= self.as_of
        days = self.lookback.get(condition)
        return inside if days is None else inside & (day > self.as_of - days)


def condition_flags(
    events: Any,
    codelists: Any,
    patient: str = "patient_id",
    code: str | Sequence[str] = "code",
    date: str = "date",
    as_of: dt.date | str | None = None,
    lookback: int | Mapping[str, int | None] | None = None,
    *,
    population: Any = None,
    match: str = "exact",
    coding_system: str | None = None,
    dates: bool = True,
) -> Any:
    """One row per patient: whether each condition is recorded, and its first recorded date.

    A patient has a condition when one of their events carries a code of the condition's code list,
    dated on or before ``as_of`` and within the condition's ``lookback``. Codes are compared as text
    (``38341003`` and ``"38341003"`` match); with ``match="prefix"`` a listed code matches every code
    that starts with it after removing dots, blanks and the ``X`` filler (ICD-10 ``"I48"`` matches
    ``"I489"`` and ``"I48.9"``), as admissions' diagnoses need.

    Parameters
    ----------
    events : DataFrame
        One row per coded event (pandas, Polars, PyArrow, DuckDB, PySpark, ...; lazily on lazy frames).
    codelists : dict, DataFrame, str, Path or list of paths
        ``{condition: [codes]}``; a table with columns ``condition`` and ``code`` (as
        :func:`starter_codelists` and ``synthetic_blmk().codelists`` give); or OpenCodelists CSV files,
        read with :func:`read_codelists`.
    patient : str, default "patient_id"
        The patient column.
    code : str or list of str, default "code"
        The code column, or several (e.g. ``diag_01`` ... ``diag_20`` of admissions): an event matches
        when any of them holds a listed code.
    date : str, default "date"
        The event date column (date or datetime).
    as_of : date or "YYYY-MM-DD", optional
        Only events on or before this date count; later events are left out and counted in a warning.
        Without it every event counts.
    lookback : int or dict, optional
        Days before ``as_of`` an event may lie (an event counts if ``as_of - lookback < date <= as_of``):
        one number for every condition, or ``{condition: days}`` (conditions not named, and ``None``,
        look back without limit; the Cambridge Multimorbidity Score counts cancer in the last five years,
        for example). Needs ``as_of``.
    population : DataFrame, optional
        The registered patients (a ``patient`` column of unique ids, same kind of frame as ``events``):
        the result then has one row per patient of it, with ``False`` where nothing is recorded, and
        events of patients outside it are left out and counted in a warning. Without it, only patients
        with an event of some listed condition appear.
    match : {"exact", "prefix"}, default "exact"
        How codes are matched (see above).
    coding_system : str, optional
        With a code-list table that has a ``coding_system`` column, use only its rows of this system
        (e.g. ``"snomedct"`` or ``"icd10"``).
    dates : bool, default True
        Add ``<condition>_first_date``: the date of the first matching event in the window.

    Returns
    -------
    DataFrame
        The same kind of frame as ``events``: ``patient``, then a boolean column per condition (named as
        in the code lists) and, with ``dates``, ``<condition>_first_date``. Eager results are sorted by
        patient.

    Raises
    ------
    SchemaError
        A column is missing, ``date`` does not hold dates, a condition name clashes with the patient
        column, or the code-list table is not in the expected layout.
    InputError
        Unknown code-list format, a code list without codes, ``lookback`` without ``as_of``, a
        lookback that is not a whole number of days, unknown options.
    DomainError
        ``population`` repeats a patient.

    Warns
    -----
    UserWarning
        Events dated after ``as_of``, events without a date while ``as_of`` is given, or events of
        patients outside ``population``: how many were left out.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> events = pd.DataFrame(
    ...     {
    ...         "patient_id": [1, 1, 2, 3],
    ...         "code": ["38341003", "195967001", "59621000", "27113001"],
    ...         "date": pd.to_datetime(["2015-06-01", "2018-02-01", "2019-01-10", "2018-05-05"]),
    ...     }
    ... )
    >>> lists = {"hypertension": ["38341003", "59621000"], "asthma": ["195967001"]}
    >>> bh.records.condition_flags(events, lists, dates=False)
       patient_id  hypertension  asthma
    0           1          True    True
    1           2          True   False
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     flags = bh.records.condition_flags(events, lists, as_of="2018-12-31", lookback={"asthma": 365}, dates=False)
    >>> flags
       patient_id  hypertension  asthma
    0           1          True    True
    >>> print(caught[0].message)
    condition_flags: left out 1 event dated after as_of
    """
    check_choice(match, "match", ("exact", "prefix"))
    frame = ingest(events, "events")
    codes = as_list(code, "code")
    if not codes:
        msg = "code: name at least one code column"
        raise InputError(msg)
    require_columns(frame, [("patient", patient), *(("code", c) for c in codes), ("date", date)])
    require_dates(frame, [("date", date)])
    mapping = codelist_mapping(codelists, coding_system=coding_system, prefix=match == "prefix")
    if patient in mapping or any(f"{name}_first_date" == patient for name in mapping):
        msg = f"codelists: a condition is named like the patient column {patient!r}; rename it"
        raise SchemaError(msg)
    window = _window(as_of, lookback, list(mapping))
    day = f"{TMP}day"
    rows = _matches(frame, codes, mapping, match).with_columns(epoch_days(frame, nw.col(date), day_number).alias(day))
    _check_events(frame.with_frame(rows), nw.col(day), window.as_of, patient, len(mapping))
    flags = _flag_columns(rows, patient, date, day, list(mapping), window)
    if population is not None:
        flags = _on_population(frame, flags, population, patient, list(mapping))
    result = flags.select(patient, *_output_names(list(mapping), dates=dates))
    return back_to_caller(sort_if_eager(result, frame, [patient]), frame, fresh_index=True)


def _window(as_of: Any, lookback: Any, conditions: list[str]) -> _Window:
    day = None if as_of is None else date_day_number(date_value(as_of, "as_of"))
    if lookback is None:
        return _Window(day, {})
    if day is None:
        msg = "lookback: counts days back from as_of; give as_of too"
        raise InputError(msg)
    if isinstance(lookback, Mapping):
        unknown = sorted(set(lookback) - set(conditions))
        if unknown:
            listed = describe_values(conditions, 30)
            msg = f"lookback: no code list for {describe_values(unknown)}; the conditions are {listed}"
            raise InputError(msg)
        days = {
            name: None if value is None else check_whole_number(value, f"lookback[{name!r}]", 1)
            for name, value in lookback.items()
        }
        return _Window(day, days)
    every = check_whole_number(lookback, "lookback", 1)
    return _Window(day, dict.fromkeys(conditions, every))


def _matches(frame: Frame, codes: list[str], mapping: dict[str, set[str]], match: str) -> AnyFrame:
    """The events with a 0/1 column per condition (``__bh_m<k>``): the event holds one of its codes."""
    names = list(mapping)
    normalise = icd10_code if match == "prefix" else code_text

    def builder(column: str) -> Any:
        def build(labels: list[Any]) -> dict[str, tuple[dict[Any, Any], Any]]:
            texts = {label: normalise(label) for label in labels}
            out: dict[str, tuple[dict[Any, Any], Any]] = {}
            for k, name in enumerate(names):
                listed = mapping[name]
                if match == "prefix":
                    starts = tuple(listed)
                    hit = {label: int(bool(text) and text.startswith(starts)) for label, text in texts.items()}
                else:
                    hit = {label: int(text in listed) for label, text in texts.items()}
                out[f"{TMP}m{k}_{column}"] = (hit, nw.Int64)
            return out

        return build

    columns: dict[str, Any] = {}
    for column in codes:
        columns.update(recode(frame, column, builder(column)))
    rows = frame.frame.with_columns(**columns)
    merged = {f"{TMP}m{k}": row_max(*(nw.col(f"{TMP}m{k}_{c}") for c in codes)).fill_null(0) for k in range(len(names))}
    return rows.with_columns(**merged)


def _check_events(rows: Frame, day: nw.Expr, as_of: int | None, patient: str, n_conditions: int) -> None:
    """Every event names its patient; warn of listed events left out as dated after ``as_of`` or undated."""
    listed = row_max(*(nw.col(f"{TMP}m{k}") for k in range(n_conditions))) > 0
    extra = {}
    if as_of is not None:
        extra = {
            "after": (listed & (day > as_of)).fill_null(value=False).cast(nw.Int64).sum(),
            "undated": (listed & day.is_null()).fill_null(value=False).cast(nw.Int64).sum(),
        }
    found = check_values(
        rows, [Check.missing("events", patient, "is missing", "every event must name its patient")], extra
    )
    if as_of is None:
        return
    after, undated = int(found["after"] or 0), int(found["undated"] or 0)
    if after or undated:
        parts = [
            f"{n} {'event' if n == 1 else 'events'} {why}"
            for n, why in ((after, "dated after as_of"), (undated, "without a date"))
            if n
        ]
        msg = f"condition_flags: left out {' and '.join(parts)}"
        warnings.warn(msg, UserWarning, stacklevel=3)


def _flag_columns(rows: AnyFrame, patient: str, date: str, day: str, names: list[str], window: _Window) -> AnyFrame:
    """One row per patient with a listed condition in the window: 0/1 flags and first dates."""
    counted = {}
    for k, name in enumerate(names):
        inside = window.expr(name, nw.col(day))
        hit = nw.col(f"{TMP}m{k}")
        counted[f"{TMP}h{k}"] = hit if inside is None else hit * inside.fill_null(value=False).cast(nw.Int64)
    rows = rows.with_columns(**counted)
    rows = rows.filter(row_max(*(nw.col(c) for c in counted)) > 0)
    rows = rows.with_columns(
        **{
            f"{TMP}d{k}": nw.when(nw.col(f"{TMP}h{k}") > 0).then(nw.col(date)).otherwise(None)
            for k in range(len(names))
        }
    )
    aggs = []
    for k, name in enumerate(names):  # simple aggregations: fast on pandas too
        aggs.append(nw.col(f"{TMP}h{k}").max().alias(name))
        aggs.append(nw.col(f"{TMP}d{k}").min().alias(f"{name}_first_date"))
    grouped = rows.group_by(patient).agg(*aggs)
    return grouped.with_columns(*((nw.col(name) > 0).alias(name) for name in names))


def _on_population(frame: Frame, flags: AnyFrame, population: Any, patient: str, names: list[str]) -> AnyFrame:
    """The flags of every patient of ``population`` (``False`` without a record); others counted, left out."""
    pop = ingest(population, "population")
    if not same_backend(pop, frame):
        msg = "population: must be the same kind of frame as events (both pandas, both Polars lazy, ...)"
        raise SchemaError(msg)
    require_columns(pop, [("patient", patient)])
    ids = pop.frame.select(patient)
    counts = collect_small(
        ids.select(
            nw.len().alias("n"), nw.col(patient).n_unique().alias("unique"), nw.col(patient).null_count().alias("na")
        )
    ).row(0)
    if counts[0] != counts[1] or counts[2]:
        msg = (
            f"population: column {patient!r} must hold each patient once, without missing ids "
            f"({counts[0]} rows, {counts[1]} distinct ids, {counts[2]} missing)"
        )
        raise DomainError(msg)
    anti = flags.join(ids, on=patient, how="anti")  # type: ignore[arg-type]
    outside = collect_small(anti.select(nw.len().alias("n"))).item(0, 0)
    if outside:
        who = "patient with a recorded condition is" if outside == 1 else "patients with a recorded condition are"
        msg = f"condition_flags: {outside} {who} not in population and were left out"
        warnings.warn(msg, UserWarning, stacklevel=3)
    joined = ids.join(flags, on=patient, how="left")  # type: ignore[arg-type]
    return joined.with_columns(*(nw.col(name).fill_null(value=False).cast(nw.Boolean) for name in names))


def _output_names(names: list[str], *, dates: bool) -> list[str]:
    if not dates:
        return names
    return [c for name in names for c in (name, f"{name}_first_date")]
