"""Admission-method groups of the NHS Data Dictionary, for codes or for a column of a table."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

from blmk_health._frames import back_to_caller, ingest, is_frame, pandas_index
from blmk_health._hospital import ADMISSION_METHODS, GROUPS, check_nel_definition, code_text, method_code, method_group
from blmk_health._validation import reject_clashes, require_columns
from blmk_health.errors import SchemaError

__all__ = ["admission_methods", "classify_admission_method"]


def admission_methods() -> pd.DataFrame:
    """The admission-method codes (ADMIMETH) with their group and meaning.

    Returns
    -------
    pandas.DataFrame
        ``code`` (text), ``group`` (``elective``, ``emergency``, ``maternity``, ``other`` or
        ``unknown``) and ``meaning``, in code order; source: NHS Data Dictionary, "ADMISSION METHOD",
        with HES's default codes 98 and 99.

    Examples
    --------
    >>> import blmk_health as bh
    >>> methods = bh.records.admission_methods()
    >>> methods.groupby("group").size().to_dict()
    {'elective': 3, 'emergency': 10, 'maternity': 2, 'other': 3, 'unknown': 2}
    """
    return pd.DataFrame(list(ADMISSION_METHODS), columns=["code", "group", "meaning"]).astype("str")


def classify_admission_method(
    codes: Any,
    column: str = "admission_method",
    *,
    nel_definition: str = "emergency",
    group: str = "admission_group",
    non_elective: str = "non_elective",
) -> Any:
    """The group of each admission-method code: elective, emergency, maternity, other or unknown.

    The groups of the NHS Data Dictionary's "ADMISSION METHOD" (:func:`admission_methods`):

    ========= ===============================================================
    group     codes
    ========= ===============================================================
    elective  11 (waiting list), 12 (booked), 13 (planned)
    emergency 21, 22, 23, 24, 25, 28, 2A, 2B, 2C, 2D (every code starting 2)
    maternity 31 (ante partum), 32 (post partum)
    other     81 (non-emergency transfer in), 82, 83 (births)
    unknown   98 (not applicable), 99 (not known), a missing code, and any other value
    ========= ===============================================================

    Codes may be text or numbers: ``11``, ``11.0``, ``"11"`` and ``" 11 "`` are the same code, and
    ``"2a"`` is ``"2A"``. Nothing is dropped: a code that is not in the list is "unknown", so it can be
    counted and reported.

    Parameters
    ----------
    codes : DataFrame or sequence
        A table (pandas, Polars eager or lazy, PyArrow, DuckDB, PySpark, ...) with the codes in
        ``column``, or the codes themselves (a list, numpy array or pandas Series).
    column : str, default "admission_method"
        The column of codes, when ``codes`` is a table.
    nel_definition : {"emergency", "not elective"}, default "emergency"
        Which admissions the ``non_elective`` column marks (tables only): ``"emergency"`` the emergency
        group (codes starting 2: the definition of the NHS Oversight and Improvement and Assessment
        Framework measure "emergency spells per 1,000 population"); ``"not elective"`` the emergency,
        maternity and other groups (everything but 11-13 and the unknown codes; a common convention for
        "non-elective", not an NHS Digital definition).
    group, non_elective : str
        Names of the columns added to a table.

    Returns
    -------
    DataFrame or pandas.Series
        For a table, the same kind of table with two columns added (lazily on lazy frames): ``group``
        (text) and ``non_elective`` (boolean). For codes, a pandas Series of the groups (with the index
        of a pandas Series given).

    Raises
    ------
    SchemaError
        ``column`` is not in the table, or the added columns would overwrite existing ones.
    InputError
        An unknown ``nel_definition``.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> bh.records.classify_admission_method(["11", 21, "2a", 31.0, "82", "99", None, "X"]).tolist()
    ['elective', 'emergency', 'emergency', 'maternity', 'other', 'unknown', 'unknown', 'unknown']
    >>> spells = pd.DataFrame({"spell_id": [1, 2, 3], "admission_method": ["21", "11", "31"]})
    >>> bh.records.classify_admission_method(spells, nel_definition="not elective")
       spell_id admission_method admission_group  non_elective
    0         1               21       emergency          True
    1         2               11        elective         False
    2         3               31       maternity          True
    """
    groups = check_nel_definition(nel_definition)
    if not is_frame(codes):
        return _classify_codes(codes)
    frame = ingest(codes, "codes")
    require_columns(frame, [("column", column)])
    reject_clashes(frame.columns, [group, non_elective], "codes")
    code = method_code(frame, column)
    out = frame.frame.with_columns(method_group(code).alias(group)).with_columns(
        nw.col(group).is_in(list(groups)).alias(non_elective)
    )
    return back_to_caller(out, frame)


def _classify_codes(codes: Any) -> pd.Series:
    """Codes given as a sequence: their groups as a pandas Series."""
    if isinstance(codes, (str, bytes)) or not hasattr(codes, "__len__"):
        msg = f"codes: expected a table or a sequence of codes, got {type(codes).__name__} {codes!r}"
        raise SchemaError(msg)
    index = pandas_index(codes)
    values = pd.Series(list(codes), dtype=object).map(lambda value: code_text(value) or None)
    table = ingest(pd.DataFrame({"code": values.astype("str")}))
    out = table.eager.select(method_group(method_code(table, "code")).alias("group")).to_native()["group"]
    result = pd.Series(pd.Categorical(out.to_numpy(), categories=list(GROUPS)), name="admission_group")
    if index is not None:
        result.index = index
    return result
