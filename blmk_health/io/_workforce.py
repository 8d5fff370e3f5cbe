"""NHS England "General Practice Workforce", practice level: the wide "detailed" and long "high level" files."""

from __future__ import annotations

import pandas as pd

from blmk_health.errors import SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    check_range,
    check_unique,
    finish,
    map_columns,
    normalise,
    read_table,
    stack,
    to_code,
    to_float,
    to_text,
)

__all__ = ["read_gp_workforce"]

MISSING = ("ND", "EST", "NS", ".", "NA", "N/A")
"""Markers of a missing value in the workforce files (not disclosed, estimated, not supplied)."""

_FILE = (
    'a practice-level NHS England "General Practice Workforce" CSV file, such as "General Practice - August '
    '2026 Practice Level - Detailed.csv" (https://digital.nhs.uk/data-and-information/publications/statistical/'
    "general-and-personal-medical-services)"
)
_ID = (
    Column("practice_code", "PRAC_CODE", ("practice code", "org code", "code")),
    Column("practice_name", "PRAC_NAME", ("practice name", "org name", "name"), required=False),
)
_LONG = (
    *_ID,
    Column("staff_group", "STAFF_GROUP"),
    Column("staff_role", "DETAILED_STAFF_ROLE", ("staff role", "detailed role"), required=False),
    Column("measure", "MEASURE"),
    Column("value", "VALUE"),
)
_DTYPES = {
    "practice_code": "str",
    "practice_name": "str",
    "staff_group": "str",
    "staff_role": "str",
    "measure": "str",
    "value": "Float64",
}
_DESCRIPTIVE_LAST_WORD = {"code", "name", "date", "type", "source", "flag", "postcode", "description"}
_DESCRIPTIVE = {"year", "month", "region", "stp", "ccg", "pcn", "icb", "sub icb", "publication", "period"}


def _measure_name(header: str) -> str:
    return normalise(header).replace(" ", "_")


def _is_descriptive(header: str) -> bool:
    text = normalise(header)
    return text in _DESCRIPTIVE or text.rsplit(" ", 1)[-1] in _DESCRIPTIVE_LAST_WORD


