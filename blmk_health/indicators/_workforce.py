"""Registered patients per GP (and per nurse, ...), and workforce against plan and target over time.

:func:`patients_per_gp` divides the patients registered at practices by the staff of one NHS England
"General Practice Workforce" staff group (full-time equivalent or headcount), at practice level or
summed over any grouping (cluster, place, ICB): a ratio of sums, never an average of practice ratios.
:func:`workforce_trajectory` sets a workforce series beside an earlier plan and a target, with signed
variances. Both are documented, with the definitions and their sources, in ``docs/workforce.md``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from blmk_health._frames import (
    TMP,
    Frame,
    assemble,
    collect,
    collect_small,
    float_array,
    grouped_sums,
    is_integer_column,
    to_pandas,
)
from blmk_health._inputs import Prepared, prepare
from blmk_health._validation import Check, check_choice, check_values, describe_values, require_columns
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.indicators._core import counts

__all__ = ["STAFF", "patients_per_gp", "workforce_trajectory"]

FloatArray = npt.NDArray[np.float64]

#: The date column compared between the registrations and the workforce, when both have it.
DATE = "extract_date"
#: Columns of the workforce table (as :func:`blmk_health.io.read_gp_workforce` names them).
GROUP, ROLE, MEASURE, VALUE = "staff_group", "staff_role", "measure", "value"


@dataclass(frozen=True)
class StaffGroup:
    """How one ``staff`` choice is found in the two layouts of the practice-level workforce files.

    ``group`` is the ``STAFF_GROUP`` of the long ("high level") layout, in lower case; ``exclude`` the
    words whose presence in a ``DETAILED_STAFF_ROLE`` (lower case) leaves that role out; ``wide`` the
    stem of the measure of the wide ("detailed") layout (``total_gp_extg`` -> ``total_gp_extg_fte``,
    ``total_gp_extg_hc``).
    """

    noun: str
    qualifier: str
    group: str
    exclude: tuple[str, ...]
    wide: str


#: The staff groups ``patients_per_gp`` counts, by the name of the ``staff`` argument.
STAFF: dict[str, StaffGroup] = {
    "gp": StaffGroup("GP", " (all GPs, including GPs in training grade and locums)", "gp", (), "total_gp"),
    "gp_excl_registrars": StaffGroup(
        "fully qualified GP", " (excluding GPs in training grade)", "gp", ("training", "registrar"), "total_gp_extg"
    ),
    "gp_qualified_permanent": StaffGroup(
        "qualified permanent GP",
        " (excluding GPs in training grade and locums)",
        "gp",
        ("training", "registrar", "locum"),
        "total_gp_extgl",
    ),
    "nurses": StaffGroup("nurse", "", "nurses", (), "total_nurses"),
    "direct_patient_care": StaffGroup("direct patient care staff", "", "direct patient care", (), "total_dpc"),
    "admin": StaffGroup("admin/non-clinical staff", "", "admin/non-clinical", (), "total_admin"),
}
_MEASURES = {"fte": ("fte", "FTE"), "headcount": ("hc", "headcount")}
_NO_RETURN = "no workforce return"
_NO_FIGURE = "workforce figure missing"
_NO_STAFF = "no staff of this group"


# ------------------------------------------------------------------------------------ patients per GP


@dataclass(frozen=True)
class _Practices:
    """One row per practice of the registrations (sorted by ``by``, then practice), with its staff."""

    keys: Any  # the ``by`` groups, as an eager frame (None when ungrouped)
    group: npt.NDArray[np.int64]  # the group number of each practice
    patients: FloatArray
    weighted: FloatArray | None
    staff: FloatArray  # NaN without a usable figure
    reason: npt.NDArray[np.object_]  # why a practice has no figure (None when it has one)
    integer: bool  # whether the patients column holds whole numbers by type


def patients_per_gp(
    registrations: Any,
    workforce: Any,
    by: str | Sequence[str] | None = "practice_code",
    measure: str = "fte",
    staff: str = "gp_excl_registrars",
    *,
    practice: str = "practice_code",
    patients: str = "number_of_patients",
    weighted: str | None = None,
    metadata: bool = True,
) -> Any:
    """Registered patients per GP (or nurse, ...) FTE or headcount, by practice or summed over groups.

    ``value = patients / staff``, both summed over the practices of a ``by`` group that have a
    workforce figure: a ratio of sums, so a cluster's or a place's value is its patients divided by
    its staff, never an average of practice ratios. ``staff_per_10000 = 10000 * staff / patients``
    (the inverse, e.g. GP FTE per 10,000 patients). The staff groups follow NHS England's
    "General Practice Workforce" statistics (``docs/workforce.md`` gives each definition and its
    source); 1.0 FTE is 37.5 hours a week.

    Parameters
    ----------
    registrations : DataFrame
        Registered patients: one or more rows per practice (e.g. by sex and age band, as
        :func:`blmk_health.io.read_gp_registrations` or the synthetic ``registrations`` give them),
        with the ``practice`` and ``patients`` columns and the ``by`` columns (join a practice ->
        cluster lookup first to group by cluster). Rows are summed per practice. Any frame narwhals
        supports; the result is of the same kind.
    workforce : DataFrame
        Practice-level workforce, the tidy long table of :func:`blmk_health.io.read_gp_workforce`
        (or the synthetic ``workforce``): columns ``practice``, ``measure`` and ``value``, plus
        ``staff_group`` and ``staff_role`` in the long ("high level") layout. Both published
        layouts are read: the wide ("detailed") layout's measures (``total_gp_extg_fte``,
        ``total_nurses_hc``, ...) and the long layout's ``fte`` / ``headcount`` rows by staff group
        and role. In the long layout each group's ``Total`` row is used when present, less the
        excluded roles; otherwise the group's roles are summed.
    by : str or list of str or None, default "practice_code"
        Grouping columns of ``registrations``; one result row per group, sorted by ``by``. ``None``
        gives one row for all practices. Each practice must fall in one group.
    measure : {"fte", "headcount"}, default "fte"
        Full-time equivalents, or headcounts. A headcount counts the people of one practice; rolled
        up, the practices' headcounts are summed, so a person working at two practices counts twice
        (NHS England computes headcounts separately at each level: they are not additive).
    staff : str, default "gp_excl_registrars"
        ``"gp"`` (all GPs), ``"gp_excl_registrars"`` (fully qualified GPs: excluding GPs in training
        grade), ``"gp_qualified_permanent"`` (excluding GPs in training grade and locums),
        ``"nurses"``, ``"direct_patient_care"`` or ``"admin"`` (admin/non-clinical).
    practice : str, default "practice_code"
        The practice code column of both tables.
    patients : str, default "number_of_patients"
        The registered patients column of ``registrations`` (``"patients"`` from
        :func:`blmk_health.io.read_gp_registrations`).
    weighted : str, optional
        A column of weighted patients in ``registrations`` (e.g. the "Number of Weighted Patients"
        of NHS Payments to General Practice), summed like ``patients``; adds ``weighted_patients``
        and ``weighted_per_staff``.
    metadata : bool, default True
        Add the ``statistic`` and ``method`` columns.

    Returns
    -------
    DataFrame
        Of the kind of ``registrations``, one row per ``by`` group: the ``by`` columns,
        ``patients`` (all registered patients of the group; an integer when the input is),
        ``patients_with_return`` (those of the practices with a figure: the numerator of ``value``),
        ``staff`` (summed FTE or headcount of the practices with a figure), ``value`` (patients per
        staff member, over the practices with a figure), ``staff_per_10000``, ``practices``,
        ``practices_without_return`` and ``patients_without_return`` (practices without a usable
        figure: no workforce return at all, or a missing figure such as ``ND``), then
        ``weighted_patients`` and ``weighted_per_staff`` with ``weighted``, and ``statistic`` and
        ``method``. ``value`` is blank, with the reason in ``statistic`` ("... NA: no workforce
        return", "... NA: workforce figure missing", "... NA: no staff of this group"), when the
        group has no figure or no staff: a division by zero never gives infinity, and a practice
        without a return is reported, never dropped nor counted as having no staff.

    Raises
    ------
    SchemaError
        A named column is missing or not numeric; ``workforce`` has neither layout's rows for the
        ``staff`` and ``measure`` asked for, or repeats a practice (for a role and measure); a
        practice falls in more than one ``by`` group; a table holds more than one ``extract_date``.
    DomainError
        Negative patients or staff, missing practice codes, or excluded roles larger than their
        group's ``Total``.
    InputError
        An unknown ``staff`` or ``measure``.

    Warns
    -----
    UserWarning
        ``registrations`` and ``workforce`` both have an ``extract_date`` column, with different
        dates (both are named).

    Notes
    -----
    Workforce rows of practices that are not in ``registrations`` are not used. A practice with a
    return but no row of the asked staff group (long layout) has no staff of that group.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> reg = pd.DataFrame({"practice_code": ["P1", "P2", "P3"], "number_of_patients": [9000, 4500, 3000]})
    >>> wf = pd.DataFrame({"practice_code": ["P1", "P2"], "measure": ["total_gp_extg_fte"] * 2,
    ...                    "value": [4.0, 2.5]})
    >>> out = bh.indicators.patients_per_gp(reg, wf)
    >>> out[["practice_code", "patients", "staff", "value", "staff_per_10000"]].round(2)
      practice_code  patients  staff   value  staff_per_10000
    0            P1      9000    4.0  2250.0             4.44
    1            P2      4500    2.5  1800.0             5.56
    2            P3      3000    NaN     NaN              NaN
    >>> print(out["statistic"].iloc[2])
    patients per fully qualified GP FTE (excluding GPs in training grade) NA: no workforce return

    All three practices together: P3, without a return, is left out of the ratio and counted apart.

    >>> total = bh.indicators.patients_per_gp(reg, wf, by=None, metadata=False)
    >>> total[["patients", "staff", "value", "practices_without_return", "patients_without_return"]].round(2)
       patients  staff    value  practices_without_return  patients_without_return
    0     16500    6.5  2076.92                         1                     3000
    """
    kind = check_choice(staff, "staff", list(STAFF))
    unit = check_choice(measure, "measure", list(_MEASURES))
    outputs = _ppg_outputs(weighted)
    reg = prepare(
        registrations,
        argument="registrations",
        columns=[("practice", practice)],
        numeric=[("patients", patients), ("weighted", weighted)],
        by=by,
        outputs=outputs,
    )
    wf = prepare(workforce, argument="workforce", columns=[("practice", practice), ("workforce", MEASURE)])
    require_columns(wf.frame, [("workforce", VALUE)])
    _check_ppg_values(reg, wf, practice, patients, weighted)
    _compare_dates(reg.frame, wf.frame)
    found = _practices(reg, wf, practice, patients, weighted, STAFF[kind], unit)
    columns = _ppg_columns(found, STAFF[kind], unit, metadata)
    return assemble(found.keys, columns, reg.frame)


def _ppg_outputs(weighted: str | None) -> list[str]:
    names = ["patients", "patients_with_return", "staff", "value", "staff_per_10000", "practices"]
    names += ["practices_without_return", "patients_without_return"]
    if weighted is not None:
        names += ["weighted_patients", "weighted_per_staff"]
    return [*names, "statistic", "method"]


def _check_ppg_values(reg: Prepared, wf: Prepared, practice: str, patients: str, weighted: str | None) -> None:
    """Row rules of both tables: no negative counts or staff, no missing practice codes, numeric values."""
    missing_code = "practice codes must be present"
    checks = [
        Check.missing("practice", practice, "has a missing practice code", missing_code),
        Check.below("patients", patients, 0, "has a negative number of patients", "patients must be >= 0"),
    ]
    if weighted is not None:
        checks.append(Check.below("weighted", weighted, 0, "has a negative weighted list", "must be >= 0"))
    check_values(reg.frame, checks)
    if not wf.frame.schema[VALUE].is_numeric():
        msg = f"workforce: column {VALUE!r} must be numeric but is {wf.frame.schema[VALUE]}"
        raise SchemaError(msg)
    check_values(
        wf.frame,
        [
            Check.missing("workforce", practice, "has a missing practice code", missing_code),
            Check.below("workforce", VALUE, 0, "has a negative FTE or headcount", "staff must be >= 0"),
        ],
    )


def _dates(frame: Frame, argument: str) -> list[Any]:
    if DATE not in frame.columns:
        return []
    eager = collect_small(frame.frame.select(nw.col(DATE)).unique().head(6))
    values = sorted({v for v in eager.get_column(DATE).to_list() if v is not None}, key=str)
    if len(values) > 1:
        msg = (
            f"{argument}: column {DATE!r} holds {len(values) if len(values) < 6 else '6 or more'} dates "
            f"(first: {_show_dates(values)}); "
            "patients per GP compares one snapshot of each table: filter to one date first"
        )
        raise SchemaError(msg)
    return values


def _show_dates(values: Sequence[Any]) -> str:
    shown = [v.isoformat()[:10] if hasattr(v, "isoformat") else str(v) for v in values[:5]]
    return ", ".join(shown)


def _compare_dates(registrations: Frame, workforce: Frame) -> None:
    """Warn when the two tables are snapshots of different dates (both having an ``extract_date``)."""
    left, right = _dates(registrations, "registrations"), _dates(workforce, "workforce")
    if left and right and _show_dates(left) != _show_dates(right):
        warnings.warn(
            f"patients_per_gp: registrations and workforce are for different dates: registrations "
            f"{DATE} {_show_dates(left)}, workforce {DATE} {_show_dates(right)}",
            UserWarning,
            stacklevel=3,
        )


def _practices(
    reg: Prepared, wf: Prepared, practice: str, patients: str, weighted: str | None, kind: StaffGroup, unit: str
) -> _Practices:
    """Sum the registrations per practice (within ``by``) and attach each practice's staff figure."""
    keys = list(dict.fromkeys([*reg.by, practice]))
    sums = {f"{TMP}p": nw.col(patients).cast(nw.Float64)}
    if weighted is not None:
        sums[f"{TMP}w"] = nw.col(weighted).cast(nw.Float64)
    eager = grouped_sums(reg.frame, keys, sums).to_pandas()
    codes = [str(code) for code in eager[practice]]
    if len(set(codes)) < len(codes):
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        msg = (
            f"by: practice(s) {describe_values(repeated)} fall in more than one group of {reg.by!r}; "
            "each practice must belong to one group (its staff cannot be split)"
        )
        raise SchemaError(msg)
    if reg.by:
        ids = eager.groupby(reg.by, dropna=False, sort=False, observed=True).ngroup()
        group = np.asarray(ids.to_numpy(), dtype=np.int64)
        group_keys = nw.from_native(eager[reg.by].drop_duplicates().reset_index(drop=True), eager_only=True)
    else:
        group, group_keys = np.zeros(len(eager), dtype=np.int64), None
    staff, reason = _staff_of(wf, practice, kind, unit, codes)
    return _Practices(
        keys=group_keys,
        group=group,
        patients=eager[f"{TMP}p"].to_numpy(dtype=float),
        weighted=None if weighted is None else eager[f"{TMP}w"].to_numpy(dtype=float),
        staff=staff,
        reason=reason,
        integer=is_integer_column(reg.frame, patients),
    )


def _layout(wf: Frame, kind: StaffGroup, unit: str) -> str:
    """``"wide"`` or ``"long"``, from the measures the workforce table holds."""
    measures = collect_small(wf.frame.select(nw.col(MEASURE).cast(nw.String).str.to_lowercase()).unique())
    found = {m for m in measures.get_column(MEASURE).to_list() if m is not None}
    wide_name = f"{kind.wide}_{_MEASURES[unit][0]}"
    wide, long = wide_name in found, unit in found
    if wide and long:
        msg = f"workforce: column {MEASURE!r} mixes the wide layout's {wide_name!r} and the long layout's {unit!r}"
        raise SchemaError(msg)
    if not (wide or long):
        msg = (
            f"workforce: no {unit} figures of this staff group: column {MEASURE!r} has neither the wide "
            f"layout's {wide_name!r} nor the long layout's {unit!r} (with {GROUP!r} and {ROLE!r}); it has "
            f"{describe_values(sorted(found, key=str))}"
        )
        raise SchemaError(msg)
    if long:
        require_columns(wf, [("workforce", GROUP), ("workforce", ROLE)])
    return "wide" if wide else "long"


def _text(column: str) -> nw.Expr:
    return nw.col(column).cast(nw.String).str.to_lowercase().str.strip_chars()


def _staff_sums(wf: Frame, practice: str, kind: StaffGroup, unit: str, layout: str) -> dict[str, nw.Expr]:
    """Per-row indicators and values whose sums per practice give the practice's staff figure."""
    value = nw.col(VALUE).cast(nw.Float64)

    def parts(name: str, rows: nw.Expr) -> dict[str, nw.Expr]:
        rows = rows.fill_null(value=False)
        return {
            f"{TMP}{name}_sum": nw.when(rows).then(value.fill_null(0.0)).otherwise(0.0),
            f"{TMP}{name}_rows": rows.cast(nw.Int64),
            f"{TMP}{name}_na": (rows & value.is_null()).cast(nw.Int64),
        }

    sums = {f"{TMP}any": nw.lit(1, nw.Int64)}
    if layout == "wide":
        return {**sums, **parts("wide", _text(MEASURE) == f"{kind.wide}_{_MEASURES[unit][0]}")}
    selected = (_text(GROUP) == kind.group) & (_text(MEASURE) == unit)
    total = _text(ROLE) == "total"
    excluded = nw.lit(value=False)
    for word in kind.exclude:
        excluded = excluded | _text(ROLE).str.contains(word, literal=True)
    sums.update(parts("total", selected & total))
    sums.update(parts("kept", selected & ~total & ~excluded))
    sums.update(parts("left", selected & ~total & excluded))
    return sums


def _check_unique(wf: Frame, practice: str, layout: str, kind: StaffGroup, unit: str) -> None:
    """A practice may have one row per role (long layout) or per measure (wide layout)."""
    keys = [practice, MEASURE] if layout == "wide" else [practice, GROUP, ROLE, MEASURE]
    if layout == "wide":
        rows = _text(MEASURE) == f"{kind.wide}_{_MEASURES[unit][0]}"
    else:
        rows = (_text(GROUP) == kind.group) & (_text(MEASURE) == unit)
    counted = wf.frame.filter(rows.fill_null(value=False)).group_by(keys).agg(nw.len().alias(f"{TMP}n"))
    repeated = collect(counted.filter(nw.col(f"{TMP}n") > 1), wf)
    if len(repeated):
        first = describe_values([tuple(r) for r in repeated.select(keys).rows()])
        msg = (
            f"workforce: {len(repeated)} practice(s) repeat a row of {keys[1:]!r} (first: {first}); "
            "each practice must appear once per staff role and measure"
        )
        raise SchemaError(msg)


def _staff_of(
    wf: Prepared, practice: str, kind: StaffGroup, unit: str, codes: list[str]
) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    """Each practice's staff figure (NaN without one) and the reason it has none, in ``codes`` order."""
    layout = _layout(wf.frame, kind, unit)
    _check_unique(wf.frame, practice, layout, kind, unit)
    eager = grouped_sums(wf.frame, [practice], _staff_sums(wf.frame, practice, kind, unit, layout))
    s = {name.removeprefix(TMP): float_array(eager, name) for name in eager.columns if name.startswith(TMP)}
    if layout == "wide":
        figure = np.where((s["wide_rows"] > 0) & (s["wide_na"] == 0), s["wide_sum"], np.nan)
    else:
        has_total = s["total_rows"] > 0
        bad = np.flatnonzero(has_total & (s["left_sum"] > s["total_sum"] + 1e-9))
        if len(bad):
            shown = describe_values([str(c) for c in eager.get_column(practice).to_list()][i] for i in bad)
            msg = (
                f"workforce: roles matching {kind.exclude!r} add up to more than their group's 'Total' at "
                f"{len(bad)} practice(s) (first: {shown})"
            )
            raise DomainError(msg)
        missing = np.where(has_total, s["total_na"] + s["left_na"], s["kept_na"]) > 0
        figure = np.where(missing, np.nan, np.where(has_total, s["total_sum"] - s["left_sum"], s["kept_sum"]))
    where = {str(code): i for i, code in enumerate(eager.get_column(practice).to_list())}
    index = np.array([where.get(code, -1) for code in codes], dtype=np.int64)
    staff = np.where(index >= 0, figure[np.maximum(index, 0)], np.nan)
    reason = np.full(len(codes), None, dtype=object)
    reason[np.isnan(staff)] = _NO_FIGURE
    reason[index < 0] = _NO_RETURN
    return staff, reason


def _sums(group: npt.NDArray[np.int64], values: FloatArray, k: int) -> FloatArray:
    return np.asarray(np.bincount(group, values, minlength=k), dtype=np.float64)


def _ppg_columns(found: _Practices, kind: StaffGroup, unit: str, metadata: bool) -> dict[str, Any]:
    """Sum the practices of each group and compute the ratios, with the reasons for blank values."""
    k = int(found.group.max()) + 1 if len(found.group) else 0
    has = ~np.isnan(found.staff)
    total = _sums(found.group, found.patients, k)
    covered = _sums(found.group, np.where(has, found.patients, 0.0), k)
    n_with = np.bincount(found.group[has], minlength=k).astype(np.int64)
    staff = np.where(n_with > 0, _sums(found.group, np.where(has, found.staff, 0.0), k), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(staff > 0, covered / staff, np.nan)
        per_10000 = np.where(covered > 0, 10_000 * staff / covered, np.nan)
    practices = np.bincount(found.group, minlength=k).astype(np.int64)
    columns: dict[str, Any] = {
        "patients": counts(total, found.integer),
        "patients_with_return": counts(covered, found.integer),
        "staff": staff,
        "value": value,
        "staff_per_10000": per_10000,
        "practices": practices,
        "practices_without_return": practices - n_with,
        "patients_without_return": counts(total - covered, found.integer),
    }
    if found.weighted is not None:
        weighted = _sums(found.group, found.weighted, k)
        covered_w = _sums(found.group, np.where(has, found.weighted, 0.0), k)
        with np.errstate(divide="ignore", invalid="ignore"):
            columns["weighted_patients"] = weighted
            columns["weighted_per_staff"] = np.where(staff > 0, covered_w / staff, np.nan)
    if metadata:
        columns["statistic"] = _ppg_statistic(found, kind, unit, staff, practices - n_with, k)
        columns["method"] = np.full(k, _ppg_method(unit), dtype=object)
    return columns


def _ppg_statistic(
    found: _Practices, kind: StaffGroup, unit: str, staff: FloatArray, without: npt.NDArray[np.int64], k: int
) -> npt.NDArray[np.object_]:
    what = f"patients per {kind.noun} {_MEASURES[unit][1]}{kind.qualifier}"
    out = np.full(k, what, dtype=object)
    for g in range(k):
        reasons = {r for r in found.reason[found.group == g] if r is not None}
        if np.isnan(staff[g]):
            why = _NO_RETURN if reasons == {_NO_RETURN} else (_NO_FIGURE if reasons == {_NO_FIGURE} else None)
            out[g] = f"{what} NA: {why or 'no workforce return or figure'}"
        elif staff[g] == 0:
            out[g] = f"{what} NA: {_NO_STAFF}"
        elif without[g]:
            out[g] = f"{what}: {without[g]} practice(s) without a workforce return or figure left out"
    return out


def _ppg_method(unit: str) -> str:
    if unit == "fte":
        return "ratio of sums: registered patients / staff FTE (1.0 FTE = 37.5 hours a week)"
    return "ratio of sums: registered patients / staff headcount (summed over practices)"


# ----------------------------------------------------------------------------------- trajectory

#: Period labels ``workforce_trajectory`` reads (besides dates): "Sep-17", "Sep-2017", "Sep 17",
#: "September 2017", "2017-09", "2017-09-30".
_PERIOD_FORMATS = ("%b-%y", "%b-%Y", "%b %y", "%b %Y", "%B %Y", "%B-%Y", "%Y-%m", "%Y-%m-%d")


def _month(value: Any) -> int | None:
    """A period (date or label) as a month number (``12 * year + month - 1``), or None if unreadable."""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return 12 * value.year + value.month - 1
    if isinstance(value, np.datetime64):
        stamp = pd.Timestamp(value)
        return 12 * stamp.year + stamp.month - 1
    if isinstance(value, str):
        text = value.strip()
        for form in _PERIOD_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, form)
            except ValueError:
                continue
            return 12 * parsed.year + parsed.month - 1
    return None


def _months(table: pd.DataFrame, period: str, argument: str) -> npt.NDArray[np.int64]:
    """The month of every row, or :class:`DomainError` naming the periods that cannot be read."""
    values = table[period].tolist()
    months = [None if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) else _month(v) for v in values]
    bad = [v for v, m in zip(values, months, strict=True) if m is None]
    if bad:
        msg = (
            f"{argument}: column {period!r} has {len(bad)} period(s) that are neither dates nor month labels "
            f"(first: {describe_values(bad)}); use dates or labels such as 'Sep-17', 'Sep-2017', "
            "'September 2017' or '2017-09'"
        )
        raise DomainError(msg)
    return np.array(months, dtype=np.int64)


