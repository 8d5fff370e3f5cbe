"""Index of Multiple Deprivation for small areas and practices, and local deprivation deciles."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._frames import (
    Frame,
    assemble,
    back_to_caller,
    collect,
    join_in_order,
    keep_geo,
    like_caller,
    small_keys,
    to_pandas,
)
from blmk_health._inputs import prepare
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.geo._common import UNMATCHED, check_option, describe_codes, pick_column

__all__ = ["attach_deprivation", "local_deciles", "practice_deprivation"]

_CODES = ("lsoa_code", "lsoa11cd", "lsoa11_code", "lsoa21cd", "lsoa21_code", "lsoa", "code", "LSOA code (2011)")
_DECILES = (
    "imd_decile",
    "imd2019_decile",
    "imd10",
    "decile",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
)
_SCORES = ("imd_score", "imd2019_score", "score", "Index of Multiple Deprivation (IMD) Score")


def _reference(imd: Any, code: str | None, decile: str | None, score: str | None) -> tuple[pd.DataFrame, bool]:
    """The IMD table as ``code``, ``imd_decile`` (Int64) and ``imd_score`` (float, when present)."""
    table = to_pandas(imd, "imd")
    code_col = pick_column(list(table.columns), code, _CODES, "imd_code")
    decile_col = pick_column(list(table.columns), decile, _DECILES, "decile")
    score_col: str | None
    try:
        score_col = pick_column(list(table.columns), score, _SCORES, "score")
    except SchemaError:
        if score is not None:
            raise
        score_col = None
    codes = table[code_col].astype(object).where(table[code_col].notna(), None)
    dupes = codes[codes.duplicated(keep=False) & codes.notna()]
    if len(dupes):
        msg = f"imd: column {code_col!r} repeats {dupes.nunique()} code(s): {describe_codes(dupes)}"
        raise SchemaError(msg)
    deciles = pd.to_numeric(table[decile_col], errors="coerce")
    bad = table.loc[(deciles.notna() & ~deciles.isin(range(1, 11))) | (deciles.isna() & table[decile_col].notna())]
    if len(bad):
        msg = (
            f"imd: column {decile_col!r} has {len(bad)} value(s) that are not deciles 1-10 "
            f"(first codes: {describe_codes(bad[code_col])})"
        )
        raise DomainError(msg)
    ref = pd.DataFrame({"code": codes, "imd_decile": deciles.astype("Int64")})
    if score_col is not None:
        ref["imd_score"] = pd.to_numeric(table[score_col], errors="coerce").astype(float)
    return ref[ref["code"].notna()].reset_index(drop=True), score_col is not None


def _report(missing: list[Any], total: int, argument: str, column: str, unmatched: str, extra: str = "") -> None:
    if not missing or unmatched == "ignore":
        return
    msg = (
        f"{argument}: {len(missing)} of {total} distinct code(s) in column {column!r} are not in the IMD table"
        f"{extra} (first: {describe_codes(missing)}); their deprivation is missing"
    )
    if unmatched == "raise":
        raise ReferenceDataError(msg)
    warnings.warn(msg, UserWarning, stacklevel=3)


def attach_deprivation(
    data: Any,
    lsoa: str,
    imd: Any,
    *,
    imd_code: str | None = None,
    decile: str | None = None,
    score: str | None = None,
    unmatched: str = "warn",
) -> Any:
    """Join the IMD decile (and score, where the IMD table has one) to rows keyed by LSOA.

    Parameters
    ----------
    data : DataFrame
        Any supported frame (lazy frames stay lazy), with a column of LSOA codes.
    lsoa : str
        Column of LSOA codes in ``data``.
    imd : DataFrame
        The IMD table, e.g. ``bh.io.read_imd(...)`` or the IoD2019 File 7. Its columns are found by
        name (``lsoa_code``/``lsoa11cd``, ``imd_decile``/``imd2019_decile``, ``imd_score``, ...) or
        named with ``imd_code``, ``decile`` and ``score``.
    imd_code, decile, score : str, optional
        Column names in ``imd``.
    unmatched : {"warn", "raise", "ignore"}, default "warn"
        Codes of ``data`` (including missing codes) not in ``imd``: warn with their number and the
        first codes, raise :class:`ReferenceDataError`, or say nothing. Their decile is missing.

    Returns
    -------
    DataFrame
        ``data`` (rows in their order for eager frames) with ``imd_decile`` (1 = most deprived 10%)
        and, when ``imd`` has scores, ``imd_score``.

    Raises
    ------
    SchemaError
        A column is missing, ``imd`` repeats a code, or ``data`` already has ``imd_decile``.
    DomainError
        A decile outside 1-10.
    ReferenceDataError
        Unmatched codes with ``unmatched="raise"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> imd = pd.DataFrame({"lsoa11cd": ["E01015693", "E01015694"], "imd2019_decile": [8, 3]})
    >>> people = pd.DataFrame({"person": [1, 2, 3], "lsoa_code": ["E01015694", "E01015693", "E01015694"]})
    >>> bh.geo.attach_deprivation(people, "lsoa_code", imd)
       person  lsoa_code  imd_decile
    0       1  E01015694           3
    1       2  E01015693           8
    2       3  E01015694           3
    """
    check_option(unmatched, "unmatched", UNMATCHED)
    ref, has_score = _reference(imd, imd_code, decile, score)
    outputs = ["imd_decile", *(["imd_score"] if has_score else [])]
    frame = prepare(data, columns=[("lsoa", lsoa)], outputs=outputs, clash="data").frame
    distinct = [
        None if c is None or (isinstance(c, float) and np.isnan(c)) else c
        for c in collect(frame.frame.select(nw.col(lsoa)).unique(), frame).get_column(lsoa).to_list()
    ]
    known = set(ref["code"])
    _report([c for c in distinct if c not in known], len(distinct), "data", lsoa, unmatched)
    right = like_caller(ref.rename(columns={"code": lsoa}), frame, cast=[lsoa])
    out = join_in_order(frame, right, on=lsoa)
    return keep_geo(back_to_caller(out, frame), data)


def practice_deprivation(
    registrations_by_lsoa: Any,
    imd: Any,
    *,
    practice: str = "practice_code",
    lsoa: str = "lsoa_code",
    patients: str = "patients",
    imd_code: str | None = None,
    decile: str | None = None,
    score: str | None = None,
    unmatched: str = "warn",
) -> Any:
    """Patient-weighted deprivation of each practice from where its patients live.

    With ``p`` the practice's registered patients living in each LSOA (those whose LSOA is in the
    IMD table):

    - ``imd_score`` = sum(p * LSOA score) / sum(p), the method of the OHID Fingertips practice
      deprivation score (indicator 93553), when ``imd`` has scores;
    - ``imd_decile`` = the decile of the practice's median patient (the patient-weighted median of
      the LSOA deciles; 1 = most deprived 10% of LSOAs in England);
    - ``imd_decile_mean`` = sum(p * LSOA decile) / sum(p).

    A national *practice* decile (ranking every practice in England by score) needs all English
    practices; to rank practices within BLMK or a place, apply :func:`local_deciles` to
    ``imd_score``.

    Parameters
    ----------
    registrations_by_lsoa : DataFrame
        Any supported frame with practice code, LSOA code and patient count (one row per practice
        and LSOA, or finer: rows are summed).
    imd : DataFrame
        The IMD table (see :func:`attach_deprivation`).
    practice, lsoa, patients : str
        Column names in ``registrations_by_lsoa``.
    imd_code, decile, score : str, optional
        Column names in ``imd``.
    unmatched : {"warn", "raise", "ignore"}, default "warn"
        LSOA codes not in ``imd``: their patients count in ``patients`` but not in the averages.

    Returns
    -------
    DataFrame
        Of the kind given: ``practice``, ``patients`` (all), ``patients_matched`` (with an IMD
        decile), ``imd_score`` (when available), ``imd_decile``, ``imd_decile_mean``; sorted by
        practice.

    Raises
    ------
    SchemaError
        A column is missing or ``patients`` is not numeric.
    DomainError
        Negative patient counts.
    ReferenceDataError
        Unmatched LSOAs with ``unmatched="raise"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> imd = pd.DataFrame({"lsoa_code": ["A", "B", "C"], "imd_decile": [1, 5, 9], "imd_score": [50.0, 20.0, 5.0]})
    >>> reg = pd.DataFrame({"practice_code": ["P1", "P1", "P1", "P2"], "lsoa_code": ["A", "B", "C", "C"],
    ...                     "patients": [600, 300, 100, 400]})
    >>> print(bh.geo.practice_deprivation(reg, imd).to_string())
      practice_code  patients  patients_matched  imd_score  imd_decile  imd_decile_mean
    0            P1      1000              1000       36.5           1              3.0
    1            P2       400               400        5.0           9              9.0
    """
    check_option(unmatched, "unmatched", UNMATCHED)
    frame = prepare(
        registrations_by_lsoa,
        argument="registrations_by_lsoa",
        columns=[("practice", practice), ("lsoa", lsoa)],
        numeric=[("patients", patients)],
    ).frame
    ref, has_score = _reference(imd, imd_code, decile, score)
    table = _patients_by_practice_lsoa(frame, practice, lsoa, patients)
    merged = table.merge(ref.rename(columns={"code": "lsoa"}), on="lsoa", how="left")
    missing = sorted({c for c, d in zip(merged["lsoa"], merged["imd_decile"], strict=True) if pd.isna(d)}, key=str)
    lost = float(merged.loc[merged["imd_decile"].isna(), "p"].sum())
    n_lsoas = int(merged["lsoa"].nunique(dropna=False))
    _report(missing, n_lsoas, "registrations_by_lsoa", lsoa, unmatched, extra=f", holding {lost:,.0f} patients")
    by_practice = merged[merged["practice"].notna()].groupby("practice", sort=True)
    weighted = [_weighted(rows, has_score) for _, rows in by_practice]
    practices = sorted(merged["practice"].dropna().unique().tolist(), key=str)
    return assemble(small_keys({practice: practices}, frame), _practice_columns(weighted, has_score), frame)


def _patients_by_practice_lsoa(frame: Frame, practice: str, lsoa: str, patients: str) -> pd.DataFrame:
    """Patients summed per practice and LSOA (on the caller's backend), as ``practice``, ``lsoa``, ``p``."""
    summed = frame.frame.group_by([practice, lsoa]).agg(nw.col(patients).sum())
    table = to_pandas(summed, "registrations_by_lsoa")
    table = pd.DataFrame(
        {
            "practice": table[practice].astype(object),
            "lsoa": table[lsoa].astype(object),
            "p": pd.to_numeric(table[patients]).astype(float),
        }
    )
    negative = table[table["p"] < 0]
    if len(negative):
        msg = (
            f"patients: column {patients!r} has negative counts for {len(negative)} practice-LSOA pair(s) "
            f"(first practices: {describe_codes(negative['practice'])})"
        )
        raise DomainError(msg)
    return table


def _weighted(rows: pd.DataFrame, has_score: bool) -> dict[str, float]:
    """One practice's patients, and its patient-weighted score, median decile and mean decile."""
    ok = rows[rows["imd_decile"].notna() & (rows["p"] > 0)]
    weight = ok["p"].to_numpy(dtype=float)
    dec = ok["imd_decile"].to_numpy(dtype=float)
    total = weight.sum()
    out = {"patients": float(rows["p"].sum()), "matched": total, "decile": np.nan, "mean": np.nan}
    if total > 0:
        order = np.argsort(dec, kind="stable")
        cumulative = np.cumsum(weight[order])
        out["decile"] = float(dec[order][np.searchsorted(cumulative, total / 2)])
        out["mean"] = float((weight * dec).sum() / total)
    if has_score:
        scored = ok[ok["imd_score"].notna()]
        w = scored["p"].to_numpy(dtype=float)
        out["score"] = float((w * scored["imd_score"].to_numpy(dtype=float)).sum() / w.sum()) if w.sum() > 0 else np.nan
    return out


def _whole_if_whole(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Counts as int64 when every one is a whole number, else as they are."""
    return values.astype(np.int64) if np.all(values == np.round(values)) else values


def _practice_columns(weighted: list[dict[str, float]], has_score: bool) -> dict[str, Any]:
    """The output columns of :func:`practice_deprivation`, from the per-practice values."""

    def column(name: str) -> np.ndarray[Any, Any]:
        return np.asarray([w[name] for w in weighted], dtype=float)

    columns: dict[str, Any] = {
        "patients": _whole_if_whole(column("patients")),
        "patients_matched": _whole_if_whole(column("matched")),
    }
    if has_score:
        columns["imd_score"] = column("score")
    deciles = column("decile")
    columns["imd_decile"] = (
        pd.array([None if np.isnan(d) else int(d) for d in deciles], dtype="Int64")
        if np.isnan(deciles).any()
        else deciles.astype(np.int64)
    )
    columns["imd_decile_mean"] = column("mean")
    return columns


def local_deciles(
    data: Any,
    value: str = "imd_score",
    by: str | Sequence[str] | None = "place_code",
    n: int = 10,
    *,
    name: str = "local_decile",
    invert: bool = True,
) -> Any:
    """Deprivation deciles (or other quantiles) within each place, with ``bh.indicators.quantiles``.

    National IMD deciles rank every LSOA in England; within one place they are uneven (few of
    Central Bedfordshire's LSOAs are in national decile 1). Local deciles rank the areas of each place
    against each other: decile 1 holds the most deprived 10% of that place's areas.

    Parameters
    ----------
    data : DataFrame
        Any supported frame: one row per small area (or practice) with a deprivation score.
    value : str, default "imd_score"
        Score column (higher = more deprived, as the IMD score).
    by : str or list of str, default "place_code"
        Groups within which deciles are assigned; ``None`` for one group (e.g. all of BLMK).
    n : int, default 10
        Number of groups (10 deciles, 5 quintiles).
    name : str, default "local_decile"
        Name of the new column.
    invert : bool, default True
        ``True`` puts the highest scores (most deprived) in group 1.

    Returns
    -------
    DataFrame
        ``data`` with an integer column ``name``; missing for areas with a missing score and for
        groups with fewer than ``n`` scores (with a warning).

    Raises
    ------
    SchemaError
        A column is missing, ``value`` is not numeric, or ``name`` already exists.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({"place_code": ["L"] * 5 + ["M"] * 5, "imd_score": [40, 30, 20, 10, 5, 9, 8, 7, 6, 1]})
    >>> bh.geo.local_deciles(df, n=5)["local_decile"].tolist()
    [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
    """
    from blmk_health.indicators import quantiles

    checked = prepare(data, by=by, outputs=[name], clash="data")
    frame = checked.frame
    result = quantiles(frame.frame, value, by=checked.by or None, n=n, invert=invert)
    renamed = result.rename({"quantile": name})
    return keep_geo(back_to_caller(renamed, frame), data)