def read_gp_workforce(path: Source) -> pd.DataFrame:
    """Read a practice-level General Practice Workforce CSV, wide ("detailed") or long ("high level").

    Both layouts give the same tidy long table, one row per practice and measure. In the wide layout
    (``PRAC_CODE, PRAC_NAME, ..., TOTAL_PATIENTS, TOTAL_GP_HC, TOTAL_GP_FTE, ...``) every numeric column
    becomes a measure named after its header in lower case (``total_gp_fte``); descriptive columns (headers
    ending in ``_CODE``, ``_NAME``, ``_DATE``, ``_TYPE``, ...) other than the practice's are not kept and are
    listed in ``attrs["ignored_columns"]``. In the long layout (``PRAC_CODE, PRAC_NAME, STAFF_GROUP,
    DETAILED_STAFF_ROLE, MEASURE, VALUE``) each row is kept as it is. ``ND``, ``EST``, ``NS``, ``.``, ``NA``,
    ``N/A`` and empty fields are missing values.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file, such as ``General Practice - August 2026 Practice Level - Detailed.csv`` or
        ``3 General Practice – August 2026 Practice Level - High level.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns (published header -> column, dtype):

        ============================= ================== =================================================
        published header              column             dtype and meaning
        ============================= ================== =================================================
        ``PRAC_CODE``                 ``practice_code``  str
        ``PRAC_NAME``                 ``practice_name``  str
        ``STAFF_GROUP`` (long)        ``staff_group``    str (missing in the wide layout)
        ``DETAILED_STAFF_ROLE`` (long) ``staff_role``    str (missing in the wide layout)
        ``MEASURE`` / wide header     ``measure``        str, lower case (``total_gp_fte``, ``fte``)
        ``VALUE`` / wide value        ``value``          Float64 (missing for ``ND``, ``EST``, ...)
        ============================= ================== =================================================

        ``attrs["layout"]`` is ``"wide"`` or ``"long"``. FTE is full-time equivalent (37.5 hours a week);
        ``EXTGL`` in a measure means excluding GPs in training and locums.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        The file has no ``PRAC_CODE`` column or no measures (the message lists the columns found), a row
        has the wrong number of fields (with its line number), or a practice (and measure) repeats.
    DomainError
        A value that is neither a number nor a missing-value marker, or a negative value (with lines).
    ReferenceDataError
        A malformed practice code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> wide = io.StringIO(
    ...     "PRAC_CODE,PRAC_NAME,PCN_CODE,TOTAL_PATIENTS,TOTAL_GP_HC,TOTAL_GP_FTE\\n"
    ...     "E81001,DR I SALEH'S PRACTICE,U12345,4200,3,ND\\n"
    ... )
    >>> bh.io.read_gp_workforce(wide)[["practice_code", "measure", "value"]]
      practice_code         measure   value
    0        E81001  total_patients  4200.0
    1        E81001     total_gp_hc     3.0
    2        E81001    total_gp_fte    <NA>
    """
    argument = "path"
    frame = read_table(path, argument, expected=_FILE)
    headers = {normalise(h) for h in frame.columns}
    if {"measure", "value", "staff group"} <= headers:
        return _long(frame, argument)
    found = map_columns(frame, _ID, argument, "a practice-level General Practice Workforce file")
    code = to_code(frame, found["practice_code"], "practice", argument, required=True)
    check_unique(frame, pd.DataFrame({"code": code}), [found["practice_code"]], argument)
    name = to_text(frame, found.get("practice_name"), argument)
    used = set(found.values())
    measures = [h for h in frame.columns if h not in used and not _is_descriptive(h)]
    ignored = [h for h in frame.columns if h not in used and _is_descriptive(h)]
    if not measures:
        msg = (
            f"{argument}: this is not a General Practice Workforce file: it has no measure columns such as "
            f"'TOTAL_GP_FTE' or the long layout's 'STAFF_GROUP', 'MEASURE', 'VALUE'; it has the columns "
            f"{', '.join(repr(h) for h in frame.columns)}"
        )
        raise SchemaError(msg)
    values = {h: to_float(frame, h, argument, na_values=MISSING) for h in measures}
    for header, series in values.items():
        check_range(frame, series, header, argument, minimum=0)
    none = to_text(frame, None, argument)  # the long layout's staff group and role
    rows = {"practice_code": code, "practice_name": name, "staff_group": none, "staff_role": none}
    long = stack(rows, {"measure": [_measure_name(h) for h in measures]}, list(values.values()))
    result = pd.DataFrame({column: pd.Series(long[column], dtype=dtype) for column, dtype in _DTYPES.items()})
    result.attrs.update(layout="wide", ignored_columns=ignored)
    return result


def _long(frame: pd.DataFrame, argument: str) -> pd.DataFrame:
    found = map_columns(frame, _LONG, argument, 'a "high level" practice-level General Practice Workforce file')
    code = to_code(frame, found["practice_code"], "practice", argument, required=True)
    measure = to_text(frame, found["measure"], argument, required=True).map(_measure_name).astype("str")
    group = to_text(frame, found["staff_group"], argument)
    role = to_text(frame, found.get("staff_role"), argument)
    keys = pd.DataFrame({"code": code, "group": group, "role": role, "measure": measure})
    check_unique(
        frame,
        keys,
        [found[c] for c in ("practice_code", "staff_group", "staff_role", "measure") if c in found],
        argument,
    )
    value = to_float(frame, found["value"], argument, na_values=MISSING)
    check_range(frame, value, found["value"], argument, minimum=0)
    result = finish(
        {
            "practice_code": code,
            "practice_name": to_text(frame, found.get("practice_name"), argument),
            "staff_group": group,
            "staff_role": role,
            "measure": measure,
            "value": value,
        }
    )
    used = set(found.values())
    result.attrs.update(layout="long", ignored_columns=[h for h in frame.columns if h not in used])
    return result
