"""Hospital episode vocabulary shared by ``records`` and ``indicators``: admission-method groups, dates as
day numbers and financial years, sexes and age bands, all as narwhals expressions.

Everything here works on any backend lazily: the expressions use only what pandas, Polars, PyArrow,
DuckDB and PySpark all support through narwhals (no backend-specific date arithmetic: a date's day number
is computed from its year and its day of the year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np

from blmk_health._age_bands import ESP2013_19
from blmk_health._frames import Frame
from blmk_health.errors import InputError, SchemaError

__all__ = [
    "ADMISSION_METHODS",
    "ESP_WEIGHTS",
    "GROUPS",
    "NEL_DEFINITIONS",
    "check_nel_definition",
    "code_text",
    "date_day_number",
    "date_value",
    "day_number",
    "financial_year_label",
    "financial_year_start",
    "icd10_code",
    "method_code",
    "method_group",
    "require_dates",
]

#: ADMIMETH codes (Admission method, Hospital Provider Spell), their group and meaning: NHS Data
#: Dictionary "ADMISSION METHOD" and HES's default codes 98 and 99.
ADMISSION_METHODS: tuple[tuple[str, str, str], ...] = (
    ("11", "elective", "Waiting list"),
    ("12", "elective", "Booked"),
    ("13", "elective", "Planned"),
    ("21", "emergency", "Emergency Care Department of this Health Care Provider, or dental casualty"),
    ("22", "emergency", "GP: a request for immediate admission, made direct to the Hospital Provider"),
    ("23", "emergency", "Bed bureau"),
    ("24", "emergency", "Consultant clinic, of this or another Health Care Provider"),
    ("25", "emergency", "Mental Health Crisis Resolution Team"),
    ("28", "emergency", "Other means (legacy code, replaced by 2A-2D from 2013-14)"),
    ("2A", "emergency", "Emergency Care Department of another provider where the patient had not been admitted"),
    ("2B", "emergency", "Transfer of an admitted patient from another Hospital Provider in an emergency"),
    ("2C", "emergency", "Baby born at home as intended"),
    ("2D", "emergency", "Other emergency admission"),
    ("31", "maternity", "Admitted ante partum"),
    ("32", "maternity", "Admitted post partum"),
    ("81", "other", "Transfer of an admitted patient from another Hospital Provider, not in an emergency"),
    ("82", "other", "Birth of a baby in this Health Care Provider"),
    ("83", "other", "Baby born outside the Health Care Provider, except when born at home as intended"),
    ("98", "unknown", "Not applicable (HES default)"),
    ("99", "unknown", "Not known: a validation error (HES default)"),
)

#: The groups, in order; codes not in :data:`ADMISSION_METHODS` (and missing codes) are "unknown".
GROUPS = ("elective", "emergency", "maternity", "other", "unknown")

#: Which groups count as non-elective under each definition.
NEL_DEFINITIONS: dict[str, tuple[str, ...]] = {
    "emergency": ("emergency",),
    "not elective": ("emergency", "maternity", "other"),
}

#: The weights of the 19 bands of the 2013 European Standard Population, by band index 0-18.
ESP_WEIGHTS = tuple(float(weight) for _, _, weight in ESP2013_19)


def check_nel_definition(value: Any) -> tuple[str, ...]:
    """The groups of a ``nel_definition``, or :class:`InputError` naming the choices."""
    if not isinstance(value, str) or value not in NEL_DEFINITIONS:
        msg = f"nel_definition: expected one of {', '.join(map(repr, NEL_DEFINITIONS))}, got {value!r}"
        raise InputError(msg)
    return NEL_DEFINITIONS[value]


def method_code(frame: Frame, column: str) -> nw.Expr:
    """The admission-method code as text: ``11`` and ``"11"`` and ``" 11 "`` are ``"11"``, ``"2a"`` is ``"2A"``."""
    dtype = frame.schema[column]
    expr = nw.col(column)
    if dtype.is_numeric():
        return _whole_number_text(expr, dtype)
    if dtype != nw.String:
        expr = expr.cast(nw.String)
    return expr.str.strip_chars().str.to_uppercase()


def _whole_number_text(expr: nw.Expr, dtype: Any) -> nw.Expr:
    """Whole numbers as text (``11.0`` -> ``"11"``); missing and fractional values as ``"not a code"``."""
    if dtype.is_integer():
        return expr.cast(nw.String)
    missing = expr.is_null() | expr.is_nan()
    safe = nw.when(missing).then(nw.lit(-1.0)).otherwise(expr).floor()
    text = safe.cast(nw.Int64).cast(nw.String)
    result: nw.Expr = nw.when(~missing & (safe == expr)).then(text).otherwise(nw.lit("not a code"))
    return result


def method_group(code: nw.Expr) -> nw.Expr:
    """The group of each admission-method code (:data:`GROUPS`); unlisted and missing codes are "unknown"."""
    out: Any = None
    for group in GROUPS[:-1]:
        codes = [c for c, g, _ in ADMISSION_METHODS if g == group]
        out = (
            nw.when(code.is_in(codes)).then(nw.lit(group))
            if out is None
            else out.when(code.is_in(codes)).then(nw.lit(group))
        )
    result: nw.Expr = out.otherwise(nw.lit("unknown"))
    return result


def day_number(date: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 of a date or datetime column (missing stays missing), on every backend.

    From the year and the day of the year, with the Gregorian leap-year rules, so that no backend's own
    date arithmetic is needed.
    """
    year = date.dt.year()
    leap_days = (year - 1969) // 4 - (year - 1901) // 100 + (year - 1601) // 400
    return 365 * (year - 1970) + leap_days + date.dt.ordinal_day() - 1


