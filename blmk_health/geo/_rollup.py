"""Sums of counts up the practice -> cluster -> place -> ICB hierarchy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import narwhals.stable.v2 as nw
import pandas as pd
import pyarrow as pa

from blmk_health._frames import as_list, assemble, collect, ingest
from blmk_health._validation import reject_clashes, require_columns, require_numeric
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.geo._common import describe_codes
from blmk_health.geo._hierarchy import Hierarchy, _moved_message

__all__ = ["UNMAPPED", "rollup"]

#: The code given to rows whose code is not in the hierarchy, with ``unmapped="group"``.
UNMAPPED = "unmapped"

_TMP = "__bh_geo_"


def rollup(
    data: Any,
    hierarchy: Hierarchy,
    to: str,
    from_level: str = "practice",
    on: str | None = None,
    sums: str | Sequence[str] | None = None,
    at: Any = None,
    unmapped: str = "raise",
    *,
    by: str | Sequence[str] | None = None,
) -> Any:
    """Sum count columns up the hierarchy: one row per area at level ``to``.

    Counts (numerators and denominators) are summed; rates are never averaged. To get an
    indicator for clusters or places, roll the counts up and recompute the indicator from the
    sums, e.g. ``crude_rate(rollup(df, h, "place", sums=["deaths", "pop"]), "deaths", "pop")``,
    ``dsr`` after a rollup with ``by="age_band"``, or ``patients_per_gp`` on summed patients and FTEs.

    The work runs with narwhals expressions: the rows are first summed per ``on`` code (and ``by``
    group) on the caller's backend, lazily for Polars LazyFrame, DuckDB or Spark; the small result is
    then joined to the hierarchy's lookup and grouped again.

    Parameters
    ----------
    data : DataFrame
        pandas, Polars (eager or lazy), PyArrow, DuckDB or any frame narwhals supports, with a
        column of ``from_level`` codes.
    hierarchy : Hierarchy
        The areas (e.g. ``Hierarchy.from_epcn(...)``).
    to : str
        Target level (``"cluster"``, ``"place"``, ``"icb"``, or ``from_level`` itself).
    from_level : str, default "practice"
        Level of the codes in ``on``.
    on : str, optional
        Column of ``from_level`` codes; ``"<from_level>_code"`` (or ``from_level``) by default.
    sums : str or list of str, optional
        Numeric columns to sum; by default every numeric column other than ``on`` and ``by``.
    at : date, optional
        Use the hierarchy in force on this date. Without it, each code in the data must have had one
        ``to`` area over the hierarchy's whole history.
    unmapped : {"raise", "group"}, default "raise"
        Rows whose code is missing, not in the hierarchy (on ``at``) or has no area at ``to``: raise
        naming the codes, or sum them into an explicit row with code ``"unmapped"`` (sorted last).
    by : str or list of str, optional
        Further grouping columns kept in the result (e.g. age band and sex, for ``dsr``).

    Returns
    -------
    DataFrame
        Of the kind given (lazy for lazy input): ``<to>_code``, ``<to>_name`` (when the hierarchy has
        names for ``to``), the ``by`` columns, ``n_<from_level>s`` (e.g. ``n_practices``: how many
        distinct codes were summed into the row) and the summed columns, sorted by area then ``by``.
        A sum is missing where any of its rows held a missing value.

    Raises
    ------
    SchemaError
        ``on``, a ``sums`` or ``by`` column is missing or not numeric, or there is nothing to sum.
    ReferenceDataError
        ``to`` or ``from_level`` is not a level of the hierarchy, ``unmapped="raise"`` and codes are
        unmapped, or a code moved between areas and ``at`` was not given.
    DomainError
        A bad ``unmapped`` value.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({
    ...     "practice_code": ["P1", "P2", "P3"], "cluster_code": ["C1", "C1", "C2"],
    ...     "place_code": ["E06000032"] * 3, "icb_code": ["QHG"] * 3}))
    >>> df = pd.DataFrame({"practice_code": ["P1", "P2", "P3", "P9"], "deaths": [5, 7, 2, 1],
    ...                    "pop": [1000, 1500, 800, 100]})
    >>> bh.geo.rollup(df, h, "cluster", unmapped="group")
      cluster_code  n_practices  deaths   pop
    0           C1            2      12  2500
    1           C2            1       2   800
    2     unmapped            1       1   100
    >>> placed = bh.geo.rollup(df.iloc[:3], h, "place")
    >>> bh.indicators.crude_rate(placed, "deaths", "pop")[["place_code", "deaths", "pop", "value"]].round(1)
      place_code  deaths   pop   value
    0  E06000032      14  3300  424.2
    """
    if not isinstance(cast(object, hierarchy), Hierarchy):
        msg = f"hierarchy: expected a blmk_health.geo.Hierarchy, got {type(hierarchy).__qualname__}"
        raise SchemaError(msg)
    if unmapped not in ("raise", "group"):
        msg = f"unmapped: expected 'raise' or 'group', got {unmapped!r}"
        raise DomainError(msg)
    lookup, moved = hierarchy._lookup(from_level, to, at)
    frame = ingest(data)
    columns = frame.columns
    by_cols = as_list(by, "by")
    if on is None:
        on = next((c for c in (f"{from_level}_code", from_level) if c in columns), None)
        if on is None:
            msg = (
                f"on: no column '{from_level}_code' or '{from_level}' in data (columns: {columns[:20]!r}); "
                "name the column of codes with on="
            )
            raise SchemaError(msg)
    require_columns(frame, [("on", on), *[("by", c) for c in by_cols]])
    if on in by_cols:
        msg = f"by: {on!r} is the column of codes (on=) and cannot be a by column too"
        raise SchemaError(msg)
    schema = frame.schema
    if sums is None:
        sum_cols = [c for c in columns if c != on and c not in by_cols and schema[c].is_numeric()]
        if not sum_cols:
            msg = f"sums: data has no numeric columns to sum besides {on!r}; name them with sums="
            raise SchemaError(msg)
    else:
        sum_cols = as_list(sums, "sums")
        require_columns(frame, [("sums", c) for c in sum_cols])
        require_numeric(frame, [("sums", c) for c in sum_cols])
        if on in sum_cols or set(sum_cols) & set(by_cols):
            msg = f"sums: {sorted({on, *by_cols} & set(sum_cols))!r} cannot be both summed and grouped on"
            raise SchemaError(msg)
    key, name, count = f"{to}_code", f"{to}_name", f"n_{from_level}s"
    reject_clashes([*by_cols, *sum_cols], [key, name, count], "data")

    # Stage 1, on the caller's backend (lazy where the input is lazy): sums per code and by group.
    flags = {f"{_TMP}na{i}": nw.col(c).is_null().cast(nw.Int64) for i, c in enumerate(sum_cols)}
    extra: dict[str, nw.Expr] = {f"{_TMP}one": nw.lit(1, dtype=nw.Int64)}
    if schema[on] != nw.String:
        extra[on] = nw.col(on).cast(nw.String)
    rows = frame.frame.with_columns(**flags, **extra)
    per_code = rows.group_by([on, *by_cols]).agg(
        *[nw.col(c).sum() for c in sum_cols],
        *[nw.col(f).sum() for f in flags],
        nw.col(f"{_TMP}one").sum().alias(f"{_TMP}rows"),
    )
    eager = collect(per_code, frame)
    # Sums come back as HUGEINT/decimal from DuckDB: give every backend the same dtypes.
    eager = eager.with_columns(
        *[nw.col(c).cast(nw.Int64 if schema[c].is_integer() else nw.Float64) for c in sum_cols],
        *[nw.col(f).cast(nw.Int64) for f in [*flags, f"{_TMP}rows"]],
    )

    # Stage 2, small: join the lookup, account for every row, group again.
    codes = [c if isinstance(c, str) else None for c in eager.get_column(on).to_list()]
    moved_hit = sorted({c for c in codes if c in moved})
    if moved_hit:
        raise ReferenceDataError(_moved_message(moved, moved_hit, from_level, to))
    targets = dict(zip(lookup["from"], lookup["to"], strict=True))
    names = hierarchy.names(to)
    unmatched = [c for c in dict.fromkeys(codes) if targets.get(c) is None]
    if unmatched and unmapped == "raise":
        row_counts = dict(zip(codes, eager.get_column(f"{_TMP}rows").to_list(), strict=True))
        n_rows = sum(int(row_counts[c]) for c in unmatched)
        when = "" if at is None else f" on {at}"
        msg = (
            f"data: column {on!r} has {len(unmatched)} {from_level} code(s) in {n_rows} row(s) with no {to} in the "
            f"hierarchy{when}: {describe_codes(unmatched)}. Fix the codes, pass at=, or unmapped='group' to keep "
            f"them in an explicit {UNMAPPED!r} row"
        )
        raise ReferenceDataError(msg)
    distinct = [c for c in dict.fromkeys(codes) if c is not None]
    mapped = [targets.get(c) or UNMAPPED for c in distinct]
    lookup_frame = pd.DataFrame(
        {
            on: pd.Series(distinct, dtype=object),
            f"{_TMP}key": pd.Series(mapped, dtype=object),
            f"{_TMP}name": pd.Series([names.get(t, None) if t != UNMAPPED else None for t in mapped], dtype=object),
        }
    )
    native_lookup: Any = lookup_frame
    if not frame.is_pandas:
        native_lookup = pa.Table.from_pandas(lookup_frame, preserve_index=False).cast(
            pa.schema(
                [
                    (on, eager.to_arrow().schema.field(on).type),
                    (f"{_TMP}key", pa.string()),
                    (f"{_TMP}name", pa.string()),
                ]
            )
        )
    else:
        lookup_frame[on] = lookup_frame[on].astype(eager.to_native()[on].dtype)
    joined = eager.join(nw.from_native(native_lookup, eager_only=True), on=on, how="left").with_columns(
        nw.col(f"{_TMP}key").fill_null(UNMAPPED)
    )
    grouped = joined.group_by([f"{_TMP}key", *by_cols]).agg(
        nw.len().alias(count),
        nw.col(f"{_TMP}name").max(),
        *[nw.col(c).sum() for c in sum_cols],
        *[nw.col(f).sum() for f in flags],
    )
    for i, c in enumerate(sum_cols):
        flag = f"{_TMP}na{i}"
        if any((v or 0) > 0 for v in grouped.get_column(flag).to_list()):
            grouped = grouped.with_columns(nw.when(nw.col(flag) > 0).then(None).otherwise(nw.col(c)).alias(c))
    grouped = grouped.with_columns((nw.col(f"{_TMP}key") == UNMAPPED).cast(nw.Int64).alias(f"{_TMP}last"))
    grouped = grouped.sort([f"{_TMP}last", f"{_TMP}key", *by_cols], nulls_last=True)
    outputs = [nw.col(f"{_TMP}key").alias(key)]
    if names:
        outputs.append(nw.col(f"{_TMP}name").alias(name))
    result = grouped.select(*outputs, *[nw.col(c) for c in by_cols], nw.col(count), *[nw.col(c) for c in sum_cols])
    return assemble(result, {}, frame)
