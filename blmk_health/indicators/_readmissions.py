"""Emergency readmissions within a number of days of discharge, as a percentage of discharges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._confidence import Confidence, parse_confidence
from blmk_health._frames import (
    TMP,
    Frame,
    as_list,
    back_to_caller,
    collect_small,
    grouped_sums,
    ingest,
    like_caller,
    ordered_windows,
    recode,
)
from blmk_health._hospital import (
    date_day_number,
    date_value,
    day_number,
    financial_year_label,
    financial_year_start,
    require_dates,
)
from blmk_health._validation import Check, check_choice, check_flag, check_values, require_columns, require_numeric
from blmk_health.errors import InputError
from blmk_health.indicators import ci
from blmk_health.indicators._admission_counts import (
    MAX_AGE,
    Period,
    check_unique_spells,
    method_text,
    reference_cells,
    resolve_period,
    sex_codes,
)
from blmk_health.indicators.standardised import isr

__all__ = ["READMISSION_EXCLUSIONS", "readmissions"]

#: The default exclusions: primary diagnoses of cancer and of pregnancy and childbirth, whose
#: readmissions "may be part of the patient's care plan" (NHS Digital, Compendium I02040 / NHS OF 3b).
READMISSION_EXCLUSIONS: dict[str, tuple[str, ...]] = {
    "cancer": ("C", *(f"D{n}" for n in range(37, 49))),
    "obstetrics": ("O",),
}
_COUNTS = ("discharges", "readmissions", "excluded_spells", "unknown_age_sex")
_DIED = ("4", "5")  # DISMETH: patient died; stillbirth


def readmissions(
    spells: Any,
    window_days: int = 30,
    exclude: Mapping[str, Sequence[str]] | None = None,
    by: str | Sequence[str] | None = None,
    standardise: str | None = "indirect",
    confidence: float | Sequence[float] = 0.95,
    *,
    period: Any = None,
    by_year: bool = False,
    reference: Any = None,
    exclude_transfers: bool = True,
    patient: str = "patient_id",
    spell_id: str | None = "spell_id",
    admission_date: str = "admission_date",
    discharge_date: str = "discharge_date",
    admission_method: str = "admission_method",
    diagnosis: str = "diag_01",
    discharge_method: str | None = None,
    age: str = "age",
    sex: str = "sex",
    metadata: bool = True,
) -> Any:
    """Emergency readmissions within ``window_days`` of discharge, as a percentage of discharges.

    For each finished spell discharged in the ``period`` (the **discharges**), the patient's next spell
    is looked up (next by admission date, then ``spell_id``). The discharge is **readmitted** when that
    spell is an emergency admission (methods 21-2D) starting 0 to ``window_days - 1`` days after the
    discharge date (0-29 days for the 30-day measure, as NHS Digital's indicator counts). Both are
    counted by the discharge's ``by`` group, sex and five-year age band, so::

        crude percentage = readmissions / discharges x 100              (Wilson limits)
        value            = readmissions / expected x reference %       (indirectly standardised, Byars)
        expected         = sum over sex and age band of discharges x reference readmission proportion

    **Exclusions** (``exclude``, on the primary ``diagnosis``): by default cancer (C00-C97, D37-D48) and
    obstetrics (O00-O99), whose readmissions "may be part of the patient's care plan": a spell with an
    excluded diagnosis is not a discharge (counted in ``excluded_spells``) and not a readmission. Emergency
    transfers from another provider (2B) continue a stay and are not readmissions (``exclude_transfers``).
    With a ``discharge_method`` column, patients who died (DISMETH 4, 5) are not discharges.

    Differences from NHS Digital's published indicator (Compendium I02040, NHS OF 3b): it uses continuous
    inpatient spells (transfers joined), selected specialties and a standardisation by age, sex, method
    of admission and diagnosis against England; here provider spells, all specialties, and age and sex
    against the whole table (or ``reference``). Compare areas within one table, not with the published
    figures. Discharges within ``window_days`` of the end of the data have incomplete follow-up:
    ``statistic`` says so.

    Parameters
    ----------
    spells : DataFrame
        One row per spell (:func:`blmk_health.records.spells`), of every admission method (an elective
        stay can be followed by an emergency readmission). Any frame narwhals supports; lazily on lazy
        frames.
    window_days : int, default 30
        Readmissions 0 to ``window_days - 1`` days after discharge count.
    exclude : dict of str to list of str, optional
        Names and ICD-10 code starts of the primary diagnoses excluded (default
        :data:`READMISSION_EXCLUSIONS`); ``{}`` excludes nothing.
    by : str or list of str, optional
        Columns of ``spells`` to group the discharges by (e.g. ``practice_code`` or, after a join,
        ``cluster_code``).
    standardise : {"indirect", None, "crude"}, default "indirect"
        ``"indirect"``: the value is indirectly standardised by sex and five-year age band, with the
        crude percentage beside it (``crude_percentage``, ``crude_lowercl``, ``crude_uppercl``).
        ``None`` (or ``"crude"``): the crude percentage is the value.
    confidence : float or (float, float), default 0.95
        0.95 or 95, or the pair (0.95, 0.998).
    period : {"latest"}, str, (date, date) or None, default None
        Discharges counted, by discharge date; ``"latest"``: the latest financial year of admissions in the
        data (the extract's last year).
    by_year : bool, default False
        One row per financial year of discharge.
    reference : DataFrame, optional
        ``sex``, ``age_band``, ``readmissions`` and ``discharges`` of a reference (e.g. England). Default:
        the whole table, year by year.
    exclude_transfers : bool, default True
        Emergency transfers in (2B) are not readmissions.
    patient, spell_id, admission_date, discharge_date, admission_method, diagnosis, age, sex : str
        Columns of ``spells``.
    discharge_method : str, optional
        The DISMETH column; deaths (4, 5) are then not discharges.
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method``.

    Returns
    -------
    DataFrame
        Of the kind of ``spells``: ``by`` columns, [``period``], ``discharges``, ``readmissions``,
        ``excluded_spells``, ``unknown_age_sex`` (discharges with no age or sex: in the crude figures,
        not in the standardised), [``expected``], ``value``, ``lowercl``, ``uppercl``, [``crude_*``]
        (percentages) and the metadata.

    Raises
    ------
    SchemaError
        A column is missing, dates are not dates, or spell ids repeat (episodes, not spells).
    DomainError
        Ages outside 0-125.
    InputError
        ``window_days`` not a whole number from 1, an unknown ``standardise``, malformed ``exclude``.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> spells = pd.DataFrame({
    ...     "spell_id": [1, 2, 3, 4], "patient_id": [7, 7, 7, 8],
    ...     "admission_date": pd.to_datetime(["2019-01-01", "2019-01-20", "2019-03-01", "2019-01-05"]),
    ...     "discharge_date": pd.to_datetime(["2019-01-10", "2019-01-25", "2019-03-02", "2019-01-06"]),
    ...     "admission_method": ["11", "21", "21", "21"], "diag_01": ["K801", "K810", "I500", "J181"],
    ...     "age": [70, 70, 70, 40], "sex": ["Male"] * 4})
    >>> out = bh.indicators.readmissions(spells, standardise=None)
    >>> out[["discharges", "readmissions", "value"]]
       discharges  readmissions  value
    0           4             1   25.0
    """
    options = _Options.check(window_days, exclude, standardise, confidence, exclude_transfers)
    frame = ingest(spells, "spells")
    named = [
        ("patient", patient),
        ("admission_date", admission_date),
        ("discharge_date", discharge_date),
        ("admission_method", admission_method),
        ("diagnosis", diagnosis),
        ("age", age),
        ("sex", sex),
    ]
    named += [(a, c) for a, c in (("spell_id", spell_id), ("discharge_method", discharge_method)) if c]
    by_columns = as_list(by, "by")
    require_columns(frame, [*named, *[("by", c) for c in by_columns]])
    require_numeric(frame, [("age", age)])
    require_dates(frame, [("admission_date", admission_date), ("discharge_date", discharge_date)])
    check_values(
        frame,
        [
            Check.below("spells", age, 0, "has a negative age", "ages are whole years from 0"),
            Check("spells", age, nw.col(age) > MAX_AGE, f"has an age above {MAX_AGE}", "correct these ages"),
        ],
    )
    check_flag(by_year, "by_year")
    if spell_id is not None:
        check_unique_spells(frame, spell_id)
    chosen = resolve_period(frame, admission_date, period)
    columns = dict(named)
    cells = _cells(frame, columns, by_columns, chosen, by_year, options)
    table = _rates(cells, by_columns, options, _reference(reference))
    table = _labelled(table, by_columns, chosen, by_year)
    note = _follow_up_note(frame, admission_date, chosen, options.window)
    table = _finish(table, options, metadata, note)
    return back_to_caller(like_caller(table, frame), frame)


@dataclass(frozen=True)
class _Options:
    """The checked choices of a call."""

    window: int
    exclude: dict[str, tuple[str, ...]]
    standardise: str | None
    confidence: Confidence
    exclude_transfers: bool

    @classmethod
    def check(cls, window: Any, exclude: Any, standardise: Any, confidence: Any, exclude_transfers: Any) -> _Options:
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            msg = f"window_days: expected a whole number of days from 1 (30 for the 30-day measure), got {window!r}"
            raise InputError(msg)
        check_flag(exclude_transfers, "exclude_transfers")
        return cls(
            int(window),
            _exclusions(exclude),
            None if standardise == "crude" else check_choice(standardise, "standardise", ("indirect", None, "crude")),
            parse_confidence(confidence),
            exclude_transfers,
        )


def _exclusions(exclude: Any) -> dict[str, tuple[str, ...]]:
    if exclude is None:
        return dict(READMISSION_EXCLUSIONS)
    example = "e.g. {'cancer': ['C'], 'obstetrics': ['O']}, or {} for none"
    if not isinstance(exclude, Mapping):
        msg = f"exclude: expected a dict of names to ICD-10 code starts ({example}), got {exclude!r}"
        raise InputError(msg)
    out = {}
    for name, codes in exclude.items():
        values = [codes] if isinstance(codes, str) else codes
        if not isinstance(values, Sequence) or not values or not all(isinstance(c, str) and c.strip() for c in values):
            msg = f"exclude: {name!r} must list ICD-10 code starts as text ({example}), got {codes!r}"
            raise InputError(msg)
        out[str(name)] = tuple(c.strip().upper().replace(".", "") for c in values)
    return out


def _cells(
    frame: Frame,
    columns: Mapping[str, str],
    by: list[str],
    period: Period | None,
    by_year: bool,
    options: _Options,
) -> pd.DataFrame:
    """Discharges, readmissions and exclusions per ``by`` group, sex, age band [and year]."""
    windowed = frame.with_frame(ordered_windows(frame))
    starts = tuple(code for codes in options.exclude.values() for code in codes)
    added: dict[str, Any] = {}
    added.update(recode(windowed, columns["sex"], sex_codes))
    added.update(recode(windowed, columns["admission_method"], lambda labels: _method_flags(labels, options)))
    added.update(recode(windowed, columns["diagnosis"], lambda labels: _excluded(labels, starts)))
    if "discharge_method" in columns:
        added.update(recode(windowed, columns["discharge_method"], _died))
    adm, dis = day_number(nw.col(columns["admission_date"])), day_number(nw.col(columns["discharge_date"]))
    band = (nw.col(columns["age"]) // 5).clip(upper_bound=18).cast(nw.Float64)
    rows = windowed.frame.with_columns(**added, **{f"{TMP}adm": adm, f"{TMP}dis": dis, f"{TMP}band": band})
    order = [f"{TMP}adm", columns.get("spell_id", f"{TMP}dis")]
    following = {
        f"{TMP}next_{name}": nw.col(f"{TMP}{name}").shift(-1).over(columns["patient"], order_by=order)
        for name in ("adm", "em", "ex")
    }
    rows = rows.with_columns(**following)
    gap = nw.col(f"{TMP}next_adm") - nw.col(f"{TMP}dis")
    readmitted = (
        (nw.col(f"{TMP}next_em") == 1)
        & (nw.col(f"{TMP}next_ex") == 0)
        & (gap >= 0)
        & (gap <= options.window - 1)
        & ~nw.col(columns["patient"]).is_null()
    )
    finished = ~nw.col(f"{TMP}dis").is_null()
    if period is not None:
        first, last = date_day_number(period.first), date_day_number(period.last)
        finished = finished & (nw.col(f"{TMP}dis") >= first) & (nw.col(f"{TMP}dis") <= last)
    if "discharge_method" in columns:
        finished = finished & (nw.col(f"{TMP}died") == 0)
    eligible = finished.fill_null(value=False).cast(nw.Float64)
    index = eligible * (1 - nw.col(f"{TMP}ex"))
    exprs = {
        "discharges": index,
        "readmissions": index * readmitted.fill_null(value=False).cast(nw.Float64),
        "excluded_spells": eligible * nw.col(f"{TMP}ex"),
    }
    keys = [*by, f"{TMP}sex", f"{TMP}band"]
    keyed = windowed.with_frame(rows)
    if by_year:
        keyed = keyed.with_frame(
            rows.with_columns(financial_year_start(nw.col(columns["discharge_date"])).alias("year"))
        )
        keys.append("year")
    out = grouped_sums(keyed, keys, exprs).to_pandas().rename(columns={f"{TMP}sex": "sex", f"{TMP}band": "band"})
    if not by_year:
        out["year"] = 0
        return out  # every group of the data, with 0 discharges where it has none in the period
    return out[out["discharges"] + out["excluded_spells"] > 0]


def _method_flags(labels: list[Any], options: _Options) -> dict[str, tuple[dict[Any, Any], Any]]:
    def emergency(label: Any) -> float:
        code = method_text(label)
        return float(code.startswith("2") and len(code) == 2 and not (options.exclude_transfers and code == "2B"))

    return {f"{TMP}em": ({label: emergency(label) for label in labels}, nw.Float64)}


def _excluded(labels: list[Any], starts: tuple[str, ...]) -> dict[str, tuple[dict[Any, Any], Any]]:
    def flag(label: Any) -> float:
        text = method_text(label).replace(".", "")
        return float(bool(starts) and bool(text) and text.startswith(starts))

    return {f"{TMP}ex": ({label: flag(label) for label in labels}, nw.Float64)}


def _died(labels: list[Any]) -> dict[str, tuple[dict[Any, Any], Any]]:
    return {f"{TMP}died": ({label: float(method_text(label) in _DIED) for label in labels}, nw.Float64)}


def _reference(reference: Any) -> pd.DataFrame | None:
    if reference is None:
        return None
    return reference_cells(reference, "readmissions", "discharges", "e.g. England's, by sex and five-year age band")


def _rates(cells: pd.DataFrame, by: list[str], options: _Options, reference: pd.DataFrame | None) -> pd.DataFrame:
    keys = [*by, "year"]
    known = cells["sex"].notna() & cells["band"].notna()
    totals = cells.groupby(keys, as_index=False, dropna=False)[["discharges", "readmissions", "excluded_spells"]].sum()
    unknown = cells[~known].groupby(keys, as_index=False, dropna=False)[["discharges"]].sum()
    totals = totals.merge(unknown.rename(columns={"discharges": "unknown_age_sex"}), on=keys, how="left")
    totals["unknown_age_sex"] = totals["unknown_age_sex"].fillna(0.0)
    crude = _wilson(totals, options, "crude_" if options.standardise else "")
    if options.standardise is None:
        return totals.join(crude)
    standardised = _indirect(cells[known], keys, options, reference)
    return totals.merge(standardised, on=keys, how="left").join(crude)


def _wilson(totals: pd.DataFrame, options: _Options, prefix: str) -> pd.DataFrame:
    x = totals["readmissions"].to_numpy(dtype=float)
    n = totals["discharges"].to_numpy(dtype=float)
    name = "crude_percentage" if prefix else "value"
    out = pd.DataFrame(index=totals.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[name] = np.where(n > 0, x / np.where(n > 0, n, 1) * 100, np.nan)
    for level, (lower, upper) in zip(options.confidence.levels, options.confidence.names(prefix), strict=True):
        safe = np.where(n > 0, n, 1.0)
        out[lower] = np.where(n > 0, ci.wilson_lower(x, safe, level) * 100, np.nan)
        out[upper] = np.where(n > 0, ci.wilson_upper(x, safe, level) * 100, np.nan)
    return out


def _indirect(cells: pd.DataFrame, keys: list[str], options: _Options, reference: pd.DataFrame | None) -> pd.DataFrame:
    """ISR (as a percentage) per group: observed over expected readmissions (``isr``'s ratio and limits),
    times the reference's overall percentage (over all its cells, whichever cells a group has)."""
    rows = cells.copy()
    if reference is not None:
        rows = rows.merge(reference, on=["sex", "band"], how="left")
        whole = reference["x_ref"].sum() / reference["n_ref"].sum()
        overall = pd.Series(dict.fromkeys(rows["year"].unique(), whole), dtype=float)
    else:
        ref = cells.groupby(["year", "sex", "band"], as_index=False)[["readmissions", "discharges"]].sum()
        ref = ref.rename(columns={"readmissions": "x_ref", "discharges": "n_ref"})
        rows = rows.merge(ref, on=["year", "sex", "band"], how="left")
        sums = ref.groupby("year")[["x_ref", "n_ref"]].sum()
        overall = sums["x_ref"] / sums["n_ref"]
    rows = rows[(rows["n_ref"] > 0) & rows["x_ref"].notna()]
    limits = options.confidence.limit_names()
    levels = options.confidence.levels
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "expected", "value", *limits])
    result = isr(
        rows,
        "readmissions",
        "discharges",
        "x_ref",
        "n_ref",
        by=keys,
        kind="ratio",
        confidence=levels if len(levels) > 1 else levels[0],
    )
    result = result[[*keys, "expected", "value", *limits]]
    scale = result["year"].map(overall).to_numpy(dtype=float) * 100
    with np.errstate(invalid="ignore"):  # a group with no expected readmissions: blanked below
        result[["value", *limits]] = result[["value", *limits]].to_numpy(dtype=float) * scale[:, None]
    result.loc[result["expected"] <= 0, ["value", *limits]] = np.nan
    out: pd.DataFrame = result
    return out


def _labelled(table: pd.DataFrame, by: list[str], period: Period | None, by_year: bool) -> pd.DataFrame:
    table = table.sort_values([*by, "year"], kind="stable", na_position="last").reset_index(drop=True)
    if by_year:
        table.insert(len(by), "period", [financial_year_label(int(y)) for y in table["year"]])
    elif period is not None:
        table.insert(len(by), "period", period.label)
    return table.drop(columns="year")


def _follow_up_note(frame: Frame, admission_date: str, period: Period | None, window: int) -> str:
    """Why follow-up is incomplete: the admissions in the data end less than ``window`` days after the end of
    the period (readmissions after the last admission date cannot be seen)."""
    latest = collect_small(frame.frame.select(nw.col(admission_date).max().alias("a"))).item(0, 0)
    if latest is None:
        return ""
    data_end = date_value(latest, "admission_date")
    last = min(period.last, data_end) if period is not None else data_end
    if data_end >= last + dt.timedelta(days=window - 1):
        return ""
    return (
        f"follow-up incomplete: the admissions in the data end on {data_end.isoformat()}, less than {window} days "
        "after the last discharges counted"
    )


def _finish(table: pd.DataFrame, options: _Options, metadata: bool, note: str) -> pd.DataFrame:
    for column in _COUNTS:
        table[column] = pd.array(np.round(table[column].to_numpy(dtype=float)).astype(np.int64), dtype="Int64")
    if not metadata:
        return table
    kind = "indirectly age-sex standardised" if options.standardise else "crude"
    excluded = ", ".join(options.exclude) or "none"
    base = (
        f"% of discharges followed by an emergency readmission within {options.window} days, {kind} "
        f"(exclusions: {excluded})"
    )
    if note:
        base = f"{base}; {note}"
    value = table["value"].to_numpy(dtype=float)
    blank = "NA: no discharges" if options.standardise is None else "NA: no expected readmissions"
    table["confidence"] = options.confidence.label
    table["statistic"] = np.where(np.isnan(value), f"{base} {blank}", base)
    if options.standardise:
        x = table["readmissions"].to_numpy(dtype=float)
        methods = np.where(x < 10, "Exact", "Byars").astype(object)
    else:
        methods = np.full(len(table), "Wilson", dtype=object)
    methods[np.isnan(value)] = None
    table["method"] = methods
    return table
