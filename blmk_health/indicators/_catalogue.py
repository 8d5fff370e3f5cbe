"""Indicator definitions: one small TOML file per indicator, shipped as package data.

Each file in ``blmk_health/indicators/definitions/`` defines one indicator: what it measures, its
numerator and denominator, its polarity, the method and source, who wrote and checked the definition,
and everything needed to compute it from a data bundle: the public function of
:mod:`blmk_health.indicators` that computes it, the input tables it reads (by the table names of
:func:`blmk_health.datasets.synthetic_blmk`), declarative preparation steps (joins and sums), the
keyword arguments of the call and the geography levels it is published at. A runner computes a
definition at one level like this:

1. take the first input table;
2. apply the ``prepare`` steps in order: a filter keeps the rows whose columns equal the given
   value(s); a join adds columns of another input table; a sum adds up columns within groups of ``by``
   plus the level's code column;
3. merge ``level_overrides[level]`` over ``columns`` and ``options``, and put the level's code
   column (:data:`LEVEL_COLUMNS`) first in ``columns["by"]``;
4. call ``function(table, **columns, **options, **tables)``, where ``tables`` passes other input
   tables (filtered when the definition says so) as arguments;
5. read the value, limits and counts from the output's ``value``, ``lowercl``, ``uppercl`` (and the
   function's count columns), or from the columns ``output`` names.

:func:`validate_entry` checks every field; :func:`catalogue` returns them all as one table.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import inspect
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from blmk_health.errors import SchemaError

__all__ = [
    "FIELDS",
    "GEOGRAPHY_LEVELS",
    "INPUT_TABLES",
    "LEVEL_COLUMNS",
    "OPTIONAL_FIELDS",
    "OUTPUT_KEYS",
    "catalogue",
    "indicator_functions",
    "load_entry",
    "validate_entry",
]

#: Geography level -> the column holding an area's code at that level.
LEVEL_COLUMNS: dict[str, str] = {
    "practice": "practice_code",
    "cluster": "cluster_code",
    "place": "place_code",
    "icb": "icb_code",
    "lsoa": "lsoa_code",
}

#: Geography levels an indicator may be published at.
GEOGRAPHY_LEVELS = tuple(LEVEL_COLUMNS)

#: Input tables a definition may read: the tables of ``bh.datasets.synthetic_blmk()`` (whose
#: ``tables()`` has the same names; a test checks the two lists agree).
INPUT_TABLES: dict[str, str] = {
    "places": "the four places (local authorities) with their ICB",
    "clusters": "GP clusters (primary care networks) with their place",
    "practices": "GP practices with their cluster, place and ICB",
    "lsoas": "small areas (LSOA) with their place and IMD deciles (national and local)",
    "population": "residents by LSOA, sex and life-table age band",
    "deaths": "deaths and person-years by LSOA, sex and life-table age band",
    "patients": "one row per registered patient",
    "events": "primary-care coded events",
    "codelists": "the codes of each condition",
    "registrations": "registered patients by practice, sex and 5-year age group",
    "workforce": "GP, nurse, direct patient care and admin FTE and headcount by practice and role (long layout)",
    "qof_registers": "QOF disease registers and list sizes by practice",
    "admissions": "hospital episodes",
    "prevalence_rates": "true and expected prevalence by condition, sex, age band and IMD decile",
    "qof_achievement": "QOF indicator numerators, denominators and exceptions by practice",
    "expected_prevalence": "expected cases of a condition by practice, and the population they apply to",
    "general_health": (
        "proportion of survey respondents in good health (good_health) and respondents (respondents) "
        "by place_code, sex and life-table age band (the Annual Population Survey's question)"
    ),
}

#: Field name -> (python type(s), description). Every field is required except :data:`OPTIONAL_FIELDS`.
FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "id": (str, "snake_case identifier, the same as the file name"),
    "title": (str, "short title as shown in tables and charts"),
    "definition": (str, "what the indicator measures, in one or two sentences"),
    "numerator": (str, "what is counted"),
    "denominator": (str, "the population the count is taken from"),
    "unit": (str, "e.g. 'per 100,000 population', 'years', '%'"),
    "multiplier": ((int, float), "scale of the value (100000 for a rate per 100,000)"),
    "method": (str, "the statistical method, in words"),
    "low_is_good": ((bool, str), "polarity: true, false, or 'not applicable'"),
    "function": (str, "the public blmk_health.indicators function that computes it"),
    "inputs": (list, "input tables by their synthetic_blmk() names; the first is the one the function gets"),
    "prepare": (list, "steps applied in order to the first input: filters, joins and sums"),
    "columns": (dict, "keyword arguments of the function that name columns (string or list of strings)"),
    "options": (dict, "the other keyword arguments of the function"),
    "geography_levels": (list, f"levels it is published at, from {GEOGRAPHY_LEVELS}"),
    "level_overrides": (dict, "per level, keyword arguments that replace those of columns or options"),
    "tables": (dict, "other tables the function takes, by argument: an input table's name, or {table, filter}"),
    "output": (dict, "which output columns hold the value, lower, upper, numerator and denominator (false: none)"),
    "source": (str, "data source(s)"),
    "references": (list, "citations / URLs of the official definition"),
    "authored_by": (str, "who wrote the definition"),
    "checked_by": (str, "who checked it"),
    "date_reviewed": (dt.date, "date of the last review"),
    "next_review": (dt.date, "date of the next review"),
}

#: Optional fields and their value when left out.
OPTIONAL_FIELDS: dict[str, Any] = {"prepare": [], "level_overrides": {}, "tables": {}, "output": {}}

#: The columns of the report's tidy table that ``output`` may map to output columns of the function.
OUTPUT_KEYS = ("value", "lower", "upper", "numerator", "denominator")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_JOIN_KEYS = ("join", "on", "columns")
_SUM_KEYS = ("sum", "by")
_FILTER_KEYS = ("filter",)
_RECORDS_KEYS = ("records",)
_SEGMENTATION_KEYS = ("segmentation",)
#: Record-level preparations a ``records`` step may name: ``blmk_health.records`` functions.
RECORD_STEPS = ("spells",)
#: Segmentations a ``segmentation`` step may name: ``"tiers"`` scores every patient of the ``patients``
#: table and places them in a 2% / 18% / 80% tier, from its ``events`` and ``codelists``, and gives the
#: patients counted by practice (the report's runner makes it, with ``blmk_health.segmentation``).
SEGMENTATION_STEPS = ("tiers",)


def indicator_functions() -> dict[str, Callable[..., Any]]:
    """The functions a definition may name: public, callable, and taking a table first.

    Returns
    -------
    dict
        Name -> function, for every callable in ``blmk_health.indicators.__all__`` whose first
        parameter is positional (the table); :func:`catalogue` itself takes none and is left out.

    Examples
    --------
    >>> functions = indicator_functions()
    >>> "life_expectancy" in functions, "catalogue" in functions
    (True, False)
    """
    package = importlib.import_module("blmk_health.indicators")
    found: dict[str, Callable[..., Any]] = {}
    for name in package.__all__:
        value = getattr(package, name)
        if callable(value) and _takes_table(value):
            found[name] = value
    return found


def _takes_table(function: Callable[..., Any]) -> bool:
    params = list(inspect.signature(function).parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return bool(params) and params[0].kind in positional


def validate_entry(entry: Mapping[str, Any], source: str = "<entry>") -> dict[str, Any]:
    """Check one indicator definition against the schema; return it or raise :class:`SchemaError`.

    Parameters
    ----------
    entry : mapping
        The parsed TOML of one indicator.
    source : str
        Where the entry came from, for the error message.

    Returns
    -------
    dict
        The entry, with the optional fields (:data:`OPTIONAL_FIELDS`) filled in when left out.

    Raises
    ------
    SchemaError
        Listing every problem: missing or unknown fields, wrong types, an id that is not snake_case,
        an unknown function, input table or geography level, a preparation step that is malformed or
        joins a table not among the inputs, keyword arguments the function does not accept or required
        ones left out, level overrides of unknown levels or arguments, or a next review not after the
        last review.

    Examples
    --------
    >>> try:
    ...     validate_entry({"id": "Bad Id"}, "example.toml")
    ... except SchemaError as err:
    ...     print(str(err).splitlines()[0])
    example.toml: indicator definition is invalid:
    """
    full = {**copy.deepcopy(OPTIONAL_FIELDS), **entry}
    problems = _check_fields(full)
    problems += _check_description(full)
    problems += _check_inputs(full)
    problems += _check_call(full)
    problems += _check_levels(full)
    problems += _check_governance(full)
    if problems:
        msg = f"{source}: indicator definition is invalid:\n- " + "\n- ".join(problems)
        raise SchemaError(msg)
    return full


def _check_fields(entry: Mapping[str, Any]) -> list[str]:
    """Missing and unknown fields, and the type of every field present."""
    problems: list[str] = []
    missing = [name for name in FIELDS if name not in entry]
    if missing:
        problems.append(f"missing fields: {', '.join(missing)}")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    for name, (kind, _) in FIELDS.items():
        if name not in entry:
            continue
        value = entry[name]
        if (
            isinstance(value, dt.datetime)
            or not isinstance(value, kind)
            or (kind == (int, float) and isinstance(value, bool))
        ):
            problems.append(f"{name}: expected {_kind_name(kind)}, got {value!r}")
        elif isinstance(value, str) and not value.strip():
            problems.append(f"{name}: must not be empty")
    return problems


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dt.date: "date", dict: "table", list: "list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_description(entry: Mapping[str, Any]) -> list[str]:
    """The id, multiplier and polarity."""
    problems: list[str] = []
    if isinstance(entry.get("id"), str) and not _ID.match(entry["id"]):
        problems.append(f"id: must be snake_case, got {entry['id']!r}")
    multiplier = entry.get("multiplier")
    if isinstance(multiplier, (int, float)) and not isinstance(multiplier, bool) and not multiplier > 0:
        problems.append(f"multiplier: must be > 0, got {multiplier!r}")
    if isinstance(entry.get("low_is_good"), str) and entry["low_is_good"] != "not applicable":
        problems.append(f"low_is_good: true, false or 'not applicable', got {entry['low_is_good']!r}")
    return problems


def _is_names(value: Any, allow_empty: bool = False) -> bool:
    """A list of non-empty strings (non-empty unless ``allow_empty``)."""
    return (
        isinstance(value, list)
        and (allow_empty or bool(value))
        and all(isinstance(v, str) and v.strip() for v in value)
    )


def _check_inputs(entry: Mapping[str, Any]) -> list[str]:
    """The input tables and the preparation steps that join them."""
    inputs, steps = entry.get("inputs"), entry.get("prepare")
    if not isinstance(inputs, list):
        return []
    if not _is_names(inputs) or len(set(inputs)) < len(inputs):
        return [f"inputs: expected a non-empty list of distinct table names, got {inputs!r}"]
    problems = [
        f"inputs: unknown input table {name!r} (known: {', '.join(INPUT_TABLES)})"
        for name in inputs
        if name not in INPUT_TABLES
    ]
    if not isinstance(steps, list):
        return problems
    joined: set[str] = set()
    for number, step in enumerate(steps, start=1):
        problems += _check_step(step, f"prepare step {number}", inputs)
        for kind in ("records", "segmentation"):
            if isinstance(step, Mapping) and kind in step and number > 1:
                problems.append(f"prepare step {number}: a {kind} step must come first (it reads the input as given)")
        if isinstance(step, Mapping) and "segmentation" in step:
            joined |= {"events", "codelists"}
        if isinstance(step, Mapping) and isinstance(step.get("join"), str):
            joined.add(step["join"])
    tables = entry.get("tables")
    if isinstance(tables, Mapping):
        joined |= {str(t.get("table") if isinstance(t, Mapping) else t) for t in tables.values()}
        joined |= {str(t["join"]) for t in tables.values() if isinstance(t, Mapping) and "join" in t}
    unused = [name for name in inputs[1:] if name not in joined]
    if unused:
        problems.append(f"inputs: {', '.join(map(repr, unused))} not joined by any prepare step")
    return problems


def _check_step(step: Any, where: str, inputs: list[str]) -> list[str]:
    """One preparation step: ``{join, on, columns}`` or ``{sum, by}``."""
    if not isinstance(step, Mapping):
        return [f"{where}: expected a table, got {step!r}"]
    kinds = (
        ("join", _JOIN_KEYS),
        ("sum", _SUM_KEYS),
        ("filter", _FILTER_KEYS),
        ("records", _RECORDS_KEYS),
        ("segmentation", _SEGMENTATION_KEYS),
    )
    keys = next((k for name, k in kinds if name in step), None)
    if keys is None or set(step) != set(keys):
        expected = (
            "join, on, columns (a join), sum, by (a sum), filter (a filter), records (a records step) or "
            "segmentation (a segmentation step)"
        )
        return [f"{where}: expected the keys {expected}, got {sorted(step)}"]
    if keys == _RECORDS_KEYS:
        if step["records"] not in RECORD_STEPS:
            return [f"{where}: records: expected one of {list(RECORD_STEPS)}, got {step['records']!r}"]
        return []
    if keys == _SEGMENTATION_KEYS:
        if step["segmentation"] not in SEGMENTATION_STEPS:
            return [f"{where}: segmentation: expected one of {list(SEGMENTATION_STEPS)}, got {step['segmentation']!r}"]
        missing = [name for name in ("patients", "events", "codelists") if name not in inputs]
        return [f"{where}: a segmentation step needs the inputs {missing}"] if missing else []
    if keys == _FILTER_KEYS:
        return _check_filter(step["filter"], where)
    if keys == _SUM_KEYS:
        problems = [] if _is_names(step["sum"]) else [f"{where}: sum: expected a non-empty list of column names"]
        if not _is_names(step["by"], allow_empty=True):
            problems.append(f"{where}: by: expected a list of column names")
        else:
            problems += _level_columns_named(step["by"], f"{where}: by")
        return problems
    problems = []
    if step["join"] not in inputs[1:]:
        problems.append(f"{where}: join: {step['join']!r} is not one of the inputs after the first {inputs[1:]}")
    for key in ("on", "columns"):
        if not _is_names(step[key]):
            problems.append(f"{where}: {key}: expected a non-empty list of column names")
    return problems


def _check_filter(rule: Any, where: str) -> list[str]:
    """A filter keeps the rows whose columns equal a value (or one of a list of values)."""
    scalar = (str, int, float, bool)
    if not isinstance(rule, Mapping) or not rule:
        return [f"{where}: filter: expected a table of column = value(s), got {rule!r}"]
    bad = [
        column
        for column, value in rule.items()
        if not (
            isinstance(value, scalar)
            or (isinstance(value, list) and value and all(isinstance(v, scalar) for v in value))
        )
    ]
    if bad:
        return [f"{where}: filter: {bad} must each be a value or a non-empty list of values"]
    return []


def _level_columns_named(names: Iterable[str], where: str) -> list[str]:
    clash = [name for name in names if name in LEVEL_COLUMNS.values()]
    if clash:
        return [f"{where}: must not name a level's code column {clash} (the runner adds it)"]
    return []


def _check_call(entry: Mapping[str, Any]) -> list[str]:
    """The function, and the keyword arguments its signature must accept."""
    name, columns, options = entry.get("function"), entry.get("columns"), entry.get("options")
    if not isinstance(name, str) or not isinstance(columns, dict) or not isinstance(options, dict):
        return []
    problems = _check_columns(columns)
    both = sorted(set(columns) & set(options))
    if both:
        problems.append(f"options: {both} also given in columns")
    if "by" in options:
        problems.append("options: by names columns; give it in columns")
    given = entry.get("tables")
    tables: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    problems += _check_tables(tables, entry.get("inputs"))
    problems += _check_output(entry.get("output"))
    functions = indicator_functions()
    if name not in functions:
        return [*problems, f"function: {name!r} is not one of {', '.join(sorted(functions))}"]
    return problems + _check_signature(name, functions[name], {**columns, **options, **tables})


def _check_tables(tables: Mapping[str, Any], inputs: Any) -> list[str]:
    """Table arguments: each names an input table (with an optional filter, and an optional join)."""
    problems = []
    known = inputs if isinstance(inputs, list) else []
    for argument, spec in tables.items():
        where = f"tables: {argument}"
        table = spec.get("table") if isinstance(spec, Mapping) else spec
        joins = isinstance(spec, Mapping) and bool(set(spec) & set(_JOIN_KEYS))
        allowed = {"table", "filter", *_JOIN_KEYS}
        if isinstance(spec, Mapping) and (
            set(spec) - allowed or "table" not in spec or (joins and not set(_JOIN_KEYS) <= set(spec))
        ):
            expected = "a table name or {table, filter, join, on, columns}"
            problems.append(f"{where}: expected {expected}, got keys {sorted(spec)}")
            continue
        if not isinstance(table, str) or table not in known:
            problems.append(f"{where}: {table!r} is not one of the inputs {known}")
        if isinstance(spec, Mapping) and "filter" in spec:
            problems += _check_filter(spec["filter"], where)
        if joins and isinstance(spec, Mapping):
            problems += _check_step({k: spec[k] for k in _JOIN_KEYS}, where, known)
    return problems


def _check_output(output: Any) -> list[str]:
    if not isinstance(output, Mapping):
        return []
    unknown = sorted(set(output) - set(OUTPUT_KEYS))
    problems = [f"output: unknown key(s) {unknown}; use {', '.join(OUTPUT_KEYS)}"] if unknown else []
    bad = [
        key
        for key, column in output.items()
        if not (isinstance(column, str) and column.strip()) and column is not False
    ]
    if bad:
        problems.append(f"output: {bad} must each name an output column (or be false: none)")
    return problems


def _check_columns(columns: Mapping[str, Any]) -> list[str]:
    """Column names; ``by`` a list of them (the runner adds the level's code column to it)."""
    problems = []
    for key, value in columns.items():
        if key == "by":
            if not _is_names(value, allow_empty=True):
                problems.append(f"columns: by: expected a list of column names, got {value!r}")
            else:
                problems += _level_columns_named(value, "columns: by")
        elif not (isinstance(value, str) and value.strip()) and not _is_names(value):
            problems.append(f"columns: {key}: expected a column name or a list of them, got {value!r}")
    return problems


def _check_signature(name: str, function: Callable[..., Any], arguments: Mapping[str, Any]) -> list[str]:
    """Arguments the function does not take, and required ones left out (the table comes first)."""
    table, *rest = inspect.signature(function).parameters.values()
    kinds = inspect.Parameter
    named = [p for p in rest if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)]
    takes_any = any(p.kind is kinds.VAR_KEYWORD for p in rest)
    unknown = {table.name} & set(arguments)
    if not takes_any:
        unknown |= set(arguments) - {p.name for p in named}
    required = [p.name for p in named if p.default is kinds.empty and p.name not in arguments]
    problems = []
    if unknown:
        problems.append(f"{name}() does not accept the argument(s) {', '.join(sorted(unknown))}")
    if required:
        problems.append(f"{name}() requires the argument(s) {', '.join(required)}")
    return problems


