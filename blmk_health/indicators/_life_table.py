"""Abridged life tables, vectorised over groups: age bands, the Chiang II table and its variance.

The arithmetic is PHEindicatormethods ``phe_life_expectancy`` (Chiang's abridged life table with
Silcocks' variance for the open final band), applied to a ``groups x bands`` array at once, so that
10,000 areas cost about as much as one. The input side turns a long table (one row per group and
age band) into those arrays, with the checks and the reference's per-group suppression rules.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from blmk_health._age_bands import LIFE_TABLE_STARTS_19, LIFE_TABLE_STARTS_20, parse_band
from blmk_health._frames import TMP, Frame, collect, collect_small, float_array
from blmk_health._validation import Check, check_values, describe_values
from blmk_health.errors import SchemaError
from blmk_health.indicators._bands import raise_band_problems
from blmk_health.indicators._core import group_ids

__all__ = [
    "MAX_HALF_WIDTH",
    "MIN_TOTAL_POPULATION",
    "STARTS_19",
    "STARTS_20",
    "BandTable",
    "Bands",
    "LifeTable",
    "band_table",
    "chiang",
    "group_problems",
    "parse_bands",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Start ages of the 20 bands of the reference: 0, 1-4, 5-9, ..., 85-89, 90+.
STARTS_20 = LIFE_TABLE_STARTS_20
#: Start ages of the 19-band form closed at 85+ (an extension; the reference needs 20 bands).
STARTS_19 = LIFE_TABLE_STARTS_19
#: Life expectancy is not calculated for a group whose total population is at most this.
MIN_TOTAL_POPULATION = 5000
#: The value (not the limits) is blanked when qnorm(0.975) * SE exceeds this (a 95% CI wider than 20 years).
MAX_HALF_WIDTH = 10.0
#: Radix of the life table.
RADIX = 100_000.0


@dataclass(frozen=True)
class Bands:
    """The age bands found in the data: their scheme (start ages) and the label of each."""

    starts: tuple[int, ...]
    start_of: dict[Any, int]
    label_of: dict[int, Any]

    @property
    def n(self) -> int:
        """Number of bands in the scheme (20, or 19 when closed at 85+)."""
        return len(self.starts)

    @property
    def final(self) -> str:
        """The open final band, for messages: ``"90+"`` or ``"85+"``."""
        return f"{self.starts[-1]}+"

    def labels(self) -> npt.NDArray[Any]:
        """The label of each band in age order, as an array (strings if the labels are mixed)."""
        values = [self.label_of[s] for s in self.starts]
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            return np.asarray(values, dtype=np.int64)
        return np.asarray([str(v) for v in values], dtype=object)


def parse_bands(labels: Iterable[Any], argument: str = "age_band") -> Bands:
    """Read the distinct age-band labels of the data and check they form a life-table scheme.

    Labels are read by their leading whole number, as the reference does (``"0"``, ``"1-4"``,
    ``"5-9"``, ``"90+"``, ``"90 +"``, integers 0, 1, 5, ...; ``"<1"`` and ``"under 1"`` are age 0). The
    start ages must be exactly 0, 1, 5, 10, ..., 90 (20 bands) or 0, 1, 5, ..., 85 (19 bands, closed
    at 85+). A label with an explicit end (``"5-9"``) must end just before the next band starts, and
    the final band must be open. Anything else raises :class:`SchemaError` naming the labels.
    """
    distinct = list(dict.fromkeys(labels))
    parsed = {label: parse_band(label) for label in distinct}
    unreadable = [label for label, p in parsed.items() if p is None]
    if unreadable:
        msg = (
            f"{argument}: {len(unreadable)} age-band label(s) have no start age: {describe_values(unreadable, 10)}. "
            "Expected labels such as '0', '1-4', '5-9', ..., '90+' (or integers 0, 1, 5, ..., 90)"
        )
        raise SchemaError(msg)
    good = {label: p for label, p in parsed.items() if p is not None}
    found = sorted({p.start for p in good.values()})
    if found == list(STARTS_20):
        starts = STARTS_20
    elif found == list(STARTS_19):
        starts = STARTS_19
    else:
        unexpected = [s for s in found if s not in STARTS_20]
        missing = [s for s in STARTS_19 if s not in found]
        detail = []
        if unexpected:
            detail.append(f"unexpected start ages {unexpected}")
        if missing:
            detail.append(f"missing start ages {missing}")
        if 0 in found and 1 not in found:
            detail.append("a life table needs separate bands for age 0 and ages 1-4")
        msg = (
            f"{argument}: the age bands {describe_values(distinct, 25)} do not form a life table: "
            f"{'; '.join(detail) or 'wrong bands'}. Expected 20 bands 0, 1-4, 5-9, ..., 85-89, 90+ "
            "(or 19 bands closed at 85+)"
        )
        raise SchemaError(msg)
    nxt = dict(itertools.pairwise(starts))
    wrong: list[Any] = []
    for label, p in good.items():
        if p.start == starts[-1]:
            if p.end is not None:
                msg = (
                    f"{argument}: the final band must be open ({starts[-1]}+), but label {label!r} ends at {p.end}; "
                    f"a table without a {starts[-1] + 5}+ band must close at {starts[-1]}+ "
                    f"(e.g. '{starts[-1]}+')"
                )
                raise SchemaError(msg)
        elif p.is_open or (p.end is not None and p.end != nxt[p.start] - 1):
            wrong.append(label)
    if wrong:
        msg = (
            f"{argument}: {len(wrong)} age-band label(s) overlap or leave gaps between bands: "
            f"{describe_values(wrong, 10)}. Each band must end just before the next starts "
            "(0, 1-4, 5-9, ..., and only the last band open)"
        )
        raise SchemaError(msg)
    start_of = {label: p.start for label, p in good.items()}
    label_of: dict[int, Any] = {}
    for label, start in start_of.items():
        label_of.setdefault(start, label.item() if hasattr(label, "item") else label)
    return Bands(starts, start_of, label_of)


@dataclass
class BandTable:
    """A long table turned into ``groups x bands`` arrays, one group per distinct ``by`` key."""

    keys: nw.DataFrame[Any] | None
    bands: Bands
    values: dict[str, FloatArray]
    present: BoolArray
    missing: BoolArray

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.present.shape[0])


def _distinct_labels(frame: Frame, age_band: str) -> tuple[nw.Expr, list[Any]]:
    column = nw.col(age_band)
    dtype = frame.schema[age_band]
    if dtype in (nw.Categorical, nw.Enum) or isinstance(dtype, (nw.Categorical, nw.Enum)):
        column = column.cast(nw.String)
    distinct = collect_small(frame.frame.select(column.alias(age_band)).unique())
    return column, distinct.get_column(age_band).to_list()


def band_table(
    frame: Frame,
    by: list[str],
    age_band: str,
    columns: Mapping[str, str],
    *,
    sum_repeats: bool = False,
) -> BandTable:
    """Sum ``columns`` per group and age band and return them as ``groups x bands`` arrays.

    With ``sum_repeats=False`` a (group, age band) on more than one row raises :class:`SchemaError`
    quoting the labels. A value missing on any row of a cell makes the cell missing (``missing`` is true
    there). Groups are sorted by ``by`` with missing keys last.
    """
    check_values(
        frame,
        [
            Check(
                "age_band",
                age_band,
                nw.col(age_band).is_null(),
                "is missing",
                "every row needs an age band",
                SchemaError,
            )
        ],
    )
    column, labels = _distinct_labels(frame, age_band)
    bands = parse_bands(labels)
    start_expr = column.replace_strict(bands.start_of, default=None, return_dtype=nw.Int64)
    eager = _sums_by_band(frame, by, start_expr, columns)
    if not sum_repeats and (float_array(eager, f"{TMP}len") > 1).any():
        rows = frame.with_frame(frame.frame.with_columns(start_expr.alias(_START)))
        raise_band_problems(rows, by, _START, age_band, None)
    return _as_grid(eager, by, bands, columns)


_START = f"{TMP}start"


def _sums_by_band(frame: Frame, by: list[str], start: nw.Expr, columns: Mapping[str, str]) -> nw.DataFrame[Any]:
    """Row counts, sums and missing-value counts of ``columns`` per group and band start, sorted."""
    row_exprs = {_START: start}
    for name, col in columns.items():
        row_exprs[f"{TMP}{name}"] = nw.col(col).cast(nw.Float64)
        row_exprs[f"{TMP}{name}_na"] = nw.col(col).is_null().cast(nw.Int64)
    rows = frame.frame.with_columns(**row_exprs)
    aggs: list[nw.Expr] = [nw.len().alias(f"{TMP}len")]
    aggs += [nw.col(name).sum() for name in row_exprs if name != _START]
    return collect(rows.group_by([*by, _START]).agg(*aggs), frame).sort([*by, _START], nulls_last=True)


def _as_grid(eager: nw.DataFrame[Any], by: list[str], bands: Bands, columns: Mapping[str, str]) -> BandTable:
    """The per-(group, band) sums as ``groups x bands`` arrays, with which cells are present or missing."""
    gid = group_ids(eager, by)
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    band_index = np.searchsorted(np.asarray(bands.starts), float_array(eager, _START).astype(np.int64))
    shape = (n_groups, bands.n)
    present = np.zeros(shape, dtype=bool)
    present[gid, band_index] = True
    missing = np.zeros(shape, dtype=bool)
    values: dict[str, FloatArray] = {}
    for name in columns:
        grid = np.full(shape, np.nan)
        na = float_array(eager, f"{TMP}{name}_na") > 0
        grid[gid, band_index] = np.where(na, np.nan, float_array(eager, f"{TMP}{name}"))
        missing[gid[na], band_index[na]] = True
        values[name] = grid
    if by and n_groups:
        first = np.flatnonzero(np.diff(gid, prepend=-1) != 0)
        keys: nw.DataFrame[Any] | None = eager.select(by)[first]
    else:
        keys = None
    return BandTable(keys, bands, values, present, missing)


@dataclass
class LifeTable:
    """Life-table columns, each ``groups x bands``."""

    l: FloatArray  # noqa: E741 - the life-table symbol
    big_l: FloatArray
    e: FloatArray
    se: FloatArray


def chiang(deaths: FloatArray, population: FloatArray, starts: Sequence[int]) -> LifeTable:
    """Chiang II abridged life table with Silcocks' variance for the open final band.

    ``deaths`` and ``population`` are ``groups x bands``; ``starts`` the band start ages (the last
    band open). Follows METHODS.md 2.1: ``a = 0.1`` at age 0 and 0.5 otherwise, ``q = 1`` when deaths
    exceed ``P / n / a``, ``L = l / M`` and ``s2p = 4 / (D M^2)`` in the final band. Invalid groups
    give NaN or infinite values; the caller blanks them.
    """
    x = np.asarray(starts, dtype=float)
    n = np.diff(x)
    a = np.where(x == 0, 0.1, 0.5)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m = deaths / population
        head_d, head_p, head_m = deaths[:, :-1], population[:, :-1], m[:, :-1]
        q = np.ones_like(deaths)
        q[:, :-1] = np.where(
            head_d <= head_p / n / a[:-1],
            head_m * n / (1 + head_m * n * (1 - a[:-1])),
            1.0,
        )
        p = 1 - q
        l = np.empty_like(deaths)  # noqa: E741
        l[:, 0] = RADIX
        l[:, 1:] = RADIX * np.cumprod(p[:, :-1], axis=1)
        l_next = np.zeros_like(l)
        l_next[:, :-1] = l[:, 1:]
        d = l - l_next
        big_l = np.empty_like(l)
        big_l[:, :-1] = n * (l_next[:, :-1] + a[:-1] * d[:, :-1])
        big_l[:, -1] = l[:, -1] / m[:, -1]
        t = np.cumsum(big_l[:, ::-1], axis=1)[:, ::-1]
        e = np.where(l == 0, 0.0, t / l)
        e[np.isinf(e)] = np.nan
        s2p = np.where(d[:, :-1] == 0, 0.0, q[:, :-1] ** 2 * (1 - q[:, :-1]) / head_d)
        w = np.empty_like(l)
        w[:, :-1] = s2p * l[:, :-1] ** 2 * ((1 - a[:-1]) * n + e[:, 1:]) ** 2
        w[:, -1] = (l[:, -1] / 2) ** 2 * (4 / (deaths[:, -1] * m[:, -1] ** 2))
        var = np.cumsum(w[:, ::-1], axis=1)[:, ::-1] / l**2
        se = np.sqrt(var)
    return LifeTable(l=l, big_l=big_l, e=e, se=se)


def group_problems(table: BandTable, deaths: str = "deaths", population: str = "population") -> npt.NDArray[np.object_]:
    """Why each group's life table cannot be calculated (``None`` where it can), in the reference's order.

    The reasons: a missing value, the wrong number of bands, negative deaths, a zero or negative
    population, deaths above the population, a total population of at most 5,000, and no deaths in
    the open final band.
    """
    d = table.values[deaths]
    p = table.values[population]
    present = table.present
    n_bands = present.sum(axis=1)
    with np.errstate(invalid="ignore"):
        rules: list[tuple[Any, Any]] = [
            (table.missing.any(axis=1), "missing deaths or population"),
            (n_bands != table.bands.n, None),
            ((present & (d < 0)).any(axis=1), "negative deaths"),
            ((present & (p <= 0)).any(axis=1), "zero or negative population in an age band"),
            ((present & (d > p)).any(axis=1), "deaths exceed population in an age band"),
            (np.nansum(p, axis=1) <= MIN_TOTAL_POPULATION, f"total population <= {MIN_TOTAL_POPULATION:,}"),
            (~(d[:, -1] > 0), f"no deaths in the {table.bands.final} band"),
        ]
    out = np.full(table.n_groups, None, dtype=object)
    for mask, reason in reversed(rules):
        if reason is None:
            texts = np.array([f"{k} of the {table.bands.n} age bands present" for k in n_bands], dtype=object)
            out = np.where(mask, texts, out)
        else:
            out = np.where(mask, reason, out)
    return out


def warn_problems(
    function: str, keys: nw.DataFrame[Any] | None, by: list[str], problems: npt.NDArray[np.object_]
) -> None:
    """Warn, as the reference does, about groups whose results are blank, naming the first few."""
    bad = np.flatnonzero(problems != None)  # noqa: E711 - elementwise comparison
    if not len(bad):
        return
    if keys is not None and by:
        rows = keys[bad[:5]].rows()
        shown = describe_values([(row if len(row) > 1 else row[0]) for row in rows])
    else:
        shown = "all rows"
    first = problems[bad[0]]
    more = " and other reasons" if len(set(problems[bad])) > 1 else ""
    warnings.warn(
        f"{function}: {len(bad)} group(s) have no result ({first}{more}); "
        f"first: {shown}. Their values are missing and `statistic` gives the reason",
        UserWarning,
        stacklevel=3,
    )
