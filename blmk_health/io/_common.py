"""Shared machinery of the readers: opening sources, matching published headers, converting columns.

Every reader first turns its source into a table of text (:func:`read_table`), whose index holds the
line number of each row in the CSV file (the header is line 1) or its row number in the spreadsheet,
so that every later check can say where the offending rows are. Conversions never guess silently:
a value that cannot be read raises with its line numbers.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeAlias

import numpy as np
import pandas as pd

from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, InputError, ReferenceDataError, SchemaError

__all__ = [
    "CODE_PATTERNS",
    "Column",
    "Source",
    "check_codes",
    "check_range",
    "check_unique",
    "map_columns",
    "normalise",
    "read_table",
    "record_dropped",
    "to_date",
    "to_float",
    "to_int",
    "to_text",
]

Source: TypeAlias = "str | os.PathLike[str] | IO[str] | IO[bytes]"
"""A path, or a file-like object opened in text or binary mode."""

logger = logging.getLogger("blmk_health.io")

_SHOW = 5
_MAX_HEADER_SEARCH = 20

CODE_PATTERNS: dict[str, tuple[str, str]] = {
    "practice": (r"[A-Z][0-9]{5}", "an ODS practice code (a letter and five digits, e.g. 'E81001')"),
    "pcn": (r"U[0-9]{5}", "a PCN code ('U' and five digits, e.g. 'U09531')"),
    "lsoa": (r"[EW]01[0-9]{6}", "an LSOA code (E01 or W01 and six digits, e.g. 'E01015693')"),
    "msoa": (r"[EW]02[0-9]{6}", "an MSOA code (E02 or W02 and six digits, e.g. 'E02003267')"),
    "la": (
        r"(?:E0[6-9]|E10|W06|S12|N09)[0-9]{6}",
        "a local authority code (E06-E10, W06, S12 or N09 and six digits, e.g. 'E06000032')",
    ),
    "commissioner": (r"[0-9A-Z]{3,5}", "a CCG or sub-ICB location code (e.g. '06F' or 'M1J4Y')"),
    "ons": (r"[EWSNK][0-9]{8}", "an ONS (GSS) code (a letter and eight digits, e.g. 'E38000249')"),
    "area": (r"[0-9A-Za-z]{1,12}", "an area code (letters and digits, e.g. 'E81001' or 'E06000032')"),
}

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y%m%d",
    "%d%b%Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def normalise(header: Any) -> str:
    """A published header in a comparable form: no BOM, runs of spaces, newlines and ``_`` as one space, lower case.

    >>> normalise("Partner\\nOrganisation\\nCode")
    'partner organisation code'
    >>> normalise(" NUMBER_OF_PATIENTS ")
    'number of patients'
    """
    text = str(header).replace("\ufeff", "")
    return re.sub(r"[\s_]+", " ", text).strip().casefold()


# ---------------------------------------------------------------------------------------------- reading


def _where(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("_where", "line"))


def lines_of(frame: pd.DataFrame, mask: Any) -> str:
    """``'lines 3, 7'`` for the first offending rows of ``frame`` (its index holds line numbers)."""
    numbers = [int(i) for i in frame.index[np.asarray(mask, dtype=bool)][:_SHOW]]
    word = _where(frame) + ("s" if len(numbers) > 1 else "")
    return f"{word} {', '.join(str(n) for n in numbers)}"


def _head(source: Any, size: int) -> bytes | str:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return handle.read(size)
    position = source.tell()
    head: bytes | str = source.read(size)
    source.seek(position)
    return head


def is_excel(source: Any) -> bool:
    """Whether ``source`` is an xlsx workbook (a zip file); raise for a legacy ``.xls``."""
    head = _head(source, 8)
    if isinstance(head, str):
        return False
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        msg = f"{_name(source)}: legacy .xls workbooks are not supported; save the sheet as .xlsx or CSV"
        raise SchemaError(msg)
    return head.startswith(b"PK\x03\x04")


def _name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", type(source).__name__))


def _text_of(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            raw: bytes | str = handle.read()
    else:
        raw = source.read()
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _csv_rows(source: Any, argument: str) -> tuple[list[list[str]], list[int]]:
    text = _text_of(source)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for row in reader:
            if any(field.strip() for field in row):
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as err:  # pragma: no cover - the default dialect accepts almost anything
        msg = f"{argument}: malformed CSV at line {reader.line_num}: {err}"
        raise SchemaError(msg) from err
    return rows, lines


def _check_widths(rows: list[list[str]], lines: list[int], width: int, argument: str) -> list[list[str]]:
    fixed: list[list[str]] = []
    bad: list[tuple[int, int]] = []
    for row, line in zip(rows, lines, strict=True):
        if len(row) > width and not any(field.strip() for field in row[width:]):
            row = row[:width]
        if len(row) != width:
            bad.append((line, len(row)))
        fixed.append(row)
    if bad:
        shown = ", ".join(f"line {line} has {n}" for line, n in bad[:_SHOW])
        rows_word = "row" if len(bad) == 1 else "rows"
        msg = f"{argument}: {len(bad)} malformed {rows_word}: expected {width} fields per row; {shown}"
        raise SchemaError(msg)
    return fixed


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pick_sheet(names: Sequence[str], sheet: str | Sequence[str] | None, argument: str) -> str:
    if sheet is None:
        return names[0]
    wanted = [sheet] if isinstance(sheet, str) else list(sheet)
    keys = {re.sub(r"\s+", "", n).casefold(): n for n in names}
    for name in wanted:
        found = keys.get(re.sub(r"\s+", "", name).casefold())
        if found is not None:
            return found
    msg = (
        f"{argument}: the workbook has no sheet named {' or '.join(repr(w) for w in wanted)}; "
        f"its sheets are {', '.join(repr(n) for n in names)}"
    )
    raise SchemaError(msg)


def _excel_rows(source: Any, sheet: str | Sequence[str] | None, argument: str) -> tuple[list[list[str]], list[int]]:
    with pd.ExcelFile(source, engine="openpyxl") as book:
        name = _pick_sheet([str(n) for n in book.sheet_names], sheet, argument)
        raw = pd.read_excel(book, sheet_name=name, header=None, dtype=object)
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, values in enumerate(raw.itertuples(index=False, name=None), start=1):
        row = [_cell(v) for v in values]
        if any(field.strip() for field in row):
            rows.append(row)
            lines.append(number)
    return rows, lines


def read_table(
    source: Source,
    argument: str,
    *,
    header: bool = True,
    sheet: str | Sequence[str] | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> pd.DataFrame:
    """Read a CSV file or xlsx sheet as text, with line (or spreadsheet row) numbers as the index.

    Blank lines, and rows whose fields are all empty, hold no data and are skipped. A row with more or
    fewer fields than the header raises :class:`SchemaError` naming its line. With ``header=False`` the
    columns are numbered from 1. ``is_header`` finds the header among the first rows of a workbook
    (publishers put titles above it); rows above the header are skipped.
    """
    excel = is_excel(source)
    if excel:
        rows, lines = _excel_rows(source, sheet, argument)
    else:
        rows, lines = _csv_rows(source, argument)
    if not rows:
        msg = f"{argument}: the file is empty"
        raise SchemaError(msg)
    if header:
        at = 0
        if is_header is not None:
            normalised = [[normalise(v) for v in row] for row in rows[:_MAX_HEADER_SEARCH]]
            at = next((i for i, row in enumerate(normalised) if is_header(row)), 0)
        names = [str(v).replace("\ufeff", "").strip() for v in rows[at]]
        while names and not names[-1]:
            names.pop()
        body, body_lines = rows[at + 1 :], lines[at + 1 :]
        width = len(names)
    else:
        body, body_lines = rows, lines
        width = max(len(r) for r in rows) if excel else len(rows[0])
        names = [str(i) for i in range(1, width + 1)]
    if excel:
        body = [(r + [""] * width)[:width] if len(r) <= width else r for r in body]
    body = _check_widths(body, body_lines, width, argument)
    frame = pd.DataFrame(body, columns=names, index=pd.Index(body_lines, name="line"), dtype=object)
    frame = frame.apply(lambda col: col.str.strip()) if len(frame) else frame
    frame.attrs["_where"] = "row" if excel else "line"
    return frame


# ------------------------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class Column:
    """An output column and the published headers it is read from.

    ``aliases`` are normalised headers (see :func:`normalise`) or, when ``regex`` is true, regular
    expressions matched against normalised headers. ``published`` is the header shown in errors.
    """

    name: str
    published: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    regex: bool = False

    def matches(self, header: str) -> bool:
        """Whether the normalised ``header`` is one of this column's published names."""
        if header == normalise(self.published):
            return True
        if self.regex:
            return any(re.fullmatch(pattern, header) for pattern in self.aliases)
        return header in self.aliases


