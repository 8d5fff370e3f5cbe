"""ONS mid-year population estimates: the wide MYEB layouts and small-area (LSOA) age-sex files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from blmk_health.errors import InputError, SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    check_choices,
    check_codes,
    check_range,
    check_unique,
    map_columns,
    normalise,
    read_table,
    to_int,
    to_text,
)

__all__ = ["read_ons_population"]

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
    lo = int(match["lo"])
    if match["plus"]:
        return _Measure(header, "population", None, sex, f"{lo}+", lo, None)
    hi = int(match["hi"]) if match["hi"] else lo
    return _Measure(header, "population", None, sex, f"{lo}-{hi}" if match["hi"] else str(lo), lo, hi)


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
        sheet=sheet,
        is_header=lambda row: any(h.startswith(("lsoa", "lad", "la code", "code")) or h == "la" for h in row),
    )
    kind = "an ONS mid-year population estimates file"
    found = map_columns(frame, _IDS, argument, kind)
    if "lsoa_code" not in found and "la_code" not in found:
        msg = (
            f"{argument}: this is not {kind}: expected an area code column such as 'ladcode19', 'la' or "
            f"'LSOA Code'; the file has the columns {', '.join(repr(h) for h in frame.columns)}"
        )
        raise SchemaError(msg)
    used = set(found.values())
    rest = [h for h in frame.columns if h not in used]
    measures: list[_Measure] = []
    for header in rest:
        match = _YEAR_COLUMN.fullmatch(normalise(header))
        if match is not None:
            component = match["component"].replace(" ", "_")
            measures.append(_Measure(header, component, int(match["year"]), None, None, None, None))
    layout = "myeb"
    if not measures:
        layout = "age_sex"
        sheet_sex = _sex_of_sheet(sheet)
        for header in rest:
            measure = _age_measure(header)
            if measure is not None:
                if measure.sex == "all" and sheet_sex != "all":
                    measure = _Measure(header, "population", None, sheet_sex, measure.age, measure.lower, measure.upper)
                measures.append(measure)
    if not measures:
        msg = (
            f"{argument}: this is not {kind}: expected estimate columns such as 'population_2018' or age "
            f"columns such as 'All Ages', '0', 'F0 to 15'; the file has the columns "
            f"{', '.join(repr(h) for h in frame.columns)}"
        )
        raise SchemaError(msg)
    measured = {m.header for m in measures}

    ids = _ids(frame, found, argument)
    key_headers = [found[c] for c in ("lsoa_code", "la_code", "sex", "age") if c in found]
    key_names = [c for c in ("lsoa_code", "la_code", "sex", "age") if c in found]
    check_unique(frame, ids[key_names], key_headers, argument)

    values = {}
    for m in measures:
        series = to_int(frame, m.header, argument)
        if m.component == "population":
            check_range(frame, series, m.header, argument, minimum=0)
        values[m.header] = series.to_numpy(dtype=float, na_value=np.nan)
    n, k = len(frame), len(measures)

    def per_row(column: str) -> np.ndarray:
        return np.repeat(ids[column].to_numpy(dtype=object), k)

    def per_measure(values_: list[object]) -> np.ndarray:
        return np.tile(np.array(values_, dtype=object), n)

    sex = per_measure([m.sex for m in measures])
    age = per_measure([m.age for m in measures])
    lower = per_measure([m.lower for m in measures])
    upper = per_measure([m.upper for m in measures])
    if "sex" in found:
        sex = per_row("sex")
    if "age" in found:
        age, lower, upper = per_row("age"), per_row("age_lower"), per_row("age_upper")
    years = per_measure([m.year if m.year is not None else year for m in measures])
    stacked = np.column_stack([values[m.header] for m in measures]).ravel() if n else np.array([], dtype=float)
    result = pd.DataFrame(
        {
            "la_code": pd.Series(per_row("la_code"), dtype="str"),
            "la_name": pd.Series(per_row("la_name"), dtype="str"),
            "lsoa_code": pd.Series(per_row("lsoa_code"), dtype="str"),
            "lsoa_name": pd.Series(per_row("lsoa_name"), dtype="str"),
            "country": pd.Series(per_row("country"), dtype="str"),
            "year": pd.Series(years, dtype="Int64"),
            "sex": pd.Series(sex, dtype="str"),
            "age": pd.Series(age, dtype="str"),
            "age_lower": pd.Series(lower, dtype="Int64"),
            "age_upper": pd.Series(upper, dtype="Int64"),
            "component": pd.Series(per_measure([m.component for m in measures]), dtype="str"),
            "value": pd.Series(stacked, dtype="Float64").astype("Int64"),
        }
    )
    result.attrs.update(layout=layout, ignored_columns=[h for h in rest if h not in measured])
    return result


def _ids(frame: pd.DataFrame, found: dict[str, str], argument: str) -> pd.DataFrame:
    lsoa = to_text(frame, found.get("lsoa_code"), argument, required="lsoa_code" in found)
    if "lsoa_code" in found:
        check_codes(frame, lsoa, found["lsoa_code"], "lsoa", argument)
    la = to_text(frame, found.get("la_code"), argument, required="lsoa_code" not in found)
    if "la_code" in found:
        check_codes(frame, la, found["la_code"], "la", argument)
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
