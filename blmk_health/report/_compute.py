"""Every indicator computed from its definition alone, for a data bundle, as one tidy table."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import blmk_health as bh
from blmk_health.errors import BLMKError, InputError
from blmk_health.report import _segmentation
from blmk_health.report._bundle import DataBundle

__all__ = ["INDICATOR_COLUMNS", "LEVELS", "LEVEL_COLUMNS", "compute_indicators"]

#: The columns of the tidy indicator table, in order, with their dtypes.
INDICATOR_COLUMNS: dict[str, str] = {
    "indicator_id": "str",
    "indicator_name": "str",
    "level": "str",
    "area_code": "str",
    "area_name": "str",
    "period": "str",
    "sex": "str",
    "value": "float64",
    "lower": "float64",
    "upper": "float64",
    "confidence": "str",
    "numerator": "float64",
    "denominator": "float64",
    "unit": "str",
    "method": "str",
    "status": "str",
    "suppressed": "bool",
}

#: Geography levels, from the bottom up, and the column holding an area's code at each.
LEVEL_COLUMNS: dict[str, str] = {
    "lsoa": "lsoa_code",
    "practice": "practice_code",
    "cluster": "cluster_code",
    "place": "place_code",
    "icb": "icb_code",
}
LEVELS = tuple(LEVEL_COLUMNS)

#: Output columns holding the numerator and denominator behind a value, by function (argument names
#: in angle brackets are the columns the definition names for that argument).
_COUNTS: dict[str, tuple[str | None, str | None]] = {
    "crude_rate": ("<x>", "<n>"),
    "proportion": ("<x>", "<n>"),
    "mean": ("value_sum", "value_count"),
    "dsr": ("total_count", "total_pop"),
    "isr": ("observed", "expected"),
    "life_expectancy": ("dths_used", "pops_used"),
    "healthy_life_expectancy": (None, None),
    "le_gap": (None, None),
}
_SEXES = {"male": "Male", "m": "Male", "1": "Male", "female": "Female", "f": "Female", "2": "Female"}


class _SkipError(Exception):
    """An indicator cannot be computed at a level from this bundle (the message says why)."""


@dataclass(frozen=True)
class _Definition:
    """One catalogue row, with the arguments of one level (and where to note what the data lacked)."""

    entry: Mapping[str, Any]
    level: str
    notes: list[str]
    cache: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return LEVEL_COLUMNS[self.level]

    def arguments(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``columns`` and ``options``, with the level's overrides and its code column first in ``by``."""
        columns = copy.deepcopy(dict(self.entry["columns"]))
        options = copy.deepcopy(dict(self.entry["options"]))
        for name, value in dict(self.entry["level_overrides"]).get(self.level, {}).items():
            (columns if name in columns else options)[name] = value
        columns["by"] = [self.key, *columns.get("by", [])]
        return columns, options