def map_columns(
    frame: pd.DataFrame,
    spec: Sequence[Column],
    argument: str,
    kind: str,
) -> dict[str, str]:
    """Map each output column of ``spec`` to the file's header; raise :class:`SchemaError` if required ones are absent.

    Returns ``{output name: header in the file}`` for the columns found.
    """
    headers = [str(c) for c in frame.columns]
    found: dict[str, str] = {}
    used: set[str] = set()
    for column in spec:
        for header in headers:
            if header not in used and column.matches(normalise(header)):
                found[column.name] = header
                used.add(header)
                break
    missing = [c for c in spec if c.required and c.name not in found]
    if missing:
        expected = ", ".join(repr(c.published) for c in spec if c.required)
        absent = ", ".join(repr(c.published) for c in missing)
        shown = ", ".join(repr(h) for h in headers[:25]) + (" ..." if len(headers) > 25 else "")
        msg = (
            f"{argument}: this is not {kind}: expected the columns {expected}, but {absent} "
            f"{'is' if len(missing) == 1 else 'are'} missing; the file has the columns {shown}"
        )
        raise SchemaError(msg)
    return found


# --------------------------------------------------------------------------------------- conversions


def _empty(values: pd.Series, na_values: Iterable[str] = ()) -> pd.Series:
    text = values.astype(object)
    return text.isna() | text.isin(["", *na_values])