def _periods(table: pd.DataFrame, by: list[str], period: str, argument: str) -> pd.DataFrame:
    """Add the month of each row and refuse a period repeated within a group."""
    out = table.assign(**{f"{TMP}month": _months(table, period, argument)})
    repeated = out.duplicated([*by, f"{TMP}month"], keep=False)
    if repeated.any():
        first = describe_values(out.loc[repeated, [*by, period]].astype(str).agg(" ".join, axis=1).tolist())
        msg = (
            f"{argument}: {int(repeated.sum())} rows repeat a period within a group of {by!r} (first: {first}); "
            "each group has one value per period (periods are compared by calendar month)"
        )
        raise SchemaError(msg)
    return out


def workforce_trajectory(
    actuals: Any,
    plan: Any = None,
    target: Any = None,
    by: str | Sequence[str] | None = None,
    *,
    period: str = "period",
    value: str = "value",
    kind: str | None = "kind",
    metadata: bool = True,
) -> Any:
    """A workforce series against an earlier plan and a target, with signed variances.

    ``variance_from_plan = value - plan`` at every period the plan has, and
    ``variance_from_target = value - target`` at the last period of each group (the target's
    period); positive means above plan or target. Variances are rounded to 10 decimal places, which
    removes binary floating-point noise (538.4 - 537.5 gives 0.9, not 0.8999999999999773) without
    changing any figure given to fewer decimals.

    Parameters
    ----------
    actuals : DataFrame
        The series: ``period`` and ``value`` columns (and the ``by`` columns), optionally ``kind``
        ("actual" or "planned": the observed series followed by the current plan). Any frame
        narwhals supports; the result is of the same kind.
    plan : DataFrame, optional
        An earlier trajectory with the same ``period`` and ``value`` columns (and ``by``). Its
        periods are matched to those of ``actuals`` by calendar month; periods it has beyond
        ``actuals`` are not shown (a warning names them).
    target : float or DataFrame, optional
        The target at the last period: one number for every group, or a table of the ``by``
        columns and ``value`` (one row per group; groups without a row have no target).
    by : str or list of str, optional
        Grouping columns (e.g. a staff group or a place): one series per group.
    period : str, default "period"
        Column of periods: dates, or month labels such as ``"Sep-17"``, ``"Sep-2017"``,
        ``"September 2017"``, ``"2017-09"`` or ``"2017-09-30"``. Rows are put in time order.
    value : str, default "value"
        Column of the workforce figure (e.g. GP FTE) in ``actuals``, ``plan`` and a ``target`` table.
    kind : str or None, default "kind"
        Column of ``actuals`` saying whether a value is ``"actual"`` or ``"planned"``; when it is
        ``None`` or ``actuals`` has no such column, every value is ``"actual"``.
    metadata : bool, default True
        Add the ``statistic`` and ``method`` columns.

    Returns
    -------
    DataFrame
        One row per group and period, sorted by ``by`` and time: the ``by`` columns, ``period`` (as
        given), ``value``, ``kind``, ``plan``, ``variance_from_plan``, ``target`` and
        ``variance_from_target`` (both at the last period only), ``statistic`` and ``method``.

    Raises
    ------
    SchemaError
        A named column is missing, ``value`` is not numeric, or a period (a target group) repeats.
    DomainError
        A period that is neither a date nor a month label, a ``kind`` other than "actual" or
        "planned", or a target that is not a finite number or a table.
    ReferenceDataError
        A target table names groups that are not in ``actuals``.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> actuals = pd.DataFrame({"period": ["Sep-18", "Dec-18", "Sep-20"], "value": [429.3, 435.3, 538.4],
    ...                         "kind": ["actual", "planned", "planned"]})
    >>> plan = pd.DataFrame({"period": ["Dec-18", "Sep-20"], "value": [438.7, 537.8]})
    >>> out = bh.indicators.workforce_trajectory(actuals, plan=plan, target=537.5)
    >>> out[["period", "value", "plan", "variance_from_plan", "target", "variance_from_target"]]
       period  value   plan  variance_from_plan  target  variance_from_target
    0  Sep-18  429.3    NaN                 NaN     NaN                   NaN
    1  Dec-18  435.3  438.7                -3.4     NaN                   NaN
    2  Sep-20  538.4  537.8                 0.6   537.5                   0.9
    """
    prepared = prepare(
        actuals,
        argument="actuals",
        columns=[("period", period)],
        numeric=[("value", value)],
        by=by,
        outputs=["period", "value", "kind", *_TRAJECTORY, "statistic", "method"],
    )
    series = _periods(to_pandas(prepared.frame, "actuals"), prepared.by, period, "actuals")
    series = series.sort_values([*prepared.by, f"{TMP}month"], na_position="last", kind="stable")
    series = series.reset_index(drop=True)
    kinds = _kinds(series, kind)
    plans = _plan_values(series, plan, prepared.by, period, value)
    targets = _target_values(series, target, prepared.by, value)
    values = series[value].to_numpy(dtype=float, na_value=np.nan)
    columns: dict[str, Any] = {"value": values, "kind": kinds, "plan": plans}
    columns["variance_from_plan"] = np.round(values - plans, 10)
    columns["target"] = targets
    columns["variance_from_target"] = np.round(values - targets, 10)
    if metadata:
        what = "workforce against plan and target"
        columns["statistic"] = np.where(np.isnan(values), f"{what} NA: no value for this period", what).astype(object)
        columns["method"] = np.full(
            len(series), "variance = value - plan, value - target (positive: above); periods matched by month", object
        )
    keys = series[[*prepared.by, period]].rename(columns={period: "period"})
    return assemble(nw.from_native(keys, eager_only=True), columns, prepared.frame)


