"""Hospital spells counted by area, sex, age band (and financial year), and the population beside them.

The spell-level work runs in the caller's backend, lazily on lazy frames: codes are recoded through their
distinct values, the flags of each spell are summed per cell with :func:`blmk_health._frames.grouped_sums`,
and only the cells (areas x 2 sexes x 19 age bands x years) are collected. The population is aggregated the
same way. Everything after that is small and done in pandas (:mod:`._admission_rates`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._age_bands import parse_band
from blmk_health._frames import TMP, Frame, collect_small, epoch_days, grouped_sums, ingest, recode, to_pandas
from blmk_health._hospital import (
    ADMISSION_METHODS,
    code_text,
    date_day_number,
    date_value,
    day_number,
    financial_year_start,
    method_code,
    require_dates,
)
from blmk_health._validation import Check, check_values, describe_values, require_columns, require_numeric
from blmk_health.errors import DomainError, InputError, SchemaError

__all__ = [
    "Period",
    "Selection",
    "SpellColumns",
    "check_unique_spells",
    "method_text",
    "population_cells",
    "reference_cells",
    "resolve_period",
    "sex_codes",
    "spell_cells",
]

_SEX_CODES = {"male": 0.0, "m": 0.0, "1": 0.0, "female": 1.0, "f": 1.0, "2": 1.0}
#: The oldest age accepted (older ages are errors in the data, not people).
MAX_AGE = 125


@dataclass(frozen=True)
class SpellColumns:
    """The columns of the spell table a count reads."""

    unit: str
    age: str
    sex: str
    admission_date: str
    admission_method: str
    bed_days: str | None
    same_day: str | None
    diagnosis: str | None
    spell_id: str | None


@dataclass(frozen=True)
class Period:
    """Spells admitted from ``first`` to ``last`` (inclusive), and the label of the period."""

    first: dt.date
    last: dt.date
    label: str


@dataclass(frozen=True)
class Selection:
    """Which spells are counted: admission-method groups, period, ages, diagnoses and further rules.

    ``condition`` is a further spell-level rule (e.g. the ACSC code list): a function of the frame
    returning new columns (recoded codes) and a 0/1 expression of them that must be 1 for a spell to count.
    """

    groups: tuple[str, ...]
    period: Period | None = None
    financial_year: int | str | None = None  # "latest" or the year a financial year starts: chosen after counting
    ages: tuple[int, int] | None = None
    diagnoses: tuple[str, ...] | None = None
    by_year: bool = False
    condition: Callable[[Frame], tuple[Mapping[str, Any], Any]] | None = None


def resolve_period(frame: Frame, date_column: str, period: Any, latest: Any = None) -> Period | None:
    """``None`` (every spell), ``"latest"`` (the latest financial year in the data), a financial year
    ``"2018/19"``, or a pair of dates (inclusive). ``latest``: the latest date, when already known."""
    if period is None:
        return None
    if isinstance(period, str) and period == "latest":
        if latest is None:
            latest = collect_small(frame.frame.select(nw.col(date_column).max().alias("d"))).item(0, 0)
        if latest is None:
            msg = f"spells: column {date_column!r} has no dates, so there is no latest financial year"
            raise DomainError(msg)
        day = date_value(latest, "period")
        start = day.year - (day.month < 4)
        return _financial_year(start)
    if isinstance(period, str):
        text = period.strip()
        if len(text) == 7 and text[4] in "/-" and text[:4].isdigit() and text[5:].isdigit():
            start = int(text[:4])
            if (start + 1) % 100 == int(text[5:]):
                return _financial_year(start)
        msg = f"period: expected 'latest', a financial year such as '2018/19', or two dates; got {period!r}"
        raise InputError(msg)
    if isinstance(period, Sequence) and len(period) == 2:
        first, last = date_value(period[0], "period"), date_value(period[1], "period")
        if last < first:
            msg = f"period: the end {last} is before the start {first}"
            raise InputError(msg)
        return Period(first, last, f"{first.isoformat()} to {last.isoformat()}")
    msg = f"period: expected 'latest', a financial year such as '2018/19', or two dates; got {period!r}"
    raise InputError(msg)


def _financial_year(start: int) -> Period:
    return Period(dt.date(start, 4, 1), dt.date(start + 1, 3, 31), f"{start}/{(start + 1) % 100:02d}")


def check_spell_columns(frame: Frame, columns: SpellColumns) -> None:
    """Columns present and of the right kind. Repeated spell ids, ages within 0-125 and bed days >= 0 are
    checked by :func:`spell_cells`, with the query that counts the spells."""
    named = [
        ("unit", columns.unit),
        ("age", columns.age),
        ("sex", columns.sex),
        ("admission_date", columns.admission_date),
        ("admission_method", columns.admission_method),
        ("bed_days", columns.bed_days),
        ("same_day", columns.same_day),
        ("diagnosis", columns.diagnosis),
        ("spell_id", columns.spell_id),
    ]
    require_columns(frame, [(a, c) for a, c in named if c is not None])
    require_numeric(frame, [(a, c) for a, c in (("age", columns.age), ("bed_days", columns.bed_days)) if c])
    require_dates(frame, [("admission_date", columns.admission_date)])


def _age_checks(columns: SpellColumns) -> list[Check]:
    checks = [
        Check.below("spells", columns.age, 0, "has a negative age", "ages are whole years from 0"),
        Check(
            "spells",
            columns.age,
            nw.col(columns.age) > MAX_AGE,
            f"has an age above {MAX_AGE}",
            "ages are whole years from 0; correct or remove these spells",
        ),
    ]
    if columns.bed_days:
        checks.append(Check.below("spells", columns.bed_days, 0, "has negative bed days", "bed days are >= 0"))
    return checks


def check_unique_spells(frame: Frame, spell_id: str, counted: tuple[int, int] | None = None) -> None:
    """Raise :class:`SchemaError` naming the repeated ids when a table of spells repeats a spell id.

    ``counted``: the number of rows and of distinct ids, when already known.
    """
    if counted is None:
        row = collect_small(frame.frame.select(nw.len().alias("n"), nw.col(spell_id).n_unique().alias("d"))).row(0)
        counted = (int(row[0]), int(row[1]))
    if counted[0] == counted[1]:
        return
    repeated = frame.frame.group_by(spell_id).agg(nw.len().alias("n")).filter(nw.col("n") > 1).select(spell_id).head(5)
    shown = collect_small(repeated).get_column(spell_id).to_list()
    msg = (
        f"spells: column {spell_id!r} repeats {counted[0] - counted[1]} spell id(s) (first: {describe_values(shown)}); "
        "give one row per spell (bh.records.spells turns episodes into spells)"
    )
    raise SchemaError(msg)


def spell_cells(frame: Frame, columns: SpellColumns, selection: Selection) -> tuple[pd.DataFrame, list[int]]:
    """Counts per area, sex (0 male, 1 female, NaN unknown), age band (0-18, NaN unknown) [and year], in
    one pass over the spells, which also checks their ages and bed days; and the financial years of
    every spell in the data.

    Columns: ``unit``, ``sex``, ``band``, [``year``], ``spells``, ``bed_days``, ``same_day``,
    ``unknown_method`` and ``outside_period``. A financial year asked for (``selection.financial_year``,
    "latest" the latest one) is chosen from the counts by year, so no query needs to run before them.
    """
    keyed, flags = _spell_flags(frame, columns, selection)
    keys = [f"{TMP}unit", f"{TMP}sex", f"{TMP}band", f"{TMP}year"]
    keyed = keyed.with_frame(
        keyed.frame.with_columns(
            **{
                f"{TMP}base": flags["base"],
                f"{TMP}in": flags["in_period"],
                f"{TMP}year": financial_year_start(nw.col(columns.admission_date)),
            }
        )
    )
    base, in_period = nw.col(f"{TMP}base"), nw.col(f"{TMP}in")
    counted = base * in_period
    exprs: dict[str, Any] = {
        "spells": counted,
        "unknown_method": flags["unknown"] * in_period,
        "outside_period": base * (1 - in_period),
    }
    if columns.bed_days:
        exprs["bed_days"] = counted * nw.col(columns.bed_days).cast(nw.Float64).fill_null(0)
    if columns.same_day:
        exprs["same_day"] = counted * nw.col(columns.same_day).cast(nw.Float64).fill_null(0)
    checks = _age_checks(columns)
    exprs.update(
        {f"{TMP}bad{i}": check.condition.fill_null(value=False).cast(nw.Float64) for i, check in enumerate(checks)}
    )
    together: list[Any] = []
    answers: list[Any] = []
    if columns.spell_id is not None:
        together.append(frame.frame.select(nw.len().alias("n"), nw.col(columns.spell_id).n_unique().alias("d")))
    eager = grouped_sums(keyed, keys, exprs, together=together, answers=answers).to_pandas()
    if columns.spell_id is not None:
        counted = answers[0].row(0)
        check_unique_spells(frame, columns.spell_id, (int(counted[0]), int(counted[1])))
    failed = [check for i, check in enumerate(checks) if eager[f"{TMP}bad{i}"].sum() > 0]
    if failed:
        check_values(frame, failed)
    names = {f"{TMP}unit": "unit", f"{TMP}sex": "sex", f"{TMP}band": "band", f"{TMP}year": "year"}
    out = eager.rename(columns=names).drop(columns=[f"{TMP}bad{i}" for i in range(len(checks))])
    for name in ("bed_days", "same_day"):
        if name not in out:
            out[name] = np.nan
    years = sorted(int(y) for y in out["year"].dropna().unique())
    if selection.financial_year is not None:
        out = _one_year(out, selection.financial_year, years)
    if not selection.by_year:
        counts = [c for c in out.columns if c not in ("unit", "sex", "band", "year")]
        out = out.groupby(["unit", "sex", "band"], dropna=False, as_index=False)[counts].sum(min_count=0)
    return out, years


def _one_year(cells: pd.DataFrame, year: int | str, years: list[int]) -> pd.DataFrame:
    """The cells of one financial year; the spells of the others become ``outside_period``."""
    chosen = (years[-1] if years else 0) if year == "latest" else int(year)
    inside = cells["year"] == chosen
    outside = cells[~inside].groupby(["unit", "sex", "band"], dropna=False, as_index=False)[["spells"]].sum()
    kept = cells[inside].drop(columns="outside_period")
    kept = kept.merge(outside.rename(columns={"spells": "outside_period"}), on=["unit", "sex", "band"], how="outer")
    counts = [c for c in kept.columns if c not in ("unit", "sex", "band", "year")]
    kept[counts] = kept[counts].fillna(0.0)
    kept["year"] = chosen
    return kept


def _spell_flags(frame: Frame, columns: SpellColumns, selection: Selection) -> tuple[Frame, dict[str, Any]]:
    """The frame with key columns added, and the 0/1 flags (expressions) of each spell."""
    recoded: dict[str, Any] = {}
    recoded.update(recode(frame, columns.sex, sex_codes, expressions=lambda: _sex_expression(frame, columns.sex)))
    recoded.update(
        recode(
            frame,
            columns.admission_method,
            lambda labels: _method_flags(labels, selection.groups),
            expressions=lambda: _method_expressions(frame, columns.admission_method, selection.groups),
        )
    )
    if selection.diagnoses is not None and columns.diagnosis is not None:
        prefixes = selection.diagnoses
        recoded.update(recode(frame, columns.diagnosis, lambda labels: _prefix_flag(labels, prefixes)))
    condition = None
    if selection.condition is not None:
        columns_added, condition = selection.condition(frame)
        recoded.update(columns_added)
    age = nw.col(columns.age)
    band = (age // 5).clip(upper_bound=18).cast(nw.Float64)
    added: dict[str, Any] = {f"{TMP}unit": nw.col(columns.unit), f"{TMP}band": band, **recoded}
    keyed = frame.with_frame(frame.frame.with_columns(**added))
    base = nw.col(f"{TMP}nel")
    for name in recoded:
        if name.startswith(f"{TMP}ok"):
            base = base * nw.col(name)
    if condition is not None:
        base = base * condition
    if selection.ages is not None:
        low, high = selection.ages
        base = base * (age.is_null() | ((age >= low) & (age <= high))).cast(nw.Float64)
    in_period = _in_period(frame, columns, selection)
    return keyed, {"base": base, "unknown": nw.col(f"{TMP}unknown"), "in_period": in_period}


def _in_period(frame: Frame, columns: SpellColumns, selection: Selection) -> Any:
    if selection.period is None:
        return nw.lit(1.0)
    day = epoch_days(frame, nw.col(columns.admission_date), day_number)
    first, last = date_day_number(selection.period.first), date_day_number(selection.period.last)
    return ((day >= first) & (day <= last)).fill_null(value=False).cast(nw.Float64)


def sex_codes(labels: list[Any]) -> dict[str, tuple[dict[Any, Any], Any]]:
    mapping = {label: _SEX_CODES.get(code_text(label).lower(), np.nan) for label in labels}
    return {f"{TMP}sex": (mapping, nw.Float64)}


def _sex_expression(frame: Frame, column: str) -> dict[str, Any]:
    """The sex code (0 male, 1 female, missing otherwise) as an expression, for backends that run lazily:
    the normalised text looked up in a fixed mapping (no query for the distinct labels)."""
    dtype = frame.schema[column]
    text = nw.col(column).cast(nw.Int64) if dtype.is_numeric() and not dtype.is_integer() else nw.col(column)
    lowered = text.cast(nw.String).str.strip_chars().str.to_lowercase()
    return {f"{TMP}sex": lowered.replace_strict(_SEX_CODES, default=None, return_dtype=nw.Float64)}


def _method_expressions(frame: Frame, column: str, groups: tuple[str, ...]) -> dict[str, Any]:
    """The method flags of :func:`_method_flags` as expressions, for backends that run lazily: the
    normalised code looked up in fixed mappings of the listed codes (others are unknown)."""
    code = method_code(frame, column)
    nel = {c: float(g in groups) for c, g, _ in ADMISSION_METHODS}
    unknown = {c: float(g == "unknown") for c, g, _ in ADMISSION_METHODS}
    return {
        f"{TMP}nel": code.replace_strict(nel, default=0.0, return_dtype=nw.Float64).fill_null(0.0),
        f"{TMP}unknown": code.replace_strict(unknown, default=1.0, return_dtype=nw.Float64).fill_null(1.0),
    }


def _method_flags(labels: list[Any], groups: tuple[str, ...]) -> dict[str, tuple[dict[Any, Any], Any]]:
    codes = {label: _method_group_of(label) for label in labels}
    return {
        f"{TMP}nel": ({label: float(group in groups) for label, group in codes.items()}, nw.Float64),
        f"{TMP}unknown": ({label: float(group == "unknown") for label, group in codes.items()}, nw.Float64),
    }


_GROUP_OF = {code: group for code, group, _ in ADMISSION_METHODS}


def _method_group_of(label: Any) -> str:
    return _GROUP_OF.get(method_text(label), "unknown")


def method_text(label: Any) -> str:
    """An admission-method code as text: ``11``, ``11.0`` and ``" 11 "`` are ``"11"``, ``"2a"`` is ``"2A"``."""
    return code_text(label).upper()


def _prefix_flag(labels: list[Any], prefixes: tuple[str, ...]) -> dict[str, tuple[dict[Any, Any], Any]]:
    def matches(label: Any) -> float:
        text = code_text(label).upper().replace(".", "")
        return float(bool(text) and text.startswith(prefixes))

    return {f"{TMP}ok_diagnosis": ({label: matches(label) for label in labels}, nw.Float64)}


def population_cells(
    population: Any, unit: str, sex: str, age_band: str, count: str, by: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The population per area, sex (0/1) and standard band (0-18), and each area's ``by`` values.

    Returns ``(cells, lookup)``: ``cells`` has ``unit``, ``sex``, ``band``, ``population``; ``lookup``
    one row per area with its ``by`` columns.
    """
    frame = ingest(population, "population")
    require_columns(frame, [("unit", unit), ("sex", sex), ("age_band", age_band), ("count", count)])
    require_columns(frame, [("by", column) for column in by])
    require_numeric(frame, [("count", count)])
    check_values(
        frame,
        [
            Check.below("population", count, 0, "has a negative count", "populations must be >= 0"),
            Check.missing("population", count, "is missing", "give a count (0 where there is nobody)"),
        ],
    )
    keys = list(dict.fromkeys([unit, *by, sex, age_band]))
    summed = grouped_sums(frame, keys, {f"{TMP}n": nw.col(count).cast(nw.Float64)}).to_pandas()
    summed = summed.rename(columns={f"{TMP}n": "population"})
    lookup = _area_lookup(summed, unit, list(by))
    summed["sex_code"] = _population_sexes(summed[sex], sex)
    summed["band_code"] = _population_bands(summed[age_band], age_band)
    cells = summed.groupby([unit, "sex_code", "band_code"], as_index=False, observed=True)[["population"]].sum()
    cells = cells.rename(columns={unit: "unit", "sex_code": "sex", "band_code": "band"})
    return cells, lookup


