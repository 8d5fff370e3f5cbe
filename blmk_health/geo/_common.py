"""Helpers shared by the geography modules: dates, small tables, column choice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pyarrow as pa

from blmk_health._frames import Frame, _to_kind, collect, ingest
from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, SchemaError

__all__ = [
    "as_date",
    "describe_codes",
    "like_caller",
    "pick_column",
    "to_pandas",
]

#: Shown in messages: how many offending codes to list.
SHOW = 5


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


def to_pandas(data: Any, argument: str) -> pd.DataFrame:
    """Any supported frame, collected to pandas (for small reference tables: hierarchies, lookups)."""
    if isinstance(data, pd.DataFrame):
        return data.copy()
    frame = ingest(data, argument)
    eager = collect(frame.frame, frame)
    native = eager.to_native()
    if isinstance(native, pd.DataFrame):
        return native.copy()
    table = eager.to_arrow()
    result: pd.DataFrame = table.to_pandas()
    return result


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


def like_caller(table: pa.Table, like: Frame) -> nw.DataFrame[Any] | nw.LazyFrame[Any]:
    """A small PyArrow table as a narwhals frame of the caller's backend, ready to join with its data."""
    out: nw.DataFrame[Any] | nw.LazyFrame[Any]
    if like.is_pandas:
        out = nw.from_native(table.to_pandas(), eager_only=True)
        return out
    if not like.is_lazy and like.implementation is nw.Implementation.PYARROW:
        out = nw.from_native(table, eager_only=True)
        return out
    result = _to_kind(table, like)
    return result if isinstance(result, (nw.DataFrame, nw.LazyFrame)) else nw.from_native(result)


def back_to_caller(frame: nw.DataFrame[Any] | nw.LazyFrame[Any], like: Frame) -> Any:
    """Return a narwhals frame to the caller as the kind they gave."""
    return frame if like.was_narwhals else nw.to_native(frame)


def keep_geo(result: Any, data: Any) -> Any:
    """Give a GeoDataFrame caller a GeoDataFrame back (narwhals treats it as a plain pandas frame)."""
    import sys

    gpd = sys.modules.get("geopandas")
    if gpd is None or not isinstance(data, gpd.GeoDataFrame) or isinstance(result, gpd.GeoDataFrame):
        return result
    if not isinstance(result, pd.DataFrame):  # pragma: no cover - pandas in, pandas out
        return result
    return gpd.GeoDataFrame(result, geometry=data.geometry.name, crs=data.crs)