def compute_indicators(
    bundle: DataBundle,
    *,
    indicators: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every indicator of the catalogue, computed from its definition alone, at every level it is published at.

    For each definition of :func:`blmk_health.indicators.catalogue` and each of its
    ``geography_levels``: take its first input table from the bundle, apply its ``prepare`` steps
    (filters, joins, sums within the level's areas), call its function with its arguments (the level's
    code column first in ``by``), and turn the result into rows of one tidy table. Definitions the
    bundle cannot feed (a table or a column is missing) give one row per level with ``status``
    ``"skipped: <why>"``.

    Parameters
    ----------
    bundle : DataBundle
        The data (:meth:`DataBundle.synthetic_blmk` or :meth:`DataBundle.from_folder`).
    indicators : sequence of str, optional
        Definition ids to compute; all by default.
    levels : sequence of str, optional
        Levels to compute (from ``practice``, ``cluster``, ``place``, ``icb``, ``lsoa``); those of each
        definition by default.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`INDICATOR_COLUMNS`: ``indicator_id``, ``indicator_name``, ``level``,
        ``area_code``, ``area_name``, ``period``, ``sex`` (``"Persons"``, ``"Male"`` or ``"Female"``),
        ``value``, ``lower`` and ``upper`` (95% limits), ``confidence``, ``numerator`` and
        ``denominator`` (the counts behind the value, where the method has them), ``unit``, ``method``,
        ``status`` (``"ok"``, ``"blank: <why>"`` or ``"skipped: <why>"``) and ``suppressed`` (set by
        small-number protection; ``False`` here). One row per indicator, level, area and sex, sorted by
        indicator, level (bottom up), area and sex. ``attrs["notes"]`` lists what the data lacked
        (e.g. practices of a register that are not in the practice list, left out at every level, so
        that every level adds up).

    Raises
    ------
    InputError
        An unknown indicator id or level.

    Examples
    --------
    >>> import blmk_health as bh
    >>> bundle = bh.report.DataBundle.synthetic_blmk(scale=0.02)
    >>> table = bh.report.compute_indicators(bundle, indicators=["mortality_all_causes_dsr"], levels=["icb"])
    >>> table[["level", "area_code", "sex", "status"]].to_string(index=False)
    'level area_code     sex status\\n  icb       QHG Persons     ok'
    """
    catalogue = bh.indicators.catalogue()
    chosen = _choose(catalogue, indicators, levels)
    notes: list[str] = []
    cache: dict[tuple[str, str], pd.DataFrame] = {}
    frames = [
        _rows_of(entry, level, bundle, notes, cache)
        for entry in _records(chosen)
        for level in entry["geography_levels"]
        if levels is None or level in levels
    ]
    table = _finish(pd.concat([f for f in frames if len(f)], ignore_index=True) if frames else _empty())
    table.attrs["notes"] = notes
    return table


def _records(catalogue: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in catalogue.to_dict("records")]


def _choose(catalogue: pd.DataFrame, indicators: Sequence[str] | None, levels: Sequence[str] | None) -> pd.DataFrame:
    if levels is not None:
        unknown_levels = sorted(set(levels) - set(LEVELS))
        if unknown_levels:
            msg = f"levels: unknown level(s) {unknown_levels}; choose from {list(LEVELS)}"
            raise InputError(msg)
    if indicators is None:
        return catalogue
    unknown = sorted(set(indicators) - set(catalogue["id"]))
    if unknown:
        msg = f"indicators: unknown indicator id(s) {unknown}; the catalogue has {sorted(catalogue['id'])}"
        raise InputError(msg)
    return catalogue[catalogue["id"].isin(indicators)]


def _rows_of(
    entry: Mapping[str, Any],
    level: str,
    bundle: DataBundle,
    notes: list[str],
    cache: dict[tuple[str, str], pd.DataFrame],
) -> pd.DataFrame:
    """The rows of one indicator at one level (or one "skipped" row saying why there are none)."""
    definition = _Definition(entry, level, notes, cache)
    try:
        return _tidy(definition, _result(definition, bundle.tables, bundle.skipped), bundle)
    except _SkipError as why:
        return _skipped(entry, level, bundle, str(why))


def definition_result(entry: Mapping[str, Any], tables: Mapping[str, Any], level: str) -> pd.DataFrame:
    """The output of a definition's function at one level, computed from ``tables`` (for tests and tools).

    Raises :class:`InputError` saying why when the tables cannot feed the definition.
    """
    try:
        return _result(_Definition(entry, level, []), tables, {})
    except _SkipError as why:
        raise InputError(f"{entry['id']} at the {level} level: {why}") from None


def _result(definition: _Definition, tables: Mapping[str, Any], skipped: Mapping[str, str]) -> pd.DataFrame:
    data = _prepared(definition, tables, skipped)
    return _call(definition, data, _table_arguments(definition, tables))


def _prepared(definition: _Definition, tables: Mapping[str, Any], skipped: Mapping[str, str]) -> pd.DataFrame:
    """The first input after the definition's prepare steps (filter, join, sum), for one level."""
    entry = definition.entry
    missing = [name for name in entry["inputs"] if name not in tables]
    if missing:
        reasons = "; ".join(f"{name}: {skipped.get(name, 'not in the data')}" for name in missing)
        raise _SkipError(f"the data have no {', '.join(map(repr, missing))} table ({reasons})")
    data = pd.DataFrame(tables[entry["inputs"][0]])
    for step in entry["prepare"]:
        if "records" in step:
            data = _record_step(data, step, definition)
        elif "segmentation" in step:
            data = _segmentation_step(tables)
        else:
            data = _step(data, step, definition, tables)
    return data


def _record_step(data: pd.DataFrame, step: Mapping[str, Any], definition: _Definition) -> pd.DataFrame:
    """A records step (always the first): e.g. spells from episodes, made once per input table and run."""
    key = (str(step["records"]), str(definition.entry["inputs"][0]))
    if key not in definition.cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                definition.cache[key] = getattr(bh.records, key[0])(data)
            except BLMKError as err:
                raise _SkipError(f"bh.records.{key[0]} refused the {key[1]!r} table: {err}") from err
    return definition.cache[key]


def _segmentation_step(tables: Mapping[str, Any]) -> pd.DataFrame:
    """A segmentation step (always the first): the patients' tiers, counted by practice (the 0/1 columns of
    ``SEGMENT_COLUMNS`` summed), made once per patients table."""
    try:
        return _segmentation.segmentation(tables).by_practice
    except _segmentation.SegmentationUnavailableError as why:
        raise _SkipError(str(why)) from None
    except BLMKError as err:
        raise _SkipError(f"the segmentation refused the data: {err}") from err


def _table_arguments(definition: _Definition, tables: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The other tables the function takes (``tables`` of the definition), filtered as it says."""
    out = {}
    for argument, spec in dict(definition.entry.get("tables", {})).items():
        name = spec["table"] if isinstance(spec, Mapping) else spec
        table = pd.DataFrame(tables[name])
        if isinstance(spec, Mapping) and "filter" in spec:
            table = _step(table, {"filter": spec["filter"]}, definition, tables)
        if isinstance(spec, Mapping) and "join" in spec:
            join = {key: spec[key] for key in ("join", "on", "columns")}
            table = _step(table, join, definition, tables)
        out[argument] = table
    return out


def _step(
    data: pd.DataFrame, step: Mapping[str, Any], definition: _Definition, tables: Mapping[str, Any]
) -> pd.DataFrame:
    _need(data, step.get("filter", {}).keys() if "filter" in step else step.get("on", []), definition)
    if "filter" in step:
        for column, wanted in step["filter"].items():
            data = data[data[column].isin(wanted if isinstance(wanted, list) else [wanted])]
        return data
    if "join" in step:
        right = pd.DataFrame(tables[step["join"]])
        _need(right, [*step["on"], *step["columns"]], definition, step["join"])
        right = right[step["on"] + step["columns"]].drop_duplicates()
        if right.duplicated(step["on"]).any():
            raise _SkipError(f"the {step['join']!r} table has more than one row for some {step['on']}")
        joined = data.drop(columns=[c for c in step["columns"] if c in data.columns]).merge(
            right, on=step["on"], how="inner"
        )
        _note_unmatched(data, joined, step, definition)
        return joined
    keys = [definition.key, *step["by"]]
    _need(data, [*keys, *step["sum"]], definition)
    summed: pd.DataFrame = data.groupby(keys, observed=True)[step["sum"]].sum().reset_index()
    return summed


def _note_unmatched(data: pd.DataFrame, joined: pd.DataFrame, step: Mapping[str, Any], definition: _Definition) -> None:
    """Rows that found no match in a join are left out at every level; the table's notes say which (once,
    at the definition's first level)."""
    if definition.level != definition.entry["geography_levels"][0]:
        return
    keys = data[step["on"]].drop_duplicates()
    matched = joined[step["on"]].drop_duplicates()
    lost = keys.merge(matched, how="left", indicator=True)
    lost = lost[lost["_merge"] == "left_only"]
    if len(lost):
        shown = ", ".join(str(v) for v in lost.iloc[:6, 0])
        definition.notes.append(
            f"{definition.entry['id']}: {len(lost)} value(s) of {step['on']} ({shown}) are not in the "
            f"{step['join']!r} table, so their rows are left out at every level"
        )


def _need(data: pd.DataFrame, columns: Iterable[str], definition: _Definition, table: str = "") -> None:
    absent = [c for c in columns if c not in data.columns]
    if absent:
        where = f"the {table!r} table" if table else "the input"
        raise _SkipError(f"{where} has no column(s) {absent} (needed at the {definition.level} level)")


def _call(definition: _Definition, data: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The definition's function on the prepared table; areas the level cannot place are left out."""
    columns, options = definition.arguments()
    names = {c for value in columns.values() for c in ([value] if isinstance(value, str) else value)}
    _need(data, sorted(names), definition)
    data = data[data[definition.key].notna()]
    if not len(data):
        raise _SkipError(f"no row of the data has a {definition.level} code")
    function = getattr(bh.indicators, definition.entry["function"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # blank groups say why in `statistic`
        try:
            result: pd.DataFrame = function(data, **columns, **options, **tables)
        except BLMKError as err:
            raise _SkipError(f"{definition.entry['function']} refused the data: {err}") from err
    return result


def _tidy(definition: _Definition, result: pd.DataFrame, bundle: DataBundle) -> pd.DataFrame:
    """The function's output as rows of the tidy table."""
    entry = definition.entry
    columns, _ = definition.arguments()
    numerator, denominator = (_count_column(name, columns) for name in _COUNTS.get(entry["function"], (None, None)))
    output = {"value": "value", "lower": "lowercl", "upper": "uppercl", "numerator": numerator}
    output.update({"denominator": denominator})
    output.update({key: column or None for key, column in dict(entry.get("output", {})).items()})
    named = [column for column in dict(entry.get("output", {})).values() if column]
    missing = [column for column in named if column not in result]
    if missing:
        raise _SkipError(f"{entry['function']} gave no column(s) {missing} named in the definition's output")
    result = _attributed(definition, result, output["numerator"])
    n = len(result)
    value = _floats(result, output["value"], n)
    statistic = result["statistic"] if "statistic" in result else pd.Series([""] * n)
    reasons = [_reason(text) for text in statistic.astype(object)]
    status = np.where(np.isnan(value), ["blank: " + r for r in reasons], "ok")
    names = _area_names(bundle, definition.level)
    codes = result[definition.key].astype(object)
    return pd.DataFrame(
        {
            "indicator_id": entry["id"],
            "indicator_name": entry["title"],
            "level": definition.level,
            "area_code": codes.to_numpy(),
            "area_name": codes.map(names).to_numpy(),
            "period": result["period"].astype(str).to_numpy() if "period" in result else _period(entry, bundle),
            "sex": _sex(result, columns),
            "value": value,
            "lower": _floats(result, output["lower"], n),
            "upper": _floats(result, output["upper"], n),
            "confidence": "95%",
            "numerator": _floats(result, output["numerator"], n),
            "denominator": _floats(result, output["denominator"], n),
            "unit": entry["unit"],
            "method": entry["method"],
            "status": status,
            "suppressed": False,
        }
    )


def _attributed(definition: _Definition, result: pd.DataFrame, numerator: str | None) -> pd.DataFrame:
    """The rows of areas; rows with no area (e.g. spells of practices not in the population) are noted."""
    unplaced = result[definition.key].isna()
    if not unplaced.any():
        return result
    if definition.level == definition.entry["geography_levels"][0]:
        counted = f"{_floats(result[unplaced], numerator, int(unplaced.sum())).sum():,.0f} " if numerator else ""
        statistic = result.loc[unplaced, "statistic"] if "statistic" in result else pd.Series(dtype=object)
        why = "; ".join(dict.fromkeys(str(s) for s in statistic.dropna())) or "no area"
        definition.notes.append(
            f"{definition.entry['id']}: {counted}{numerator or 'events'} of no {definition.level} in the data are "
            f"left out of every level ({why})"
        )
    kept: pd.DataFrame = result[~unplaced].reset_index(drop=True)
    return kept


def _reason(statistic: object) -> str:
    """Why a value is blank, from a ``statistic`` text such as "life expectancy at 0 NA: <why>"."""
    text = "" if statistic is None or statistic != statistic else str(statistic)
    for marker in (" NA: ", " NA for ", ": "):
        if marker in text:
            return text.split(marker, 1)[1]
    return text or "no value"


def _count_column(name: str | None, columns: Mapping[str, Any]) -> str | None:
    if name is not None and name.startswith("<"):
        return str(columns[name.strip("<>")])
    return name


def _floats(result: pd.DataFrame, column: str | None, n: int) -> np.ndarray[Any, Any]:
    if column is None or column not in result:
        return np.full(n, np.nan)
    return np.asarray(pd.to_numeric(result[column]).to_numpy(dtype=float, na_value=np.nan))


def _sex(result: pd.DataFrame, columns: Mapping[str, Any]) -> Any:
    if "sex" not in columns["by"] or "sex" not in result:
        return "Persons"
    text = result["sex"].astype(str)
    return text.str.lower().map(_SEXES).fillna(text).to_numpy()


def _period(entry: Mapping[str, Any], bundle: DataBundle) -> str:
    """The period of the first input, and of the other tables the function takes when they differ."""
    tables = [entry["inputs"][0]]
    tables += [spec["table"] if isinstance(spec, Mapping) else spec for spec in dict(entry.get("tables", {})).values()]
    periods = [(name, str(bundle.periods.get(name, ""))) for name in tables]
    distinct = list(dict.fromkeys(p for _, p in periods if p))
    if len(distinct) <= 1:
        return distinct[0] if distinct else ""
    return "; ".join(f"{period} ({name.replace('_', ' ')})" for name, period in periods if period)


def _area_names(bundle: DataBundle, level: str) -> dict[Any, str]:
    """Area code -> name, from the bundle's tables (practices, clusters, places, lsoas)."""
    key, name = LEVEL_COLUMNS[level], f"{level}_name"
    for table in ("practices", "clusters", "places", "lsoas"):
        frame = bundle.tables.get(table)
        if frame is not None and key in frame.columns and name in frame.columns:
            pairs = pd.DataFrame(frame)[[key, name]].dropna().drop_duplicates(key)
            return dict(zip(pairs[key], pairs[name].astype(str), strict=True))
    return {}


def _skipped(entry: Mapping[str, Any], level: str, bundle: DataBundle, why: str) -> pd.DataFrame:
    row = dict.fromkeys(INDICATOR_COLUMNS)
    row.update(
        indicator_id=entry["id"],
        indicator_name=entry["title"],
        level=level,
        period=_period(entry, bundle),
        sex="Persons",
        confidence="95%",
        unit=entry["unit"],
        method=entry["method"],
        status=f"skipped: {why}",
        suppressed=False,
    )
    return pd.DataFrame([row])


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in INDICATOR_COLUMNS})


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    """The documented dtypes and order: indicator, level from the bottom up, area, sex."""
    for column, dtype in INDICATOR_COLUMNS.items():
        if dtype == "str":
            table[column] = table[column].astype(object).where(table[column].notna(), None).astype("str")
        else:
            table[column] = table[column].astype(float if dtype == "float64" else bool)
    rank = table["level"].map({level: i for i, level in enumerate(LEVELS)})
    sex = table["sex"].map({"Persons": 0, "Male": 1, "Female": 2})
    order = np.lexsort(
        (sex.to_numpy(), table["area_code"].fillna("").to_numpy(), rank.to_numpy(), table["indicator_id"].to_numpy())
    )
    return table.iloc[order].reset_index(drop=True)[list(INDICATOR_COLUMNS)]