def reference_cells(reference: Any, events: str, denominator: str, example: str) -> pd.DataFrame:
    """A reference's events and denominator by sex (0/1) and standard band (0-18): ``sex``, ``band``,
    ``x_ref`` and ``n_ref``, for indirect standardisation. ``example`` says what to give, for the error."""
    table = to_pandas(reference, "reference")
    missing = [c for c in ("sex", "age_band", events, denominator) if c not in table.columns]
    if missing:
        msg = f"reference: column(s) {missing} not found; give sex, age_band, {events} and {denominator} ({example})"
        raise SchemaError(msg)
    table = table.assign(unit="reference")
    x_ref, _ = population_cells(table, "unit", "sex", "age_band", events, [])
    n_ref, _ = population_cells(table, "unit", "sex", "age_band", denominator, [])
    cells = x_ref.rename(columns={"population": "x_ref"}).merge(
        n_ref.rename(columns={"population": "n_ref"}), on=["unit", "sex", "band"], how="outer"
    )
    return cells[["sex", "band", "x_ref", "n_ref"]].fillna(0.0)


def _area_lookup(summed: pd.DataFrame, unit: str, by: list[str]) -> pd.DataFrame:
    columns = list(dict.fromkeys([unit, *by]))
    lookup = summed[columns].drop_duplicates()
    repeated = lookup[lookup.duplicated(unit, keep=False)]
    if len(repeated):
        shown = describe_values(repeated[unit].drop_duplicates().tolist())
        msg = (
            f"population: the by column(s) {by} take more than one value for some {unit} ({shown}); each area "
            "must belong to one group"
        )
        raise SchemaError(msg)
    return lookup.rename(columns={unit: "unit"}) if unit not in by else lookup.assign(unit=lookup[unit])


