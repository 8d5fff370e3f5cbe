"""Sums of counts up the practice -> cluster -> place -> ICB hierarchy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import narwhals.stable.v2 as nw

from blmk_health._frames import TMP, Frame, as_list, assemble, collect, small_keys
from blmk_health._inputs import prepare
from blmk_health._validation import reject_clashes
from blmk_health.errors import ReferenceDataError, SchemaError
from blmk_health.geo._common import check_option, describe_codes
from blmk_health.geo._hierarchy import Hierarchy

__all__ = ["UNMAPPED", "rollup"]

#: The code given to rows whose code is not in the hierarchy, with ``unmapped="group"``.
UNMAPPED = "unmapped"

_TMP = f"{TMP}geo_"
_KEY, _NAME, _ROWS, _LAST = f"{_TMP}key", f"{_TMP}name", f"{_TMP}rows", f"{_TMP}last"


@dataclass(frozen=True)
class _Plan:
    """What a rollup works on: the caller's frame, its columns by role, and the output names."""

    frame: Frame
    on: str
    by: list[str]
    sums: list[str]
    key: str
    name: str
    count: str

    @property
    def flags(self) -> dict[str, str]:
        """The column counting missing values of each summed column."""
        return {c: f"{_TMP}na{i}" for i, c in enumerate(self.sums)}


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
    _check_arguments(hierarchy, unmapped)
    hierarchy.lookup(to, from_level=from_level, at=at, codes=())  # the levels and the date, before any work
    plan = _plan(data, from_level, to, on, sums, by)
    per_code = _sums_per_code(plan)
    areas = _areas_of_codes(per_code, plan, hierarchy, from_level, to, at, unmapped)
    return assemble(_sums_per_area(per_code, areas, plan, bool(hierarchy.names(to))), {}, plan.frame)


def _check_arguments(hierarchy: Any, unmapped: str) -> None:
    if not isinstance(cast(object, hierarchy), Hierarchy):
        msg = f"hierarchy: expected a blmk_health.geo.Hierarchy, got {type(hierarchy).__qualname__}"
        raise SchemaError(msg)
    check_option(unmapped, "unmapped", ("raise", "group"))


def _plan(
    data: Any,
    from_level: str,
    to: str,
    on: str | None,
    sums: str | Sequence[str] | None,
    by: str | Sequence[str] | None,
) -> _Plan:
    """Check the data through the shared path in, then rollup's own rules: the codes, what to sum."""
    given = as_list(sums, "sums")
    key, name, count = f"{to}_code", f"{to}_name", f"n_{from_level}s"
    checked = prepare(
        data,
        columns=[("on", on)],
        numeric=[("sums", c) for c in given],
        by=by,
        outputs=[key, name, count],
    )
    frame, by_cols = checked.frame, checked.by
    columns = frame.columns
    on = _codes_column(columns, on, from_level)
    if on in by_cols:
        msg = f"by: {on!r} is the column of codes (on=) and cannot be a by column too"
        raise SchemaError(msg)
    if sums is None:
        schema = frame.schema
        given = [c for c in columns if c != on and c not in by_cols and schema[c].is_numeric()]
        if not given:
            msg = f"sums: data has no numeric columns to sum besides {on!r}; name them with sums="
            raise SchemaError(msg)
    elif on in given or set(given) & set(by_cols):
        msg = f"sums: {sorted({on, *by_cols} & set(given))!r} cannot be both summed and grouped on"
        raise SchemaError(msg)
    reject_clashes(given, [key, name, count], "data")
    return _Plan(frame, on, by_cols, given, key, name, count)


def _codes_column(columns: list[str], on: str | None, from_level: str) -> str:
    """``on``, or by default the column ``<from_level>_code`` (or ``<from_level>``) of the data."""
    if on is not None:
        return on
    found = next((c for c in (f"{from_level}_code", from_level) if c in columns), None)
    if found is None:
        msg = (
            f"on: no column '{from_level}_code' or '{from_level}' in data (columns: {columns[:20]!r}); "
            "name the column of codes with on="
        )
        raise SchemaError(msg)
    return found


