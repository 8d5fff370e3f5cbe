"""ONS mid-year population estimates: the wide MYEB layouts and small-area (LSOA) age-sex files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from blmk_health.errors import InputError, SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    age_band,
    check_choices,
    check_range,
    check_unique,
    map_columns,
    normalise,
    read_table,
    stack,
    to_code,
    to_int,
    to_text,
)

__all__ = ["read_ons_population"]

_FILE = (
    "an ONS mid-year population estimates file (a MYEB CSV file, or a small-area SAPE workbook) "
    "(https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates)"
)
_KIND = "an ONS mid-year population estimates file"
_IDS = (
    Column("lsoa_code", "LSOA Code", (r"lsoa ?(?:11|21)? ?(?:cd|code)(?: \(\d{4}\))?", "lsoa"), False, True),
    Column("lsoa_name", "LSOA Name", (r"lsoa ?(?:11|21)? ?(?:nm|name)(?: \(\d{4}\))?",), False, True),
    Column(
        "la_code",
        "ladcode",
        (r"lad ?code ?(?:\d\d)?", r"lad ?\d\d ?cd", r"la ?(?:cd|code)(?: \(.*\))?", "la", "code", "area code"),
        False,
        True,
    ),
    Column(
        "la_name",
        "laname",
        (r"lad? ?name ?(?:\d\d)?", r"lad ?\d\d ?nm", r"la ?(?:nm|name)(?: \(.*\))?", "name", "area name"),
        False,
        True,
    ),
    Column("country", "country", required=False),
    Column("sex", "sex", required=False),
    Column("age", "age", required=False),
)
_YEAR_COLUMN = re.compile(r"(?P<component>[a-z][a-z ]*?) (?P<year>(?:19|20)\d\d)")
_AGE_COLUMN = re.compile(
    r"(?:(?P<sex>f|m|females?|males?|persons) ?)?"
    r"(?:(?P<all>all ages|total|all)|(?P<lo>\d+)(?: ?(?:to|-) ?(?P<hi>\d+)| ?(?P<plus>\+|and over|plus))?)"
)
_SEX_WORDS = {"f": "female", "female": "female", "females": "female", "m": "male", "male": "male", "males": "male"}
_SEX_CODES = {"1": "male", "2": "female", "M": "male", "F": "female", "MALE": "male", "FEMALE": "female"}
_SEX_CODES |= {"MALES": "male", "FEMALES": "female", "0": "all", "PERSONS": "all", "ALL": "all", "3": "all"}
_KEYS = ("lsoa_code", "la_code", "sex", "age")
_DTYPES = {
    "la_code": "str",
    "la_name": "str",
    "lsoa_code": "str",
    "lsoa_name": "str",
    "country": "str",
    "year": "Int64",
    "sex": "str",
    "age": "str",
    "age_lower": "Int64",
    "age_upper": "Int64",
    "component": "str",
    "value": "Float64",
}


@dataclass(frozen=True)
class _Measure:
    header: str
    component: str
    year: int | None
    sex: str | None
    age: str | None
    lower: int | None
    upper: int | None


def _age_measure(header: str) -> _Measure | None:
    match = _AGE_COLUMN.fullmatch(normalise(header))
    if match is None:
        return None
    sex = _SEX_WORDS.get(match["sex"] or "", "all")
    if match["all"]:
        return _Measure(header, "population", None, sex, "all", None, None)
    return _Measure(header, "population", None, sex, *age_band(match))


def _sex_of_sheet(sheet: str | Sequence[str] | None) -> str:
    text = " ".join([sheet] if isinstance(sheet, str) else list(sheet or ())).casefold()
    if "female" in text:
        return "female"
    if "male" in text:
        return "male"
    return "all"


def read_ons_population(
    path: Source,
    *,
    year: int | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read ONS mid-year population estimates into a long table: one row per area, year, sex, age and component.

    Two layouts are read, both wide:

    * the MYEB series by local authority (``ladcode19, laname19, country, population_2001, births_2002,
      deaths_2002, ..., population_2018``; MYEB1/MYEB2 also have ``sex`` and ``age`` columns). Each
      ``<component>_<year>`` column becomes rows of ``component`` (``population``, ``births``,
      ``deaths``, ``natchange``, ``internal_in``, ..., ``other_change``) and ``year``. In MYEB files the
      age 90 means 90 and over and is labelled ``90+``;
    * small-area (LSOA) or local-authority estimates by age and sex (``la, lsoa, Total, F0 to 15, ...,
      M65 and over``, or the SAPE layout ``LSOA Code, LSOA Name, LA Code, All Ages, 0, 1, ..., 90+``).
      Each age column becomes rows with ``component`` ``population``. The sex comes from the column
      (``F``/``M`` prefix) or, for SAPE workbooks, from the sheet name (``Mid-2020 Females``).

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file or xlsx workbook.
    year : int, optional
        The year of the estimates, for files that do not say it in their columns (the age-sex layout).
    sheet : str, optional
        The workbook sheet to read (the first one by default).

    Returns
    -------
    pandas.DataFrame
        Columns (published header -> column, dtype):

        ============================================= =============== ==========================================
        published header                              column          dtype and meaning
        ============================================= =============== ==========================================
        ``ladcode19`` / ``la`` / ``LA Code (...)``    ``la_code``     str
        ``laname19`` / ``LA name (...)``              ``la_name``     str
        ``lsoa`` / ``LSOA Code``                      ``lsoa_code``   str (missing for local-authority files)
        ``LSOA Name``                                 ``lsoa_name``   str
        ``country``                                   ``country``     str
        ``<component>_<year>`` / ``year`` argument    ``year``        Int64
        ``sex`` (1 male, 2 female) / ``F``, ``M``     ``sex``         str: ``all``, ``male``, ``female``
        ``age`` / ``0 to 15``, ``65 and over``, ...   ``age``         str: ``all``, ``7``, ``0-15``, ``65+``
        (from ``age``)                                ``age_lower``   Int64 (missing for ``all``)
        (from ``age``)                                ``age_upper``   Int64 (missing for ``all`` and ``65+``)
        ``<component>_<year>`` / age column           ``component``   str (``population``, ``births``, ...)
        the cell                                      ``value``       Int64 (components of change may be < 0)
        ============================================= =============== ==========================================

        Rows are ordered by area (file order), then column order. ``attrs["layout"]`` is ``"myeb"`` or
        ``"age_sex"``; columns that are neither areas nor estimates are listed in
        ``attrs["ignored_columns"]``.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        No area code column, or no estimate columns (the message lists the columns found), a row with
        the wrong number of fields (with its line number), or a repeated area (and sex and age).
    DomainError
        An estimate that is not a whole number, a negative population, or an unreadable sex or age.
    ReferenceDataError
        A malformed LSOA or local authority code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> text = (
    ...     "ladcode19,laname19,country,population_2001,births_2002,deaths_2002,population_2002\\n"
    ...     "E06000032,Luton,E,185889,2953,1565,185631\\n"
    ... )
    >>> bh.io.read_ons_population(io.StringIO(text))[["la_code", "year", "component", "value"]]
         la_code  year   component   value
    0  E06000032  2001  population  185889
    1  E06000032  2002      births    2953
    2  E06000032  2002      deaths    1565
    3  E06000032  2002  population  185631
    """
    argument = "path"
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        msg = f"year: expected a whole number such as 2020, got {year!r}"
        raise InputError(msg)
    frame = read_table(
        path,
        argument,
        expected=_FILE,
        sheet=sheet,
        is_header=lambda row: any(h.startswith(("lsoa", "lad", "la code", "code")) or h == "la" for h in row),
    )
    found = _find_ids(frame, argument)
    rest = [h for h in frame.columns if h not in set(found.values())]
    layout, measures = _measures(frame, rest, sheet, argument)
    ids = _ids(frame, found, argument)
    keys = [c for c in _KEYS if c in found]
    check_unique(frame, ids[keys], [found[c] for c in keys], argument)
    values = [_values(frame, m, argument) for m in measures]
    result = _long(ids, found, measures, values, year)
    measured = {m.header for m in measures}
    result.attrs.update(layout=layout, ignored_columns=[h for h in rest if h not in measured])
    return result