def to_text(frame: pd.DataFrame, header: str | None, argument: str, *, required: bool = False) -> pd.Series:
    """The column as pandas ``str`` with empty fields missing (all missing when ``header`` is None)."""
    if header is None:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    values = frame[header]
    empty = _empty(values)
    if required and empty.any():
        _raise_missing(frame, header, empty, argument)
    return values.where(~empty).astype("str")


def _raise_missing(frame: pd.DataFrame, header: str, empty: pd.Series, argument: str) -> None:
    n = int(empty.sum())
    msg = f"{argument}: column {header!r} is empty in {n} {'row' if n == 1 else 'rows'} ({lines_of(frame, empty)})"
    raise DomainError(msg)


def _numbers(
    frame: pd.DataFrame, header: str, argument: str, na_values: Iterable[str], required: bool, whole: bool
) -> tuple[pd.Series, pd.Series]:
    values = frame[header].astype(object)
    empty = _empty(values, na_values)
    if required and empty.any():
        _raise_missing(frame, header, empty, argument)
    cleaned = values.where(~empty).str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = ~empty & numbers.isna()
    if whole:
        bad |= ~empty & numbers.notna() & (numbers % 1 != 0)
    if bad.any():
        n = int(bad.sum())
        what = "whole numbers" if whole else "numbers"
        msg = (
            f"{argument}: column {header!r} must hold {what}, but {n} {'row does' if n == 1 else 'rows do'} "
            f"not ({lines_of(frame, bad)}: {describe_values(values[bad])})"
        )
        raise DomainError(msg)
    return numbers, empty


def to_int(
    frame: pd.DataFrame,
    header: str | None,
    argument: str,
    *,
    na_values: Iterable[str] = (),
    required: bool = False,
    minimum: int | None = None,
) -> pd.Series:
    """The column as nullable ``Int64``; non-integers raise :class:`DomainError` with line numbers."""
    if header is None:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    numbers, _ = _numbers(frame, header, argument, na_values, required, whole=True)
    out = numbers.astype("Float64").astype("Int64")
    if minimum is not None:
        check_range(frame, out, header, argument, minimum=minimum)
    return out


def to_float(
    frame: pd.DataFrame,
    header: str | None,
    argument: str,
    *,
    na_values: Iterable[str] = (),
    required: bool = False,
) -> pd.Series:
    """The column as nullable ``Float64``; text that is not a number raises :class:`DomainError`."""
    if header is None:
        return pd.Series(pd.NA, index=frame.index, dtype="Float64")
    numbers, _ = _numbers(frame, header, argument, na_values, required, whole=False)
    return numbers.astype("Float64")


def to_date(
    frame: pd.DataFrame,
    header: str | None,
    argument: str,
    *,
    required: bool = False,
    formats: Sequence[str] = DATE_FORMATS,
) -> pd.Series:
    """The column as ``datetime64[ns]`` (NaT when empty), trying the publishers' formats in turn.

    Formats: ``2026-04-01``, ``20191001``, ``01JAN2021``, ``01-Apr-17``, ``01-Apr-2017``, ``01/04/2017``.
    A value matching none of them raises :class:`DomainError` with its line number.
    """
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if header is None:
        return out
    values = frame[header].astype(object)
    empty = _empty(values)
    if required and empty.any():
        _raise_missing(frame, header, empty, argument)
    todo = ~empty
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[parsed.index[ok]] = parsed[ok].astype("datetime64[ns]")
        todo.loc[parsed.index[ok]] = False
    if todo.any():
        n = int(todo.sum())
        msg = (
            f"{argument}: column {header!r} holds {n} {'value' if n == 1 else 'values'} that "
            f"{'is' if n == 1 else 'are'} not a date ({lines_of(frame, todo)}: {describe_values(values[todo])}); "
            "expected dates such as 2026-04-01, 20191001 or 01JAN2021"
        )
        raise DomainError(msg)
    return out


# ---------------------------------------------------------------------------------------- validation


