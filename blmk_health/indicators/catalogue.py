"""The indicator catalogue: one small TOML file per indicator, shipped as package data.

Each file in ``blmk_health/indicators/catalogue/`` defines one indicator: what it measures, its
numerator and denominator, the method that computes it, its polarity and geographies, its source and
references, and who wrote and checked the definition and when it is next reviewed. The catalogue is
the documentation of record of every indicator the library computes.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from blmk_health.errors import SchemaError

__all__ = ["FIELDS", "GEOGRAPHY_LEVELS", "METHODS", "catalogue", "load_entry", "validate_entry"]

#: Geography levels an indicator may be published at.
GEOGRAPHY_LEVELS = ("lsoa", "practice", "cluster", "place", "icb")

#: Statistical methods an entry may name (functions of :mod:`blmk_health.indicators`).
METHODS = (
    "crude_rate",
    "proportion",
    "mean",
    "dsr",
    "isr",
    "life_expectancy",
    "healthy_life_expectancy",
    "sii",
    "le_gap",
    "prevalence_gap",
    "patients_per_gp",
    "nel_admissions",
    "readmissions",
)

#: Field name -> (python type(s), description). Every field is required.
FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "id": (str, "snake_case identifier, the same as the file name"),
    "title": (str, "short title as shown in tables and charts"),
    "definition": (str, "what the indicator measures, in one or two sentences"),
    "numerator": (str, "what is counted"),
    "denominator": (str, "the population the count is taken from"),
    "unit": (str, "e.g. 'per 100,000 population', 'years', '%'"),
    "multiplier": ((int, float), "scale of the value (100000 for a rate per 100,000)"),
    "method": (str, "the blmk_health.indicators function that computes it"),
    "low_is_good": ((bool, str), "polarity: true, false, or 'not applicable'"),
    "geography_levels": (list, f"levels it is published at, from {GEOGRAPHY_LEVELS}"),
    "source": (str, "data source(s)"),
    "references": (list, "citations / URLs of the official definition"),
    "authored_by": (str, "who wrote the definition"),
    "checked_by": (str, "who checked it"),
    "date_reviewed": (dt.date, "date of the last review"),
    "next_review": (dt.date, "date of the next review"),
}

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def validate_entry(entry: Mapping[str, Any], source: str = "<entry>") -> dict[str, Any]:
    """Check one catalogue entry against the schema; return it as a dict or raise :class:`SchemaError`.

    Parameters
    ----------
    entry : mapping
        The parsed TOML of one indicator.
    source : str
        Where the entry came from, for the error message.

    Returns
    -------
    dict
        The entry, unchanged.

    Raises
    ------
    SchemaError
        Listing every problem: missing or unknown fields, wrong types, an unknown method or geography
        level, an id that is not snake_case, or a next review not after the last review.

    Examples
    --------
    >>> try:
    ...     validate_entry({"id": "Bad Id"}, "example.toml")
    ... except SchemaError as err:
    ...     print(str(err).splitlines()[0])
    example.toml: catalogue entry is invalid:
    """
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
            continue
        if isinstance(value, str) and not value.strip():
            problems.append(f"{name}: must not be empty")
    if isinstance(entry.get("id"), str) and not _ID.match(entry["id"]):
        problems.append(f"id: must be snake_case, got {entry['id']!r}")
    if isinstance(entry.get("method"), str) and entry["method"] not in METHODS:
        problems.append(f"method: {entry['method']!r} is not one of {', '.join(METHODS)}")
    multiplier = entry.get("multiplier")
    if isinstance(multiplier, (int, float)) and not isinstance(multiplier, bool) and not multiplier > 0:
        problems.append(f"multiplier: must be > 0, got {entry['multiplier']!r}")
    if isinstance(entry.get("low_is_good"), str) and entry["low_is_good"] != "not applicable":
        problems.append(f"low_is_good: true, false or 'not applicable', got {entry['low_is_good']!r}")
    levels = entry.get("geography_levels")
    if isinstance(levels, list):
        bad = [lvl for lvl in levels if lvl not in GEOGRAPHY_LEVELS]
        if bad or not levels:
            problems.append(f"geography_levels: expected a non-empty list from {GEOGRAPHY_LEVELS}, got {levels!r}")
    refs = entry.get("references")
    if isinstance(refs, list) and (not refs or not all(isinstance(r, str) and r.strip() for r in refs)):
        problems.append("references: expected a non-empty list of strings")
    reviewed, nxt = entry.get("date_reviewed"), entry.get("next_review")
    if isinstance(reviewed, dt.date) and isinstance(nxt, dt.date) and not nxt > reviewed:
        problems.append(f"next_review ({nxt}) must be after date_reviewed ({reviewed})")
    if problems:
        msg = f"{source}: catalogue entry is invalid:\n- " + "\n- ".join(problems)
        raise SchemaError(msg)
    return dict(entry)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("date" if k is dt.date else k.__name__ for k in kinds)


def load_entry(path: str | Path) -> dict[str, Any]:
    """Read and validate one catalogue TOML file; its ``id`` must equal the file name.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` file.

    Returns
    -------
    dict
        The validated entry.

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
    ... method = "crude_rate"
    ... low_is_good = true
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
    ...     load_entry(path)["method"]
    'crude_rate'
    """
    path = Path(path)
    try:
        entry = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        msg = f"{path.name}: not valid TOML: {err}"
        raise SchemaError(msg) from err
    validate_entry(entry, path.name)
    if entry["id"] != path.stem:
        msg = f"{path.name}: id {entry['id']!r} must equal the file name {path.stem!r}"
        raise SchemaError(msg)
    return entry


def _shipped_files() -> Iterable[Path]:
    folder = resources.files("blmk_health.indicators") / "catalogue"
    return sorted(Path(str(item)) for item in folder.iterdir() if item.name.endswith(".toml"))


def catalogue() -> pd.DataFrame:
    """Every indicator the library defines, one row each, sorted by ``id``.

    Returns
    -------
    pandas.DataFrame
        One column per catalogue field (see :data:`FIELDS`): ``id``, ``title``, ``definition``,
        ``numerator``, ``denominator``, ``unit``, ``multiplier``, ``method``, ``low_is_good``,
        ``geography_levels``, ``source``, ``references``, ``authored_by``, ``checked_by``,
        ``date_reviewed``, ``next_review``.

    Examples
    --------
    >>> import blmk_health as bh
    >>> list(bh.indicators.catalogue().columns[:3])
    ['id', 'title', 'definition']
    """
    entries = [load_entry(path) for path in _shipped_files()]
    return pd.DataFrame(entries, columns=list(FIELDS)).sort_values("id", ignore_index=True)