def _population_sexes(values: pd.Series, column: str) -> np.ndarray[Any, Any]:
    codes = values.map(lambda v: _SEX_CODES.get(code_text(v).lower(), np.nan)).to_numpy(dtype=float)
    bad = values[np.isnan(codes)].drop_duplicates().tolist()
    if bad:
        msg = (
            f"population: column {column!r} has sexes that are neither male nor female: {describe_values(bad)}; "
            "give the population of each sex (Male/Female, M/F or 1/2), without total rows"
        )
        raise SchemaError(msg)
    return codes


def _population_bands(values: pd.Series, column: str) -> np.ndarray[Any, Any]:
    """Each label's band of the 2013 European Standard Population (0-18): a label must fall within one."""
    labels = values.drop_duplicates().tolist()
    index = {label: _band_of(label) for label in labels}
    bad = [label for label, band in index.items() if band is None]
    if bad:
        msg = (
            f"population: column {column!r} has age bands that do not fall within one five-year band of the 2013 "
            f"European Standard Population: {describe_values(bad)}; give five-year bands (0-4, ..., 85-89, 90+) or "
            "narrower ones (e.g. 0, 1-4, 90-94, 95+), without total rows"
        )
        raise SchemaError(msg)
    return values.map(index).to_numpy(dtype=float)


def _band_of(label: Any) -> float | None:
    """The standard band (0-18) a label falls within, or ``None``: ``"0_4"``, ``"1-4"``, ``"90_94"``,
    ``"95+"`` and a start age alone (``5``) are read; ``"85+"`` or ``"0-9"`` span two bands."""
    parsed = parse_band(label.replace("_", "-") if isinstance(label, str) else label)
    if parsed is None:
        return None
    start, end = parsed.start, parsed.end
    if start >= 90:
        return 18.0
    if parsed.is_open:
        return None
    if end is None:
        return float(start // 5) if start % 5 == 0 else None
    return float(start // 5) if start <= end and start // 5 == end // 5 else None