def _sums_per_code(plan: _Plan) -> nw.DataFrame[Any]:
    """Stage 1, on the caller's backend (lazy where the input is lazy): sums per code and ``by`` group.

    Each sum comes with the number of missing values it skipped, and each group with its number of rows.
    """
    frame, on = plan.frame, plan.on
    schema = frame.schema
    flags = {flag: nw.col(c).is_null().cast(nw.Int64) for c, flag in plan.flags.items()}
    extra: dict[str, nw.Expr] = {f"{_TMP}one": nw.lit(1, dtype=nw.Int64)}
    if schema[on] != nw.String:
        extra[on] = nw.col(on).cast(nw.String)
    rows = frame.frame.with_columns(**flags, **extra)
    per_code = rows.group_by([on, *plan.by]).agg(
        *[nw.col(c).sum() for c in plan.sums],
        *[nw.col(f).sum() for f in flags],
        nw.col(f"{_TMP}one").sum().alias(_ROWS),
    )
    eager = collect(per_code, frame)
    # Sums come back as HUGEINT/decimal from DuckDB: give every backend the same dtypes.
    return eager.with_columns(
        *[nw.col(c).cast(nw.Int64 if schema[c].is_integer() else nw.Float64) for c in plan.sums],
        *[nw.col(f).cast(nw.Int64) for f in [*flags, _ROWS]],
    )


def _areas_of_codes(
    per_code: nw.DataFrame[Any],
    plan: _Plan,
    hierarchy: Hierarchy,
    from_level: str,
    to: str,
    at: Any,
    unmapped: str,
) -> nw.DataFrame[Any]:
    """The area (and its name) of every code of the data, ``unmapped`` for codes without one.

    Every row is accounted for: with ``unmapped="raise"``, codes without an area raise, naming them.
    """
    on = plan.on
    codes = [c if isinstance(c, str) else None for c in per_code.get_column(on).to_list()]
    pairs = hierarchy.lookup(to, from_level=from_level, at=at, codes=codes)
    targets = dict(zip(pairs[f"{from_level}_code"], pairs[f"{to}_code"], strict=True))
    unmatched = [c for c in dict.fromkeys(codes) if targets.get(c) is None]
    if unmatched and unmapped == "raise":
        row_counts = dict(zip(codes, per_code.get_column(_ROWS).to_list(), strict=True))
        n_rows = sum(int(row_counts[c]) for c in unmatched)
        when = "" if at is None else f" on {at}"
        msg = (
            f"data: column {on!r} has {len(unmatched)} {from_level} code(s) in {n_rows} row(s) with no {to} in the "
            f"hierarchy{when}: {describe_codes(unmatched)}. Fix the codes, pass at=, or unmapped='group' to keep "
            f"them in an explicit {UNMAPPED!r} row"
        )
        raise ReferenceDataError(msg)
    names = hierarchy.names(to)
    distinct = [c for c in dict.fromkeys(codes) if c is not None]
    mapped = [targets.get(c) or UNMAPPED for c in distinct]
    keys = small_keys(
        {on: distinct, _KEY: mapped, _NAME: [names.get(t) if t != UNMAPPED else None for t in mapped]}, plan.frame
    )
    # Join keys as text on both sides; columns of nothing but missing values (no type yet) as text too.
    schema = keys.schema
    untyped = [c for c in (_KEY, _NAME) if schema[c] == nw.Unknown]
    return keys.with_columns(*[nw.col(c).cast(nw.String) for c in [on, *untyped]])


def _sums_per_area(
    per_code: nw.DataFrame[Any], areas: nw.DataFrame[Any], plan: _Plan, with_names: bool
) -> nw.DataFrame[Any]:
    """Stage 2, small: the sums per code summed again per area, missing where any row was; sorted."""
    joined = per_code.with_columns(nw.col(plan.on).cast(nw.String)).join(areas, on=plan.on, how="left")
    grouped = (
        joined.with_columns(nw.col(_KEY).fill_null(UNMAPPED))
        .group_by([_KEY, *plan.by])
        .agg(
            nw.len().alias(plan.count),
            nw.col(_NAME).max(),
            *[nw.col(c).sum() for c in plan.sums],
            *[nw.col(f).sum() for f in plan.flags.values()],
        )
    )
    for column, flag in plan.flags.items():
        if any((v or 0) > 0 for v in grouped.get_column(flag).to_list()):
            grouped = grouped.with_columns(nw.when(nw.col(flag) > 0).then(None).otherwise(nw.col(column)).alias(column))
    grouped = grouped.with_columns((nw.col(_KEY) == UNMAPPED).cast(nw.Int64).alias(_LAST))
    grouped = grouped.sort([_LAST, _KEY, *plan.by], nulls_last=True)
    outputs = [nw.col(_KEY).alias(plan.key)]
    if with_names:
        outputs.append(nw.col(_NAME).alias(plan.name))
    return grouped.select(*outputs, *[nw.col(c) for c in plan.by], nw.col(plan.count), *[nw.col(c) for c in plan.sums])