def _check_levels(entry: Mapping[str, Any]) -> list[str]:
    """The geography levels, and the overrides of arguments per level."""
    levels, overrides = entry.get("geography_levels"), entry.get("level_overrides")
    if not isinstance(levels, list):
        return []
    if not levels or len(set(map(str, levels))) < len(levels) or any(lvl not in GEOGRAPHY_LEVELS for lvl in levels):
        expected = f"a non-empty list of distinct levels from {GEOGRAPHY_LEVELS}"
        return [f"geography_levels: expected {expected}, got {levels!r}"]
    if not isinstance(overrides, dict):
        return []
    columns, options = entry.get("columns"), entry.get("options")
    columns = columns if isinstance(columns, dict) else {}
    options = options if isinstance(options, dict) else {}
    problems = []
    for level, replaced in overrides.items():
        where = f"level_overrides: {level}"
        if level not in levels:
            problems.append(f"{where}: not one of the geography_levels {levels}")
        elif not isinstance(replaced, dict):
            problems.append(f"{where}: expected a table of arguments, got {replaced!r}")
        else:
            problems += _check_override(replaced, columns, options, where)
    return problems


def _check_override(
    replaced: Mapping[str, Any], columns: Mapping[str, Any], options: Mapping[str, Any], where: str
) -> list[str]:
    unknown = sorted(set(replaced) - set(columns) - set(options))
    problems = [f"{where}: {unknown} not in columns or options (an override replaces one)"] if unknown else []
    in_columns = {key: value for key, value in replaced.items() if key in columns}
    return problems + [f"{where}: {p.removeprefix('columns: ')}" for p in _check_columns(in_columns)]


