"""Index of Multiple Deprivation for small areas and practices, and local deprivation deciles."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pyarrow as pa

from blmk_health._frames import as_list, assemble, collect, ingest
from blmk_health._validation import reject_clashes, require_columns, require_numeric
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.geo._common import back_to_caller, describe_codes, keep_geo, like_caller, pick_column, to_pandas

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
_TMP = "__bh_geo_"


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


def _check_unmatched(unmatched: str) -> None:
    if unmatched not in ("warn", "raise", "ignore"):
        msg = f"unmatched: expected 'warn', 'raise' or 'ignore', got {unmatched!r}"
        raise DomainError(msg)


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
    _check_unmatched(unmatched)
    frame = ingest(data)
    require_columns(frame, [("lsoa", lsoa)])
    ref, has_score = _reference(imd, imd_code, decile, score)
    outputs = ["imd_decile", *(["imd_score"] if has_score else [])]
    reject_clashes(frame.columns, outputs, "data")
    distinct = [
        None if c is None or (isinstance(c, float) and np.isnan(c)) else c
        for c in collect(frame.frame.select(nw.col(lsoa)).unique(), frame).get_column(lsoa).to_list()
    ]
    known = set(ref["code"])
    _report([c for c in distinct if c not in known], len(distinct), "data", lsoa, unmatched)
    ref = ref.rename(columns={"code": lsoa})
    table = pa.Table.from_pandas(ref, preserve_index=False)
    if isinstance(frame.native, pa.Table):
        key_type = frame.native.schema.field(lsoa).type
        table = table.set_column(0, lsoa, table.column(0).cast(key_type))
    right = like_caller(table, frame)
    if not isinstance(frame.native, pa.Table):
        right = right.with_columns(nw.col(lsoa).cast(frame.schema[lsoa]))
    left = frame.frame
    if isinstance(left, nw.DataFrame):
        left = left.with_row_index(f"{_TMP}row")
    out = left.join(right, on=lsoa, how="left")  # type: ignore[arg-type]
    if not frame.is_lazy:
        out = out.sort(f"{_TMP}row").drop(f"{_TMP}row")
        if frame.is_pandas:
            native = out.to_native()
            native.index = frame.native.index
            out = nw.from_native(native, eager_only=True)
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
    _check_unmatched(unmatched)
    frame = ingest(registrations_by_lsoa, "registrations_by_lsoa")
    require_columns(frame, [("practice", practice), ("lsoa", lsoa), ("patients", patients)])
    require_numeric(frame, [("patients", patients)])
    ref, has_score = _reference(imd, imd_code, decile, score)
    summed = frame.frame.group_by([practice, lsoa]).agg(nw.col(patients).sum())
    eager = collect(summed, frame)
    table = eager.to_pandas() if not frame.is_pandas else eager.to_native()
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
    merged = table.merge(ref.rename(columns={"code": "lsoa"}), on="lsoa", how="left")
    missing = sorted({c for c, d in zip(merged["lsoa"], merged["imd_decile"], strict=True) if pd.isna(d)}, key=str)
    lost = float(merged.loc[merged["imd_decile"].isna(), "p"].sum())
    _report(
        missing,
        int(merged["lsoa"].nunique(dropna=False)),
        "registrations_by_lsoa",
        lsoa,
        unmatched,
        extra=f", holding {lost:,.0f} patients",
    )
    practices = sorted(merged["practice"].dropna().unique().tolist(), key=str)
    out: dict[str, list[float]] = {k: [] for k in ("patients", "matched", "score", "decile", "mean")}
    for code, rows in merged[merged["practice"].notna()].groupby("practice", sort=True):
        del code
        out["patients"].append(float(rows["p"].sum()))
        ok = rows[rows["imd_decile"].notna() & (rows["p"] > 0)]
        weight = ok["p"].to_numpy(dtype=float)
        dec = ok["imd_decile"].to_numpy(dtype=float)
        total = weight.sum()
        out["matched"].append(total)
        if total > 0:
            order = np.argsort(dec, kind="stable")
            cumulative = np.cumsum(weight[order])
            out["decile"].append(float(dec[order][np.searchsorted(cumulative, total / 2)]))
            out["mean"].append(float((weight * dec).sum() / total))
        else:
            out["decile"].append(np.nan)
            out["mean"].append(np.nan)
        if has_score:
            scored = ok[ok["imd_score"].notna()]
            w = scored["p"].to_numpy(dtype=float)
            out["score"].append(
                float((w * scored["imd_score"].to_numpy(dtype=float)).sum() / w.sum()) if w.sum() > 0 else np.nan
            )
    keys_native = pd.DataFrame({practice: pd.Series(practices, dtype=object)})
    keys = nw.from_native(
        keys_native if frame.is_pandas else pa.Table.from_pandas(keys_native, preserve_index=False), eager_only=True
    )
    patients_arr = np.asarray(out["patients"])
    matched_arr = np.asarray(out["matched"])
    columns: dict[str, Any] = {
        "patients": patients_arr.astype(np.int64) if np.all(patients_arr == np.round(patients_arr)) else patients_arr,
        "patients_matched": matched_arr.astype(np.int64)
        if np.all(matched_arr == np.round(matched_arr))
        else matched_arr,
    }
    if has_score:
        columns["imd_score"] = np.asarray(out["score"])
    deciles = np.asarray(out["decile"])
    columns["imd_decile"] = (
        pd.array([None if np.isnan(d) else int(d) for d in deciles], dtype="Int64")
        if np.isnan(deciles).any()
        else deciles.astype(np.int64)
    )
    columns["imd_decile_mean"] = np.asarray(out["mean"])
    return assemble(keys, columns, frame)


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

    frame = ingest(data)
    by_cols = as_list(by, "by")
    reject_clashes(frame.columns, [name], "data")
    result = quantiles(frame.frame, value, by=by_cols or None, n=n, invert=invert)
    renamed = result.rename({"quantile": name})
    return keep_geo(back_to_caller(renamed, frame), data)
