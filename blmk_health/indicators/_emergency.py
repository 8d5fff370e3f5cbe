"""Emergency admissions and bed days per population: the shared pipeline of ``emergency_admissions`` and
``acsc_admissions`` (spells counted by cell, population beside them, rates, then the caller's kind of frame)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from blmk_health._confidence import parse_confidence
from blmk_health._frames import Frame, as_list, back_to_caller, ingest, like_caller
from blmk_health._hospital import check_nel_definition, financial_year_label
from blmk_health._validation import check_choice, check_flag, check_positive_number
from blmk_health.errors import InputError
from blmk_health.indicators._admission_counts import (
    Selection,
    SpellColumns,
    check_spell_columns,
    population_cells,
    reference_cells,
    resolve_period,
    spell_cells,
)
from blmk_health.indicators._admission_rates import RateOptions, admission_rates, statistic_text

__all__ = ["AdmissionCall", "run_admissions"]

_COUNTS = ("spells", "bed_days", "same_day_spells", "population", "unknown_method", "outside_period", "unknown_age_sex")


@dataclass(frozen=True)
class AdmissionCall:
    """The arguments of an admissions function, checked, with what it counts in words."""

    spells: Any
    population: Any
    by: Any
    per: Any
    standardise: Any
    attribution: Any
    confidence: Any
    nel_definition: str
    period: Any
    by_year: bool
    ages: Any
    diagnoses: Any
    reference: Any
    columns: Mapping[str, Any]
    population_columns: Mapping[str, Any]
    metadata: bool
    what: str
    condition: Callable[[Frame], tuple[Mapping[str, Any], Any]] | None = None
    notes: str = ""


def run_admissions(call: AdmissionCall) -> Any:
    """Count, attribute and rate the spells of ``call``; the result in the kind of frame of ``spells``."""
    per = check_positive_number(call.per, "per")
    standardise = check_choice(call.standardise, "standardise", ("direct", "indirect", None, "crude"))
    standardise = None if standardise == "crude" else standardise
    attribution = check_choice(call.attribution, "attribution", ("practice", "residence"))
    confidence = parse_confidence(call.confidence)
    groups = check_nel_definition(call.nel_definition)
    check_flag(call.by_year, "by_year")
    frame = ingest(call.spells, "spells")
    cols = call.columns
    unit = cols["practice"] if attribution == "practice" else cols["lsoa"]
    columns = SpellColumns(
        unit=unit,
        age=cols["age"],
        sex=cols["sex"],
        admission_date=cols["admission_date"],
        admission_method=cols["admission_method"],
        bed_days=cols["bed_days"],
        same_day=cols["same_day"],
        diagnosis=cols["diagnosis"] if call.diagnoses is not None else None,
        spell_id=cols["spell_id"],
    )
    check_spell_columns(frame, columns)
    by = as_list(call.by, "by")
    dates, financial_year = _period_request(frame, columns.admission_date, call.period)
    selection = Selection(
        groups=groups,
        period=dates,
        financial_year=financial_year,
        ages=_ages(call.ages),
        diagnoses=_diagnoses(call.diagnoses),
        by_year=call.by_year,
        condition=call.condition,
    )
    pcols = call.population_columns
    population, lookup = population_cells(
        call.population, unit, pcols["sex"] or cols["sex"], pcols["age_band"], pcols["count"], by
    )
    cells, years = spell_cells(frame, columns, selection)
    if call.period is None and not call.by_year:
        _warn_if_several_years(years)
    label = selection.period.label if selection.period else None
    if financial_year is not None:
        label = financial_year_label(years[-1] if financial_year == "latest" and years else int(financial_year))
    bands = _bands(selection.ages)
    options = RateOptions(
        by=by,
        per=per,
        standardise=standardise,
        confidence=confidence,
        reference=_reference(call.reference, standardise),
        what=call.what,
        unit=unit,
        period=label,
        bed_days=columns.bed_days is not None,
        bands=bands,
    )
    table = _finish(admission_rates(cells, population, lookup, options), options, call)
    return back_to_caller(like_caller(table, frame), frame)


def _period_request(frame: Frame, date_column: str, period: Any) -> tuple[Any, int | str | None]:
    """A range of dates (checked per spell), or a financial year chosen after counting ("latest" or the
    year it starts)."""
    if period is None:
        return None, None
    if isinstance(period, str) and period == "latest":
        return None, "latest"
    resolved = resolve_period(frame, date_column, period)
    if isinstance(period, str) and resolved is not None:
        return None, resolved.first.year
    return resolved, None


def _warn_if_several_years(years: list[int]) -> None:
    """Warn when spells of several financial years meet one population."""
    if len(years) > 1:
        msg = (
            f"spells: admitted in {years[-1] - years[0] + 1} financial years ({financial_year_label(years[0])} to "
            f"{financial_year_label(years[-1])}), all counted over one population; pass period='latest' (or a year "
            "such as '2018/19') for a yearly rate, or by_year=True"
        )
        warnings.warn(msg, UserWarning, stacklevel=4)


def _ages(ages: Any) -> tuple[int, int] | None:
    if ages is None:
        return None
    if (
        isinstance(ages, Sequence)
        and not isinstance(ages, str)
        and len(ages) == 2
        and all(isinstance(a, int) and not isinstance(a, bool) for a in ages)
        and 0 <= ages[0] <= ages[1]
    ):
        return int(ages[0]), int(ages[1])
    msg = f"ages: expected (first, last) whole years of age, such as (0, 4), got {ages!r}"
    raise InputError(msg)


def _bands(ages: tuple[int, int] | None) -> tuple[int, ...]:
    """The five-year bands (0-18, 18 = 90+) that ``ages`` covers; they must cover them whole."""
    if ages is None:
        return tuple(range(19))
    low, high = ages
    whole = low % 5 == 0 and (high >= 90 or (high + 1) % 5 == 0) and low <= 90
    if not whole:
        msg = (
            f"ages: ({low}, {high}) does not cover whole five-year age bands, so the population cannot be matched; "
            "give ages that start a band and end one, such as (0, 4), (65, 74) or (75, 125)"
        )
        raise InputError(msg)
    return tuple(range(low // 5, min(high // 5, 18) + 1))


def _diagnoses(diagnoses: Any) -> tuple[str, ...] | None:
    if diagnoses is None:
        return None
    values = [diagnoses] if isinstance(diagnoses, str) else list(diagnoses) if isinstance(diagnoses, Sequence) else []
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        msg = f"diagnoses: expected ICD-10 codes or their starts, such as 'J' or ['J44', 'J45'], got {diagnoses!r}"
        raise InputError(msg)
    return tuple(v.strip().upper().replace(".", "") for v in values)


def _reference(reference: Any, standardise: str | None) -> pd.DataFrame | None:
    """Reference events and population by sex and age band, for indirect standardisation."""
    if reference is None:
        return None
    if standardise != "indirect":
        msg = "reference: reference rates are used by indirect standardisation only (standardise='indirect')"
        raise InputError(msg)
    example = "e.g. England's emergency spells and population by sex and five-year age band"
    return reference_cells(reference, "events", "population", example)


def _finish(table: pd.DataFrame, options: RateOptions, call: AdmissionCall) -> pd.DataFrame:
    """Whole-number counts, the ``statistic`` and ``method`` of each row, and the reason columns removed."""
    base = statistic_text(call.what, options.per, options.standardise)
    if call.notes:
        base = f"{base}; {call.notes}"
    reasons = table["reason"] if "reason" in table else pd.Series("", index=table.index)
    given = table["statistic"] if "statistic" in table else pd.Series(np.nan, index=table.index)
    statistic = [
        str(g) if isinstance(g, str) else (f"{base} {r}".strip() if isinstance(r, str) and r else base)
        for g, r in zip(given, reasons, strict=True)
    ]
    spells = table["spells"].to_numpy(dtype=float)
    if options.standardise == "direct":
        method = np.full(len(table), "Dobson", dtype=object)
        method[np.isnan(table["value"].to_numpy(dtype=float))] = None
    else:
        method = np.where(spells < 10, "Exact", "Byars").astype(object)
    out = table.drop(columns=[c for c in table.columns if c.endswith("reason") or c == "statistic"])
    for column in _COUNTS:
        if column in out:
            values = out[column].to_numpy(dtype=float)
            out[column] = pd.array(np.where(np.isnan(values), 0, np.round(values)).astype(np.int64), dtype="Int64")
            out.loc[np.isnan(values), column] = pd.NA
    if call.metadata:
        out["confidence"] = options.confidence.label
        out["statistic"] = statistic
        out["method"] = method
    return out
