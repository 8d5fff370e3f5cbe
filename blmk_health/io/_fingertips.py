"""The OHID Fingertips CSV export."""

from __future__ import annotations

import pandas as pd

from blmk_health.io._common import (
    Column,
    Source,
    check_codes,
    finish,
    map_columns,
    normalise,
    read_table,
    to_float,
    to_int,
    to_text,
)

__all__ = ["read_fingertips"]

_TEXT, _INT, _FLOAT = "text", "int", "float"

# (output column, published header, other accepted headers (regular expressions), required, kind)
_FIELDS: tuple[tuple[str, str, tuple[str, ...], bool, str], ...] = (
    ("indicator_id", "Indicator ID", (), True, _INT),
    ("indicator_name", "Indicator Name", (), False, _TEXT),
    ("parent_code", "Parent Code", (), False, _TEXT),
    ("parent_name", "Parent Name", (), False, _TEXT),
    ("area_code", "Area Code", (), True, _TEXT),
    ("area_name", "Area Name", (), False, _TEXT),
    ("area_type", "Area Type", (), False, _TEXT),
    ("sex", "Sex", (), False, _TEXT),
    ("age", "Age", (), False, _TEXT),
    ("category_type", "Category Type", (), False, _TEXT),
    ("category", "Category", (), False, _TEXT),
    ("time_period", "Time period", (), True, _TEXT),
    ("value", "Value", (), True, _FLOAT),
    ("lower95_0cl", "Lower CI 95.0 limit", (r"lower ci 95(?:\.0)? limit",), False, _FLOAT),
    ("upper95_0cl", "Upper CI 95.0 limit", (r"upper ci 95(?:\.0)? limit",), False, _FLOAT),
    ("lower99_8cl", "Lower CI 99.8 limit", (), False, _FLOAT),
    ("upper99_8cl", "Upper CI 99.8 limit", (), False, _FLOAT),
    ("count", "Count", (), False, _FLOAT),
    ("denominator", "Denominator", (), False, _FLOAT),
    ("value_note", "Value note", (), False, _TEXT),
    ("recent_trend", "Recent Trend", (), False, _TEXT),
    ("compared_to_england", "Compared to England value or percentiles", (), False, _TEXT),
    ("compared_to_parent", "Compared to percentiles", (r"compared to .+ value or percentiles",), False, _TEXT),
    ("time_period_sortable", "Time period Sortable", (), False, _INT),
    ("new_data", "New data", (), False, _TEXT),
    ("compared_to_goal", "Compared to goal", (), False, _TEXT),
    ("time_period_range", "Time period range", (), False, _TEXT),
)
_FILE = "a Fingertips data export, such as indicator-data.csv (https://fingertips.phe.org.uk)"
_SPEC = tuple(Column(name, pub, alias, req, regex=True) for name, pub, alias, req, _ in _FIELDS)


def read_fingertips(path: Source) -> pd.DataFrame:
    """Read a Fingertips CSV export (the data download of fingertips.phe.org.uk or its API).

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file (``indicator-data.csv``), any indicators and area types.

    Returns
    -------
    pandas.DataFrame
        One row per row of the file, in file order. Columns (published header -> column, dtype):

        ============================================ ========================== =======
        published header                             column                     dtype
        ============================================ ========================== =======
        Indicator ID                                 ``indicator_id``           Int64
        Indicator Name                               ``indicator_name``         str
        Parent Code / Parent Name                    ``parent_code`` / ``_name`` str
        Area Code / Area Name                        ``area_code`` / ``_name``  str
        Area Type                                    ``area_type``              str
        Sex / Age                                    ``sex`` / ``age``          str
        Category Type / Category                     ``category_type`` / ``category`` str
        Time period                                  ``time_period``            str
        Value                                        ``value``                  Float64
        Lower / Upper CI 95.0 limit                  ``lower95_0cl`` / ``upper95_0cl`` Float64
        Lower / Upper CI 99.8 limit                  ``lower99_8cl`` / ``upper99_8cl`` Float64
        Count / Denominator                          ``count`` / ``denominator`` Float64
        Value note                                   ``value_note``             str
        Recent Trend                                 ``recent_trend``           str
        Compared to England value or percentiles     ``compared_to_england``    str
        Compared to (parent) value or percentiles    ``compared_to_parent``     str
        Time period Sortable                         ``time_period_sortable``   Int64
        New data / Compared to goal                  ``new_data`` / ``compared_to_goal`` str
        Time period range                            ``time_period_range``      str
        ============================================ ========================== =======

        Every column is present; those absent from the file are missing. Other columns are kept under
        their header in snake case. The confidence-limit names follow PHEindicatormethods.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        The file is not a Fingertips export (the message lists the expected and found columns), or a
        row has the wrong number of fields (with its line number).
    DomainError
        A value, limit, count or ID is not a number (with line numbers).
    ReferenceDataError
        A malformed area code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> text = (
    ...     "Indicator ID,Indicator Name,Area Code,Area Name,Area Type,Time period,Value,Count,Denominator\\n"
    ...     "93553,Deprivation score (IMD 2019),E81001,Dr I Saleh's Practice,GP,2019,27.27,,\\n"
    ... )
    >>> df = bh.io.read_fingertips(io.StringIO(text))
    >>> df[["indicator_id", "area_code", "time_period", "value", "count"]]
       indicator_id area_code time_period  value  count
    0         93553    E81001        2019  27.27   <NA>
    """
    argument = "path"
    frame = read_table(path, argument, expected=_FILE)
    found = map_columns(frame, _SPEC, argument, "a Fingertips data export")
    columns: dict[str, pd.Series] = {}
    for name, _, _, required, kind in _FIELDS:
        header = found.get(name)
        if kind == _INT:
            columns[name] = to_int(frame, header, argument, required=required)
        elif kind == _FLOAT:
            columns[name] = to_float(frame, header, argument)
        else:
            columns[name] = to_text(frame, header, argument, required=required)
    check_codes(frame, columns["area_code"], found["area_code"], "area", argument)
    used = set(found.values())
    for header in frame.columns:
        if header not in used:
            columns[normalise(header).replace(" ", "_")] = to_text(frame, header, argument)
    return finish(columns)