def _check_governance(entry: Mapping[str, Any]) -> list[str]:
    problems = []
    refs = entry.get("references")
    if isinstance(refs, list) and not _is_names(refs):
        problems.append("references: expected a non-empty list of strings")
    reviewed, nxt = entry.get("date_reviewed"), entry.get("next_review")
    if isinstance(reviewed, dt.date) and isinstance(nxt, dt.date) and not nxt > reviewed:
        problems.append(f"next_review ({nxt}) must be after date_reviewed ({reviewed})")
    return problems


def load_entry(path: str | Path) -> dict[str, Any]:
    """Read and validate one indicator definition; its ``id`` must equal the file name.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` file.

    Returns
    -------
    dict
        The validated entry, optional fields filled in.

    Raises
    ------
    SchemaError
        The file is not valid TOML, fails :func:`validate_entry`, or its id is not its file name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... id = "example_rate"
    ... title = "Example"
    ... definition = "An example rate."
    ... numerator = "Events"
    ... denominator = "Residents"
    ... unit = "per 100,000"
    ... multiplier = 100000
    ... method = "Crude rate with Byar's limits"
    ... low_is_good = true
    ... function = "crude_rate"
    ... inputs = ["deaths"]
    ... columns = { x = "deaths", n = "person_years", by = ["sex"] }
    ... options = { multiplier = 100000 }
    ... geography_levels = ["place"]
    ... source = "Example source"
    ... references = ["Example reference"]
    ... authored_by = "A. Analyst"
    ... checked_by = "B. Checker"
    ... date_reviewed = 2026-11-24
    ... next_review = 2027-11-24
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "example_rate.toml"
    ...     _ = path.write_text(text)
    ...     entry = load_entry(path)
    >>> entry["function"], entry["columns"]["x"], entry["prepare"]
    ('crude_rate', 'deaths', [])
    """
    path = Path(path)
    try:
        entry = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        msg = f"{path.name}: not valid TOML: {err}"
        raise SchemaError(msg) from err
    full = validate_entry(entry, path.name)
    if full["id"] != path.stem:
        msg = f"{path.name}: id {full['id']!r} must equal the file name {path.stem!r}"
        raise SchemaError(msg)
    return full