def check_codes(
    frame: pd.DataFrame,
    values: pd.Series,
    header: str,
    kind: str,
    argument: str,
) -> None:
    """Raise :class:`ReferenceDataError` if a non-missing value is not a well-formed code of ``kind``."""
    pattern, description = CODE_PATTERNS[kind]
    present = values.notna()
    good = values.astype(object).where(present, "").str.fullmatch(pattern).astype(bool)
    bad = present & ~good
    if bad.any():
        n = int(bad.sum())
        msg = (
            f"{argument}: column {header!r} holds {n} malformed {'code' if n == 1 else 'codes'} "
            f"({lines_of(frame, bad)}: {describe_values(values[bad])}); each must be {description}"
        )
        raise ReferenceDataError(msg)


def check_range(
    frame: pd.DataFrame,
    values: pd.Series,
    header: str,
    argument: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> None:
    """Raise :class:`DomainError` if a non-missing value lies outside ``[minimum, maximum]``."""
    bad = pd.Series(False, index=values.index)
    if minimum is not None:
        bad |= (values < minimum).fillna(False).astype(bool)
    if maximum is not None:
        bad |= (values > maximum).fillna(False).astype(bool)
    if bad.any():
        n = int(bad.sum())
        bounds = (
            f"between {minimum} and {maximum}"
            if minimum is not None and maximum is not None
            else (f">= {minimum}" if minimum is not None else f"<= {maximum}")
        )
        msg = (
            f"{argument}: column {header!r} must be {bounds}, but {n} {'row is' if n == 1 else 'rows are'} "
            f"not ({lines_of(frame, bad)}: {describe_values(values[bad])})"
        )
        raise DomainError(msg)


def check_unique(frame: pd.DataFrame, keys: pd.DataFrame, headers: Sequence[str], argument: str) -> None:
    """Raise :class:`SchemaError` if the rows of ``keys`` (aligned with ``frame``) repeat."""
    repeated = keys.duplicated(keep=False)
    if repeated.any():
        n = int(keys.duplicated().sum())
        first = keys[repeated].head(_SHOW).astype(object).itertuples(index=False, name=None)
        shown = describe_values(tuple(t) if len(t) > 1 else t[0] for t in first)
        msg = (
            f"{argument}: {n} {'row repeats' if n == 1 else 'rows repeat'} the key "
            f"({', '.join(repr(h) for h in headers)}) of an earlier row ({lines_of(frame, repeated)}: {shown})"
        )
        raise SchemaError(msg)


def check_choices(frame: pd.DataFrame, values: pd.Series, header: str, argument: str, allowed: Iterable[str]) -> None:
    """Raise :class:`DomainError` if a non-missing value is not one of ``allowed``."""
    allowed = list(allowed)
    bad = values.notna() & ~values.isin(allowed)
    if bad.any():
        n = int(bad.sum())
        msg = (
            f"{argument}: column {header!r} holds {n} unexpected {'value' if n == 1 else 'values'} "
            f"({lines_of(frame, bad)}: {describe_values(values[bad])}); expected one of "
            f"{', '.join(repr(a) for a in allowed)}"
        )
        raise DomainError(msg)


def as_codes(value: str | Iterable[str] | None, argument: str) -> list[str] | None:
    """A filter argument (one code or several) as a list, or None."""
    if value is None:
        return None
    codes = [value] if isinstance(value, str) else list(value)
    if not codes or not all(isinstance(c, str) for c in codes):
        msg = f"{argument}: expected a code or a list of codes, got {value!r}"
        raise InputError(msg)
    return codes


def record_dropped(
    result: pd.DataFrame,
    dropped: pd.DataFrame,
    *,
    rows_read: int,
    reason: str,
    key: str,
    argument: str,
) -> None:
    """Report the rows a filtered read left out, in ``result.attrs`` and the ``blmk_health.io`` log.

    ``result.attrs["rows_read"]`` is the number of data rows in the file, ``result.attrs["dropped"]``
    a dict with the number of rows dropped, the reason, and the first lines and values of ``key``.
    """
    lines = tuple(int(i) for i in dropped.index[:_SHOW])
    values = tuple(str(v) for v in dropped[key].astype(object).head(_SHOW))
    result.attrs["rows_read"] = rows_read
    result.attrs["dropped"] = {"rows": len(dropped), "reason": reason, "lines": lines, "values": values}
    if len(dropped):
        logger.info(
            "%s: dropped %d of %d rows (%s); first at lines %s: %s",
            argument,
            len(dropped),
            rows_read,
            reason,
            ", ".join(str(n) for n in lines),
            describe_values(values),
        )


def finish(columns: dict[str, pd.Series]) -> pd.DataFrame:
    """Assemble output columns (aligned on line numbers) into a frame with a fresh RangeIndex."""
    out = pd.DataFrame(columns)
    return out.reset_index(drop=True)