def _find_ids(frame: pd.DataFrame, argument: str) -> dict[str, str]:
    """The area (and sex and age) columns: at least an LSOA or a local authority code."""
    found = map_columns(frame, _IDS, argument, _KIND)
    if "lsoa_code" not in found and "la_code" not in found:
        msg = (
            f"{argument}: this is not {_KIND}: expected an area code column such as 'ladcode19', 'la' or "
            f"'LSOA Code'; the file has the columns {', '.join(repr(h) for h in frame.columns)}"
        )
        raise SchemaError(msg)
    return found


def _measures(frame: pd.DataFrame, rest: list[str], sheet: str | None, argument: str) -> tuple[str, list[_Measure]]:
    """The layout and its estimate columns: ``<component>_<year>`` (MYEB), else age (and sex) columns."""
    measures: list[_Measure] = []
    for header in rest:
        match = _YEAR_COLUMN.fullmatch(normalise(header))
        if match is not None:
            component = match["component"].replace(" ", "_")
            measures.append(_Measure(header, component, int(match["year"]), None, None, None, None))
    if measures:
        return "myeb", measures
    sheet_sex = _sex_of_sheet(sheet)
    for header in rest:
        measure = _age_measure(header)
        if measure is not None:
            if measure.sex == "all" and sheet_sex != "all":
                measure = _Measure(header, "population", None, sheet_sex, measure.age, measure.lower, measure.upper)
            measures.append(measure)
    if not measures:
        msg = (
            f"{argument}: this is not {_KIND}: expected estimate columns such as 'population_2018' or age "
            f"columns such as 'All Ages', '0', 'F0 to 15'; the file has the columns "
            f"{', '.join(repr(h) for h in frame.columns)}"
        )
        raise SchemaError(msg)
    return "age_sex", measures