def _shipped_files() -> list[Path]:
    folder = resources.files("blmk_health.indicators") / "definitions"
    return sorted(Path(str(item)) for item in folder.iterdir() if item.name.endswith(".toml"))


def catalogue() -> pd.DataFrame:
    """Every indicator the library defines, one row each, sorted by ``id``.

    The definitions are the TOML files shipped in ``blmk_health/indicators/definitions/``; the
    documentation's "Indicator catalogue" page describes each field.

    Returns
    -------
    pandas.DataFrame
        One column per field of a definition, in this order: ``id``, ``title``, ``definition``,
        ``numerator``, ``denominator``, ``unit``, ``multiplier``, ``method`` (the method in words),
        ``low_is_good``, ``function`` (the ``bh.indicators`` function that computes it), ``inputs``,
        ``prepare``, ``columns``, ``options``, ``geography_levels``, ``level_overrides``, ``source``,
        ``references``, ``authored_by``, ``checked_by``, ``date_reviewed``, ``next_review``. The
        computation fields hold lists and dicts as read from the TOML.

    Raises
    ------
    SchemaError
        A shipped definition is invalid (a packaging error: the test suite validates them all).

    See Also
    --------
    life_expectancy, le_gap, healthy_life_expectancy : functions the shipped definitions name.

    Examples
    --------
    >>> import blmk_health as bh
    >>> table = bh.indicators.catalogue()
    >>> list(table.columns[:3])
    ['id', 'title', 'definition']
    >>> le = table.set_index("id").loc["life_expectancy_at_birth"]
    >>> le["function"], le["columns"]["population"], le["geography_levels"]
    ('life_expectancy', 'person_years', ['place', 'icb'])
    """
    entries = [load_entry(path) for path in _shipped_files()]
    return pd.DataFrame(entries, columns=list(FIELDS)).sort_values("id", ignore_index=True)
