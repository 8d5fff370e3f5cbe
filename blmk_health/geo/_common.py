"""Helpers shared by the geography modules: dates, codes in messages, column choice.

Geo's own helpers only: moving frames between backends is :mod:`blmk_health._frames`'s job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, SchemaError

__all__ = [
    "UNMATCHED",
    "as_date",
    "check_option",
    "check_table_columns",
    "date_column",
    "describe_codes",
    "pick_column",
]

#: Shown in messages: how many offending codes to list.
SHOW = 5

#: What to do with codes not found in reference data: warn, raise, or say nothing.
UNMATCHED = ("warn", "raise", "ignore")


def describe_codes(codes: Iterable[Any], limit: int = SHOW) -> str:
    """The first ``limit`` codes, sorted, for an error message (``None`` for missing codes)."""
    listed = sorted(set(codes), key=lambda c: (c is None, str(c)))
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return describe_values(listed, limit) + more


def as_date(value: Any, argument: str) -> pd.Timestamp:
    """A date (str ``YYYY-MM-DD`` or ``YYYYMMDD``, date, datetime, Timestamp) as a normalised Timestamp."""
    if isinstance(value, bool) or value is None or (isinstance(value, float) and np.isnan(value)):
        msg = f"{argument}: expected a date such as '2020-04-01', got {value!r}"
        raise DomainError(msg)
    if isinstance(value, (int, np.integer)):
        value = str(value)
    if isinstance(value, str) and value.isdigit() and len(value) == 8:
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if not isinstance(value, (str, dt.date, np.datetime64, pd.Timestamp)):
        msg = f"{argument}: expected a date such as '2020-04-01', got {value!r}"
        raise DomainError(msg)
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        msg = f"{argument}: cannot read {value!r} as a date; use e.g. '2020-04-01'"
        raise DomainError(msg) from err
    if cast(Any, stamp) is pd.NaT:
        msg = f"{argument}: expected a date, got {value!r}"
        raise DomainError(msg)
    return pd.Timestamp(stamp.tz_localize(None) if stamp.tzinfo else stamp).normalize()


def date_column(values: pd.Series, argument: str, column: str) -> pd.Series:
    """A column of dates (datetime, ``YYYYMMDD`` text or numbers, ISO text) as datetime64, NaT for missing."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.dt.normalize().astype("datetime64[ns]")
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    text = text.mask(text == "")
    present = text.notna().to_numpy(dtype=bool)
    compact = text.str.fullmatch(r"\d{8}").fillna(value=False).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if compact.any():
        out[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    iso = present & ~compact
    if iso.any():
        out[iso] = pd.to_datetime(text[iso], errors="coerce", format="mixed")
    bad = pd.Series(present, index=values.index) & out.isna()
    if bad.any():
        msg = (
            f"{argument}: column {column!r} has {int(bad.sum())} value(s) that are not dates "
            f"(first: {describe_values(text[bad].tolist())}); use YYYYMMDD or YYYY-MM-DD"
        )
        raise DomainError(msg)
    return out.astype("datetime64[ns]")


def pick_column(columns: Sequence[str], wanted: str | None, candidates: Sequence[str], argument: str) -> str:
    """``wanted`` if given (and present), else the first of ``candidates`` present (case-insensitive)."""
    if wanted is not None:
        if wanted not in columns:
            msg = f"{argument}: column {wanted!r} not found; the table has columns {list(columns)[:20]!r}"
            raise SchemaError(msg)
        return wanted
    lower = {c.lower(): c for c in columns}
    for name in candidates:
        if name.lower() in lower:
            return lower[name.lower()]
    msg = (
        f"{argument}: none of the columns {list(candidates)!r} was found (the table has {list(columns)[:20]!r}); "
        f"name the column with the {argument}= argument"
    )
    raise SchemaError(msg)


def check_table_columns(table: pd.DataFrame, argument: str, columns: Sequence[str]) -> None:
    """Raise :class:`SchemaError` naming the ``columns`` missing from a pandas ``table``."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = f"{argument}: column(s) {missing!r} not found; the table has {list(table.columns)[:20]!r}"
        raise SchemaError(msg)


def check_option(value: Any, argument: str, options: Sequence[str]) -> str:
    """``value`` if it is one of ``options``, else :class:`DomainError` listing them.

    >>> check_option("drop", "unmapped", ("raise", "group"))
    Traceback (most recent call last):
    ...
    blmk_health.errors.DomainError: unmapped: expected 'raise' or 'group', got 'drop'
    """
    if value not in options:
        listed = ", ".join(repr(o) for o in options[:-1]) + f" or {options[-1]!r}"
        msg = f"{argument}: expected {listed}, got {value!r}"
        raise DomainError(msg)
    return str(value)
