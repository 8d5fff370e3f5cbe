"""Shared machinery of the readers: opening sources, matching published headers, converting columns.

Every reader first turns its source into a table of text (:func:`read_table`), whose index holds the
line number of each row in the CSV file (the header is line 1), its row number in the spreadsheet, or
the row's label in a data frame given instead of a file, so that every later check can say where the
offending rows are. Conversions never guess silently: a value that cannot be read raises with its line
numbers. A path where no file can be read raises :class:`~blmk_health.errors.DataFileError`
(:func:`check_source`), naming the file the reader expected there.

The readers work in pandas by design: files are parsed into text, checked row by row with line
numbers, and returned as pandas DataFrames. A data frame given instead of a file (``read_epcn``) may be
of any kind narwhals supports; it is converted with :func:`blmk_health._frames.to_pandas`.
"""

from __future__ import annotations

import csv
import errno
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeAlias

import numpy as np
import pandas as pd

from blmk_health._frames import is_frame, to_pandas
from blmk_health._validation import describe_values
from blmk_health.errors import DataFileError, DomainError, InputError, ReferenceDataError, SchemaError

__all__ = [
    "CODE_PATTERNS",
    "Column",
    "Source",
    "age_band",
    "as_codes",
    "check_choices",
    "check_codes",
    "check_range",
    "check_source",
    "check_unique",
    "commissioner_columns",
    "finish",
    "finish_filtered",
    "is_excel",
    "lines_of",
    "map_columns",
    "normalise",
    "numbered",
    "peek",
    "read_table",
    "record_dropped",
    "reject_rows",
    "source_name",
    "stack",
    "to_code",
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


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def check_source(
    source: Any,
    argument: str,
    expected: str,
    *,
    folder: Callable[[str], bool] | None = None,
    urls: bool = False,
) -> None:
    """Raise :class:`DataFileError` if ``source`` is a path where no file can be read.

    The message names the path and ``expected``, the file the reader expects there in the user's terms
    (its publisher, usual name and where to get it). A folder is refused unless ``folder`` accepts it
    (a File Geodatabase, for boundaries). File-like objects and data frames are left to the reader, and
    so are URLs and GDAL paths (``/vsizip/...``) when ``urls`` is true (the reader opens them itself).
    """
    if not isinstance(source, (str, os.PathLike)):
        return
    path = os.fspath(source)
    if urls and (_URL.match(path) or path.startswith("/vsi")):
        return
    if os.path.isdir(path):
        if folder is not None and folder(path):
            return
        msg = f"{argument}: {path!r} is a folder, not a file; expected {expected}"
        raise DataFileError(msg, path, errno.EISDIR)
    try:
        with open(path, "rb"):
            pass
    except (FileNotFoundError, NotADirectoryError):
        msg = f"{argument}: no file at {path!r}; expected {expected}"
        raise DataFileError(msg, path, errno.ENOENT) from None
    except OSError as err:
        msg = f"{argument}: cannot read the file at {path!r} ({err.strerror or err}); expected {expected}"
        raise DataFileError(msg, path, err.errno) from err


def numbered(rows: int, word: str = "row") -> pd.DataFrame:
    """An empty frame of ``rows`` rows numbered from 0, for messages about rows of a table (``row 3``)."""
    frame = pd.DataFrame(index=pd.RangeIndex(rows))
    frame.attrs["_where"] = word
    return frame


def _where(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("_where", "line"))


def lines_of(frame: pd.DataFrame, mask: Any) -> str:
    """``'lines 3, 7'`` for the first offending rows of ``frame`` (its index holds line numbers)."""
    numbers = [int(i) for i in frame.index[np.asarray(mask, dtype=bool)][:_SHOW]]
    word = _where(frame) + ("s" if len(numbers) > 1 else "")
    return f"{word} {', '.join(str(n) for n in numbers)}"


def peek(source: Any, size: int) -> bytes | str:
    """The first ``size`` bytes (or characters) of a file, leaving a file object where it was."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return handle.read(size)
    position = source.tell()
    head: bytes | str = source.read(size)
    source.seek(position)
    return head


def is_excel(source: Any) -> bool:
    """Whether ``source`` is an xlsx workbook (a zip file); raise for a legacy ``.xls``."""
    head = peek(source, 8)
    if isinstance(head, str):
        return False
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        msg = f"{source_name(source)}: legacy .xls workbooks are not supported; save the sheet as .xlsx or CSV"
        raise SchemaError(msg)
    return head.startswith(b"PK\x03\x04")


def source_name(source: Any) -> str:
    """How to name ``source`` in a message: its path, or the name of the file object."""
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
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
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


def _frame_rows(data: Any, argument: str) -> tuple[list[list[str]], list[int]]:
    """A data frame given instead of a sheet: its column names, then its rows, as the text of the cells.

    Rows are numbered by their index label when the labels are unique whole numbers (as printed in a
    notebook), else by their position from 0. The header has number -1.
    """
    table = to_pandas(data, argument)
    index = table.index
    labels = index if pd.api.types.is_integer_dtype(index) and index.is_unique else pd.RangeIndex(len(table))
    rows: list[list[str]] = [[_cell(c) for c in table.columns]]
    lines: list[int] = [-1]
    for number, values in zip(labels, table.itertuples(index=False, name=None), strict=True):
        row = [_cell(v) for v in values]
        if any(field.strip() for field in row):
            rows.append(row)
            lines.append(int(number))
    return rows, lines


def _rows_of(
    source: Any, argument: str, expected: str, sheet: str | Sequence[str] | None, frames: bool
) -> tuple[list[list[str]], list[int], str]:
    """The rows of ``source`` as text, their numbers, and how to name them (``line`` or ``row``)."""
    if is_frame(source):
        if not frames:
            msg = f"{argument}: expected a path or a file object ({expected}), got a data frame"
            raise InputError(msg)
        rows, lines = _frame_rows(source, argument)
        return rows, lines, "row"
    check_source(source, argument, expected)
    if is_excel(source):
        rows, lines = _excel_rows(source, sheet, argument)
        return rows, lines, "row"
    rows, lines = _csv_rows(source, argument)
    return rows, lines, "line"


def read_table(
    source: Source,
    argument: str,
    *,
    expected: str,
    header: bool = True,
    sheet: str | Sequence[str] | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
    frames: bool = False,
) -> pd.DataFrame:
    """Read a CSV file or xlsx sheet as text, with line (or spreadsheet row) numbers as the index.

    Blank lines, and rows whose fields are all empty, hold no data and are skipped. A row with more or
    fewer fields than the header raises :class:`SchemaError` naming its line. With ``header=False`` the
    columns are numbered from 1. ``is_header`` finds the header among the first rows of a workbook
    (publishers put titles above it); rows above the header are skipped. ``expected`` describes the
    file for the error raised when there is none at a path (see :func:`check_source`). With
    ``frames=True`` a data frame of the sheet is accepted too (its rows named by their index labels).
    """
    rows, lines, where = _rows_of(source, argument, expected, sheet, frames)
    excel = where == "row"
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
    frame.attrs["_where"] = where
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

    A header equal to an output name is taken for that column first, so that a reader's own output
    reads back unchanged; the others are matched to the published headers. Returns ``{output name:
    header in the file}`` for the columns found.
    """
    headers = [str(c) for c in frame.columns]
    found = {c.name: c.name for c in spec if c.name in headers}
    used = set(found)
    for column in spec:
        if column.name in found:
            continue
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

_AGREE = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")


def reject_rows(
    error: type[InputError],
    frame: pd.DataFrame,
    bad: Any,
    message: str,
    argument: str,
    *,
    shown: pd.Series | None = None,
    count: int | None = None,
    **fields: Any,
) -> None:
    """Raise ``error`` if any row of ``frame`` is ``bad`` (a boolean mask), saying which.

    ``message`` is a :meth:`str.format` template, after ``"{argument}: "``: ``{n}`` is the number of
    bad rows (or ``count``), ``{where}`` their first line numbers followed by the first values of
    ``shown``, ``{one|many}`` the word for one row or for several, and other names come from
    ``fields`` (column names go there, so that the braces of a header are never read as a template).

    >>> frame = numbered(3)
    >>> reject_rows(DomainError, frame, [False, True, True], "{n} {row is|rows are} odd ({where})", "x")
    Traceback (most recent call last):
    blmk_health.errors.DomainError: x: 2 rows are odd (rows 1, 2)
    """
    mask = np.asarray(bad, dtype=bool)
    if not mask.any():
        return
    n = int(mask.sum()) if count is None else count
    where = lines_of(frame, mask)
    if shown is not None:
        where = f"{where}: {describe_values(shown[mask])}"
    text = _AGREE.sub(lambda m: m[1] if n == 1 else m[2], message)
    raise error(f"{argument}: " + text.format(n=n, where=where, **fields))


def _empty(values: pd.Series, na_values: Iterable[str] = ()) -> pd.Series:
    text = values.astype(object)
    return text.isna() | text.isin(["", *na_values])


def _reject_empty(frame: pd.DataFrame, header: str, empty: pd.Series, argument: str) -> None:
    message = "column {column!r} is empty in {n} {row|rows} ({where})"
    reject_rows(DomainError, frame, empty, message, argument, column=header)


def to_text(frame: pd.DataFrame, header: str | None, argument: str, *, required: bool = False) -> pd.Series:
    """The column as pandas ``str`` with empty fields missing (all missing when ``header`` is None)."""
    if header is None:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    values = frame[header]
    empty = _empty(values)
    if required:
        _reject_empty(frame, header, empty, argument)
    return values.where(~empty).astype("str")


def to_code(
    frame: pd.DataFrame,
    header: str | None,
    kind: str,
    argument: str,
    *,
    required: bool = False,
    label: str | None = None,
) -> pd.Series:
    """The column as text (:func:`to_text`), each value a well-formed code of ``kind`` (:func:`check_codes`).

    ``label`` names the column in messages about codes when its header does not (epraccur's positions).
    """
    values = to_text(frame, header, argument, required=required)
    if header is not None:
        check_codes(frame, values, label or header, kind, argument)
    return values


def _numbers(
    frame: pd.DataFrame, header: str, argument: str, na_values: Iterable[str], required: bool, whole: bool
) -> pd.Series:
    values = frame[header].astype(object)
    empty = _empty(values, na_values)
    if required:
        _reject_empty(frame, header, empty, argument)
    cleaned = values.where(~empty).str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = ~empty & numbers.isna()
    if whole:
        bad |= ~empty & numbers.notna() & (numbers % 1 != 0)
    message = "column {column!r} must hold {what}, but {n} {row does|rows do} not ({where})"
    what = "whole numbers" if whole else "numbers"
    reject_rows(DomainError, frame, bad, message, argument, shown=values, column=header, what=what)
    return numbers


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
    numbers = _numbers(frame, header, argument, na_values, required, whole=True)
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
    return _numbers(frame, header, argument, na_values, required, whole=False).astype("Float64")


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
    if required:
        _reject_empty(frame, header, empty, argument)
    todo = ~empty
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[parsed.index[ok]] = parsed[ok].astype("datetime64[ns]")
        todo.loc[parsed.index[ok]] = False
    message = (
        "column {column!r} holds {n} {value|values} that {is|are} not a date ({where}); "
        "expected dates such as 2026-04-01, 20191001 or 01JAN2021"
    )
    reject_rows(DomainError, frame, todo, message, argument, shown=values, column=header)
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
    message = "column {column!r} holds {n} malformed {code|codes} ({where}); each must be {description}"
    reject_rows(
        ReferenceDataError,
        frame,
        present & ~good,
        message,
        argument,
        shown=values,
        column=header,
        description=description,
    )


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
    bounds = (
        f"between {minimum} and {maximum}"
        if minimum is not None and maximum is not None
        else (f">= {minimum}" if minimum is not None else f"<= {maximum}")
    )
    message = "column {column!r} must be {bounds}, but {n} {row is|rows are} not ({where})"
    reject_rows(DomainError, frame, bad, message, argument, shown=values, column=header, bounds=bounds)


def check_unique(frame: pd.DataFrame, keys: pd.DataFrame, headers: Sequence[str], argument: str) -> None:
    """Raise :class:`SchemaError` if the rows of ``keys`` (aligned with ``frame``) repeat.

    The message counts the repeats (rows after the first of their key) and shows every row of a
    repeated key, the first included.
    """
    repeated = keys.duplicated(keep=False)
    if not repeated.any():
        return
    tuples = keys.astype(object).itertuples(index=False, name=None)
    shown = pd.Series([t if len(t) > 1 else t[0] for t in tuples], index=keys.index, dtype=object)
    reject_rows(
        SchemaError,
        frame,
        repeated,
        "{n} {row repeats|rows repeat} the key ({key}) of an earlier row ({where})",
        argument,
        shown=shown,
        count=int(keys.duplicated().sum()),
        key=", ".join(repr(h) for h in headers),
    )


def check_choices(frame: pd.DataFrame, values: pd.Series, header: str, argument: str, allowed: Iterable[str]) -> None:
    """Raise :class:`DomainError` if a non-missing value is not one of ``allowed``."""
    allowed = list(allowed)
    message = "column {column!r} holds {n} unexpected {value|values} ({where}); expected one of {allowed}"
    reject_rows(
        DomainError,
        frame,
        values.notna() & ~values.isin(allowed),
        message,
        argument,
        shown=values,
        column=header,
        allowed=", ".join(repr(a) for a in allowed),
    )


def age_band(match: re.Match[str]) -> tuple[str, int, int | None]:
    """The label and the lower and upper ages of a matched age or band (groups ``lo``, ``hi``, ``plus``).

    >>> age_band(re.fullmatch(r"(?P<lo>\\d+)(?:_(?P<hi>\\d+)|(?P<plus>\\+))?", "0_4"))
    ('0-4', 0, 4)
    """
    lo = int(match["lo"])
    if match["plus"]:
        return f"{lo}+", lo, None
    if match["hi"]:
        hi = int(match["hi"])
        return f"{lo}-{hi}", lo, hi
    return str(lo), lo, lo


def as_codes(value: str | Iterable[str] | None, argument: str) -> list[str] | None:
    """A filter argument (one code or several) as a list, or None."""
    if value is None:
        return None
    codes = [value] if isinstance(value, str) else list(value)
    if not codes or not all(isinstance(c, str) for c in codes):
        msg = f"{argument}: expected a code or a list of codes, got {value!r}"
        raise InputError(msg)
    return codes


# -------------------------------------------------------------------------------------------- output


def commissioner_columns(codes: pd.Series, kind: str | pd.Series) -> dict[str, pd.Series]:
    """``commissioner_code``, ``commissioner_type`` and ``sub_icb_code`` from the codes and their kind.

    ``kind`` is ``"ccg"`` or ``"sub_icb"`` for every row (``""`` when unknown), or one per row. The
    type is missing where the code is, and ``sub_icb_code`` holds only the sub-ICB location codes.
    """
    every_row = pd.Series(kind or pd.NA, index=codes.index, dtype="str") if isinstance(kind, str) else kind
    types = every_row.astype("str").where(codes.notna())
    sub_icb = codes.where(types == "sub_icb").astype("str")
    return {"commissioner_code": codes, "commissioner_type": types, "sub_icb_code": sub_icb}


def stack(
    rows: Mapping[str, pd.Series],
    measures: Mapping[str, Sequence[Any]],
    values: Sequence[pd.Series],
) -> dict[str, Any]:
    """The columns of a long table made from a wide one, with one row per row and measure (row by row).

    Each series of ``rows`` (one value per row of the wide table) is repeated once per measure, each
    sequence of ``measures`` (one value per measure) once per row, and ``"value"`` holds the
    ``values`` (one numeric series per measure) as floats, row 1's measures first.
    """
    n, k = len(values[0]) if values else 0, len(values)
    out: dict[str, Any] = {name: np.repeat(column.to_numpy(dtype=object), k) for name, column in rows.items()}
    for name, per_measure in measures.items():
        out[name] = np.tile(np.array(list(per_measure), dtype=object), n)
    stacked = [v.to_numpy(dtype=float, na_value=np.nan) for v in values]
    out["value"] = np.column_stack(stacked).ravel() if n and k else np.array([], dtype=float)
    return out


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


def finish_filtered(
    columns: dict[str, pd.Series],
    read: pd.DataFrame,
    kept: pd.DataFrame,
    *,
    reason: str,
    key: str,
    argument: str,
) -> pd.DataFrame:
    """:func:`finish`, reporting the rows of ``read`` not ``kept`` (see :func:`record_dropped`)."""
    result = finish(columns)
    dropped = read.loc[read.index.difference(kept.index)]
    record_dropped(result, dropped, rows_read=len(read), reason=reason, key=key, argument=argument)
    return result