def _values(frame: pd.DataFrame, measure: _Measure, argument: str) -> pd.Series:
    """The estimates of one column, as whole numbers; populations may not be negative (changes may)."""
    series = to_int(frame, measure.header, argument)
    if measure.component == "population":
        check_range(frame, series, measure.header, argument, minimum=0)
    return series


def _long(
    ids: pd.DataFrame, found: dict[str, str], measures: list[_Measure], values: list[pd.Series], year: int | None
) -> pd.DataFrame:
    """One row per area (and sex and age) and estimate column: sex and age from the row or the column."""
    rows = [c for c in ("la_code", "la_name", "lsoa_code", "lsoa_name", "country") if c in ids]
    per_measure: dict[str, list[object]] = {
        "year": [m.year if m.year is not None else year for m in measures],
        "component": [m.component for m in measures],
    }
    if "sex" in found:
        rows.append("sex")
    else:
        per_measure["sex"] = [m.sex for m in measures]
    if "age" in found:
        rows += ["age", "age_lower", "age_upper"]
    else:
        per_measure |= {"age": [m.age for m in measures], "age_lower": [m.lower for m in measures]}
        per_measure["age_upper"] = [m.upper for m in measures]
    long = stack({c: ids[c] for c in rows}, per_measure, values)
    result = pd.DataFrame({column: pd.Series(long[column], dtype=dtype) for column, dtype in _DTYPES.items()})
    result["value"] = result["value"].astype("Int64")
    return result


def _ids(frame: pd.DataFrame, found: dict[str, str], argument: str) -> pd.DataFrame:
    lsoa = to_code(frame, found.get("lsoa_code"), "lsoa", argument, required="lsoa_code" in found)
    la = to_code(frame, found.get("la_code"), "la", argument, required="lsoa_code" not in found)
    ids = pd.DataFrame(
        {
            "lsoa_code": lsoa,
            "lsoa_name": to_text(frame, found.get("lsoa_name"), argument),
            "la_code": la,
            "la_name": to_text(frame, found.get("la_name"), argument),
            "country": to_text(frame, found.get("country"), argument),
        }
    )
    if "sex" in found:
        raw = to_text(frame, found["sex"], argument, required=True).str.upper()
        check_choices(frame, raw, found["sex"], argument, list(_SEX_CODES))
        ids["sex"] = raw.map(_SEX_CODES)
    if "age" in found:
        age = to_int(frame, found["age"], argument, required=True, minimum=0)
        top = age == 90
        ids["age"] = age.astype("str").where(~top, "90+")
        ids["age_lower"] = age
        ids["age_upper"] = age.where(~top)
    return ids
