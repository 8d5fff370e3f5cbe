"""What the tiers hold: realised against fixed shares, and each tier's profile and share of outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from blmk_health._frames import as_list, grouped_sums, ingest, small_result
from blmk_health._validation import require_columns
from blmk_health.errors import SchemaError
from blmk_health.segmentation._tiers import tier_plan

__all__ = ["tier_profile", "tier_shares"]

_FEMALE = ("f", "female", "2", "woman", "women")


def tier_shares(
    tiered: Any,
    within: str | Sequence[str] | None = None,
    *,
    tier: str = "tier",
    shares: Sequence[float] = (0.02, 0.18, 0.80),
    labels: Sequence[str] = ("complex", "high_need", "healthy"),
) -> Any:
    """Realised tier sizes and shares against the fixed ones, with the patients placed by overrides and ties.

    For a table tiered by :func:`assign_tiers` (with the same ``within``, ``shares`` and ``labels``): per
    group and tier, the patients ranked (``group_n``, patients without a tier or in the ``"missing"``
    tier not counted), the tier's size ``n`` and ``share`` of them, its fixed size ``nominal_n``
    (``round(group_n x cumulative share)`` less the tiers above) and ``nominal_share``, the
    ``difference`` in patients (non-zero only where overrides overflowed a tier), the patients placed in
    it by an override (``overridden``) and those whose score is tied with a patient of another tier
    (``tied``), and ``small_group``: the group has fewer patients than tiers, so some tiers are empty.

    Parameters
    ----------
    tiered : DataFrame
        The output of :func:`assign_tiers` (any kind of frame; only the counts are collected).
    within : str or list of str, optional
        The groups the tiers were assigned within.
    tier : str, default "tier"
        The tier column (its ``_override`` and ``_tied`` columns are used where present).
    shares, labels
        As given to :func:`assign_tiers`.

    Returns
    -------
    DataFrame
        One row per group and tier (every tier, also when empty; a ``"missing"`` tier row where
        there is one), sorted by group in tier order; pandas for pandas input, else the caller's kind.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> people = pd.DataFrame({"patient_id": range(1, 31), "risk": [i / 30 for i in range(30)]})
    >>> tiered = bh.segmentation.assign_tiers(people, "risk")
    >>> bh.segmentation.tier_shares(tiered)[["tier", "n", "nominal_n", "share", "nominal_share"]]
            tier   n  nominal_n     share  nominal_share
    0    complex   1          1  0.033333           0.02
    1  high_need   5          5  0.166667           0.18
    2    healthy  24         24  0.800000           0.80
    """
    plan = tier_plan(shares, labels)
    frame = ingest(tiered, "tiered")
    groups = as_list(within, "within")
    require_columns(frame, [("tier", tier), *(("within", g) for g in groups)])
    flags = {f"{tier}_override": "overridden", f"{tier}_tied": "tied"}
    present = {column: out for column, out in flags.items() if column in frame.columns}
    exprs = {"n": nw.lit(1).cast(nw.Int64)}
    exprs.update({out: nw.col(column).cast(nw.Int64) for column, out in present.items()})
    counts = grouped_sums(frame, [*groups, tier], exprs).to_pandas()
    for column in exprs:  # DuckDB gives whole-number sums as decimals
        counts[column] = counts[column].astype("int64")
    for out in flags.values():
        if out not in counts.columns:
            counts[out] = 0
    table = _shares_table(counts, groups, tier, plan)
    return small_result(table, frame)


def _shares_table(counts: pd.DataFrame, groups: list[str], tier: str, plan: Any) -> pd.DataFrame:
    k = len(plan.labels)
    counts = counts[counts[tier].notna()]
    keys = counts[groups].drop_duplicates() if groups else pd.DataFrame(index=[0])
    rows = []
    for _, key in keys.iterrows():
        mask = np.ones(len(counts), dtype=bool)
        for g in groups:
            mask &= (counts[g] == key[g]).to_numpy()
        part = counts[mask].set_index(tier)
        ranked = part[["n", "overridden", "tied"]].reindex(list(plan.labels)).fillna(0)
        group_n = int(ranked["n"].sum())
        cuts = [0] + [int(plan.cut(group_n, j)) for j in range(k)]
        for j, label in enumerate(plan.labels):
            n = int(ranked.loc[label, "n"])
            nominal = cuts[j + 1] - cuts[j]
            rows.append(
                {
                    **{g: key[g] for g in groups},
                    "tier": label,
                    "group_n": group_n,
                    "n": n,
                    "share": n / group_n if group_n else np.nan,
                    "nominal_n": nominal,
                    "nominal_share": plan.shares[j],
                    "difference": n - nominal,
                    "overridden": int(ranked.loc[label, "overridden"]),
                    "tied": int(ranked.loc[label, "tied"]),
                    "small_group": group_n < k,
                }
            )
        if "missing" in part.index:
            n_missing = int(part["n"].get("missing", 0))
            rows.append({**{g: key[g] for g in groups}, "tier": "missing", "group_n": group_n, "n": n_missing})
    table = pd.DataFrame(rows)
    for column in ("nominal_n", "difference", "overridden", "tied"):
        table[column] = table[column].astype("Int64")
    table["small_group"] = table["small_group"].astype("boolean")
    return table


def tier_profile(
    data: Any,
    tier: str = "tier",
    outcomes: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    *,
    score: str | None = None,
    means: str | Sequence[str] | None = None,
    sex: str | None = None,
    labels: Sequence[str] = ("complex", "high_need", "healthy"),
) -> Any:
    """Who is in each tier and what share of the outcomes each tier accounts for.

    Per ``by`` group (or the whole table) and tier: the number of patients and their share of the
    group's tiered patients; the mean ``score``; the mean of each ``means`` column (the share for a
    boolean, e.g. a condition flag or care-home residence; the mean age for ``"age"``); the share of
    women (``sex`` values F, Female or 2, in any case); and for each ``outcomes`` column (e.g. next
    year's emergency admissions and bed days) its total, mean per patient and the tier's
    **share of the group's total**. As a reference point, in a King's Fund combined-model population
    the top 20% of patients accounted for 62% of emergency admissions.

    With ``by="place_code"`` or ``by="imd_decile"`` the table shows whether the tiers fall fairly
    across places and deprivation (a tier's ``share`` in each group against its share overall).

    Parameters
    ----------
    data : DataFrame
        Patients with a tier (as :func:`assign_tiers` gives); patients without a tier are left out.
    tier : str, default "tier"
        The tier column.
    outcomes : str or list of str, optional
        Numeric outcome columns (counts, or booleans).
    by : str or list of str, optional
        Groups to profile within.
    score : str, optional
        The risk score column, whose mean is given.
    means : str or list of str, optional
        Numeric or boolean columns whose mean is given (missing values left out).
    sex : str, optional
        The sex column, for the share of women.
    labels : sequence of str, default ("complex", "high_need", "healthy")
        The tiers in the order to list them (other tiers follow in alphabetical order).

    Returns
    -------
    DataFrame
        One row per group and tier, sorted: ``n``, ``share``, ``mean_<score>``, ``mean_<column>``,
        ``female_share``, ``<outcome>``, ``<outcome>_per_patient``, ``<outcome>_share``; pandas for
        pandas input, else the caller's kind.

    Raises
    ------
    SchemaError
        A column is missing, or an outcome, score or means column is not numeric or boolean.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> people = pd.DataFrame(
    ...     {
    ...         "patient_id": range(1, 11),
    ...         "risk": [0.9, 0.1, 0.5, 0.4, 0.05, 0.3, 0.2, 0.15, 0.12, 0.11],
    ...         "admissions": [3, 0, 1, 1, 0, 0, 1, 0, 0, 0],
    ...     }
    ... )
    >>> tiered = bh.segmentation.assign_tiers(people, "risk", shares=(0.1, 0.2, 0.7))
    >>> bh.segmentation.tier_profile(tiered, outcomes="admissions")[["tier", "n", "admissions", "admissions_share"]]
            tier  n  admissions  admissions_share
    0    complex  1           3          0.500000
    1  high_need  2           2          0.333333
    2    healthy  7           1          0.166667
    """
    frame = ingest(data, "data")
    groups = as_list(by, "by")
    results = as_list(outcomes, "outcomes")
    averaged = ([score] if score is not None else []) + as_list(means, "means")
    wanted = [("tier", tier), *(("by", g) for g in groups), *(("outcomes", c) for c in results)]
    wanted += [("means", c) for c in averaged] + ([("sex", sex)] if sex is not None else [])
    require_columns(frame, wanted)
    _require_numbers(frame, [("outcomes", c) for c in results] + [("means", c) for c in averaged])
    exprs: dict[str, Any] = {"n": nw.lit(1).cast(nw.Int64)}
    for c in [*results, *averaged]:
        exprs[f"sum_{c}"] = nw.col(c).cast(nw.Float64)
        exprs[f"count_{c}"] = (~nw.col(c).is_null()).cast(nw.Int64)
    if sex is not None:
        text = nw.col(sex).cast(nw.String).str.strip_chars().str.to_lowercase()
        exprs["female"] = text.is_in(list(_FEMALE)).cast(nw.Int64)
        exprs["sexed"] = (~nw.col(sex).is_null()).cast(nw.Int64)
    tiered = frame.with_frame(frame.frame.filter(~nw.col(tier).is_null()))
    sums = grouped_sums(tiered, [*groups, tier], exprs).to_pandas()
    for column in exprs:  # DuckDB gives whole-number sums as decimals
        sums[column] = pd.to_numeric(sums[column].astype(float))
    table = _profile_table(sums, groups, tier, results, averaged, sex is not None, score)
    integer = [c for c in results if frame.schema[c] == nw.Boolean or frame.schema[c].is_integer()]
    for c in integer:
        table[c] = table[c].round().astype("int64")
    order = {label: i for i, label in enumerate(labels)}
    table["_order"] = table[tier].map(lambda t: (order.get(t, len(order)), str(t)))
    table = table.sort_values([*groups, "_order"], kind="stable").drop(columns="_order")
    return small_result(table.reset_index(drop=True), frame)


def _require_numbers(frame: Any, wanted: list[tuple[str, str]]) -> None:
    schema = frame.schema
    for argument, column in wanted:
        if schema[column] != nw.Boolean and not schema[column].is_numeric():
            msg = f"{argument}: column {column!r} must be numeric or boolean but is {schema[column]}"
            raise SchemaError(msg)


def _profile_table(
    sums: pd.DataFrame,
    groups: list[str],
    tier: str,
    results: list[str],
    averaged: list[str],
    with_sex: bool,
    score: str | None,
) -> pd.DataFrame:
    out = sums[[*groups, tier]].copy()
    out["n"] = sums["n"].astype("int64")
    total = sums.groupby(groups, dropna=False, observed=True)["n"].transform("sum") if groups else sums["n"].sum()
    out["share"] = sums["n"] / total
    for c in averaged:
        label = f"mean_{c}"
        out[label] = sums[f"sum_{c}"] / sums[f"count_{c}"].replace(0, np.nan)
    if with_sex:
        out["female_share"] = sums["female"] / sums["sexed"].replace(0, np.nan)
    for c in results:
        value = sums[f"sum_{c}"]
        if groups:
            whole = sums.groupby(groups, dropna=False, observed=True)[f"sum_{c}"].transform("sum")
        else:
            whole = pd.Series(value.sum(), index=sums.index)
        out[c] = value
        out[f"{c}_per_patient"] = value / sums[f"count_{c}"].replace(0, np.nan)
        out[f"{c}_share"] = value / whole.replace(0, np.nan)
    return out.reset_index(drop=True)