def financial_year_start(date: nw.Expr) -> nw.Expr:
    """The calendar year in which a date's financial year (1 April to 31 March) starts."""
    return date.dt.year() - (date.dt.month() < 4).cast(nw.Int32)


def financial_year_label(start: int) -> str:
    """``2018`` -> ``"2018/19"``."""
    return f"{start}/{(start + 1) % 100:02d}"


def require_dates(frame: Frame, columns: Sequence[tuple[str, str]]) -> None:
    """Raise :class:`SchemaError` if an ``(argument, column)`` column does not hold dates."""
    schema = frame.schema
    for argument, column in columns:
        dtype = schema[column]
        if not (dtype == nw.Date or isinstance(dtype, nw.Datetime) or dtype == nw.Datetime):
            msg = (
                f"{argument}: column {column!r} must hold dates (date or datetime) but is {dtype}; parse it first, "
                "e.g. pandas.to_datetime(df[column])"
            )
            raise SchemaError(msg)


def code_text(value: Any) -> str:
    """A code as text: whole numbers without decimals (``11.0`` -> ``"11"``), text stripped, missing as ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))  # exact: a float would lose the digits of long SNOMED CT ids
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else str(number)
    return str(value).strip()


def icd10_code(value: Any) -> str:
    """An ICD-10 (or OPCS-4) code as its characters: upper case, no dot, no blanks, no ``X`` filler
    (``"J81X"`` and ``"j81"`` -> ``"J81"``); missing as ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).strip().upper().replace(".", "").replace(" ", "")
    return text[:-1] if len(text) == 4 and text.endswith("X") else text


def date_value(value: Any, argument: str) -> dt.date:
    """A date argument: a ``datetime.date`` or an ISO text ``"2019-03-31"``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()  # type: ignore[no-any-return]
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        msg = f"{argument}: expected a date such as '2019-03-31', got {value!r}"
        raise InputError(msg) from None


def date_day_number(day: dt.date) -> int:
    """Days since 1970-01-01 of a date (as :func:`day_number` computes it for a column)."""
    return (day - dt.date(1970, 1, 1)).days