_TRAJECTORY = ("plan", "variance_from_plan", "target", "variance_from_target")


def _kinds(series: pd.DataFrame, kind: str | None) -> npt.NDArray[np.object_]:
    """``"actual"`` / ``"planned"`` per row (every row is actual without a kind column)."""
    if kind is None or kind not in series.columns:
        return np.full(len(series), "actual", dtype=object)
    labels = series[kind].astype("string").str.strip().str.lower()
    bad = series.loc[~labels.isin(["actual", "planned"]).fillna(False), kind]
    if len(bad):
        msg = (
            f"kind: column {kind!r} has {len(bad)} value(s) other than 'actual' and 'planned' "
            f"(first: {describe_values(bad.tolist())})"
        )
        raise DomainError(msg)
    return labels.to_numpy(dtype=object)


def _plan_values(series: pd.DataFrame, plan: Any, by: list[str], period: str, value: str) -> FloatArray:
    """The plan's value at each period of ``series`` (NaN where the plan has none)."""
    if plan is None:
        return np.full(len(series), np.nan)
    checked = prepare(plan, argument="plan", columns=[("period", period)], numeric=[("value", value)])
    require_columns(checked.frame, [("by", column) for column in by])
    table = _periods(to_pandas(checked.frame, "plan"), by, period, "plan")
    keys = [*by, f"{TMP}month"]
    table = table[[*keys, period, value]].rename(columns={value: f"{TMP}plan", period: f"{TMP}label"})
    merged = series[keys].merge(table, on=keys, how="left", validate="one_to_one")
    extra = table.merge(series[keys], on=keys, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    if len(extra):
        warnings.warn(
            f"workforce_trajectory: plan: {len(extra)} period(s) not in actuals are not shown "
            f"(first: {describe_values(extra[f'{TMP}label'].astype(str).tolist())})",
            UserWarning,
            stacklevel=3,
        )
    return merged[f"{TMP}plan"].to_numpy(dtype=float, na_value=np.nan)


def _target_values(series: pd.DataFrame, target: Any, by: list[str], value: str) -> FloatArray:
    """The target at the last period of each group (NaN elsewhere, and for groups without one)."""
    out = np.full(len(series), np.nan)
    if target is None:
        return out
    last = ~series.duplicated(by, keep="last") if by else series.index == len(series) - 1
    if isinstance(target, (int, float, np.integer, np.floating)) and not isinstance(target, bool):
        if not np.isfinite(target):
            msg = f"target: expected a finite number, got {target!r}"
            raise DomainError(msg)
        out[np.asarray(last)] = float(target)
        return out
    if isinstance(target, (str, bytes, bool)) or target is None:
        msg = f"target: expected a number or a table of {by!r} and {value!r}, got {target!r}"
        raise DomainError(msg)
    table = _target_table(target, by, value)
    if not by:
        out[np.asarray(last)] = table[value].iloc[0]
        return out
    known = series[by].drop_duplicates()
    unknown = table[by].merge(known, how="left", indicator=True)
    unknown = unknown[unknown["_merge"] == "left_only"]
    if len(unknown):
        shown = describe_values(unknown[by].astype(str).agg(" ".join, axis=1).tolist())
        msg = f"target: {len(unknown)} group(s) of {by!r} are not in actuals (first: {shown})"
        raise ReferenceDataError(msg)
    merged = series[by].merge(table[[*by, value]], on=by, how="left")
    values = merged[value].to_numpy(dtype=float, na_value=np.nan)
    out[np.asarray(last)] = values[np.asarray(last)]
    return out


def _target_table(target: Any, by: list[str], value: str) -> pd.DataFrame:
    """A target table checked: its ``by`` and ``value`` columns, one row per group (one row without ``by``)."""
    try:
        checked = prepare(target, argument="target", numeric=[("value", value)])
    except SchemaError as err:
        if "expected a data frame" not in str(err):
            raise
        msg = f"target: expected a number or a table of {by!r} and {value!r}, got {type(target).__name__}"
        raise DomainError(msg) from err
    require_columns(checked.frame, [("by", column) for column in by])
    table = to_pandas(checked.frame, "target")
    if (by and table.duplicated(by).any()) or (not by and len(table) != 1):
        msg = f"target: expected one row per group of {by!r}, got {len(table)} rows"
        if by:
            first = table.loc[table.duplicated(by, keep=False), by].astype(str).agg(" ".join, axis=1).tolist()
            msg += f" (repeated: {describe_values(first)})"
        raise SchemaError(msg)
    return table
